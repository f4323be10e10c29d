// The Node entry as a real process: configuration errors, first and second start, request logging,
// SIGTERM and start-up migrations (SPEC §7).
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import {
  cleanUp,
  isListening,
  journalEntries,
  makeTempDir,
  runToExit,
  startServer,
  type ServerProcess,
} from './support/server-process.js';

afterEach(cleanUp);

const dbFile = (dataDir: string) => join(dataDir, 'autopurchase.db');
const readSecret = (dataDir: string, name: string) => readFileSync(join(dataDir, name), 'utf8').trim();
const occurrences = (text: string, needle: string) => text.split(needle).length - 1;

async function get(server: ServerProcess, path: string, token?: string) {
  const res = await fetch(`${server.url}${path}`, {
    headers: token ? { authorization: `Bearer ${token}` } : {},
    signal: AbortSignal.timeout(5_000),
  });
  const text = await res.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, json, text };
}

interface ListedTransaction {
  invoiceId: string;
  status: string;
  gamepass: { name: string | null };
}

describe('a bad configuration value', () => {
  const cases: { env: Record<string, string>; variable: string }[] = [
    { env: { PORT: 'abc' }, variable: 'PORT' },
    { env: { PURCHASE_DELAY_MS: '-1' }, variable: 'PURCHASE_DELAY_MS' },
    { env: { GATEWAY: 'foo' }, variable: 'GATEWAY' },
    { env: { GATEWAY: 'http' }, variable: 'GATEWAY_URL' },
    { env: { PROGRESS_RETENTION: 'soon' }, variable: 'PROGRESS_RETENTION' },
  ];

  it.each(cases)('$env stops the process with one stderr line naming $variable', async ({ env, variable }) => {
    const dataDir = makeTempDir();
    const result = await runToExit({ env, dataDir });
    expect(result.signal).toBeNull();
    expect(result.code).not.toBe(0);
    const lines = result.stderr.trim().split('\n');
    expect(lines, result.stderr).toHaveLength(1);
    expect(lines[0]).toContain(variable);
    expect(result.stdout).not.toMatch(/listening on/);
    expect(readdirSync(dataDir)).toEqual([]);
    expect(await isListening(result.port)).toBe(false);
  });
});

describe('first start on an empty data folder (sandbox gateway)', () => {
  it('writes owner-only secrets, seeds 14 demo orders and prints the token once; a second start reuses both', async () => {
    const dataDir = makeTempDir();
    const first = await startServer({ dataDir });
    await first.waitForLine(/^Admin token \(kept in /);

    const tokenPath = join(dataDir, 'admin-token');
    const keyPath = join(dataDir, 'credential-key');
    expect(statSync(tokenPath).mode & 0o777).toBe(0o600);
    expect(statSync(keyPath).mode & 0o777).toBe(0o600);
    const token = readSecret(dataDir, 'admin-token');
    const key = readSecret(dataDir, 'credential-key');
    expect(token.length).toBeGreaterThanOrEqual(16);
    expect(key.length).toBeGreaterThanOrEqual(43);

    expect(occurrences(first.stdout(), token)).toBe(1);
    expect(first.stdout()).not.toContain(key);
    expect(first.stderr()).not.toContain(token);
    expect(first.stderr()).not.toContain(key);
    expect(first.stdout()).toContain(`Seeded 14 demo orders. Admin: http://127.0.0.1:${first.port}/`);

    const listed = await get(first, '/api/transactions?limit=100', token);
    expect(listed.status, listed.text).toBe(200);
    const transactions = listed.json.transactions as ListedTransaction[];
    expect(transactions).toHaveLength(14);
    expect(new Set(transactions.map((t) => t.invoiceId)).size).toBe(14);
    for (const t of transactions) {
      expect(t.invoiceId).toMatch(/^DEMO-/);
      expect(t.status).toBe('pending');
    }
    const names = transactions.map((t) => t.gamepass.name ?? '');
    expect(names.some((name) => name.includes('[NOT_FOR_SALE]'))).toBe(true);
    expect(names.some((name) => name.includes('[TIMEOUT]'))).toBe(true);
    expect((await get(first, '/api/transactions')).status).toBe(401);
    expect((await get(first, '/api/transactions', `${token}x`)).status).toBe(401);

    expect(await first.stop('SIGTERM')).toEqual({ code: 0, signal: null });

    const second = await startServer({ dataDir });
    const again = await get(second, '/api/transactions?limit=100', token);
    expect(again.status, again.text).toBe(200);
    expect(again.json.transactions).toHaveLength(14);
    expect(await second.stop('SIGTERM')).toEqual({ code: 0, signal: null });
    expect(second.stdout()).not.toContain(token);
    expect(second.stdout()).not.toContain(key);
    expect(second.stdout()).not.toMatch(/Seeded/);
    expect(readSecret(dataDir, 'admin-token')).toBe(token);
    expect(readSecret(dataDir, 'credential-key')).toBe(key);
  }, 40_000);

  it('with ADMIN_TOKEN and CREDENTIAL_KEY set writes neither file and never prints them', async () => {
    const dataDir = makeTempDir();
    const token = `env-token-${randomBytes(12).toString('hex')}`;
    const key = randomBytes(32).toString('base64');
    const server = await startServer({ dataDir, env: { ADMIN_TOKEN: token, CREDENTIAL_KEY: key } });
    await server.waitForLine(/^Admin token: the ADMIN_TOKEN you set$/);
    expect(existsSync(join(dataDir, 'admin-token'))).toBe(false);
    expect(existsSync(join(dataDir, 'credential-key'))).toBe(false);

    const listed = await get(server, '/api/transactions?limit=100', token);
    expect(listed.status, listed.text).toBe(200);
    expect(listed.json.transactions).toHaveLength(14);
    expect((await get(server, '/api/transactions', 'some-other-token-0123456789')).status).toBe(401);

    expect(await server.stop('SIGTERM')).toEqual({ code: 0, signal: null });
    for (const text of [server.stdout(), server.stderr()]) {
      expect(text).not.toContain(token);
      expect(text).not.toContain(key);
    }
  });

  it('with GATEWAY=http starts, but never seeds demo orders', async () => {
    const dataDir = makeTempDir();
    const server = await startServer({ dataDir, env: { GATEWAY: 'http', GATEWAY_URL: 'http://127.0.0.1:9', GATEWAY_SECRET: 'internal-secret' } });
    expect(server.stdout()).toMatch(/gateway http/);
    const token = readSecret(dataDir, 'admin-token');
    const listed = await get(server, '/api/transactions', token);
    expect(listed.status).toBe(200);
    expect(listed.json.transactions).toEqual([]);
    expect(server.stdout()).not.toMatch(/Seeded/);
    expect(await server.stop('SIGTERM')).toEqual({ code: 0, signal: null });
  });

  it('a port already in use stops the process with one line, after showing a generated token', async () => {
    const first = await startServer({ dataDir: makeTempDir() });
    const dataDir = makeTempDir();
    const result = await runToExit({ dataDir, env: { PORT: String(first.port) } });
    expect(result.code).toBe(1);
    const lines = result.stderr.trim().split('\n');
    expect(lines, result.stderr).toHaveLength(1);
    expect(lines[0]).toMatch(/^autopurchase: cannot listen on 127\.0\.0\.1:\d+: .*EADDRINUSE/);
    // The token made on this start was shown, so it is not lost.
    expect(result.stdout).toContain(readSecret(dataDir, 'admin-token'));
    await first.stop('SIGTERM');
  });
});

describe('request logging', () => {
  it('prints one line per request: method, path without query, status, ms; never the token', async () => {
    const dataDir = makeTempDir();
    const server = await startServer({ dataDir });
    await server.waitForLine(/^Admin token \(kept in /);
    const token = readSecret(dataDir, 'admin-token');

    expect((await get(server, '/healthz')).status).toBe(200);
    expect((await get(server, '/api/admin/stock-accounts?x=secretquery', token)).status).toBe(200);
    expect((await get(server, '/api/transactions')).status).toBe(401);

    await server.waitForLine(/ INFO GET \/healthz 200 [\d.]+ms$/);
    await server.waitForLine(/ INFO GET \/api\/admin\/stock-accounts 200 [\d.]+ms$/);
    await server.waitForLine(/ INFO GET \/api\/transactions 401 [\d.]+ms$/);
    expect(await server.stop('SIGTERM')).toEqual({ code: 0, signal: null });

    const lines = server.stdoutLines();
    expect(server.stdout()).not.toContain('secretquery');
    expect(server.stderr()).not.toContain('secretquery');
    const withToken = lines.filter((line) => line.includes(token));
    expect(withToken).toHaveLength(1);
    expect(withToken[0]).toMatch(/^Admin token \(kept in /);
    expect(server.stderr()).not.toContain(token);
  });

  it('prints no request lines with LOG_LEVEL=warn', async () => {
    const dataDir = makeTempDir();
    // The "listening on" line is info too, so readiness is checked by polling /healthz.
    const server = await startServer({ dataDir, env: { LOG_LEVEL: 'warn' }, readyBy: 'healthz' });
    const token = readSecret(dataDir, 'admin-token');
    expect((await get(server, '/healthz')).status).toBe(200);
    expect((await get(server, '/api/admin/stock-accounts?x=secretquery', token)).status).toBe(200);
    expect((await get(server, '/api/transactions')).status).toBe(401);
    expect(await server.stop('SIGTERM')).toEqual({ code: 0, signal: null });

    // Output is complete once the process has exited; the plain console lines show it was captured.
    expect(server.stdout()).toMatch(/Seeded 14 demo orders/);
    const lines = server.stdoutLines();
    expect(lines.filter((line) => /\b(GET|POST|PUT|PATCH|DELETE) \//.test(line))).toEqual([]);
    expect(lines.filter((line) => / INFO /.test(line))).toEqual([]);
  });
});

describe('SIGTERM', () => {
  it('exits 0 promptly with an idle keep-alive connection open and leaves a clean database', async () => {
    const dataDir = makeTempDir();
    const server = await startServer({ dataDir });
    const agent = new http.Agent({ keepAlive: true });
    try {
      const status = await new Promise<number>((resolve, reject) => {
        const req = http.get(`${server.url}/healthz`, { agent, timeout: 5_000 }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        });
        req.on('timeout', () => req.destroy(new Error('timeout')));
        req.on('error', reject);
      });
      expect(status).toBe(200);
      // The socket goes back to the agent's pool just after the response ends.
      const deadline = Date.now() + 2_000;
      while (Object.values(agent.freeSockets).flat().length === 0 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 10));
      }
      expect(Object.values(agent.freeSockets).flat()).toHaveLength(1);

      const started = performance.now();
      const exit = await server.stop('SIGTERM', 5_000);
      const elapsed = performance.now() - started;
      expect(exit).toEqual({ code: 0, signal: null });
      expect(elapsed).toBeLessThan(3_000);
      expect(server.stdout()).toMatch(/ INFO SIGTERM: closing$/m);
      expect(server.stdout()).toMatch(/ INFO closed$/m);
    } finally {
      agent.destroy();
    }

    // Closing the last connection checkpoints the WAL and removes it.
    const wal = `${dbFile(dataDir)}-wal`;
    expect(!existsSync(wal) || statSync(wal).size === 0).toBe(true);
    const sqlite = new Database(dbFile(dataDir));
    try {
      expect(sqlite.pragma('integrity_check', { simple: true })).toBe('ok');
      expect(sqlite.prepare('select count(*) as n from transactions').get()).toEqual({ n: 14 });
    } finally {
      sqlite.close();
    }
  });
});

describe('migrations at start-up', () => {
  it('creates the tables and records one __drizzle_migrations row per journal entry', async () => {
    const dataDir = makeTempDir();
    const server = await startServer({ dataDir });
    expect(await server.stop('SIGTERM')).toEqual({ code: 0, signal: null });

    const sqlite = new Database(dbFile(dataDir), { readonly: true });
    try {
      const tables = (sqlite.prepare("select name from sqlite_master where type = 'table'").all() as { name: string }[]).map(
        (row) => row.name,
      );
      expect(tables).toEqual(
        expect.arrayContaining(['stock_accounts', 'transactions', 'purchase_attempts', '__drizzle_migrations']),
      );
      const entries = journalEntries();
      expect(entries.length).toBeGreaterThan(0);
      const rows = sqlite.prepare('select created_at as createdAt from __drizzle_migrations order by id').all() as {
        createdAt: number;
      }[];
      expect(rows.map((row) => Number(row.createdAt))).toEqual(entries.map((entry) => entry.when));
    } finally {
      sqlite.close();
    }
  });
});
