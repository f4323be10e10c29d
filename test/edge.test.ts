// The app in Cloudflare's runtime (SPEC §13, issue 13 point 5): workerd through miniflare, started
// from the tests with `startEdge` (scripts/edge-local.ts), and driven over real HTTP from here as the
// Node server's process tests drive theirs: a run over the demo orders followed by an SSE client,
// resume by Last-Event-ID, a run walked by the object's alarm alone, the object aborted mid-purchase
// (ctx.abort(), through the EDGE_TEST_HOOKS route) buying nothing twice, the retention job from the
// alarm, and the bundled migrations. Why miniflare and not @cloudflare/vitest-pool-workers: the pool
// (0.23) needs Node 22 tooling and would run the tests themselves inside workerd; here the tests stay
// real clients of the deployed shape (Worker + Durable Object + assets) on 127.0.0.1.
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildEdge } from '../scripts/build-edge.js';
import { startEdge, type LocalEdge } from '../scripts/edge-local.js';
import { emptyRun } from '../src/domain/fold.js';
import type { RunSnapshot } from '../src/domain/run.js';
import { countByInvoice, pollUntil } from './support/engine-processes.js';
import { startFakeGateway, type FakeGateway } from './support/fake-gateway-server.js';
import { adminApi, assertConsecutive, foldReceived, readStream, type ReceivedEvent } from './support/sse-clients.js';

const token = 'edge-tests-admin-token-0123456789';
const gatewaySecret = 'edge-tests-gateway-secret';
const credentialKey = Buffer.alloc(32, 7).toString('base64');
const demoOrders = 14;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// ---------------------------------------------------------------------------------------------
// One workerd per test, its output captured (miniflare writes workerd's stdout and stderr through
// console.log / console.error, line by line), every instance and fake disposed after the test.

let edge: LocalEdge | undefined;
let gateway: FakeGateway | undefined;
let output: string[] = [];

beforeAll(async () => {
  // Bundle once; every instance below starts from dist/edge/worker.js.
  await buildEdge();
}, 60_000);

afterEach(async (context) => {
  await edge?.dispose();
  await gateway?.close();
  edge = undefined;
  gateway = undefined;
  vi.restoreAllMocks();
  // workerd's own lines, kept quiet while the test ran, say what the object did when it failed.
  if (context.task.result?.state === 'fail') console.info(`workerd output (last 60 lines):\n${output.slice(-60).join('\n')}`);
});

async function start(vars: Record<string, string>): Promise<{ edge: LocalEdge; api: ReturnType<typeof adminApi>; base: string }> {
  output = [];
  const keep = (...args: unknown[]) => void output.push(args.map(String).join(' '));
  vi.spyOn(console, 'log').mockImplementation(keep);
  vi.spyOn(console, 'error').mockImplementation(keep);
  edge = await startEdge({ vars: { ADMIN_TOKEN: token, CREDENTIAL_KEY: credentialKey, LOG_LEVEL: 'debug', ...vars }, build: false });
  const base = edge.url.origin;
  return { edge, api: adminApi(base, token), base };
}

/** The workerd log lines so far that contain `text`, with the times they carry. */
function logLines(text: string): { at: number; line: string }[] {
  return output.filter((line) => line.includes(text)).map((line) => ({ at: Date.parse(line.slice(0, 24)), line }));
}

/** The run's header, for folding a stream read from its first event (no snapshot). */
function headerOf(snapshot: RunSnapshot) {
  return emptyRun({ sessionId: snapshot.sessionId, startTime: snapshot.startTime, createdAt: snapshot.createdAt, ...(snapshot.triggeredBy ? { triggeredBy: snapshot.triggeredBy } : {}) });
}

async function transactionsOf(base: string): Promise<{ invoiceId: string; status: string }[]> {
  const res = await fetch(`${base}/api/transactions?limit=100`, { headers: { authorization: `Bearer ${token}` } });
  expect(res.status).toBe(200);
  return ((await res.json()) as { transactions: { invoiceId: string; status: string }[] }).transactions;
}

// ---------------------------------------------------------------------------------------------
// The object aborted mid-purchase: the http gateway pointed at a fake this test scripts.

const edgeInvoices = ['EDGE-1', 'EDGE-2', 'EDGE-3'];

/** Three orders, the fake scripted by `script`, then an account: the run's first buy (EDGE-1) is held. */
async function abortMidPurchase(script: (fake: FakeGateway) => void) {
  const fake = (gateway = await startFakeGateway({ secret: gatewaySecret }));
  const { api, base } = await start({
    GATEWAY: 'http',
    GATEWAY_URL: fake.url,
    GATEWAY_SECRET: gatewaySecret,
    // The held call must still be waiting when the object is aborted.
    GATEWAY_TIMEOUT_MS: '20000',
    GATEWAY_MAX_ATTEMPTS: '2',
    PURCHASE_DELAY_MS: '0',
    EDGE_TEST_HOOKS: '1',
  });
  for (const [i, invoiceId] of edgeInvoices.entries()) {
    const res = await api.call('POST', '/api/transactions', { invoiceId, gamepass: { id: 700 + i, name: `Pass ${invoiceId}`, price: 10, sellerId: 77 } });
    expect(res.status).toBe(201);
  }
  script(fake);
  const { sessionId: oldRun } = await api.addAccount('sandbox:buyer:1000');
  return { fake, api, base, oldRun };
}

/** POST /__test/abort (EDGE_TEST_HOOKS=1): ctx.abort() resets the object, as a crash would. */
async function abortObject(fake: FakeGateway, base: string): Promise<void> {
  expect(fake.hanging()).toBe(1);
  expect((await transactionsOf(base)).find((t) => t.invoiceId === 'EDGE-1')?.status).toBe('processing');
  // workerd throws the abort into the request that asked for it: a 500 carrying the reason.
  const abort = await fetch(`${base}/__test/abort`, { method: 'POST' });
  const text = await abort.text();
  expect(abort.status, text).toBe(500);
  expect(text).toContain('test: abort');
  // The aborted instance's call to the gateway went with it (the held connection is closed).
  await pollUntil('the held buy request to be dropped', () => (fake.hanging() === 0 ? true : undefined), 10_000, 10);
}

function buyRequestsFor(fake: FakeGateway, invoiceId: string) {
  return fake.requestsTo('/buy-pass').filter((r) => (r.body as { invoiceId?: string } | undefined)?.invoiceId === invoiceId);
}

describe('the edge runtime (workerd through miniflare)', () => {
  it('adding an account starts a run over the 14 demo orders: an SSE client follows it to `completed`, its fold equals the stored snapshot, ids consecutive from 1', async () => {
    const { api, base } = await start({ PURCHASE_DELAY_MS: '50' });
    const { sessionId } = await api.addAccount('sandbox:alice:100000');

    // Live, from the snapshot the stream opens with; and everything from the first event on.
    const [live, fromFirst] = await Promise.all([
      readStream(api.eventsUrl(sessionId), { token, timeoutMs: 20_000 }),
      readStream(api.eventsUrl(sessionId), { token, lastEventId: 0, timeoutMs: 20_000 }),
    ]);
    expect(live.status).toBe(200);
    expect(live.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(live.events[0]?.event).toBe('snapshot');
    assertConsecutive(live.events);
    expect(live.events.at(-1)?.event).toBe('end');
    expect(live.outcome).toBe('closed');

    const stored = await api.snapshot(sessionId);
    expect(stored.status).toBe('completed');
    expect(stored.summary.totalTransactions).toBe(demoOrders);
    expect(stored.transactions).toHaveLength(demoOrders);
    expect(stored.transactions.some((t) => t.status === 'processing' || t.status === 'pending')).toBe(false);
    expect(foldReceived(live.events)).toStrictEqual(stored);

    expect(fromFirst.events[0]?.id).toBe(1);
    expect(fromFirst.events.some((e) => e.event === 'snapshot')).toBe(false);
    assertConsecutive(fromFirst.events, 1);
    expect(fromFirst.events.at(-1)?.event).toBe('end');
    expect(foldReceived(fromFirst.events, headerOf(stored))).toStrictEqual(stored);
    // Both clients got the same events under the same ids.
    const strip = (events: readonly ReceivedEvent[]) => events.filter((e) => e.event !== 'snapshot').map(({ id, event, data }) => ({ id, event, data }));
    expect(strip(fromFirst.events).slice(-strip(live.events).length)).toEqual(strip(live.events));

    // Without EDGE_TEST_HOOKS the test route is any unknown path: it never reaches the object.
    const hook = await fetch(`${base}/__test/abort`, { method: 'POST' });
    await hook.body?.cancel();
    expect([204, 500, 501]).not.toContain(hook.status);
    expect((await api.snapshot(sessionId)).status).toBe('completed');
  }, 30_000);

  it('resumes by Last-Event-ID: no gap, no duplicate, the combined fold equals the snapshot; 204 after the end; an unknown id gets a snapshot first', async () => {
    const { api } = await start({ PURCHASE_DELAY_MS: '200' });
    const { sessionId } = await api.addAccount('sandbox:alice:100000');

    const part1 = await readStream(api.eventsUrl(sessionId), { token, stopWhen: (_e, events) => events.length > 6 });
    expect(part1.outcome).toBe('stopped');
    expect(part1.events[0]?.event).toBe('snapshot');
    expect(part1.events[0]?.data.status).toBe('running');
    const last = part1.events.at(-1)!.id;

    // An id past everything stored is unknown: the stream starts over with a snapshot.
    const unknown = await readStream(api.eventsUrl(sessionId), { token, lastEventId: last + 10_000, stopWhen: () => true });
    expect(unknown.status).toBe(200);
    expect(unknown.events[0]?.event).toBe('snapshot');

    const part2 = await readStream(api.eventsUrl(sessionId), { token, lastEventId: last, timeoutMs: 20_000 });
    expect(part2.status).toBe(200);
    expect(part2.events[0]?.id).toBe(last + 1);
    expect(part2.events.some((e) => e.event === 'snapshot')).toBe(false);
    const all = [...part1.events, ...part2.events];
    assertConsecutive(all);
    expect(all.at(-1)?.event).toBe('end');
    // The run was still running when the first part was cut: the second had something to resume.
    expect(part2.events.length).toBeGreaterThan(5);
    const stored = await api.snapshot(sessionId);
    expect(stored.status).toBe('completed');
    expect(foldReceived(all)).toStrictEqual(stored);

    // Everything was sent: a reconnect with the last id is told to stop.
    const after = await readStream(api.eventsUrl(sessionId), { token, lastEventId: all.at(-1)!.id });
    expect(after.status).toBe(204);
  }, 30_000);

  it('a run completes with no client connected: every wait between purchases is the object\'s alarm', async () => {
    const delayMs = 300;
    const { api } = await start({ PURCHASE_DELAY_MS: String(delayMs) });
    const { sessionId } = await api.addAccount('sandbox:alice:100000');
    const started = output.length;
    // No request at all for the run's duration (~4–6 s): only the alarm can move it on.
    await sleep(9_000);
    const stored = await api.snapshot(sessionId);
    expect(stored.status).toBe('completed');
    expect(stored.transactions).toHaveLength(demoOrders);
    expect(stored.transactions.some((t) => t.status === 'processing' || t.status === 'pending')).toBe(false);
    // It waited between the purchases rather than running through them...
    const wallMs = Date.parse(stored.endTime!) - Date.parse(stored.startTime);
    expect(wallMs).toBeGreaterThanOrEqual((demoOrders - 1) * delayMs);
    // ...and each wait ended on the alarm handler (src/edge/shop.ts logs `alarm: woke <n>`).
    const woke = output.slice(started).filter((line) => /alarm: woke [1-9]/.test(line));
    expect(woke.length).toBeGreaterThanOrEqual(demoOrders - 1);
  }, 30_000);

  it('the object aborted mid-purchase (bought at the gateway, no answer yet) and restarted buys nothing twice', async () => {
    const { fake, api, base, oldRun } = await abortMidPurchase((fake) => fake.completeThenHang({ invoiceId: 'EDGE-1' }));
    await pollUntil('the gateway to record the purchase of EDGE-1', () => (fake.purchases('EDGE-1').length > 0 ? true : undefined), 10_000, 5);
    await abortObject(fake, base);

    // The next request brings up a new instance: its recovery ends the run and reconciles EDGE-1 by its key.
    const old = await pollUntil('the recovery to end the old run', async () => {
      const run = await api.snapshot(oldRun);
      return run.status === 'running' ? undefined : run;
    }, 10_000, 20);
    expect(old.status).toBe('failed');
    expect(old.error).toMatch(/interrupted/i);
    expect(old.transactions.some((t) => t.status === 'processing')).toBe(false);
    // Recovery runs beside the requests (not blocking them, as on Node): its reconciliation by key
    // may still be asking the gateway when the run already shows as ended.
    await pollUntil('the recovery to reconcile EDGE-1 by its key', () =>
      output.some((line) => /recovered: 1 interrupted runs ended, 1 purchases reconciled/.test(line)) ? true : undefined, 10_000, 20);
    expect(fake.requestsTo('/purchases').length).toBeGreaterThanOrEqual(1);

    // Then a new run (the recovery triggers it) buys the rest.
    const rows = await pollUntil('every order to settle', async () => {
      const all = await transactionsOf(base);
      return all.length === edgeInvoices.length && all.every((t) => t.status === 'completed') ? all : undefined;
    });
    expect(rows.map((t) => t.invoiceId).sort()).toEqual(edgeInvoices);
    expect(buyRequestsFor(fake, 'EDGE-1')).toHaveLength(1);
    expect(Object.fromEntries(countByInvoice(fake.purchases()))).toEqual({ 'EDGE-1': 1, 'EDGE-2': 1, 'EDGE-3': 1 });
    expect(fake.account('buyer')?.robux).toBe(970);
  }, 40_000);

  it('the object aborted while the gateway holds a buy it has not made: the order is left unknown, never bought blindly', async () => {
    const { fake, api, base, oldRun } = await abortMidPurchase((fake) => fake.hangNext({ invoiceId: 'EDGE-1' }));
    await pollUntil('the buy request of EDGE-1 to hang', () => (fake.hanging() === 1 ? true : undefined), 10_000, 5);
    await abortObject(fake, base);

    const old = await pollUntil('the recovery to end the old run', async () => {
      const run = await api.snapshot(oldRun);
      return run.status === 'running' ? undefined : run;
    }, 10_000, 20);
    expect([old.status, old.error]).toEqual(['failed', expect.stringMatching(/interrupted/i)]);
    const rows = await pollUntil('the other orders to be bought', async () => {
      const all = await transactionsOf(base);
      return all.filter((t) => t.invoiceId !== 'EDGE-1').every((t) => t.status === 'completed') ? all : undefined;
    });
    // The gateway saw the key and has no outcome: nobody can say, so it is not bought again.
    expect(rows.find((t) => t.invoiceId === 'EDGE-1')?.status).toBe('unknown');
    expect(buyRequestsFor(fake, 'EDGE-1')).toHaveLength(1);
    expect(Object.fromEntries(countByInvoice(fake.purchases()))).toEqual({ 'EDGE-2': 1, 'EDGE-3': 1 });
  }, 40_000);

  it('the retention job runs from the alarm: a finished run\'s events are deleted with no request in between, its snapshot stays', async () => {
    const { api } = await start({ PURCHASE_DELAY_MS: '0', PROGRESS_RETENTION: '4s', CLEANUP_INTERVAL_MS: '500' });
    const { sessionId } = await api.addAccount('sandbox:alice:100000');
    const finished = await api.ended(sessionId);
    expect(finished.status).toBe('completed');

    // Right after the end the events are there: a resume from id 1 gets the rest, no snapshot.
    const before = await readStream(api.eventsUrl(sessionId), { token, lastEventId: 1 });
    expect(before.events[0]?.id).toBe(2);
    expect(before.events.at(-1)?.event).toBe('end');

    // Nobody asks anything while the retention passes; the cleanup alarm deletes them.
    await sleep(5_500);
    const cleaned = logLines('cleanup: ').map(({ line }) => JSON.parse(line.slice(line.indexOf('cleanup: ') + 9)) as { events: number });
    expect(cleaned.reduce((sum, report) => sum + report.events, 0)).toBeGreaterThanOrEqual(before.events.length + 1);

    // Id 1 cannot be resumed any more: the stream answers with the stored snapshot (and the end).
    const afterRetention = await readStream(api.eventsUrl(sessionId), { token, lastEventId: 1 });
    expect(afterRetention.status).toBe(200);
    expect(afterRetention.events[0]?.event).toBe('snapshot');
    expect(afterRetention.events.filter((e) => e.event !== 'snapshot' && e.event !== 'end')).toEqual([]);
    expect(foldReceived(afterRetention.events)).toStrictEqual(finished);
    expect(await api.snapshot(sessionId)).toStrictEqual(finished);
  }, 30_000);
});

describe('the bundled migrations (src/edge/migrations.ts)', () => {
  it('imports every SQL file of migrations/ under the key of its journal entry, and nothing else', () => {
    const folder = fileURLToPath(new URL('../migrations/', import.meta.url));
    const files = readdirSync(folder).filter((name) => name.endsWith('.sql')).sort();
    const journal = JSON.parse(readFileSync(`${folder}meta/_journal.json`, 'utf8')) as { entries: { idx: number; tag: string }[] };
    const source = readFileSync(fileURLToPath(new URL('../src/edge/migrations.ts', import.meta.url)), 'utf8');

    // Every file is in the journal and every journal entry has its file.
    expect(journal.entries.map((e) => `${e.tag}.sql`).sort()).toEqual(files);
    // Each is imported as m<idx padded to 4> (the key drizzle's durable-sqlite migrator looks up)...
    const imported = [...source.matchAll(/^import (m\d{4}) from '\.\.\/\.\.\/migrations\/([^']+\.sql)';$/gm)].map((m) => [m[1], m[2]]);
    const expected = journal.entries.map((e) => [`m${String(e.idx).padStart(4, '0')}`, `${e.tag}.sql`]);
    expect(imported.sort()).toEqual(expected.sort());
    // ...and handed to the migrator.
    const handed = /migrations: \{([^}]*)\}/.exec(source)?.[1]?.split(',').map((s) => s.trim()).filter(Boolean).sort();
    expect(handed).toEqual(expected.map(([key]) => key).sort());
  });
});

afterAll(async () => {
  await edge?.dispose();
  await gateway?.close();
});

describe('limits and configuration of the object', () => {
  it('a page of 100 orders (each order’s resolution looked up by one statement per chunk) fits the 100-parameter limit', async () => {
    const { base } = await start({ PURCHASE_DELAY_MS: '0' });
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    for (let i = 0; i < 110; i++) {
      const res = await fetch(`${base}/api/transactions`, { method: 'POST', headers, body: JSON.stringify({ invoiceId: `BULK-${i}`, gamepass: { id: 5000 + i, name: 'Bulk pass', price: 1, sellerId: 9 } }) });
      expect(res.status).toBe(201);
    }
    // 14 demo orders + 110: two full pages of 100 and the rest.
    expect(await transactionsOf(base)).toHaveLength(100);
    const unknown = await fetch(`${base}/api/transactions?status=pending&limit=100`, { headers });
    expect(unknown.status).toBe(200);
  });

  it('a shop without its secrets answers 503 misconfigured as JSON, naming the variable (no stack, no value)', async () => {
    output = [];
    const keep = (...args: unknown[]) => void output.push(args.map(String).join(' '));
    vi.spyOn(console, 'log').mockImplementation(keep);
    vi.spyOn(console, 'error').mockImplementation(keep);
    edge = await startEdge({ vars: { CREDENTIAL_KEY: credentialKey }, build: false });
    for (const path of ['/healthz', '/api/transactions']) {
      const res = await fetch(`${edge.url.origin}${path}`);
      expect(res.status).toBe(503);
      const body = (await res.json()) as { error: { code: string; message: string } };
      expect(body.error.code).toBe('misconfigured');
      expect(body.error.message).toMatch(/ADMIN_TOKEN is required/);
      expect(body.error.message).not.toContain(credentialKey);
    }
  });
});
