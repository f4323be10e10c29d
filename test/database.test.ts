// The SQLite file as the Node entry opens it: pragmas, migrations applied once (also by processes
// racing on a new file), the busy timeout between processes, and the schema's constraints.
import { chmodSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { busyTimeoutMs, openDatabase, type OpenDatabase } from '../src/db/open.js';
import { StorageError, write, writeRetrying } from '../src/db/write.js';
import { cleanUp, journalEntries, makeTempDir, spawnTracked, withTimeout } from './support/server-process.js';

const opened: { close(): void }[] = [];

afterEach(async () => {
  for (const database of opened.splice(0)) database.close();
  await cleanUp();
});

function open(path: string): OpenDatabase {
  const database = openDatabase(path);
  opened.push(database);
  return database;
}

function raw(path: string, options?: Database.Options): Database.Database {
  const sqlite = new Database(path, options);
  opened.push({ close: () => sqlite.open && sqlite.close() });
  return sqlite;
}

const migrationRows = (sqlite: Database.Database) =>
  (sqlite.prepare('select count(*) as n from __drizzle_migrations').get() as { n: number }).n;

const fixture = (name: string) => join('test', 'fixtures', name);

let invoice = 0;
function insertTransaction(sqlite: Database.Database, fields: { price?: number | null } = {}): number {
  const now = Date.now();
  const result = sqlite
    .prepare(
      'insert into transactions (invoice_id, gamepass_price, status, attempts, created_at, updated_at) values (?, ?, ?, ?, ?, ?)',
    )
    .run(`INV-${++invoice}`, fields.price === undefined ? 100 : fields.price, 'pending', 0, now, now);
  return Number(result.lastInsertRowid);
}

function insertAccount(sqlite: Database.Database, robux: number): void {
  const now = Date.now();
  sqlite
    .prepare(
      `insert into stock_accounts (id, user_id, username, display_name, robux, status, credential_enc, last_checked, created_at, updated_at)
       values (?, ?, ?, ?, ?, 'active', 'enc', ?, ?, ?)`,
    )
    .run(`acc-${++invoice}`, invoice, `user${invoice}`, `User ${invoice}`, robux, now, now, now);
}

function insertAttempt(sqlite: Database.Database, transactionId: number): void {
  const now = Date.now();
  sqlite
    .prepare(
      `insert into purchase_attempts (idempotency_key, transaction_id, account_username, price, created_at, updated_at)
       values (?, ?, 'user', 100, ?, ?)`,
    )
    .run(`key-${++invoice}`, transactionId, now, now);
}

describe('openDatabase on a file', () => {
  it('sets WAL, foreign keys and the busy timeout', () => {
    const { sqlite } = open(join(makeTempDir(), 'app.db'));
    expect(sqlite.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(sqlite.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(sqlite.pragma('busy_timeout', { simple: true })).toBe(busyTimeoutMs);
    expect(busyTimeoutMs).toBeGreaterThan(0);
    // NORMAL
    expect(sqlite.pragma('synchronous', { simple: true })).toBe(1);
  });

  it('applies the migrations once when the same file is opened twice in a row', () => {
    const path = join(makeTempDir(), 'app.db');
    const entries = journalEntries();
    expect(entries.length).toBeGreaterThan(0);
    const first = open(path);
    expect(migrationRows(first.sqlite)).toBe(entries.length);
    first.close();
    const second = open(path);
    expect(migrationRows(second.sqlite)).toBe(entries.length);
    const createdAt = second.sqlite.prepare('select created_at as c from __drizzle_migrations order by id').all() as {
      c: number;
    }[];
    expect(createdAt.map((row) => Number(row.c))).toEqual(entries.map((entry) => entry.when));
  });

  it('four processes opening the same new file at once all succeed and migrate once', async () => {
    // The race is short, so it is run over several new files, one round each, by the same processes.
    const dir = makeTempDir();
    const rounds = 5;
    const paths = Array.from({ length: rounds }, (_, round) => join(dir, `app-${round}.db`));
    const children = Array.from({ length: 4 }, () =>
      spawnTracked(['--import', 'tsx', fixture('open-db.ts'), ...paths], { ...process.env }, { stdin: true }),
    );
    // Released at shared instants once every one has loaded its modules.
    await Promise.all(children.map((child) => child.waitForLine(/^ready$/, 15_000)));
    const first = Date.now() + 100;
    for (const child of children) child.proc.stdin!.end(`go ${first} 150\n`);
    const exits = await withTimeout(
      Promise.all(children.map((child) => child.exited)),
      15_000,
      () => new Error(`children still running:\n${children.map((child) => child.output()).join('\n')}`),
    );
    exits.forEach((exit, i) => expect(exit, children[i]!.output()).toEqual({ code: 0, signal: null }));
    for (const child of children) expect(child.stdoutLines().filter((line) => line.startsWith('opened'))).toHaveLength(rounds);

    for (const path of paths) {
      const sqlite = raw(path, { readonly: true });
      expect(migrationRows(sqlite)).toBe(journalEntries().length);
    }
  }, 30_000);

  it('a write blocks the event loop at most the short busy timeout, then answers busy; a retrying writer commits once the lock is gone', async () => {
    const path = join(makeTempDir(), 'app.db');
    const { sqlite, db } = open(path);
    const holdMs = 1_200;
    const holder = spawnTracked(['--import', 'tsx', fixture('hold-lock.ts'), path, String(holdMs)], { ...process.env });
    await holder.waitForLine(/^locked$/, 15_000);
    expect(busyTimeoutMs).toBeLessThanOrEqual(250);

    // The driver's own wait (synchronous: the event loop stands still) ends after the busy timeout.
    let started = performance.now();
    expect(() => insertTransaction(sqlite)).toThrow(expect.objectContaining({ code: 'SQLITE_BUSY' }));
    expect(performance.now() - started).toBeLessThan(busyTimeoutMs + 150);

    // Through write(): a 503 database_busy with Retry-After, and the next tries fail at once.
    expect(() => write(db, (tx) => tx.run(sql`insert into health_probe (id, checked_at) values (1, 1)`))).toThrow(
      expect.objectContaining({ status: 503, code: 'database_busy', headers: { 'Retry-After': '1' } }),
    );
    started = performance.now();
    expect(() => write(db, () => 1)).toThrow(StorageError);
    expect(performance.now() - started).toBeLessThan(20);

    // A writer that retries (the engine, the jobs) waits with the loop free, and commits after the lock.
    let ticks = 0;
    const ticker = setInterval(() => ticks++, 20);
    started = performance.now();
    const id = await writeRetrying(db, () => insertTransaction(sqlite), { sleep: (ms) => new Promise((r) => setTimeout(r, ms)) });
    clearInterval(ticker);
    const waited = performance.now() - started;
    expect(waited).toBeGreaterThanOrEqual(500);
    expect(ticks, 'timers fired while the writer waited').toBeGreaterThan((waited / 20) * 0.4);
    expect(sqlite.prepare('select id from transactions where id = ?').get(id)).toEqual({ id });

    expect(await withTimeout(holder.exited, 10_000, () => new Error(holder.output()))).toEqual({ code: 0, signal: null });
    expect(holder.stdout()).toMatch(/^committed$/m);
  }, 30_000);

  it('keeps the database, WAL and SHM files owner-only, also in a data folder that already exists', () => {
    const dir = makeTempDir();
    chmodSync(dir, 0o755);
    const path = join(dir, 'app.db');
    // A file left readable by everyone (an older version, a copy) is made owner-only too.
    writeFileSync(path, '');
    chmodSync(path, 0o644);
    const { sqlite } = open(path);
    insertTransaction(sqlite);
    for (const file of [path, `${path}-wal`, `${path}-shm`]) expect((statSync(file).mode & 0o777).toString(8), file).toBe('600');
  });
});

describe('schema constraints', () => {
  it('enforces foreign keys: an attempt for a missing transaction is refused', () => {
    const { sqlite } = open(join(makeTempDir(), 'app.db'));
    const id = insertTransaction(sqlite);
    expect(() => insertAttempt(sqlite, id)).not.toThrow();
    expect(() => insertAttempt(sqlite, id + 1000)).toThrow(/FOREIGN KEY constraint failed/);
  });

  it('rejects a negative robux balance and a zero gamepass price with CHECK constraints', () => {
    const { sqlite } = open(join(makeTempDir(), 'app.db'));
    expect(() => insertAccount(sqlite, 0)).not.toThrow();
    expect(() => insertAccount(sqlite, -1)).toThrow(/CHECK constraint failed/);
    expect(() => insertTransaction(sqlite, { price: null })).not.toThrow();
    expect(() => insertTransaction(sqlite, { price: 1 })).not.toThrow();
    expect(() => insertTransaction(sqlite, { price: 0 })).toThrow(/CHECK constraint failed/);
  });

  it('declares money and count columns INTEGER', () => {
    const { sqlite } = open(join(makeTempDir(), 'app.db'));
    const typeOf = (table: string, column: string) => {
      const columns = sqlite.pragma(`table_info(${table})`) as { name: string; type: string }[];
      return columns.find((c) => c.name === column)?.type.toUpperCase();
    };
    expect(typeOf('stock_accounts', 'robux')).toBe('INTEGER');
    expect(typeOf('transactions', 'gamepass_price')).toBe('INTEGER');
    expect(typeOf('transactions', 'attempts')).toBe('INTEGER');
    expect(typeOf('purchase_attempts', 'price')).toBe('INTEGER');
  });
});
