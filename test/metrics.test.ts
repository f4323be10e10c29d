// GET /metrics (SPEC §4): its credentials (admin or METRICS_TOKEN, which opens nothing else), the
// Prometheus text format, and each series moving with what it counts: runs, purchases by outcome,
// gateway call times, appended events, open streams, storage faults, cleanup deletions, the webhook
// outbox, runs ended by recovery. The exposition is parsed, not substring-matched.
import { afterEach, describe, expect, it } from 'vitest';
import { runLease } from '../src/db/schema.js';
import { cleanupCounter, purchaseOutcomeOf } from '../src/domain/metrics.js';
import { createAutoPurchase, type EngineDeps } from '../src/engine/auto-purchase.js';
import { startCleanupJob } from '../src/jobs/cleanup.js';
import { createLogger } from '../src/logger.js';
import { createPromMetrics } from '../src/node/metrics.js';
import { appendEvents } from '../src/stores/run-events.js';
import { insertRun } from '../src/stores/runs.js';
import { outboxCounts } from '../src/stores/webhook-outbox.js';
import { addAccount, addOrder, dbTransaction, gamepass, snapshotOf, stepsOf } from './support/run-fixtures.js';
import { buildTestApp, testToken, type TestApp, type TestAppOptions } from './support/test-app.js';

const metricsToken = 'metrics-token-fedcba9876543210';

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The text format's sample lines (`name{a="x",b="y"} value`), comments and blank lines skipped. */
function parseExposition(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+-?\d+)?$/.exec(line);
    if (!match) throw new Error(`not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    const body = match[2] ?? '';
    const label = /\s*([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*(?:,|$)/y;
    let found: RegExpExecArray | null;
    while (label.lastIndex < body.length && (found = label.exec(body))) {
      labels[found[1]!] = found[2]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    }
    if (label.lastIndex !== body.length && body !== '') throw new Error(`bad labels: ${line}`);
    const raw = match[3]!;
    // Like Prometheus (Go's ParseFloat): NaN and Inf in any case; prom-client writes `Nan`.
    const special: Record<string, number> = { nan: NaN, '+inf': Infinity, inf: Infinity, '-inf': -Infinity };
    const value = raw.toLowerCase() in special ? special[raw.toLowerCase()]! : Number(raw);
    if (Number.isNaN(value) && raw.toLowerCase() !== 'nan') throw new Error(`bad value: ${line}`);
    samples.push({ name: match[1]!, labels, value });
  }
  return samples;
}

/** The one sample of `name` whose labels include `labels` (none or several: an error). */
function valueOf(samples: Sample[], name: string, labels: Record<string, string> = {}): number {
  const found = samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  if (found.length !== 1) throw new Error(`${found.length} samples of ${name}${JSON.stringify(labels)}`);
  return found[0]!.value;
}

function sumOf(samples: Sample[], name: string, labels: Record<string, string> = {}): number {
  return samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v)).reduce((sum, s) => sum + s.value, 0);
}

let t: TestApp | undefined;
let metrics = createPromMetrics({ processMetrics: false });

async function app(options: TestAppOptions = {}) {
  metrics = createPromMetrics({ processMetrics: false });
  t = await buildTestApp({ config: { metricsToken }, metrics, ...options });
  return t;
}

afterEach(async () => {
  await t?.engine.stop(200);
  t?.close();
  t = undefined;
});

const scrapeWith = (headers: Record<string, string>) => t!.app.request('http://localhost/metrics', { headers });

/** One order bought by a run that alice's new account triggers; answers the run's id. */
async function oneRun(app: TestApp): Promise<string> {
  await addOrder(app, 'INV-1', gamepass(100));
  return (await addAccount(app, 'alice', 1000)).sessionId;
}

const storedEvents = () => (t!.sqlite.prepare('select count(*) as n from run_events').get() as { n: number }).n;

async function scrape(): Promise<Sample[]> {
  const res = await scrapeWith({ authorization: `Bearer ${metricsToken}` });
  expect(res.status).toBe(200);
  return parseExposition(await res.text());
}

describe('GET /metrics: who may read it', () => {
  it.each([
    ['no credentials', {}],
    ['a wrong bearer token', { authorization: 'Bearer not-a-token' }],
    ['a prefix of the metrics token', { authorization: `Bearer ${metricsToken.slice(0, -1)}` }],
    ['a cookie naming no session', { cookie: `ap_session=${'0'.repeat(64)}` }],
  ])('answers 401 JSON to %s', async (_, headers) => {
    await app();
    const res = await scrapeWith(headers);
    expect(res.status).toBe(401);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect((await res.json()).error.code).toBe('unauthorized');
  });

  it('answers the Prometheus text format to the admin token, the metrics token and the admin session cookie', async () => {
    await app();
    const login = await t!.app.request('http://localhost/api/auth/login', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token: testToken }),
    });
    const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
    const credentials: Record<string, string>[] = [{ authorization: `Bearer ${testToken}` }, { authorization: `Bearer ${metricsToken}` }, { cookie }];
    for (const headers of credentials) {
      const res = await scrapeWith(headers);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
      const samples = parseExposition(await res.text());
      expect(valueOf(samples, 'autopurchase_progress_streams_open')).toBe(0);
    }
  });

  it('the metrics token opens /metrics only: an /api route answers it 401', async () => {
    await app();
    for (const path of ['/api/transactions', '/api/admin/stock-accounts', '/api/auto-purchase/sessions']) {
      const res = await t!.app.request(`http://localhost${path}`, { headers: { authorization: `Bearer ${metricsToken}` } });
      expect(res.status).toBe(401);
    }
    const trigger = await t!.app.request('http://localhost/api/auto-purchase', { method: 'POST', headers: { authorization: `Bearer ${metricsToken}`, 'content-type': 'application/json' }, body: '{}' });
    expect(trigger.status).toBe(401);
  });

  it('without METRICS_TOKEN set, a bearer of any value but the admin token is refused', async () => {
    await app({ config: { metricsToken: undefined } });
    expect((await scrapeWith({ authorization: `Bearer ${metricsToken}` })).status).toBe(401);
    expect((await scrapeWith({ authorization: 'Bearer ' })).status).toBe(401);
    expect((await scrapeWith({ authorization: `Bearer ${testToken}` })).status).toBe(200);
  });

  it('an app built without metrics has no /metrics route', async () => {
    t = await buildTestApp({ config: { metricsToken } });
    const res = await t.app.request('http://localhost/metrics', { headers: { authorization: `Bearer ${testToken}` } });
    expect(res.status).toBe(404);
  });
});

describe('GET /metrics: the series', () => {
  it('every series exists at zero before anything happened', async () => {
    await app();
    const samples = await scrape();
    for (const outcome of ['completed', 'failed']) expect(valueOf(samples, 'autopurchase_runs_total', { outcome })).toBe(0);
    for (const outcome of ['completed', 'unknown', 'not_sent', 'not_for_sale', 'insufficient_funds']) expect(valueOf(samples, 'autopurchase_purchases_total', { outcome })).toBe(0);
    expect(valueOf(samples, 'autopurchase_gateway_call_duration_seconds_count', { call: 'purchase', result: 'ok' })).toBe(0);
    expect(valueOf(samples, 'autopurchase_run_events_appended_total')).toBe(0);
    for (const kind of ['busy', 'full', 'io']) expect(valueOf(samples, 'autopurchase_database_errors_total', { kind })).toBe(0);
    for (const kind of ['events', 'runs']) expect(valueOf(samples, 'autopurchase_cleanup_deleted_total', { kind })).toBe(0);
  });

  it('a run over a few orders: the run, its purchases by outcome, the gateway times and every event appended', async () => {
    await app();
    await addOrder(t!, 'INV-1', gamepass(100));
    await addOrder(t!, 'INV-2', gamepass(200));
    await addOrder(t!, 'INV-3', gamepass(100, '[NOT_FOR_SALE] Pass'));
    await addOrder(t!, 'INV-4', gamepass(100, '[TIMEOUT] Pass'));
    await addOrder(t!, 'INV-5', gamepass(100, '[ALREADY_OWNED] Pass'));
    const { sessionId } = await addAccount(t!, 'alice', 10_000);
    const status = snapshotOf(t!, sessionId).status;
    expect(status).not.toBe('running');

    const samples = await scrape();
    expect(valueOf(samples, 'autopurchase_runs_total', { outcome: status })).toBe(1);
    expect(sumOf(samples, 'autopurchase_runs_total')).toBe(1);
    expect(valueOf(samples, 'autopurchase_purchases_total', { outcome: 'completed' })).toBe(2);
    expect(valueOf(samples, 'autopurchase_purchases_total', { outcome: 'not_for_sale' })).toBe(1);
    expect(valueOf(samples, 'autopurchase_purchases_total', { outcome: 'unknown' })).toBe(1);
    expect(valueOf(samples, 'autopurchase_purchases_total', { outcome: 'already_owned' })).toBe(1);
    expect(sumOf(samples, 'autopurchase_purchases_total')).toBe(5);

    // Each try is one observation: 4 answered purchases, the [TIMEOUT] one's every try an error.
    const attempts = t!.config.gatewayMaxAttempts;
    const histogram = 'autopurchase_gateway_call_duration_seconds';
    expect(valueOf(samples, `${histogram}_count`, { call: 'purchase', result: 'ok' })).toBe(2);
    expect(valueOf(samples, `${histogram}_count`, { call: 'purchase', result: 'refused' })).toBe(2);
    expect(valueOf(samples, `${histogram}_count`, { call: 'purchase', result: 'error' })).toBe(attempts);
    expect(valueOf(samples, `${histogram}_count`, { call: 'account', result: 'ok' })).toBeGreaterThanOrEqual(1);
    expect(valueOf(samples, `${histogram}_bucket`, { call: 'purchase', result: 'ok', le: '+Inf' })).toBe(2);
    expect(valueOf(samples, `${histogram}_sum`, { call: 'purchase', result: 'ok' })).toBeGreaterThan(0);

    // Every stored event of the run was appended by this process, and counted once.
    const stored = storedEvents();
    expect(stored).toBeGreaterThan(5);
    expect(valueOf(samples, 'autopurchase_run_events_appended_total')).toBe(stored);
  });

  it('an open progress stream shows in the gauge, and leaves it when it closes', async () => {
    await app({ concurrent: true, engine: { purchaseDelayMs: 60_000 } });
    await addOrder(t!, 'INV-1', gamepass(100));
    await addOrder(t!, 'INV-2', gamepass(100));
    const { sessionId } = await addAccount(t!, 'alice', 1000);
    const res = await t!.app.request(`http://localhost/api/auto-purchase/progress/${sessionId}/events`, { headers: { authorization: `Bearer ${testToken}` } });
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    expect((await reader.read()).done).toBe(false);
    expect(valueOf(await scrape(), 'autopurchase_progress_streams_open')).toBe(1);

    const second = await t!.app.request(`http://localhost/api/auto-purchase/progress/${sessionId}/events`, { headers: { authorization: `Bearer ${testToken}` } });
    const secondReader = second.body!.getReader();
    await secondReader.read();
    expect(valueOf(await scrape(), 'autopurchase_progress_streams_open')).toBe(2);

    await reader.cancel();
    expect(valueOf(await scrape(), 'autopurchase_progress_streams_open')).toBe(1);
    await secondReader.cancel();
    expect(valueOf(await scrape(), 'autopurchase_progress_streams_open')).toBe(0);
  });

  it("a stream of a run already ended opens and closes at once: the gauge is back at 0", async () => {
    await app();
    const sessionId = await oneRun(t!);
    const res = await t!.app.request(`http://localhost/api/auto-purchase/progress/${sessionId}/events`, { headers: { authorization: `Bearer ${testToken}` } });
    expect(await res.text()).toContain('event: snapshot');
    expect(valueOf(await scrape(), 'autopurchase_progress_streams_open')).toBe(0);
  });

  it('storage faults are counted by kind: a failed commit (full), a held lock (busy), a failing read (io)', async () => {
    await app();
    const original = t!.db.transaction.bind(t!.db);
    let fault: string | undefined = 'SQLITE_FULL';
    (t!.db as { transaction: unknown }).transaction = (change: (tx: unknown) => unknown, config?: unknown) =>
      original((tx) => {
        const result = change(tx);
        if (fault) throw Object.assign(new Error('storage fault'), { code: fault });
        return result;
      }, config as never);

    const full = await t!.api('POST', '/api/transactions', { invoiceId: 'INV-FULL', gamepass: gamepass(100) });
    expect(full.status).toBe(503);
    fault = 'SQLITE_BUSY';
    const busy = await t!.api('POST', '/api/transactions', { invoiceId: 'INV-BUSY', gamepass: gamepass(100) });
    expect(busy.status).toBe(503);
    expect(busy.json.error.code).toBe('database_busy');
    fault = undefined;

    // A read that fails in the driver, outside any write: app.onError counts it.
    const select = t!.db.select.bind(t!.db);
    (t!.db as { select: unknown }).select = () => {
      throw Object.assign(new Error('disk I/O error'), { code: 'SQLITE_IOERR_READ' });
    };
    const read = await t!.api('GET', '/api/transactions');
    (t!.db as { select: unknown }).select = select;
    expect(read.status).toBe(503);

    const samples = await scrape();
    expect(valueOf(samples, 'autopurchase_database_errors_total', { kind: 'full' })).toBe(1);
    expect(valueOf(samples, 'autopurchase_database_errors_total', { kind: 'busy' })).toBe(1);
    expect(valueOf(samples, 'autopurchase_database_errors_total', { kind: 'io' })).toBe(1);
  });

  it("the cleanup job's deletions are counted by kind", async () => {
    await app();
    await oneRun(t!);
    const events = storedEvents();
    expect(events).toBeGreaterThan(0);
    const reports: unknown[] = [];
    const count = cleanupCounter(metrics);
    const stop = startCleanupJob({
      db: t!.db,
      clock: { now: () => Date.parse('2027-06-01T00:00:00Z') },
      logger: createLogger('error', () => undefined),
      intervalMs: 5,
      policy: { progressRetentionMs: 3_600_000, historyRetentionMs: 30 * 86_400_000 },
      onReport: (report) => {
        count(report);
        reports.push(report);
      },
    });
    const deadline = Date.now() + 5_000;
    while (reports.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    stop();
    expect(reports[0]).toEqual({ events, runs: 1 });
    const samples = await scrape();
    expect(valueOf(samples, 'autopurchase_cleanup_deleted_total', { kind: 'events' })).toBe(events);
    expect(valueOf(samples, 'autopurchase_cleanup_deleted_total', { kind: 'runs' })).toBe(1);
  });

  it('webhook deliveries pending and failed are read from the outbox at each scrape', async () => {
    metrics = createPromMetrics({ processMetrics: false, webhookCounts: () => outboxCounts(t!.db) });
    t = await buildTestApp({ config: { metricsToken }, metrics, engine: { notify: true } });
    await oneRun(t);
    let samples = await scrape();
    expect(valueOf(samples, 'autopurchase_webhook_deliveries', { state: 'pending' })).toBe(1);
    expect(valueOf(samples, 'autopurchase_webhook_deliveries', { state: 'failed' })).toBe(0);
    t.sqlite.prepare("update webhook_outbox set status = 'failed'").run();
    samples = await scrape();
    expect(valueOf(samples, 'autopurchase_webhook_deliveries', { state: 'pending' })).toBe(0);
    expect(valueOf(samples, 'autopurchase_webhook_deliveries', { state: 'failed' })).toBe(1);
  });

  it('a run a dead process left running, ended by recovery, counts as failed', async () => {
    await app();
    const now = Date.parse('2026-11-27T12:00:00Z');
    t!.db.transaction((db) => {
      insertRun(db, { sessionId: 'crashed-run', now });
      appendEvents(db, 'crashed-run', [{ type: 'step', data: { currentStep: 'Initializing auto-purchase...' } }], now);
      db.insert(runLease).values({ id: 1, sessionId: 'crashed-run', holder: 'dead-host/1/x', expiresAt: now - 1 }).run();
    });
    t!.advance(60_000);
    expect(await t!.engine.recover()).toMatchObject({ endedRuns: 1 });
    expect(snapshotOf(t!, 'crashed-run').status).toBe('failed');
    const samples = await scrape();
    expect(valueOf(samples, 'autopurchase_runs_total', { outcome: 'failed' })).toBe(1);
    expect(valueOf(samples, 'autopurchase_runs_total', { outcome: 'completed' })).toBe(0);
  });

  it('no secret is in the exposition: not the admin token, the metrics token nor a credential', async () => {
    await app();
    await oneRun(t!);
    const res = await scrapeWith({ authorization: `Bearer ${metricsToken}` });
    const text = await res.text();
    expect(text.length).toBeGreaterThan(500);
    for (const secret of [testToken, metricsToken, 'sandbox:alice', 'alice']) expect(text).not.toContain(secret);
  });

  it("with the default process metrics, prom-client's own series are there too", async () => {
    metrics = createPromMetrics();
    t = await buildTestApp({ config: { metricsToken }, metrics });
    const samples = await scrape();
    expect(samples.some((s) => s.name === 'process_cpu_user_seconds_total')).toBe(true);
    expect(samples.some((s) => s.name === 'nodejs_heap_size_used_bytes')).toBe(true);
  });
});

/** A run a dead process left running with INV-1 `processing` (2 events stored); answers the events stored. */
function crashedRun(app: TestApp, sessionId = 'crashed-run'): number {
  const now = Date.parse('2026-11-27T12:00:00Z');
  const row = dbTransaction(app, 'INV-1');
  app.db.transaction((db) => {
    insertRun(db, { sessionId, now });
    appendEvents(db, sessionId, [
      { type: 'step', data: { currentStep: 'Initializing auto-purchase...' } },
      { type: 'transactions', data: { totalTransactions: 1, transactions: [{ invoiceId: 'INV-1', gamepassName: row.gamepass_name, gamepassPrice: row.gamepass_price, status: 'processing', timestamp: new Date(now).toISOString() }] } },
    ], now);
    db.insert(runLease).values({ id: 1, sessionId, holder: 'dead-host/1/x', expiresAt: now - 1 }).run();
  });
  app.sqlite.prepare("update transactions set status = 'processing', attempts = 1 where invoice_id = 'INV-1'").run();
  return storedEvents();
}

/** A second engine (no metrics) over the test app's database and gateway: a sibling process, or one with hooks of its own. */
function engineOverTestApp(extra: Partial<EngineDeps>) {
  return createAutoPurchase({
    db: t!.db,
    gateway: t!.gateway,
    cipher: t!.cipher,
    clock: { now: () => Date.now() },
    logger: createLogger('silent'),
    options: { purchaseDelayMs: 0, gatewayTimeoutMs: 1000, gatewayMaxAttempts: 1 },
    ...extra,
  });
}

/** Holds every purchase call at the gateway until the returned function is called. */
function holdPurchases(): () => void {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const buy = t!.gateway.buyPass.bind(t!.gateway);
  t!.gateway.buyPass = async (request, options) => {
    await gate;
    return buy(request, options);
  };
  return release;
}

const waitFor = async (what: string, probe: () => boolean, timeoutMs = 10_000) => {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
};

describe('GET /metrics: counted once, by the process that wrote it', () => {
  it('recovery of a crashed run counts exactly the events it appended', async () => {
    await app();
    await addOrder(t!, 'INV-1', gamepass(100));
    const before = crashedRun(t!);
    expect(valueOf(await scrape(), 'autopurchase_run_events_appended_total')).toBe(0);
    t!.advance(60_000);
    expect(await t!.engine.recover()).toMatchObject({ endedRuns: 1 });
    const appended = storedEvents() - before;
    // The row in flight becomes unknown (transaction, summary), then the error step and the end.
    expect(appended).toBe(4);
    const samples = await scrape();
    expect(valueOf(samples, 'autopurchase_run_events_appended_total')).toBe(appended);
    expect(valueOf(samples, 'autopurchase_runs_total', { outcome: 'failed' })).toBe(1);
  });

  it('a dead run ended by a trigger is counted once, beside the run the trigger started', async () => {
    await app();
    await addOrder(t!, 'INV-1', gamepass(100));
    crashedRun(t!);
    t!.advance(60_000);
    const started = await t!.api('POST', '/api/auto-purchase', {});
    expect(started.status).toBe(202);
    expect(snapshotOf(t!, 'crashed-run').status).toBe('failed');
    expect(snapshotOf(t!, started.json.sessionId).status).not.toBe('running');
    const samples = await scrape();
    expect(valueOf(samples, 'autopurchase_runs_total', { outcome: 'failed' })).toBe(1 + (snapshotOf(t!, started.json.sessionId).status === 'failed' ? 1 : 0));
    expect(sumOf(samples, 'autopurchase_runs_total')).toBe(2);
    // Every event either run got after the crash was appended here: the trigger's and the walk's.
    const stored = storedEvents();
    expect(valueOf(samples, 'autopurchase_run_events_appended_total')).toBe(stored - 2);
  });

  it('a walk whose lease was lost (another process ended its run) counts neither the run nor calls its end listener', async () => {
    await app({ concurrent: true });
    const release = holdPurchases();
    await addOrder(t!, 'INV-1', gamepass(100));
    const { sessionId } = await addAccount(t!, 'alice', 1000);
    await waitFor('the purchase to start', () => stepsOf(t!, sessionId).includes('Processing transaction 1/1: INV-1'));
    // A sibling process (no metrics here) takes the run over once the lease looks expired, and ends it.
    t!.sqlite.prepare('update run_lease set expires_at = 0').run();
    const sibling = engineOverTestApp({ holder: 'sibling', holderAlive: () => true });
    await sibling.recover();
    expect(snapshotOf(t!, sessionId).status).toBe('failed');
    release();
    await t!.engine.idle();
    expect(sumOf(await scrape(), 'autopurchase_runs_total')).toBe(0);
  });

  it("a walk whose lease was lost does not call the engine's onRunEnd (the webhook kick); one that ends its run does", async () => {
    await app({ concurrent: true });
    const ended: string[] = [];
    const counted: string[] = [];
    const engine = engineOverTestApp({
      onRunEnd: (overview) => ended.push(overview.sessionId),
      onRunEnded: (outcome) => counted.push(outcome),
    });
    await addAccount(t!, 'alice', 1000);
    await t!.engine.idle();
    const completed = engine.trigger().sessionId;
    await engine.idle();
    expect(ended).toEqual([completed]);
    expect(counted).toEqual(['completed']);

    const release = holdPurchases();
    await addOrder(t!, 'INV-1', gamepass(100));
    const { sessionId } = engine.trigger();
    await waitFor('the purchase to start', () => stepsOf(t!, sessionId).includes('Processing transaction 1/1: INV-1'));
    t!.sqlite.prepare('update run_lease set expires_at = 0').run();
    const sibling = engineOverTestApp({ holder: 'sibling', holderAlive: () => true });
    await sibling.recover();
    release();
    await engine.idle();
    expect(snapshotOf(t!, sessionId).status).toBe('failed');
    expect(ended).toEqual([completed]);
    expect(counted).toEqual(['completed']);
  });

  it('a stream whose opening read fails (503) gives back its gauge and its quota slot', async () => {
    await app({ concurrent: true, engine: { purchaseDelayMs: 60_000 }, config: { metricsToken, maxStreamsPerClient: 2 } });
    await addOrder(t!, 'INV-1', gamepass(100));
    await addOrder(t!, 'INV-2', gamepass(100));
    const { sessionId } = await addAccount(t!, 'alice', 1000);
    const feed = t!.hub.feed;
    const head = feed.head.bind(feed);
    const subscribe = feed.subscribe.bind(feed);
    let failures = 0;
    let armed = true;
    // The route's own reads pass; the stream's first read of the run, as it subscribes, fails on the disk (once).
    feed.subscribe = (id, stored) => {
      const stop = subscribe(id, stored);
      if (armed) {
        armed = false;
        feed.head = (id) => {
          feed.head = head;
          failures++;
          throw Object.assign(new Error('disk I/O error'), { code: 'SQLITE_IOERR_READ' });
        };
      }
      return stop;
    };
    const open = () => t!.app.request(`http://localhost/api/auto-purchase/progress/${sessionId}/events`, { headers: { authorization: `Bearer ${testToken}` } });
    const failed = await open();
    expect(failed.status).toBe(503);
    expect(failures).toBe(1);
    expect(valueOf(await scrape(), 'autopurchase_progress_streams_open')).toBe(0);
    // The credential still opens its two streams.
    const readers = [];
    for (let i = 0; i < 2; i++) {
      const res = await open();
      expect(res.status).toBe(200);
      const reader = res.body!.getReader();
      expect((await reader.read()).done).toBe(false);
      readers.push(reader);
    }
    expect(valueOf(await scrape(), 'autopurchase_progress_streams_open')).toBe(2);
    for (const reader of readers) await reader.cancel();
    expect(valueOf(await scrape(), 'autopurchase_progress_streams_open')).toBe(0);
  });
});

describe('metric helpers', () => {
  it('the engine outcome of a purchase maps to its label', () => {
    expect(purchaseOutcomeOf({ kind: 'answered', result: { success: true } })).toBe('completed');
    expect(purchaseOutcomeOf({ kind: 'answered', result: { success: false, code: 'PRICE_CHANGED', message: 'x' } })).toBe('price_changed');
    expect(purchaseOutcomeOf({ kind: 'no-answer' })).toBe('unknown');
    expect(purchaseOutcomeOf({ kind: 'error', mayHaveBought: true })).toBe('unknown');
    expect(purchaseOutcomeOf({ kind: 'error', mayHaveBought: false })).toBe('not_sent');
  });
});
