// The database handle the app and the services receive: drizzle over any synchronous SQLite driver.
import type { BaseSQLiteDatabase } from 'drizzle-orm/sqlite-core';
import type * as schema from './schema.js';

export type Db = BaseSQLiteDatabase<'sync', unknown, typeof schema>;
