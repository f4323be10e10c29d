// NOTIFY_WEBHOOK_URL through the outbox (SPEC §10), against real receivers on 127.0.0.1: the row is
// written as the run ends (recovered runs too), sent signed, retried with backoff under one delivery
// id, never following a redirect, given up after the day, and never logging the URL or the secret.
import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../src/db/open.js';
import { runLease } from '../src/db/schema.js';
import type { Db } from '../src/db/types.js';
import { verifyWebhookSignature, webhookSignature } from '../src/domain/webhook-signature.js';
import { createAutoPurchase } from '../src/engine/auto-purchase.js';
import { runCleanup } from '../src/jobs/cleanup.js';
import { createWebhookOutbox, type WebhookOutboxOptions } from '../src/jobs/webhook-outbox.js';
import { createLogger } from '../src/logger.js';
import { appendEvents } from '../src/stores/run-events.js';
import { insertRun, runOverview, runRow } from '../src/stores/runs.js';
import { deliveriesOfRun, enqueueDelivery, outboxCounts } from '../src/stores/webhook-outbox.js';
import { addAccount, addOrder, eventsOf, gamepass } from './support/run-fixtures.js';
import { buildTestApp, type TestApp } from './support/test-app.js';

const secret = 'whsec-test-0123456789abcdef';
const start = Date.parse('2026-11-27T12:00:00Z');
const hour = 60 * 60 * 1000;

const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface Received {
  headers: http.IncomingHttpHeaders;
  body: string;
}

type Answer = { status: number; headers?: Record<string, string> } | 'hang';

/** A receiver on 127.0.0.1 answering its n-th request (from 1) with `answer(n)`; a hung request is answered at close. */
async function receiver(answer: (n: number) => Answer = () => ({ status: 204 })) {
  const received: Received[] = [];
  const hung: http.ServerResponse[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      received.push({ headers: req.headers, body });
      const reply = answer(received.length);
      if (reply === 'hang') hung.push(res);
      else res.writeHead(reply.status, reply.headers).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const close = () =>
    new Promise<void>((resolve) => {
      for (const res of hung) res.destroy();
      server.closeAllConnections();
      server.close(() => resolve());
    });
  cleanups.push(close);
  const port = (server.address() as AddressInfo).port;
  return { url: `http://127.0.0.1:${port}/hooks/T0KEN-in-path?token=query-token`, port, received, hung, close };
}

/** A fake clock for the outbox, and a log that keeps every line. */
function outboxFor(db: Db, url: string, options: WebhookOutboxOptions = {}, now = start + 10 * 60_000) {
  const log: string[] = [];
  const clock = { now: () => now };
  const outbox = createWebhookOutbox({
    db,
    clock,
    logger: createLogger('debug', (line) => log.push(line)),
    url,
    secret,
    options: { backoffBaseMs: 1_000, random: () => 1, timeoutMs: 2_000, ...options },
  });
  cleanups.push(() => outbox.stop());
  return { outbox, log, advance: (ms: number) => (now += ms), now: () => now };
}

async function appWithNotify(): Promise<TestApp> {
  const t = await buildTestApp({ engine: { notify: true } });
  cleanups.push(() => t.close());
  return t;
}

/** One completed run through the app's engine (notify on); answers its sessionId. */
async function endedRun(t: TestApp): Promise<string> {
  await addOrder(t, 'INV-1', gamepass(100));
  const { sessionId } = await addAccount(t, 'alice', 1000);
  await t.engine.idle();
  return sessionId;
}

function hmacHex(timestamp: string, body: string): string {
  return createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
}

const row = (t: TestApp, sessionId: string) => {
  const rows = deliveriesOfRun(t.db, sessionId);
  expect(rows).toHaveLength(1);
  return rows[0]!;
};

describe('the outbox row', () => {
  it("is written in the transaction that ends the run, holding the run's overview", async () => {
    const t = await appWithNotify();
    const sessionId = await endedRun(t);
    const delivery = row(t, sessionId);
    expect(delivery).toMatchObject({ status: 'pending', attempts: 0 });
    expect(JSON.parse(delivery.body)).toEqual(runOverview(runRow(t.db, sessionId)!));
    expect(JSON.parse(delivery.body)).toMatchObject({ sessionId, status: 'completed', summary: { processedCount: 1 } });
  });

  it('shares the fate of the run\'s end: an outbox insert that fails leaves the run unended, then recovery ends it with its row', async () => {
    const t = await appWithNotify();
    t.sqlite.exec("CREATE TRIGGER refuse_outbox BEFORE INSERT ON webhook_outbox BEGIN SELECT RAISE(ABORT, 'outbox refused'); END");
    await addOrder(t, 'INV-1', gamepass(100));
    const { sessionId } = await addAccount(t, 'alice', 1000);
    await t.engine.idle();
    // Neither the completed end nor the failed one could commit without its delivery row.
    expect(runRow(t.db, sessionId)!.status).toBe('running');
    expect(eventsOf(t, sessionId).some((event) => event.type === 'end')).toBe(false);
    expect(deliveriesOfRun(t.db, sessionId)).toEqual([]);
    t.sqlite.exec('DROP TRIGGER refuse_outbox');
    expect(await t.engine.recover()).toMatchObject({ endedRuns: 1 });
    expect(runRow(t.db, sessionId)!.status).toBe('failed');
    expect(JSON.parse(row(t, sessionId).body)).toMatchObject({ sessionId, status: 'failed' });
  });

  it('is not written when no webhook is configured', async () => {
    const t = await buildTestApp();
    cleanups.push(() => t.close());
    const sessionId = await endedRun(t);
    expect(deliveriesOfRun(t.db, sessionId)).toEqual([]);
  });

  it('(d) is written for a run ended by recovery ("Interrupted by restart"), and delivered', async () => {
    const t = await appWithNotify();
    const sessionId = 'crashed-run';
    t.db.transaction((tx) => {
      insertRun(tx, { sessionId, now: start });
      appendEvents(tx, sessionId, [{ type: 'step', data: { currentStep: 'Initializing auto-purchase...' } }], start);
      tx.insert(runLease).values({ id: 1, sessionId, holder: 'dead-host/1/x', expiresAt: start - 1 }).run();
    });
    const restarted = createAutoPurchase({
      db: t.db,
      gateway: t.gateway,
      cipher: t.cipher,
      clock: { now: () => start + 60_000 },
      logger: createLogger('silent'),
      options: { purchaseDelayMs: 0, gatewayTimeoutMs: 50, gatewayMaxAttempts: 1, notify: true },
    });
    expect(await restarted.recover()).toMatchObject({ endedRuns: 1 });
    expect(JSON.parse(row(t, sessionId).body)).toMatchObject({ sessionId, status: 'failed', error: 'Interrupted by restart' });

    const hook = await receiver();
    await outboxFor(t.db, hook.url).outbox.tick();
    expect(hook.received).toHaveLength(1);
    expect(JSON.parse(hook.received[0]!.body)).toMatchObject({ sessionId, status: 'failed', error: 'Interrupted by restart' });
    expect(row(t, sessionId).status).toBe('delivered');
  });
});

describe('delivery', () => {
  it('(a) a receiver failing twice (503) gets it later, with one delivery id, signed "<timestamp>.<body>"', async () => {
    const t = await appWithNotify();
    const sessionId = await endedRun(t);
    const hook = await receiver((n) => (n <= 2 ? { status: 503 } : { status: 204 }));
    const { outbox, advance, now } = outboxFor(t.db, hook.url);

    expect(await outbox.tick()).toEqual({ delivered: 0, retrying: 1, failed: 0 });
    // Not due yet: the backoff (1 s, doubling) holds it.
    await outbox.tick();
    expect(hook.received).toHaveLength(1);
    expect(row(t, sessionId)).toMatchObject({ status: 'pending', attempts: 1, lastError: 'HTTP 503', nextAttemptAt: now() + 1_000 });
    advance(1_000);
    await outbox.tick();
    expect(row(t, sessionId)).toMatchObject({ attempts: 2, nextAttemptAt: now() + 2_000 });
    advance(2_000);
    expect(await outbox.tick()).toEqual({ delivered: 1, retrying: 0, failed: 0 });
    expect(row(t, sessionId)).toMatchObject({ status: 'delivered', attempts: 3 });
    expect(outboxCounts(t.db)).toEqual({ pending: 0, failed: 0 });

    expect(hook.received).toHaveLength(3);
    const ids = new Set(hook.received.map((r) => r.headers['x-autopurchase-delivery']));
    expect([...ids]).toEqual([row(t, sessionId).id]);
    const last = hook.received[2]!;
    expect(last.headers['content-type']).toBe('application/json');
    expect(JSON.parse(last.body)).toEqual(runOverview(runRow(t.db, sessionId)!));
    // Each attempt carries its own timestamp (unix seconds), and the signature verifies with node:crypto.
    expect(hook.received.map((r) => Number(r.headers['x-autopurchase-timestamp']))).toEqual([
      Math.floor((now() - 3_000) / 1000),
      Math.floor((now() - 2_000) / 1000),
      Math.floor(now() / 1000),
    ]);
    for (const r of hook.received) {
      const timestamp = r.headers['x-autopurchase-timestamp'] as string;
      expect(r.headers['x-autopurchase-signature']).toBe(`sha256=${hmacHex(timestamp, r.body)}`);
      expect(r.body).toBe(last.body);
    }
    // The helper receivers may use agrees, and refuses a changed body, another secret, or an old timestamp.
    const signed = { body: last.body, timestamp: last.headers['x-autopurchase-timestamp'] as string, signature: last.headers['x-autopurchase-signature'] as string };
    expect(await verifyWebhookSignature(secret, signed, now())).toBe(true);
    expect(await verifyWebhookSignature(secret, { ...signed, body: `${signed.body} ` }, now())).toBe(false);
    expect(await verifyWebhookSignature(`${secret}x`, signed, now())).toBe(false);
    expect(await verifyWebhookSignature(secret, signed, now() + 301_000)).toBe(false);
  });

  it('(b) a hung receiver: the run has ended before it answers; the attempt times out and is retried', async () => {
    const t = await buildTestApp({ engine: {} });
    cleanups.push(() => t.close());
    const hook = await receiver((n) => (n === 1 ? 'hang' : { status: 200 }));
    const { outbox, advance, log } = outboxFor(t.db, hook.url, { timeoutMs: 300 });
    let ticked: Promise<unknown> | undefined;
    // The engine the way main.ts wires it: notify on, the outbox kicked as a run ends.
    const engine = createAutoPurchase({
      db: t.db,
      gateway: t.gateway,
      cipher: t.cipher,
      clock: { now: () => start + 5_000 },
      logger: createLogger('silent'),
      options: { purchaseDelayMs: 0, gatewayTimeoutMs: 1000, gatewayMaxAttempts: 1, notify: true },
      onRunEnd: () => (ticked = outbox.tick()),
    });
    await addAccount(t, 'alice', 1000);
    await addOrder(t, 'INV-1', gamepass(100));
    const { sessionId } = engine.trigger();
    await engine.idle();
    expect(runRow(t.db, sessionId)!.status).toBe('completed');
    expect(ticked).toBeDefined();
    // The receiver holds the request open, after the run ended.
    await until(() => hook.received.length === 1);
    expect(hook.hung).toHaveLength(1);
    expect(hook.hung[0]!.writableEnded).toBe(false);
    expect(await ticked).toEqual({ delivered: 0, retrying: 1, failed: 0 });
    expect(row(t, sessionId)).toMatchObject({ status: 'pending', attempts: 1, lastError: 'no answer within 300 ms' });
    expect(log.join('\n')).toMatch(/attempt 1 failed \(no answer within 300 ms\); next try in 1 s/);
    advance(1_000);
    expect(await outbox.tick()).toEqual({ delivered: 1, retrying: 0, failed: 0 });
    expect(hook.received.map((r) => r.headers['x-autopurchase-delivery'])).toEqual([row(t, sessionId).id, row(t, sessionId).id]);
  });

  it('(e) a 302 is not followed: the redirect target is never called, and the attempt counts as failed', async () => {
    const t = await appWithNotify();
    const sessionId = await endedRun(t);
    const target = await receiver();
    const hook = await receiver(() => ({ status: 302, headers: { location: target.url } }));
    const { outbox } = outboxFor(t.db, hook.url);
    expect(await outbox.tick()).toEqual({ delivered: 0, retrying: 1, failed: 0 });
    expect(hook.received).toHaveLength(1);
    expect(target.received).toHaveLength(0);
    expect(row(t, sessionId)).toMatchObject({ status: 'pending', lastError: 'HTTP 302 (redirects are not followed)' });
  });

  it('(f) past the give-up window (a fake clock) the row is marked failed and never sent again', async () => {
    const t = await appWithNotify();
    const sessionId = await endedRun(t);
    const hook = await receiver(() => ({ status: 500 }));
    const { outbox, advance, log } = outboxFor(t.db, hook.url);
    await outbox.tick();
    expect(hook.received).toHaveLength(1);
    advance(25 * hour);
    expect(await outbox.tick()).toEqual({ delivered: 0, retrying: 0, failed: 0 });
    expect(row(t, sessionId)).toMatchObject({ status: 'failed', attempts: 1, lastError: 'not delivered within 24 h' });
    expect(outboxCounts(t.db)).toEqual({ pending: 0, failed: 1 });
    advance(25 * hour);
    await outbox.tick();
    expect(hook.received).toHaveLength(1);
    expect(log.join('\n')).toMatch(/given up: not delivered within 24 h/);
  });

  it('after a downtime longer than the window, a delivery never tried still gets one attempt', async () => {
    const t = await appWithNotify();
    t.db.transaction((tx) => enqueueDelivery(tx, { sessionId: 'before-downtime', body: '{"a":1}', now: start }));
    const hook = await receiver();
    const { outbox } = outboxFor(t.db, hook.url, {}, start + 25 * hour);
    expect(await outbox.tick()).toEqual({ delivered: 1, retrying: 0, failed: 0 });
    expect(hook.received).toHaveLength(1);
    expect(deliveriesOfRun(t.db, 'before-downtime')[0]).toMatchObject({ status: 'delivered', attempts: 1 });
  });

  it('after a downtime, a delivery never tried whose one attempt fails is then given up', async () => {
    const t = await appWithNotify();
    t.db.transaction((tx) => enqueueDelivery(tx, { sessionId: 'before-downtime', body: '{"a":1}', now: start }));
    const hook = await receiver(() => ({ status: 500 }));
    const { outbox, advance } = outboxFor(t.db, hook.url, {}, start + 25 * hour);
    expect(await outbox.tick()).toEqual({ delivered: 0, retrying: 0, failed: 1 });
    advance(hour);
    await outbox.tick();
    expect(hook.received).toHaveLength(1);
    expect(deliveriesOfRun(t.db, 'before-downtime')[0]).toMatchObject({ status: 'failed', attempts: 1, lastError: 'HTTP 500' });
  });

  it('stop() while the attempt is being signed: no request reaches the receiver, and stop returns at once', async () => {
    const t = await appWithNotify();
    t.db.transaction((tx) => enqueueDelivery(tx, { sessionId: 's1', body: '{"a":1}', now: start + 10 * 60_000 }));
    const hook = await receiver(() => 'hang');
    const { outbox } = outboxFor(t.db, hook.url, { timeoutMs: 3_000 });
    // tick() runs up to its first wait: the row claimed, its signature being computed.
    const ticking = outbox.tick();
    expect(deliveriesOfRun(t.db, 's1')[0]).toMatchObject({ attempts: 1 });
    const began = Date.now();
    await outbox.stop();
    expect(Date.now() - began).toBeLessThan(1_000);
    await ticking;
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(hook.received).toHaveLength(0);
    // Left due at once for the next start.
    expect(deliveriesOfRun(t.db, 's1')[0]).toMatchObject({ status: 'pending', lastError: 'interrupted by shutdown' });
  });

  it('a retry whose wait would end past the window gives up at once; 410 Gone gives up at once', async () => {
    const t = await appWithNotify();
    const sessionId = await endedRun(t);
    const failing = await receiver(() => ({ status: 503 }));
    const late = outboxFor(t.db, failing.url, { giveUpAfterMs: 30 * 60_000, backoffBaseMs: 60 * 60_000 });
    expect(await late.outbox.tick()).toEqual({ delivered: 0, retrying: 0, failed: 1 });
    expect(row(t, sessionId)).toMatchObject({ status: 'failed', lastError: 'HTTP 503' });

    const other = 'other-run';
    t.db.transaction((tx) => enqueueDelivery(tx, { sessionId: other, body: '{}', now: start }));
    const gone = await receiver(() => ({ status: 410 }));
    expect(await outboxFor(t.db, gone.url).outbox.tick()).toEqual({ delivered: 0, retrying: 0, failed: 1 });
    expect(deliveriesOfRun(t.db, other)[0]).toMatchObject({ status: 'failed', attempts: 1, lastError: 'HTTP 410 Gone' });
  });

  it('(g) neither the URL (its token) nor the secret appears in any log line, whatever fails', async () => {
    const t = await appWithNotify();
    const hook = await receiver((n) => (n === 1 ? 'hang' : n === 2 ? { status: 302, headers: { location: 'http://127.0.0.1:1/' } } : n === 3 ? { status: 404 } : { status: 204 }));
    const { outbox, advance, log } = outboxFor(t.db, hook.url, { timeoutMs: 200 });
    t.db.transaction((tx) => enqueueDelivery(tx, { sessionId: 's1', body: '{"a":1}', now: start + 10 * 60_000 }));
    for (let i = 0; i < 4; i++) {
      await outbox.tick();
      advance(60_000);
    }
    expect(deliveriesOfRun(t.db, 's1')[0]!.status).toBe('delivered');
    // A network error (nothing listens any more) names its kind, not the address.
    await hook.close();
    t.db.transaction((tx) => enqueueDelivery(tx, { sessionId: 's2', body: '{"a":2}', now: start + 10 * 60_000 }));
    await outbox.tick();
    expect(deliveriesOfRun(t.db, 's2')[0]!.lastError).toBe('network error ECONNREFUSED');

    const text = log.join('\n');
    expect(log.length).toBeGreaterThanOrEqual(5);
    expect(text).toMatch(/no answer within 200 ms/);
    expect(text).toMatch(/HTTP 302/);
    expect(text).toMatch(/HTTP 404/);
    expect(text).toMatch(/delivered/);
    for (const needle of ['T0KEN-in-path', 'query-token', '/hooks', `:${hook.port}`, secret]) expect(text).not.toContain(needle);
  });
});

describe('claims and retention', () => {
  it('two processes on one database file never send the same delivery at the same time', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'webhook-claims-'));
    const first = openDatabase(join(dir, 'db.sqlite'));
    const second = openDatabase(join(dir, 'db.sqlite'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }), () => first.close(), () => second.close());
    for (let i = 0; i < 5; i++) first.db.transaction((tx) => enqueueDelivery(tx, { sessionId: `run-${i}`, body: `{"i":${i}}`, now: start }));
    let open = 0;
    let most = 0;
    const bodies: string[] = [];
    const server = http.createServer((req, res) => {
      open++;
      most = Math.max(most, open);
      let body = '';
      req.on('data', (chunk) => (body += chunk));
      req.on('end', () => {
        bodies.push(body);
        setTimeout(() => {
          open--;
          res.writeHead(204).end();
        }, 30);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    const a = outboxFor(first.db, url);
    const b = outboxFor(second.db, url);
    const [ra, rb] = await Promise.all([a.outbox.tick(), b.outbox.tick()]);
    expect(ra.delivered + rb.delivered).toBe(5);
    expect(ra.delivered).toBeGreaterThan(0);
    expect(rb.delivered).toBeGreaterThan(0);
    // Every row sent once, none twice, and each sender one attempt at a time.
    expect(bodies.sort()).toEqual([0, 1, 2, 3, 4].map((i) => `{"i":${i}}`));
    expect(most).toBeLessThanOrEqual(2);
  });

  it('a claim whose sender died is taken over once it expires, under the same delivery id', async () => {
    const t = await appWithNotify();
    const sessionId = await endedRun(t);
    const hook = await receiver((n) => (n === 1 ? 'hang' : { status: 204 }));
    const dying = outboxFor(t.db, hook.url, { timeoutMs: 5_000, claimMarginMs: 1_000 });
    const stuck = dying.outbox.tick();
    await until(() => hook.received.length === 1);
    // Another sender, 6 s later by its clock: the claim (timeout + margin) has run out.
    const taker = outboxFor(t.db, hook.url, {}, dying.now() + 6_001);
    expect(await taker.outbox.tick()).toEqual({ delivered: 1, retrying: 0, failed: 0 });
    for (const res of hook.hung) res.destroy();
    await stuck;
    expect(dying.log.join('\n')).toMatch(/claim had expired/);
    expect(row(t, sessionId)).toMatchObject({ status: 'delivered', attempts: 2 });
    expect(new Set(hook.received.map((r) => r.headers['x-autopurchase-delivery']))).toEqual(new Set([row(t, sessionId).id]));
  });

  it('the cleanup job deletes delivered and given-up rows past HISTORY_RETENTION, never pending ones', async () => {
    const t = await appWithNotify();
    const ids = t.db.transaction((tx) => ['delivered', 'failed', 'pending', 'recent'].map((name) => enqueueDelivery(tx, { sessionId: name, body: '{}', now: start })));
    t.sqlite.prepare("update webhook_outbox set status = 'delivered', updated_at = ? where id = ?").run(start, ids[0]);
    t.sqlite.prepare("update webhook_outbox set status = 'failed', updated_at = ? where id = ?").run(start, ids[1]);
    t.sqlite.prepare("update webhook_outbox set status = 'delivered', updated_at = ? where id = ?").run(start + 40 * 24 * hour, ids[3]);
    await runCleanup(t.db, start + 31 * 24 * hour, { progressRetentionMs: hour, historyRetentionMs: 30 * 24 * hour }, { batchRows: 1, sleep: async () => {} });
    expect(t.sqlite.prepare('select session_id from webhook_outbox order by session_id').all()).toEqual([{ session_id: 'pending' }, { session_id: 'recent' }]);
  });
});

describe('webhookSignature', () => {
  it('is sha256=<hex HMAC-SHA256 of "<timestamp>.<body>">, as node:crypto computes it', async () => {
    expect(await webhookSignature(secret, 1764244800, '{"x":1}')).toBe(`sha256=${hmacHex('1764244800', '{"x":1}')}`);
  });
});

async function until(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
