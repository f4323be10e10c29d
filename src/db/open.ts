// Opens the SQLite file for the Node entry: pragmas, migrations, and the drizzle handle.
import { chmodSync, closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { drizzle } from 'drizzle-orm/better-sqlite3';
import { readMigrationFiles } from 'drizzle-orm/migrator';
import { sqliteNativeBinding } from '../node/sea-addon.js';
import { inSingleExecutable, withSeaMigrationsFolder } from '../node/sea.js';
import * as schema from './schema.js';
import type { Db } from './types.js';

/** The drizzle-kit output folder, beside src/ and dist/ alike (the single executable carries its own). */
export const migrationsFolder = fileURLToPath(new URL('../../migrations', import.meta.url));

export interface OpenDatabase {
  db: Db;
  sqlite: Database.Database;
  /** SQLite's data_version: it changes when another connection commits (the stream feed's watch). */
  dataVersion(): number;
  close(): void;
}

/**
 * How long one statement waits for another process's write lock. better-sqlite3 waits inside a
 * synchronous call, so this is how long the event loop can stand still (SPEC §11: ~250 ms at most);
 * writers that must get through retry later (src/db/write.ts).
 */
export const busyTimeoutMs = 100;
/** Start-up (WAL switch, migrations) serves nothing yet: it may wait this long for a lock. */
export const startupLockWaitMs = 10_000;

export function openDatabase(path: string): OpenDatabase {
  if (path !== ':memory:') {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    ownerOnly(path);
  }
  // The single executable loads its embedded addon, written beside the database (src/node/sea-addon.ts).
  const nativeBinding = sqliteNativeBinding(path === ':memory:' ? resolve('data') : dirname(resolve(path)));
  // better-sqlite3 takes the addon's module object too; @types/better-sqlite3 9 types only a path.
  const sqlite = new Database(path, { timeout: busyTimeoutMs, ...(nativeBinding ? { nativeBinding: nativeBinding as unknown as string } : {}) });
  sqlite.pragma(`busy_timeout = ${busyTimeoutMs}`);
  enableWal(sqlite);
  sqlite.pragma('foreign_keys = ON');
  // In WAL mode NORMAL never corrupts and survives a process crash (kill -9); only a power cut can
  // lose the last commits.
  sqlite.pragma('synchronous = NORMAL');
  untilUnlocked(() => (inSingleExecutable() ? withSeaMigrationsFolder((folder) => migrate(sqlite, folder)) : migrate(sqlite)));
  const db: Db = drizzle(sqlite, { schema });
  return {
    db,
    sqlite,
    dataVersion: () => sqlite.pragma('data_version', { simple: true }) as number,
    close: () => {
      if (sqlite.open) sqlite.close();
    },
  };
}

/**
 * Switching a new file to WAL needs an exclusive lock, and SQLite answers SQLITE_BUSY at once,
 * without its busy handler, when another process is doing the same: retry until the busy timeout.
 */
function enableWal(sqlite: Database.Database): void {
  untilUnlocked(() => sqlite.pragma('journal_mode = WAL'));
}

/** Retries a start-up step while another process holds the lock, up to `startupLockWaitMs`. */
function untilUnlocked<T>(step: () => T): T {
  const deadline = Date.now() + startupLockWaitMs;
  for (;;) {
    try {
      return step();
    } catch (error) {
      if (!String((error as { code?: string }).code).startsWith('SQLITE_BUSY') || Date.now() > deadline) throw error;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
    }
  }
}

/**
 * The database file is owner-only before SQLite opens it; SQLite gives its -wal and -shm files the
 * database file's permissions, and those left from an earlier run are made owner-only too.
 */
function ownerOnly(path: string): void {
  if (!existsSync(path)) closeSync(openSync(path, 'a', 0o600));
  for (const file of [path, `${path}-wal`, `${path}-shm`]) {
    if (existsSync(file)) chmodSync(file, 0o600);
  }
}

/**
 * Applies drizzle-kit's migrations in their journal order, in the same bookkeeping table as
 * drizzle's own migrator, but under BEGIN IMMEDIATE so that two processes starting on one file
 * apply each migration once: drizzle's migrator reads what is applied before it takes the lock.
 */
export function migrate(sqlite: Database.Database, folder = migrationsFolder): void {
  const migrations = readMigrationFiles({ migrationsFolder: folder });
  sqlite.exec('BEGIN IMMEDIATE');
  try {
    sqlite.exec(
      'CREATE TABLE IF NOT EXISTS "__drizzle_migrations" (id INTEGER PRIMARY KEY, hash text NOT NULL, created_at numeric)',
    );
    const last = sqlite
      .prepare('SELECT created_at AS createdAt FROM "__drizzle_migrations" ORDER BY created_at DESC LIMIT 1')
      .get() as { createdAt: number } | undefined;
    const record = sqlite.prepare('INSERT INTO "__drizzle_migrations" (hash, created_at) VALUES (?, ?)');
    for (const migration of migrations) {
      if (last && Number(last.createdAt) >= migration.folderMillis) continue;
      for (const statement of migration.sql) {
        if (statement.trim()) sqlite.exec(statement);
      }
      record.run(migration.hash, migration.folderMillis);
    }
    sqlite.exec('COMMIT');
  } catch (error) {
    sqlite.exec('ROLLBACK');
    throw error;
  }
}
