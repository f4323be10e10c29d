// The database of one Durable Object: drizzle's durable-sqlite driver over the object's SQLite
// storage (synchronous, as better-sqlite3 is), migrated from the same SQL files as on Node.
import { drizzle } from 'drizzle-orm/durable-sqlite';
import { migrate } from 'drizzle-orm/durable-sqlite/migrator';
import * as schema from '../db/schema.js';
import type { Db } from '../db/types.js';
import type { DurableObjectStorage } from './cloudflare.js';
import { bundledMigrations } from './migrations.js';

export async function openDurableDatabase(storage: DurableObjectStorage): Promise<Db> {
  // drizzle's types want Cloudflare's own storage type; ours is the subset it uses.
  const db = drizzle(storage as never, { schema });
  await migrate(db, bundledMigrations);
  return db as unknown as Db;
}
