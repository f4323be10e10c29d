// SPEC §11 against a real server process: a disk that fills up (the file-size limit, without
// privileges: `trap '' XFSZ; ulimit -f N`), and another program holding the write lock for 15 s.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { apiClient, countByInvoice, pollUntil } from './support/engine-processes.js';
import { startFakeGateway, type FakeGateway } from './support/fake-gateway-server.js';
import { cleanUp, freePort, makeTempDir, repoRoot, serverArgs, serverEnv, spawnTracked, startServer, withTimeout } from './support/server-process.js';

const adminToken = 'faults-processes-admin-token';
const gatewaySecret = 'faults-processes-gateway-secret';

let gateway: FakeGateway | undefined;
const children = new Set<ChildProcess>();

afterEach(async () => {
  for (const child of children) child.kill('SIGKILL');
  children.clear();
  await cleanUp();
  await gateway?.close();
  gateway = undefined;
});

/** A server process buying through a fake http gateway in this process. */
async function startWithFakeGateway(prefix: string, env: Record<string, string>) {
  const fake = (gateway = await startFakeGateway({ secret: gatewaySecret }));
  const dataDir = makeTempDir(prefix);
  const server = await startServer({
    dataDir,
    env: { GATEWAY: 'http', GATEWAY_URL: fake.url, GATEWAY_SECRET: gatewaySecret, ADMIN_TOKEN: adminToken, ...env },
  });
  return { fake, dataDir, server };
}

/** The server started by bash with a file-size limit of `kilobytes` (SIGXFSZ ignored, so a write past it fails with EFBIG). */
async function startWithFileSizeLimit(dataDir: string, kilobytes: number) {
  const port = await freePort();
  const command = `trap '' XFSZ; ulimit -f ${kilobytes}; exec "${process.execPath}" ${serverArgs.join(' ')}`;
  const child = spawn('bash', ['-c', command], { cwd: repoRoot, env: serverEnv(dataDir, port, { ADMIN_TOKEN: adminToken }), stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  await pollUntil('the server to listen', () => (output.includes(`listening on 127.0.0.1:${port}`) ? true : undefined), 20_000, 20);
  return { url: `http://127.0.0.1:${port}`, output: () => output };
}

describe('a full disk (SPEC §11: a 2xx means committed)', () => {
  it('every 2xx answer\'s row is stored; the rest answer 503; reads go on; /healthz says the database cannot be written', async () => {
    const dataDir = makeTempDir('faults-full-');
    const server = await startWithFileSizeLimit(dataDir, 1024);
    const api = apiClient(server.url, adminToken);
    const answers: { invoiceId: string; status: number; code?: string; retryAfter?: string | null }[] = [];
    const padding = 'x'.repeat(100);
    for (let batch = 0; batch < 60; batch++) {
      const sent = await Promise.all(
        Array.from({ length: 8 }, async (_, i) => {
          const invoiceId = `FULL-${batch}-${i}-${padding}`;
          const res = await fetch(`${server.url}/api/transactions`, {
            method: 'POST',
            headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
            body: JSON.stringify({ invoiceId, gamepass: { id: 1, name: `Pass ${padding}${padding}`, price: 10, sellerId: 2 } }),
          });
          const body = (await res.json()) as { error?: { code: string } };
          return { invoiceId, status: res.status, code: body.error?.code, retryAfter: res.headers.get('retry-after') };
        }),
      );
      answers.push(...sent);
    }
    const stored = answers.filter((a) => a.status === 201);
    const refused = answers.filter((a) => a.status !== 201);
    expect(stored.length, `some writes fit on the disk: ${JSON.stringify([...new Set(answers.map((a) => `${a.status} ${a.code}`))])}`).toBeGreaterThan(0);
    expect(refused.length, 'the disk filled up').toBeGreaterThan(0);
    for (const answer of refused) expect(answer).toMatchObject({ status: 503, code: 'database_unavailable' });

    // A second connection (no file-size limit here) finds every row that was answered 201.
    const sqlite = new Database(join(dataDir, 'autopurchase.db'), { readonly: true, fileMustExist: true });
    try {
      const rows = new Set((sqlite.prepare("select invoice_id as id from transactions where invoice_id like 'FULL-%'").all() as { id: string }[]).map((r) => r.id));
      const missing = stored.filter((a) => !rows.has(a.invoiceId)).map((a) => a.invoiceId.slice(0, 12));
      expect(missing, 'answered 201 but not stored').toEqual([]);
      expect(rows.size).toBe(stored.length);
    } finally {
      sqlite.close();
    }

    // Still serving reads; health reports the database as not writable.
    const list = await api.call<{ transactions: unknown[] }>('GET', '/api/transactions?limit=5');
    expect(list.status).toBe(200);
    expect(list.body.transactions).toHaveLength(5);
    const health = await fetch(`${server.url}/healthz`);
    expect(health.status).toBe(503);
    expect(((await health.json()) as { error: { code: string } }).error.code).toBe('database_unavailable');
  }, 60_000);
});

describe('another program holding the write lock (SPEC §11: nothing freezes)', () => {
  it('for 15 s: /healthz and heartbeats stay under 300 ms, writes answer 503 with Retry-After, the run resumes and buys each order once', async () => {
    const { fake, dataDir, server } = await startWithFakeGateway('faults-lock-', { PURCHASE_DELAY_MS: '400', HEARTBEAT_MS: '100', GATEWAY_TIMEOUT_MS: '2000' });
    const api = apiClient(server.url, adminToken);
    const orders = Array.from({ length: 12 }, (_, i) => `LOCK-${i + 1}`);
    for (const [i, invoiceId] of orders.entries()) expect((await api.addOrder(invoiceId, 10, 500 + i)).status).toBe(201);
    const added = await api.addAccount('sandbox:buyer:100000');
    expect(added.status).toBe(201);
    const sessionId = added.body.autoPurchase.sessionId;

    // A stream reader noting when each chunk (event or `: ping`) arrives.
    const arrivals: number[] = [];
    const controller = new AbortController();
    const stream = await fetch(`${server.url}/api/auto-purchase/progress/${sessionId}/events`, {
      headers: { authorization: `Bearer ${adminToken}` },
      signal: controller.signal,
    });
    expect(stream.status).toBe(200);
    const reader = stream.body!.getReader();
    let ended = false;
    const reading = (async () => {
      const decoder = new TextDecoder();
      for (;;) {
        const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true }));
        if (done) return;
        arrivals.push(performance.now());
        if (decoder.decode(value, { stream: true }).includes('event: end')) ended = true;
      }
    })();
    await pollUntil('two purchases', () => (fake.purchases().length >= 2 ? true : undefined), 10_000, 10);

    const holdMs = 15_000;
    const holder = spawnTracked(['--import', 'tsx', 'test/fixtures/hold-lock.ts', join(dataDir, 'autopurchase.db'), String(holdMs)], { ...process.env });
    await holder.waitForLine(/^locked$/, 15_000);
    const lockedAt = performance.now();
    const purchasesAtLock = fake.purchases().length;

    const health: { ms: number; status: number }[] = [];
    const writes: { ms: number; status: number; code?: string; retryAfter: string | null }[] = [];
    while (performance.now() - lockedAt < holdMs - 1_500) {
      let started = performance.now();
      const res = await fetch(`${server.url}/healthz`);
      await res.arrayBuffer();
      health.push({ ms: performance.now() - started, status: res.status });
      started = performance.now();
      const write = await api.addOrder(`DURING-${writes.length}`, 10, 900);
      writes.push({
        ms: performance.now() - started,
        status: write.status,
        code: (write.body as { error?: { code: string } }).error?.code,
        retryAfter: null,
      });
      await new Promise((r) => setTimeout(r, 100));
    }
    const lockWindow = [lockedAt + 200, lockedAt + holdMs - 1_500];
    const gaps = arrivals
      .map((at, i) => ({ at, gap: i === 0 ? 0 : at - arrivals[i - 1]! }))
      .filter(({ at }) => at > lockWindow[0]! && at < lockWindow[1]!)
      .map(({ gap }) => gap);

    expect(health.length).toBeGreaterThan(20);
    expect(health.every((h) => h.status === 200), JSON.stringify(health)).toBe(true);
    expect(Math.max(...health.map((h) => h.ms)), '/healthz latency during the lock').toBeLessThan(300);
    expect(gaps.length, 'heartbeats during the lock').toBeGreaterThan(20);
    expect(Math.max(...gaps), 'longest silence on the stream during the lock').toBeLessThan(300);
    expect(writes.every((w) => w.status === 503 && w.code === 'database_busy'), JSON.stringify(writes.slice(0, 5))).toBe(true);
    expect(Math.max(...writes.map((w) => w.ms)), 'a refused write answers fast').toBeLessThan(300);
    const busy = await fetch(`${server.url}/api/transactions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ invoiceId: 'DURING-HEADERS', gamepass: { id: 1, name: 'x', price: 1, sellerId: 1 } }),
    });
    await busy.arrayBuffer();
    if (performance.now() - lockedAt < holdMs - 200) {
      expect(busy.status).toBe(503);
      expect(Number(busy.headers.get('retry-after'))).toBeGreaterThan(0);
    }
    // Nothing was bought while the run could not record it.
    expect(fake.purchases().length).toBeLessThanOrEqual(purchasesAtLock + 1);

    expect(await withTimeout(holder.exited, 10_000, () => new Error(holder.output()))).toEqual({ code: 0, signal: null });
    await pollUntil('the run to end', () => (ended ? true : undefined), 30_000, 20);
    controller.abort();
    await reading;

    const snapshot = (await api.progress(sessionId)).body;
    expect(snapshot.status).toBe('completed');
    expect(snapshot.transactions.filter((t) => t.status === 'completed').map((t) => t.invoiceId).sort()).toEqual([...orders].sort());
    const counts = countByInvoice(fake.purchases());
    for (const invoiceId of orders) expect(counts.get(invoiceId), invoiceId).toBe(1);
    expect((await api.addOrder('AFTER-LOCK', 10, 901)).status).toBe(201);
  }, 90_000);
});

describe('SIGTERM with a purchase in flight longer than the old 10 s budget (SPEC §11)', () => {
  it('waits one gateway try, leaves the attempt for reconciliation, ends the run "Interrupted by shutdown", releases the lease, exits 0', async () => {
    const { fake, dataDir, server } = await startWithFakeGateway('faults-shutdown-', { PURCHASE_DELAY_MS: '0', GATEWAY_TIMEOUT_MS: '11000', GATEWAY_MAX_ATTEMPTS: '3' });
    const api = apiClient(server.url, adminToken);
    expect((await api.addOrder('SLOW-1', 10, 601)).status).toBe(201);
    expect((await api.addOrder('SLOW-2', 10, 602)).status).toBe(201);
    fake.hangNext({ invoiceId: 'SLOW-1' });
    const added = await api.addAccount('sandbox:buyer:1000');
    const sessionId = added.body.autoPurchase.sessionId;
    await pollUntil('the purchase to hang', () => (fake.hanging() === 1 ? true : undefined), 10_000, 10);

    const stoppedAt = performance.now();
    const exit = await server.stop('SIGTERM', 20_000);
    expect(exit).toEqual({ code: 0, signal: null });
    expect(performance.now() - stoppedAt).toBeGreaterThan(10_000);

    const sqlite = new Database(join(dataDir, 'autopurchase.db'), { readonly: true, fileMustExist: true });
    try {
      expect(sqlite.prepare('select status, error from runs where session_id = ?').get(sessionId)).toEqual({ status: 'failed', error: 'Interrupted by shutdown' });
      expect(sqlite.prepare("select status from transactions where invoice_id = 'SLOW-1'").get()).toEqual({ status: 'unknown' });
      expect(sqlite.prepare("select status from transactions where invoice_id = 'SLOW-2'").get()).toEqual({ status: 'pending' });
      expect(sqlite.prepare('select outcome from purchase_attempts').all()).toEqual([{ outcome: 'unknown' }]);
      expect(sqlite.prepare('select count(*) as n from run_lease').get()).toEqual({ n: 0 });
    } finally {
      sqlite.close();
    }
    // No second try was started during the shutdown.
    expect(fake.requestsTo('/buy-pass')).toHaveLength(1);
  }, 60_000);
});
