// The progress stream (SPEC §5) with real clients over a real port: server child processes on
// 127.0.0.1, a raw fetch reader that checks the bytes, the `eventsource` package, resumption by
// header and by query, 500 concurrent clients, clients that never read; and, in-process (the app
// under app.request() or @hono/node-server in this process, for the hub's counters), the release of
// every listener and timer when a client goes away, the cut of a stalled connection, and HEAD.
// With AP_TEST_RUNTIME=workerd (the `edge` project) the real-port checks run against the Worker in
// workerd instead of Node processes (test/support/edge-server.ts); the in-process ones are skipped.
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { EventSource } from 'eventsource';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { emptyRun, foldEvents } from '../src/domain/fold.js';
import { runEventTypes, type RunEvent, type RunSnapshot } from '../src/domain/run.js';
import { addAccount, addOrder, gamepass, snapshotOf } from './support/run-fixtures.js';
import { cleanUp, makeTempDir, onWorkerd, startServer } from './support/server-process.js';
import {
  adminApi,
  assertConsecutive,
  foldReceived,
  openNeverReadingSocket,
  parseSse,
  readStream,
  SseParser,
  type AdminApi,
  type ReceivedEvent,
  type SseMessage,
} from './support/sse-clients.js';
import { buildTestApp, testToken, type TestApp } from './support/test-app.js';
import { startFakeGateway, type FakeGateway } from './support/fake-gateway-server.js';
import { startGateProxy, type GateProxy } from './support/gate-proxy.js';
import { errorText } from '../src/domain/error-text.js';

const token = 'stream-test-admin-token-0123456789';
const gatewaySecret = 'stream-test-gateway-secret';
const knownTypes = new Set<string>(['snapshot', ...runEventTypes]);

/** The run as it was before its first event, from its stored snapshot's header. */
function headerRun(stored: RunSnapshot): RunSnapshot {
  return emptyRun({
    sessionId: stored.sessionId,
    ...(stored.triggeredBy ? { triggeredBy: stored.triggeredBy } : {}),
    startTime: stored.startTime,
    createdAt: stored.createdAt,
  });
}

function asRunEvents(events: readonly ReceivedEvent[]): RunEvent[] {
  return events.map((e) => ({ seq: e.id, type: e.event, data: e.data }) as RunEvent);
}

describe('the stream over a real port', () => {
  // Two servers: `demo` (sandbox gateway) walks the seeded demo orders, every outcome of a run;
  // `main` (http gateway, a fake buy-pass service in this process, so nothing is seeded) runs
  // plain orders for the other tests. The demo orders left pending after the demo run (one marks
  // every account that tries it invalid) would otherwise spoil every later run.
  let demo: AdminApi;
  let api: AdminApi;
  let gateway: FakeGateway | undefined;
  let gate: GateProxy | undefined;
  let orderBatch = 0;

  beforeAll(async () => {
    gateway = await startFakeGateway({ secret: gatewaySecret });
    gate = await startGateProxy(gateway.url);
    const [demoServer, mainServer] = await Promise.all([
      startServer({
        dataDir: makeTempDir('stream-demo-'),
        env: { ADMIN_TOKEN: token, PURCHASE_DELAY_MS: '100', HEARTBEAT_MS: '1000' },
      }),
      startServer({
        dataDir: makeTempDir('stream-main-'),
        env: {
          ADMIN_TOKEN: token,
          PURCHASE_DELAY_MS: '50',
          HEARTBEAT_MS: '1000',
          // 500 clients share one token here; the default cap per credential is 100 (SPEC §11).
          MAX_STREAMS_PER_CLIENT: '1000',
          GATEWAY: 'http',
          GATEWAY_URL: gate.url,
          GATEWAY_SECRET: gatewaySecret,
        },
      }),
    ]);
    demo = adminApi(demoServer.url, token);
    api = adminApi(mainServer.url, token);
    // The buying account of `main`; its run finds nothing pending.
    await api.ended((await api.addAccount('sandbox:bob:1000000')).sessionId);
  });
  afterAll(async () => {
    await cleanUp();
    await gate?.close();
    await gateway?.close();
  });

  /** Records `count` new orders and starts a run over them by hand: answers its id. */
  async function freshRun(count: number): Promise<string> {
    orderBatch++;
    await api.addOrders(`B${orderBatch}`, count);
    const res = await api.call('POST', '/api/auto-purchase');
    expect(res.status, res.text).toBe(202);
    return res.json.sessionId as string;
  }

  /**
   * Starts a run (by `start`) that stands still on its first purchase, at the gate, until
   * `gate.open()`: clients that connect meanwhile are sure to follow it live to its end.
   */
  async function heldRun(start: () => Promise<string>): Promise<string> {
    gate!.shut();
    try {
      const sessionId = await start();
      await pollFor('the run to wait at the gate', () => (gate!.waiting() === 1 ? true : undefined), 10_000);
      return sessionId;
    } catch (error) {
      gate!.open();
      throw error;
    }
  }

  /** Waits until `probe()` holds, then opens the gate (opened whatever happens). */
  async function openGateAfter(what: string, probe: () => boolean, timeoutMs = 15_000): Promise<void> {
    try {
      await pollFor(what, () => (probe() ? true : undefined), timeoutMs, 5);
    } finally {
      gate!.open();
    }
  }

  afterEach(() => gate?.open());

  it('a raw fetch reader: the headers, prompt first bytes, retry, a snapshot at its seq, consecutive ids to end, then the close; the fold equals the stored run', async () => {
    // The first start seeded the 14 demo orders: adding an account walks them.
    const { sessionId } = await demo.addAccount('sandbox:alice:5000');
    const read = await readStream(demo.eventsUrl(sessionId), { token, timeoutMs: 15_000 });

    expect(read.status).toBe(200);
    expect(read.headers.get('content-type')).toBe('text/event-stream');
    expect(read.headers.get('cache-control')).toBe('no-cache, no-transform');
    expect(read.headers.get('x-accel-buffering')).toBe('no');
    expect(read.headers.get('content-encoding')).toBeNull();
    expect(read.headers.get('content-length')).toBeNull();
    expect(read.firstChunkMs).toBeDefined();
    expect(read.firstChunkMs!).toBeLessThan(1_000);

    // The bytes: retry first, as its own block, then the snapshot.
    expect(read.text.startsWith('retry: 3000\n\n')).toBe(true);
    expect(read.messages[0]).toEqual({ kind: 'retry', ms: 3000 });
    expect(read.text.slice('retry: 3000\n\n'.length)).toMatch(/^id: \d+\nevent: snapshot\ndata: \{/);
    expect(read.outcome).toBe('closed');
    expect(read.bytesAfterEnd).toBe(0);
    // Nothing but events, the retry and pings.
    for (const message of read.messages) {
      if (message.kind === 'comment') expect(message.text).toBe('ping');
      if (message.kind === 'event') expect(knownTypes.has(message.event), message.event).toBe(true);
    }
    expect(read.messages.filter((m) => m.kind === 'retry')).toHaveLength(1);

    const [first, ...rest] = read.events;
    expect(first?.event).toBe('snapshot');
    expect((first!.data as RunSnapshot).sessionId).toBe(sessionId);
    expect((first!.data as RunSnapshot).status).toBe('running');
    expect(rest.length).toBeGreaterThan(0);
    expect(rest.some((e) => e.event === 'snapshot')).toBe(false);
    assertConsecutive(read.events, first!.id);
    expect(read.events.at(-1)?.event).toBe('end');
    expect(read.text.endsWith('\n\n')).toBe(true);

    const stored = await demo.snapshot(sessionId);
    expect(stored.status).toBe('completed');
    expect(foldReceived(read.events)).toStrictEqual(stored);
    // Every demo outcome went by: the stream carried a real run.
    expect(stored.summary.totalTransactions).toBe(14);
    expect(stored.summary.failedCount).toBeGreaterThan(0);
    expect(stored.summary.unknownCount).toBeGreaterThan(0);

    // The snapshot's id is the last seq folded into it: the stored events 1..id, folded onto the
    // empty run, give exactly the snapshot that was sent.
    const replay = await readStream(demo.eventsUrl(sessionId), { token, lastEventId: 0 });
    expect(replay.status).toBe(200);
    expect(replay.events[0]?.id).toBe(1);
    assertConsecutive(replay.events, 1);
    const upToSnapshot = replay.events.filter((e) => e.id <= first!.id);
    expect(upToSnapshot).toHaveLength(first!.id);
    expect(foldEvents(headerRun(stored), asRunEvents(upToSnapshot))).toStrictEqual(first!.data);
    // And the events after it are the ones this client received, byte for byte in meaning.
    expect(replay.events.filter((e) => e.id > first!.id).map(({ id, event, data }) => ({ id, event, data }))).toEqual(
      rest.map(({ id, event, data }) => ({ id, event, data })),
    );
  });

  it('the eventsource package: snapshot and events to end, the fold equals the stored run, and the 204 on reconnect stops it', async () => {
    const sessionId = await heldRun(async () => {
      await api.addOrders('ES', 12);
      return (await api.addAccount('sandbox:carol:100000')).sessionId;
    });
    const requests: { lastEventId: string | null; status?: number }[] = [];
    const received: ReceivedEvent[] = [];
    let errors = 0;
    const es = new EventSource(api.eventsUrl(sessionId), {
      fetch: async (input, init) => {
        const headers = new Headers(init?.headers as HeadersInit | undefined);
        const entry: { lastEventId: string | null; status?: number } = { lastEventId: headers.get('last-event-id') };
        requests.push(entry);
        headers.set('authorization', `Bearer ${token}`);
        const res = await fetch(input, { ...init, headers });
        entry.status = res.status;
        return res;
      },
    });
    try {
      const ended = new Promise<void>((resolve) => {
        for (const type of knownTypes) {
          es.addEventListener(type, (event) => {
            received.push({ id: Number(event.lastEventId), event: type, data: JSON.parse(event.data), at: Date.now() });
            if (type === 'end') resolve();
          });
        }
      });
      es.addEventListener('error', () => errors++);
      await openGateAfter('the snapshot', () => received.length > 0);
      await withDeadline(ended, 15_000, () => `no end event (got ${received.map((e) => e.event).join(',')})`);

      expect(received[0]?.event).toBe('snapshot');
      expect(received[0]?.data.status).toBe('running');
      assertConsecutive(received, received[0]!.id);
      expect(received.at(-1)?.event).toBe('end');
      expect(foldReceived(received)).toStrictEqual(await api.snapshot(sessionId));

      // The server closed the stream after end; the client reconnects once (after retry: 3000)
      // with the last id, gets 204 and stops for good.
      const endId = received.at(-1)!.id;
      await pollFor('the client to close', () => (es.readyState === es.CLOSED ? true : undefined), 6_000);
      expect(requests.map((r) => r.lastEventId)).toEqual([null, String(endId)]);
      expect(requests.map((r) => r.status)).toEqual([200, 204]);
      expect(errors).toBeGreaterThanOrEqual(1);
      // And it stays closed: no third request.
      await sleep(500);
      expect(requests).toHaveLength(2);
      expect(received.filter((e) => e.event === 'snapshot')).toHaveLength(1);
    } finally {
      es.close();
    }
  });

  it('resumes by Last-Event-ID header and by ?lastEventId=: the next id, no snapshot, no gap, no duplicate; the folds equal the stored run', async () => {
    const sessionId = await heldRun(() => freshRun(30));
    const url = api.eventsUrl(sessionId);
    let snapshots = 0;
    const onMessage = (message: SseMessage) => {
      if (message.kind === 'event' && message.event === 'snapshot') snapshots++;
    };

    const resume = async (k: number, how: 'header' | 'query') => {
      const part1 = await readStream(url, { token, onMessage, stopWhen: (_e, events) => events.length > k });
      expect(part1.outcome).toBe('stopped');
      expect(part1.events[0]?.event).toBe('snapshot');
      expect(part1.events[0]?.data.status).toBe('running');
      assertConsecutive(part1.events);
      const last = part1.events.at(-1)!.id;
      const part2 =
        how === 'header'
          ? await readStream(url, { token, lastEventId: last })
          : await readStream(api.eventsUrl(sessionId, `?lastEventId=${last}`), { token });
      expect(part2.status).toBe(200);
      expect(part2.text.startsWith('retry: 3000\n\n')).toBe(true);
      expect(part2.events[0]?.id).toBe(last + 1);
      expect(part2.events.some((e) => e.event === 'snapshot')).toBe(false);
      const all = [...part1.events, ...part2.events];
      assertConsecutive(all);
      expect(new Set(all.map((e) => e.id)).size).toBe(all.length);
      expect(all.at(-1)?.event).toBe('end');
      return all;
    };
    const resumed = Promise.all([resume(5, 'header'), resume(12, 'query')]);
    await openGateAfter('both snapshots', () => snapshots === 2);
    const [byHeader, byQuery] = await resumed;
    const stored = await api.snapshot(sessionId);
    expect(stored.status).toBe('completed');
    expect(stored.summary.processedCount).toBe(30);
    expect(foldReceived(byHeader)).toStrictEqual(stored);
    expect(foldReceived(byQuery)).toStrictEqual(stored);

    // The header wins over the query (EventSource resends the header on reconnect).
    const both = await readStream(api.eventsUrl(sessionId, '?lastEventId=2'), { token, lastEventId: 7 });
    expect(both.status).toBe(200);
    expect(both.events[0]?.id).toBe(8);
  });

  it('an ended run: Last-Event-ID at or past its last seq answers 204, no id answers the final snapshot and closes; unknown run 404, bad ids 400, no token 401', async () => {
    const sessionId = await freshRun(3);
    const stored = await api.ended(sessionId);
    const all = await readStream(api.eventsUrl(sessionId), { token, lastEventId: 0 });
    const lastSeq = all.events.at(-1)!.id;
    expect(all.events.at(-1)?.event).toBe('end');
    expect(foldEvents(headerRun(stored), asRunEvents(all.events))).toStrictEqual(stored);

    for (const lastEventId of [lastSeq, lastSeq + 1, lastSeq + 1000]) {
      const res = await fetch(api.eventsUrl(sessionId), { headers: { authorization: `Bearer ${token}`, 'last-event-id': String(lastEventId) } });
      expect(res.status, `Last-Event-ID ${lastEventId}`).toBe(204);
      expect(await res.text()).toBe('');
    }
    const byQuery = await fetch(api.eventsUrl(sessionId, `?lastEventId=${lastSeq}`), { headers: { authorization: `Bearer ${token}` } });
    expect(byQuery.status).toBe(204);
    await byQuery.arrayBuffer();

    // Behind the end: the rest of the events, then the close.
    const tail = await readStream(api.eventsUrl(sessionId), { token, lastEventId: lastSeq - 3 });
    expect(tail.events.map((e) => e.id)).toEqual([lastSeq - 2, lastSeq - 1, lastSeq]);
    expect(tail.outcome).toBe('closed');

    // No id: the final snapshot, at the last seq, and the stream closes at once.
    const fresh = await readStream(api.eventsUrl(sessionId), { token, timeoutMs: 3_000 });
    expect(fresh.status).toBe(200);
    expect(fresh.events).toHaveLength(1);
    expect(fresh.events[0]).toMatchObject({ id: lastSeq, event: 'snapshot' });
    expect(fresh.events[0]?.data).toStrictEqual(stored);
    expect(fresh.outcome).toBe('closed');

    const unknown = await readStream(api.eventsUrl('no-such-run'), { token });
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get('content-type')).toMatch(/^application\/json/);
    expect(unknown.body).toEqual({ error: { code: expect.any(String), message: expect.any(String) } });
    const unknownResumed = await readStream(api.eventsUrl('no-such-run'), { token, lastEventId: 3 });
    expect(unknownResumed.status).toBe(404);

    for (const bad of ['abc', '-1', '1.5', '1e3']) {
      const res = await readStream(api.eventsUrl(sessionId, `?lastEventId=${encodeURIComponent(bad)}`), { token });
      expect(res.status, `lastEventId=${bad}`).toBe(400);
      expect(res.body?.error?.code, res.text).toEqual(expect.any(String));
    }
    const badHeader = await readStream(api.eventsUrl(sessionId), { token, lastEventId: 'abc' });
    expect(badHeader.status).toBe(400);

    const anonymous = await fetch(api.eventsUrl(sessionId));
    expect(anonymous.status).toBe(401);
    await anonymous.arrayBuffer();
  });

  it('500 concurrent clients on one run all reach end, each with a fold equal to the stored run', async () => {
    const clients = 500;
    const orders = 15;
    // The run stands still on its first purchase until every client has its snapshot: each of
    // them must then follow the run live to its end.
    const sessionId = await heldRun(() => freshRun(orders));
    const url = api.eventsUrl(sessionId);
    const started = performance.now();
    let snapshots = 0;
    const onMessage = (message: SseMessage) => {
      if (message.kind === 'event' && message.event === 'snapshot') snapshots++;
    };
    const reading = Promise.all(Array.from({ length: clients }, () => readStream(url, { token, timeoutMs: 25_000, closeWithinMs: 5_000, onMessage })));
    await openGateAfter(`${clients} snapshots`, () => snapshots === clients);
    const connectedMs = performance.now() - started;
    const reads = await reading;
    const elapsed = performance.now() - started;
    const stored = await api.snapshot(sessionId);
    expect(stored.status).toBe('completed');
    expect(stored.summary.processedCount).toBe(orders);
    for (const [i, read] of reads.entries()) {
      expect(read.status, `client ${i}`).toBe(200);
      expect(read.events[0]?.event, `client ${i}`).toBe('snapshot');
      expect(read.events[0]?.data.status, `client ${i}`).toBe('running');
      assertConsecutive(read.events);
      expect(read.events.at(-1)?.event, `client ${i}`).toBe('end');
      expect(read.outcome).toBe('closed');
      expect(foldReceived(read.events), `client ${i}`).toStrictEqual(stored);
    }
    const endLags = reads.map((read) => read.events.at(-1)!.at - Date.parse(stored.endTime!));
    console.info(
      `${clients} clients: all had their snapshot ${Math.round(connectedMs)} ms after the first connect, all ended ${Math.round(elapsed)} ms after it; ` +
        `end received ${Math.min(...endLags)}–${Math.max(...endLags)} ms after the run's endTime`,
    );
    expect(Math.max(...endLags)).toBeLessThan(2_000);
  }, 40_000);

  it('clients that never read (a raw socket, a fetch body left alone) do not hold up a reading client', async () => {
    const sessionId = await heldRun(() => freshRun(15));
    const url = api.eventsUrl(sessionId);
    // The two that never read connect first.
    const socket = await openNeverReadingSocket(url, token);
    const unread = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
    expect(unread.status).toBe(200);
    try {
      let opened = false;
      const reading = readStream(url, { token, timeoutMs: 15_000, onMessage: (m) => (opened ||= m.kind === 'event') });
      await openGateAfter('the reading client to open', () => opened);
      const read = await reading;
      expect(read.events[0]?.data.status).toBe('running');
      expect(read.events.at(-1)?.event).toBe('end');
      const stored = await api.snapshot(sessionId);
      expect(foldReceived(read.events)).toStrictEqual(stored);
      // Every change reached the reading client promptly: measured against the commit times the
      // events carry (same machine, same clock).
      const lags = read.events
        .filter((e) => e.event === 'transaction' || e.event === 'end')
        .map((e) => e.at - Date.parse(e.event === 'end' ? e.data.endTime : e.data.timestamp));
      expect(lags.length).toBeGreaterThan(15);
      expect(Math.max(...lags)).toBeLessThan(1_000);
      const endLag = read.events.at(-1)!.at - Date.parse(stored.endTime!);
      expect(endLag).toBeLessThan(1_000);
    } finally {
      socket.destroy();
      await unread.body?.cancel();
    }
  });
});

describe('heartbeats over a real port', () => {
  afterAll(cleanUp);

  it('a waiting run: a ": ping" comment arrives every HEARTBEAT_MS (at least 2 within 600 ms)', async () => {
    const server = await startServer({
      dataDir: makeTempDir('stream-heartbeat-'),
      env: { ADMIN_TOKEN: token, PURCHASE_DELAY_MS: '5000', HEARTBEAT_MS: '100' },
    });
    const api = adminApi(server.url, token);
    const { sessionId } = await api.addAccount('sandbox:alice:5000');
    // The run buys DEMO-0001 and then waits 5 s: nothing but pings for a while.
    await pollFor('the run to wait', async () => ((await api.snapshot(sessionId)).currentStep.startsWith('Waiting') ? true : undefined), 5_000);
    const read = await readStream(api.eventsUrl(sessionId), { token, stopAfterMs: 600 });
    expect(read.outcome).toBe('stopped');
    expect(read.events.map((e) => e.event)).toEqual(['snapshot']);
    expect(read.events[0]?.data.status).toBe('running');
    const pings = read.comments.filter((c) => c.text === 'ping');
    expect(pings.length).toBeGreaterThanOrEqual(2);
    expect(read.text.split(': ping\n\n').length - 1).toBe(pings.length);
    const gaps = pings.slice(1).map((p, i) => p.at - pings[i]!.at);
    expect(Math.max(...gaps)).toBeLessThan(400);
  });
});

// ---------------------------------------------------------------------------------------------
// In-process: what a connection holds, and that it lets go.

// In-process (this test's own app and hub): no server runtime to switch, so the workerd run skips it.
describe.skipIf(onWorkerd)('a connection releases what it holds (in-process)', () => {
  let t: TestApp | undefined;
  afterEach(async () => {
    vi.restoreAllMocks();
    if (t) {
      await t.engine.stop(2_000);
      t.close();
      t = undefined;
    }
  });

  /** A run kept going: it buys the first order, then waits `delayMs` before the next. */
  async function waitingRun(app: TestApp, orders = 3) {
    for (let i = 0; i < orders; i++) await addOrder(app, `HOLD-${i}`, gamepass(10));
    const { sessionId } = await addAccount(app, 'holder', 10_000);
    await pollFor('the run to wait', () => (snapshotOf(app, sessionId).currentStep.startsWith('Waiting') ? true : undefined), 3_000, 5);
    return sessionId;
  }

  const eventsPath = (sessionId: string) => `/api/auto-purchase/progress/${sessionId}/events`;
  const open = (app: TestApp, sessionId: string, headers: Record<string, string> = {}) =>
    app.app.request(eventsPath(sessionId), { headers: { authorization: `Bearer ${testToken}`, ...headers } });

  it('cancel releases the listener, the hub watch and the heartbeat timer at once; 50 opened and cancelled leave nothing', async () => {
    t = await buildTestApp({ concurrent: true, engine: { purchaseDelayMs: 10_000 }, config: { heartbeatMs: 50 } });
    const app = t;
    const sessionId = await waitingRun(app);
    expect(app.hub.stats()).toEqual({ feeds: 0, listeners: 0, watching: false });

    const intervals = trackIntervals();
    const res = await open(app, sessionId);
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    const first = await reader.read();
    expect(new TextDecoder().decode(first.value)).toMatch(/^retry: 3000\n\n/);
    expect(app.hub.stats()).toEqual({ feeds: 1, listeners: 1, watching: true });
    // The hub's watch and the heartbeat ticker.
    expect(intervals.live()).toBe(2);
    // A heartbeat comes through while it is open.
    const text = await readUntil(reader, (s) => s.includes(': ping\n\n'), 2_000);
    expect(text).toContain(': ping\n\n');

    await reader.cancel();
    expect(app.hub.stats()).toEqual({ feeds: 0, listeners: 0, watching: false });
    expect(intervals.live()).toBe(0);

    // 50 at once, each read a little, then all cancelled.
    const readers = await Promise.all(
      Array.from({ length: 50 }, async () => {
        const r = (await open(app, sessionId)).body!.getReader();
        await r.read();
        return r;
      }),
    );
    expect(app.hub.stats()).toEqual({ feeds: 1, listeners: 50, watching: true });
    expect(intervals.live()).toBe(2);
    await Promise.all(readers.map((r) => r.cancel()));
    expect(app.hub.stats()).toEqual({ feeds: 0, listeners: 0, watching: false });
    expect(intervals.live()).toBe(0);

    // Half cancelled while the run goes on, the other half reading to the end.
    const more = await Promise.all(Array.from({ length: 10 }, async () => (await open(app, sessionId)).body!.getReader()));
    await Promise.all(more.slice(0, 5).map((r) => r.cancel()));
    expect(app.hub.stats().listeners).toBe(5);
    await app.engine.stop(2_000);
    const texts = await Promise.all(more.slice(5).map((r) => readUntil(r, () => false, 3_000)));
    for (const body of texts) expect(parseSse(body).some((m) => m.kind === 'event' && m.event === 'end')).toBe(true);
    expect(app.hub.stats()).toEqual({ feeds: 0, listeners: 0, watching: false });
    expect(intervals.live()).toBe(0);
  });

  it('a connection that stops reading is cut once its writes stall, and resumes from its last id; a reading one goes on', async () => {
    t = await buildTestApp({ concurrent: true, engine: { purchaseDelayMs: 0 }, config: { heartbeatMs: 50, streamStallMs: 300 } });
    const app = t;
    // 1000 orders: their events come to ~600 KB, far past the 256 KB a connection may hold unsent.
    for (let i = 0; i < 1000; i++) {
      const res = await app.api('POST', '/api/transactions', { invoiceId: `BIG-${i}`, gamepass: { id: 10 + i, name: `Pass ${i}`, price: 1, sellerId: 5 } });
      expect(res.status).toBe(201);
    }
    const { sessionId } = await addAccount(app, 'bulk', 1_000_000);
    const stuckRes = await open(app, sessionId);
    const readingRes = await open(app, sessionId);
    expect(app.hub.stats().listeners).toBe(2);
    // The stuck one reads its snapshot, then nothing more.
    const stuck = stuckRes.body!.getReader();
    const part1Text = await readUntil(stuck, (text) => parseSse(text).some((m) => m.kind === 'event'), 2_000);
    const readText = await readUntil(readingRes.body!.getReader(), () => false, 30_000);
    const stored = snapshotOf(app, sessionId);
    expect(stored.status).toBe('completed');
    expect(stored.summary.processedCount).toBe(1000);
    const readEvents = toReceived(parseSse(readText));
    expect(readEvents.at(-1)?.event).toBe('end');
    expect(foldReceived(readEvents)).toStrictEqual(stored);

    // The stuck connection is cut by the stall watch and lets go of its listener.
    await pollFor('the stalled connection to be cut', () => (app.hub.stats().listeners === 0 ? true : undefined), 3_000, 10);
    expect(app.hub.stats()).toEqual({ feeds: 0, listeners: 0, watching: false });
    const { error } = await drain(stuck);
    expect(error).toMatch(/stream closed: stalled/);

    // It resumes from the last id it got, with no gap and no duplicate.
    const part1 = toReceived(parseSse(part1Text));
    expect(part1.map((e) => e.event)).toEqual(['snapshot']);
    const last = part1[0]!.id;
    const resumed = await open(app, sessionId, { 'last-event-id': String(last) });
    const part2 = toReceived(parseSse((await drain(resumed.body!.getReader())).text));
    expect(part2[0]?.id).toBe(last + 1);
    const all = [...part1, ...part2];
    assertConsecutive(all);
    expect(all.at(-1)?.event).toBe('end');
    expect(foldReceived(all)).toStrictEqual(stored);
  }, 40_000);

  it('over a real socket (@hono/node-server, as main.ts serves the app): a client going away releases its listener at once', async () => {
    t = await buildTestApp({ concurrent: true, engine: { purchaseDelayMs: 10_000 }, config: { heartbeatMs: 50 } });
    const app = t;
    const sessionId = await waitingRun(app);
    const server = serve({ fetch: app.app.fetch, port: 0, hostname: '127.0.0.1' });
    try {
      await new Promise<void>((resolve) => server.once('listening', () => resolve()));
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}${eventsPath(sessionId)}`;
      const intervals = trackIntervals();

      // Fetch readers that read their snapshot and a ping, then cancel (the connection closes).
      const controllers = Array.from({ length: 10 }, () => new AbortController());
      const readers = await Promise.all(
        controllers.map(async (controller) => {
          const res = await fetch(url, { headers: { authorization: `Bearer ${testToken}` }, signal: controller.signal });
          expect(res.status).toBe(200);
          const reader = res.body!.getReader();
          await readUntil(reader, (text) => text.includes(': ping\n\n'), 3_000);
          return reader;
        }),
      );
      // And raw sockets that are simply destroyed.
      const sockets = await Promise.all(Array.from({ length: 10 }, () => openNeverReadingSocket(url, testToken)));
      await pollFor('20 listeners', () => (app.hub.stats().listeners === 20 ? true : undefined), 2_000, 5);
      expect(intervals.live()).toBe(2);

      const cancelledAt = performance.now();
      await Promise.all(readers.map((reader) => reader.cancel()));
      for (const socket of sockets) socket.destroy();
      await pollFor('every listener released', () => (app.hub.stats().listeners === 0 ? true : undefined), 1_000, 2);
      const releaseMs = performance.now() - cancelledAt;
      expect(releaseMs).toBeLessThan(200);
      expect(app.hub.stats()).toEqual({ feeds: 0, listeners: 0, watching: false });
      expect(intervals.live()).toBe(0);
      for (const controller of controllers) controller.abort();
    } finally {
      server.close();
      if ('closeAllConnections' in server) server.closeAllConnections();
    }
  });

  // Found by this test: Hono answers HEAD by running the GET handler and dropping its body, so a
  // stream opened there was never cancelled and its listener stayed until the run ended.
  it('a HEAD request on the stream path leaves no listener behind', async () => {
    t = await buildTestApp({ concurrent: true, engine: { purchaseDelayMs: 10_000 } });
    const app = t;
    const sessionId = await waitingRun(app);
    const res = await app.app.request(eventsPath(sessionId), { method: 'HEAD', headers: { authorization: `Bearer ${testToken}` } });
    expect(res.status).toBe(200);
    expect(res.body).toBeNull();
    expect(app.hub.stats()).toEqual({ feeds: 0, listeners: 0, watching: false });
  });
});

// Pure, no server: the workerd run skips it.
describe.skipIf(onWorkerd)('the SSE parser used by these tests', () => {
  it('gives the same messages however the bytes are split (LF, CRLF, CR, comments, multi-line data)', () => {
    const text = 'retry: 3000\r\n\r\n: ping\n\nid: 1\nevent: step\ndata: {"a":1}\n\nid: 2\rdata: x\rdata: y\r\r:c\r\nevent: e\ndata\n\n';
    const whole = parseSse(text);
    expect(whole).toEqual<SseMessage[]>([
      { kind: 'retry', ms: 3000 },
      { kind: 'comment', text: 'ping' },
      { kind: 'event', id: '1', event: 'step', data: '{"a":1}' },
      { kind: 'event', id: '2', event: 'message', data: 'x\ny' },
      { kind: 'comment', text: 'c' },
      { kind: 'event', id: undefined, event: 'e', data: '' },
    ]);
    for (let size = 1; size <= 7; size++) {
      const parser = new SseParser();
      const got: SseMessage[] = [];
      for (let i = 0; i < text.length; i += size) got.push(...parser.push(text.slice(i, i + size)));
      expect(got, `chunks of ${size}`).toEqual(whole);
    }
  });
});

// ---------------------------------------------------------------------------------------------

function toReceived(messages: readonly SseMessage[]): ReceivedEvent[] {
  return messages.flatMap((m) => (m.kind === 'event' ? [{ id: Number(m.id), event: m.event, data: JSON.parse(m.data), at: Date.now() }] : []));
}

/** Reads until `done(text so far)` or the body ends; rejects after `timeoutMs`. */
async function readUntil(reader: ReadableStreamDefaultReader<Uint8Array>, done: (text: string) => boolean, timeoutMs: number): Promise<string> {
  const decoder = new TextDecoder();
  let text = '';
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const left = deadline - Date.now();
    if (left <= 0) throw new Error(`readUntil: timed out with ${text.length} chars`);
    const chunk = await withDeadline(reader.read(), left, () => `readUntil: timed out with ${text.length} chars`);
    if (chunk.done) return text + decoder.decode();
    text += decoder.decode(chunk.value, { stream: true });
    if (done(text)) return text;
  }
}

/** Everything a body gives until it ends or errors. */
async function drain(reader: ReadableStreamDefaultReader<Uint8Array>): Promise<{ text: string; error?: string }> {
  const decoder = new TextDecoder();
  let text = '';
  try {
    for (;;) {
      const chunk = await withDeadline(reader.read(), 10_000, () => 'drain: timed out');
      if (chunk.done) return { text: text + decoder.decode() };
      text += decoder.decode(chunk.value, { stream: true });
    }
  } catch (error) {
    return { text, error: errorText(error) };
  }
}

/** Counts the intervals set and not yet cleared from now on (spies on the globals). */
function trackIntervals() {
  const live = new Set<unknown>();
  const realSet = globalThis.setInterval;
  const realClear = globalThis.clearInterval;
  vi.spyOn(globalThis, 'setInterval').mockImplementation(((fn: () => void, ms?: number) => {
    const handle = realSet(fn, ms);
    live.add(handle);
    return handle;
  }) as typeof setInterval);
  vi.spyOn(globalThis, 'clearInterval').mockImplementation(((handle?: Parameters<typeof clearInterval>[0]) => {
    live.delete(handle);
    realClear(handle);
  }) as typeof clearInterval);
  return { live: () => live.size };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function withDeadline<T>(promise: Promise<T>, ms: number, what: () => string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(what())), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

async function pollFor<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs: number, intervalMs = 25): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(intervalMs);
  }
}
