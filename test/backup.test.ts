// `autopurchase backup <file>` (SPEC §10): SQLite's online backup of the live database, as a real
// process beside a real server process in the middle of a run with a stream open.
import { spawn } from 'node:child_process';
import { existsSync, linkSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { backupCommand } from '../src/cli/backup.js';
import { backupDatabase, finishCopy } from '../src/db/backup.js';
import { runCli } from './support/cli-process.js';
import { cleanUp, makeTempDir, repoRoot, startServer } from './support/server-process.js';
import { adminApi, foldReceived, readStream } from './support/sse-clients.js';

afterEach(cleanUp);

const token = 'backup-test-token-0123456789';

const count = (sqlite: Database.Database, table: string) =>
  (sqlite.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;

describe('autopurchase backup <file>', () => {
  it('copies the live database during a run with a stream open; the copy is sound and owner-only, and the run completes', async () => {
    const dataDir = makeTempDir();
    const server = await startServer({ dataDir, env: { ADMIN_TOKEN: token, PURCHASE_DELAY_MS: '800' } });
    const api = adminApi(server.url, token);
    const { sessionId } = await api.addAccount('sandbox:alice:100000');

    let midRun: () => void = () => undefined;
    const sawTransaction = new Promise<void>((resolve) => (midRun = resolve));
    const stream = readStream(api.eventsUrl(sessionId), {
      token,
      timeoutMs: 45_000,
      onMessage: (message) => {
        if (message.kind === 'event' && message.event === 'transaction') midRun();
      },
    });
    await sawTransaction;
    expect((await api.snapshot(sessionId)).status).toBe('running');

    const outDir = makeTempDir('autopurchase-backup-');
    const file = join(outDir, 'copy.db');
    const result = await runCli(['backup', file], { DATABASE_PATH: join(dataDir, 'autopurchase.db') });
    expect(result.code, result.stderr).toBe(0);
    // That the copy was taken during the run is proven by the copy itself (its `runs` row says
    // `running`, below), not by asking the server afterwards: whether the run still goes on once
    // the CLI has exited depends on orders × PURCHASE_DELAY_MS outlasting spawn + backup.

    expect(result.stdout.trim()).toBe(`${file} ${statSync(file).size} bytes`);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readdirSync(outDir)).toEqual(['copy.db']);

    const copy = new Database(file, { readonly: true });
    try {
      expect(copy.pragma('integrity_check')).toEqual([{ integrity_check: 'ok' }]);
      expect(copy.pragma('journal_mode', { simple: true })).toBe('delete');
      expect(count(copy, 'transactions')).toBe(14);
      expect(count(copy, 'stock_accounts')).toBe(1);
      expect(count(copy, 'runs')).toBeGreaterThanOrEqual(1);
      expect(count(copy, 'run_events')).toBeGreaterThan(0);
      const run = copy.prepare('SELECT status FROM runs WHERE session_id = ?').get(sessionId) as { status: string };
      expect(run.status).toBe('running');
    } finally {
      copy.close();
    }

    // The server went on: the stream that stayed open reaches `end`, and the run completed.
    const read = await stream;
    expect(read.events.at(-1)?.event).toBe('end');
    expect(foldReceived(read.events).status).toBe('completed');
    expect((await api.snapshot(sessionId)).status).toBe('completed');
    expect(await server.stop('SIGTERM')).toEqual({ code: 0, signal: null });
  }, 60_000);

  it('refuses an existing file without --force (exit 2, the file untouched) and replaces it with --force', async () => {
    const dataDir = makeTempDir();
    const server = await startServer({ dataDir, env: { ADMIN_TOKEN: token } });
    const env = { DATABASE_PATH: join(dataDir, 'autopurchase.db') };
    const file = join(makeTempDir('autopurchase-backup-'), 'existing.db');
    writeFileSync(file, 'keep me', { mode: 0o644 });

    const refused = await runCli(['backup', file], env);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/exists; pass --force/);
    expect(readFileSync(file, 'utf8')).toBe('keep me');
    expect(statSync(file).mode & 0o777).toBe(0o644);

    const forced = await runCli(['backup', file, '--force'], env);
    expect(forced.code, forced.stderr).toBe(0);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const copy = new Database(file, { readonly: true });
    expect(count(copy, 'transactions')).toBe(14);
    copy.close();
    await server.stop('SIGTERM');
  }, 40_000);

  it('exits 1 with a clear message when there is no database, and 2 on a usage error; nothing is written', async () => {
    const dir = makeTempDir('autopurchase-backup-');
    const file = join(dir, 'copy.db');
    const missing = join(dir, 'no-such', 'autopurchase.db');
    const noDatabase = await runCli(['backup', file], { DATABASE_PATH: missing });
    expect(noDatabase.code).toBe(1);
    expect(noDatabase.stderr).toContain(`no database at ${missing}`);
    expect(existsSync(join(dir, 'no-such'))).toBe(false);

    expect((await runCli(['backup'])).code).toBe(2);
    expect((await runCli(['backup', 'a.db', 'b.db'])).code).toBe(2);
    const itself = await runCli(['backup', missing], { DATABASE_PATH: missing });
    expect(itself.code).toBe(2);

    // Not a database: the copy fails, and neither the target nor a temporary file is left.
    const notDatabase = join(dir, 'garbage.db');
    writeFileSync(notDatabase, 'this is not an SQLite file'.repeat(200));
    const failed = await runCli(['backup', file], { DATABASE_PATH: notDatabase });
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(/autopurchase backup: .*not a database/);
    expect(readdirSync(dir).sort()).toEqual(['garbage.db']);
  }, 40_000);
});

/** A database in WAL mode with one row, and a connection kept open on it (as a server would) so its -wal and -shm exist. */
function liveDatabase(dataDir: string): { path: string; sqlite: Database.Database } {
  const path = join(dataDir, 'autopurchase.db');
  const sqlite = new Database(path);
  sqlite.pragma('journal_mode = WAL');
  sqlite.exec("CREATE TABLE marker (note TEXT NOT NULL); INSERT INTO marker VALUES ('live')");
  return { path, sqlite };
}

/** `backupCommand` in this process, with what it printed. */
async function backupInProcess(options: { target: string; force: boolean; databasePath: string; beforePublish?: () => void }) {
  const stderr: string[] = [];
  const stdout: string[] = [];
  const code = await backupCommand({ ...options, out: (line) => stdout.push(line), err: (line) => stderr.push(line) });
  return { code, stdout: stdout.join('\n'), stderr: stderr.join('\n') };
}

const inode = (path: string) => {
  const stat = statSync(path, { bigint: true });
  return `${stat.dev}:${stat.ino}`;
};

describe('autopurchase backup: the database itself under another spelling', () => {
  it('refuses a symlinked folder spelling of the database, its -wal and -shm, even with --force (exit 2, nothing touched)', async () => {
    const root = makeTempDir('autopurchase-backup-');
    const dataDir = join(root, 'data');
    mkdirSync(dataDir);
    const live = liveDatabase(dataDir);
    try {
      const link = join(root, 'link');
      symlinkSync(dataDir, link);
      const before = { db: inode(live.path), files: readdirSync(dataDir).sort() };
      expect(before.files).toEqual(['autopurchase.db', 'autopurchase.db-shm', 'autopurchase.db-wal']);
      for (const name of ['autopurchase.db', 'autopurchase.db-wal', 'autopurchase.db-shm']) {
        const result = await backupInProcess({ target: join(link, name), force: true, databasePath: live.path });
        expect(result.code, `${name}: ${result.stderr}`).toBe(2);
        expect(result.stderr).toMatch(/is the database itself/);
        expect(inode(live.path)).toBe(before.db);
        expect(readdirSync(dataDir).sort()).toEqual(before.files);
      }
      // The server's connection goes on with the same file.
      live.sqlite.exec("INSERT INTO marker VALUES ('after')");
    } finally {
      live.sqlite.close();
    }
    // Its -wal gone (a clean close), the -wal's name through the link is still the database's own.
    expect(readdirSync(dataDir)).toEqual(['autopurchase.db']);
    const wal = await backupInProcess({ target: join(root, 'link', 'autopurchase.db-wal'), force: false, databasePath: join(dataDir, 'autopurchase.db') });
    expect(wal.code).toBe(2);
    expect(readdirSync(dataDir)).toEqual(['autopurchase.db']);
    const reopened = new Database(join(dataDir, 'autopurchase.db'), { readonly: true });
    expect(reopened.prepare('SELECT note FROM marker ORDER BY rowid').pluck().all()).toEqual(['live', 'after']);
    reopened.close();
  });

  it('refuses a hard link to the database (or to its -wal) with --force (exit 2, the link and the database untouched)', async () => {
    const dataDir = makeTempDir('autopurchase-backup-');
    const live = liveDatabase(dataDir);
    try {
      const elsewhere = makeTempDir('autopurchase-backup-');
      for (const name of ['autopurchase.db', 'autopurchase.db-wal']) {
        const hard = join(elsewhere, `hard-${name}`);
        linkSync(join(dataDir, name), hard);
        const before = inode(join(dataDir, name));
        const result = await backupInProcess({ target: hard, force: true, databasePath: live.path });
        expect(result.code, `${name}: ${result.stderr}`).toBe(2);
        expect(result.stderr).toMatch(/is the database itself/);
        expect(inode(hard)).toBe(before);
        expect(inode(join(dataDir, name))).toBe(before);
      }
      expect(readdirSync(elsewhere).sort()).toEqual(['hard-autopurchase.db', 'hard-autopurchase.db-wal']);
    } finally {
      live.sqlite.close();
    }
  });
});

describe('autopurchase backup: publishing the copy', () => {
  it('without --force, never replaces a file that appears at the target while the copy is taken (EEXIST: exit 2, the file untouched, no temporary left)', async () => {
    const dataDir = makeTempDir('autopurchase-backup-');
    const live = liveDatabase(dataDir);
    try {
      const outDir = makeTempDir('autopurchase-backup-');
      const file = join(outDir, 'copy.db');
      let hookRan = false;
      const result = await backupInProcess({
        target: file,
        force: false,
        databasePath: live.path,
        beforePublish: () => {
          hookRan = true;
          writeFileSync(file, 'arrived meanwhile', { mode: 0o644 });
        },
      });
      expect(hookRan).toBe(true);
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(/exists; pass --force/);
      expect(readFileSync(file, 'utf8')).toBe('arrived meanwhile');
      expect(statSync(file).mode & 0o777).toBe(0o644);
      expect(readdirSync(outDir)).toEqual(['copy.db']);

      // With --force the same race ends with the copy in place.
      const forced = await backupInProcess({
        target: file,
        force: true,
        databasePath: live.path,
        beforePublish: () => writeFileSync(file, 'arrived meanwhile again'),
      });
      expect(forced.code, forced.stderr).toBe(0);
      expect(readdirSync(outDir)).toEqual(['copy.db']);
      const copy = new Database(file, { readonly: true });
      expect(copy.prepare('SELECT note FROM marker').pluck().all()).toEqual(['live']);
      copy.close();
    } finally {
      live.sqlite.close();
    }
  });

  it('without --force, a free target gets the copy and no temporary is left beside it', async () => {
    const dataDir = makeTempDir('autopurchase-backup-');
    const live = liveDatabase(dataDir);
    try {
      const outDir = makeTempDir('autopurchase-backup-');
      const file = join(outDir, 'copy.db');
      const result = await backupInProcess({ target: file, force: false, databasePath: live.path });
      expect(result.code, result.stderr).toBe(0);
      expect(readdirSync(outDir)).toEqual(['copy.db']);
      expect(statSync(file).nlink).toBe(1);
      expect(statSync(file).mode & 0o777).toBe(0o600);
    } finally {
      live.sqlite.close();
    }
  });

  for (const [signal, code] of [
    ['SIGTERM', 143],
    ['SIGINT', 130],
  ] as const) {
    it(`removes its temporary file when stopped by ${signal} mid-copy, and exits ${code}`, async () => {
      // ~100 MB: the copy and its check take long enough to be stopped once the temporary exists.
      const dataDir = makeTempDir('autopurchase-backup-');
      const source = join(dataDir, 'big.db');
      const writer = new Database(source);
      writer.pragma('journal_mode = WAL');
      writer.exec('CREATE TABLE filler (id INTEGER PRIMARY KEY, padding BLOB)');
      const insert = writer.prepare('INSERT INTO filler (padding) VALUES (zeroblob(16000))');
      writer.transaction(() => {
        for (let i = 0; i < 6_000; i++) insert.run();
      })();
      writer.close();

      const outDir = makeTempDir('autopurchase-backup-');
      const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'backup', join(outDir, 'copy.db')], {
        cwd: repoRoot,
        env: { ...process.env, DATABASE_PATH: source },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (chunk) => (stderr += chunk));
      const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) =>
        child.on('exit', (exitCode, exitSignal) => done({ code: exitCode, signal: exitSignal })),
      );
      let finished = false;
      void exited.then(() => (finished = true));
      try {
        const deadline = Date.now() + 20_000;
        while (!finished && Date.now() < deadline && !readdirSync(outDir).some((name) => name.endsWith('.partial'))) {
          await new Promise((resolve) => setTimeout(resolve, 1));
        }
        expect(finished, `the backup ended before its temporary was seen: ${stderr}`).toBe(false);
        expect(readdirSync(outDir)).toEqual([`.copy.db.${child.pid}.partial`]);
        child.kill(signal);
        const exit = await exited;
        expect(readdirSync(outDir)).toEqual([]);
        expect(exit, stderr).toEqual({ code, signal: null });
      } finally {
        if (!finished) child.kill('SIGKILL');
      }
    }, 40_000);
  }
});

describe('backupDatabase', () => {
  it('finishes while another connection writes between its steps, and copies one moment (a conserved sum)', async () => {
    const dir = makeTempDir('autopurchase-backup-');
    const source = join(dir, 'source.db');
    const writer = new Database(source);
    writer.pragma('journal_mode = WAL');
    writer.exec('CREATE TABLE ledger (id INTEGER PRIMARY KEY, amount INTEGER NOT NULL, padding BLOB)');
    // ~12 MB: a dozen steps of 1,000 pages, so writes land between steps.
    const insert = writer.prepare('INSERT INTO ledger (amount, padding) VALUES (?, randomblob(4000))');
    writer.transaction(() => {
      for (let i = 0; i < 3_000; i++) insert.run(100);
    })();
    const total = 300_000;
    const move = writer.transaction((from: number, to: number) => {
      writer.prepare('UPDATE ledger SET amount = amount - 1 WHERE id = ?').run(from);
      writer.prepare('UPDATE ledger SET amount = amount + 1 WHERE id = ?').run(to);
    });

    let writes = 0;
    let copying = true;
    const keepWriting = () => {
      if (!copying) return;
      move(1 + (writes % 3_000), 1 + ((writes * 7 + 1) % 3_000));
      writes++;
      setImmediate(keepWriting);
    };
    setImmediate(keepWriting);
    const copyPath = join(dir, 'copy.db');
    try {
      await backupDatabase(source, copyPath);
    } finally {
      copying = false;
    }
    writer.close();
    expect(writes).toBeGreaterThan(1);
    expect(finishCopy(copyPath)).toEqual(['ok']);
    const copy = new Database(copyPath, { readonly: true });
    expect(count(copy, 'ledger')).toBe(3_000);
    expect((copy.prepare('SELECT sum(amount) AS s FROM ledger').get() as { s: number }).s).toBe(total);
    copy.close();
  }, 30_000);

  it('never creates the source file', async () => {
    const dir = makeTempDir('autopurchase-backup-');
    mkdirSync(join(dir, 'data'));
    await expect(backupDatabase(join(dir, 'data', 'none.db'), join(dir, 'copy.db'))).rejects.toThrow();
    expect(readdirSync(join(dir, 'data'))).toEqual([]);
  });
});
