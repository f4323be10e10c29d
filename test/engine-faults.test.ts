// The engine under storage faults, shutdown and lost leases (SPEC §11), in one process: a commit
// that fails after the gateway bought, a 503 that stores nothing, a `not_found` lookup after the
// attempt's window, a shutdown with a purchase in flight, and a run ended by a sibling process.
import { sql } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { lastWriteFault } from '../src/db/write.js';
import { emptyRun, foldEvents } from '../src/domain/fold.js';
import { createAutoPurchase } from '../src/engine/auto-purchase.js';
import { endedByAnotherProcess, interruptedByShutdown } from '../src/engine/run-messages.js';
import { attemptWindowMs } from '../src/engine/reconcile.js';
import { headerOf, runRow } from '../src/stores/runs.js';
import { GatewayTransientError } from '../src/gateway/gateway.js';
import { addAccount, addOrder, dbAccount, dbTransaction, eventsOf, gamepass, snapshotOf, stepsOf } from './support/run-fixtures.js';
import { buildTestApp, type TestApp } from './support/test-app.js';

const diskFull = () => Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });

/**
 * Makes commits fail like a full disk: the change runs, then the transaction fails and rolls back.
 * `when` picks the commits (default: all) until `failures` of them failed.
 */
function failCommits(t: TestApp, failures: number, when: (tx: TestApp['db']) => boolean = () => true) {
  const original = t.db.transaction.bind(t.db);
  const state = { left: failures, failed: 0 };
  (t.db as { transaction: unknown }).transaction = (change: (tx: unknown) => unknown, config?: unknown) =>
    original((tx) => {
      const result = change(tx);
      if (state.left > 0 && when(tx as unknown as TestApp['db'])) {
        state.left--;
        state.failed++;
        throw diskFull();
      }
      return result;
    }, config as never);
  return state;
}

const waitFor = async (what: string, probe: () => boolean, timeoutMs = 10_000) => {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
};

/** A fresh app per test, its engine stopped and database closed after it. */
function useTestApp(set: (t: TestApp) => void) {
  let t: TestApp;
  beforeEach(async () => set((t = await buildTestApp())));
  afterEach(async () => {
    await t.engine.stop(200);
    t.close();
  });
}

describe('storage faults', () => {
  let t: TestApp;
  useTestApp((app) => (t = app));

  it('a failed commit answers 503 database_unavailable and stores nothing; /healthz is 503 until a write succeeds again', async () => {
    const state = failCommits(t, Number.MAX_SAFE_INTEGER);
    const res = await t.api('POST', '/api/transactions', { invoiceId: 'INV-FULL', gamepass: gamepass(100) });
    expect(res.status).toBe(503);
    expect(res.json.error.code).toBe('database_unavailable');
    expect(res.headers.get('retry-after')).toBeTruthy();
    expect(t.sqlite.prepare("select count(*) as n from transactions where invoice_id = 'INV-FULL'").get()).toEqual({ n: 0 });
    expect(lastWriteFault(t.db)).toBe('full');

    // Reads are still served; health says the database cannot be written.
    expect((await t.api('GET', '/api/transactions')).status).toBe(200);
    const unhealthy = await t.app.request('/healthz');
    expect(unhealthy.status).toBe(503);
    expect(((await unhealthy.json()) as { error: { code: string } }).error.code).toBe('database_unavailable');

    state.left = 0;
    expect((await t.app.request('/healthz')).status).toBe(200);
    expect(lastWriteFault(t.db)).toBeUndefined();
    expect((await t.api('POST', '/api/transactions', { invoiceId: 'INV-FULL', gamepass: gamepass(100) })).status).toBe(201);
  });

  it('a commit that fails after the gateway bought pauses the run; it resumes, buys each order once and counts each once', async () => {
    await addOrder(t, 'INV-1', gamepass(100));
    await addOrder(t, 'INV-2', gamepass(100));
    await addOrder(t, 'INV-3', gamepass(100));
    // The commit recording INV-2's purchase fails twice, as on a full disk, after the gateway bought it.
    const state = failCommits(
      t,
      2,
      (tx) => (tx.get(sql`select status from transactions where invoice_id = 'INV-2'`) as { status: string } | undefined)?.status === 'completed',
    );
    const { sessionId } = await addAccount(t, 'alice', 1000);
    await t.engine.idle();

    expect(state.failed).toBe(2);
    const snapshot = snapshotOf(t, sessionId);
    expect(snapshot.status).toBe('completed');
    expect(snapshot.transactions.map((x) => [x.invoiceId, x.status])).toEqual([
      ['INV-1', 'completed'],
      ['INV-2', 'completed'],
      ['INV-3', 'completed'],
    ]);
    expect(snapshot.summary).toEqual({ totalTransactions: 3, processedCount: 3, skippedCount: 0, failedCount: 0, unknownCount: 0 });
    expect(snapshot.stockAccounts).toEqual([expect.objectContaining({ username: 'alice', robux: 700 })]);
    for (const invoice of ['INV-1', 'INV-2', 'INV-3']) expect(t.gateway.purchaseCount(invoice)).toBe(1);
    expect(dbAccount(t, 'alice').robux).toBe(700);
    expect(foldEvents(emptyRun(headerOf(runRow(t.db, sessionId)!)), eventsOf(t, sessionId))).toEqual(snapshot);
    expect(t.log.some((line) => /database is full \(disk\); the run waits and tries again/.test(line))).toBe(true);
  }, 20_000);
});

describe('an unknown order the gateway never saw (SPEC §11)', () => {
  let t: TestApp;
  useTestApp((app) => (t = app));

  /** An order left unknown by requests that never reached the gateway (connection refused every try). */
  async function unknownNeverSeen() {
    const buy = t.gateway.buyPass.bind(t.gateway);
    t.gateway.buyPass = async () => {
      throw new GatewayTransientError('connect ECONNREFUSED');
    };
    await addOrder(t, 'INV-1', gamepass(100));
    const { account } = await addAccount(t, 'alice', 1000);
    expect(dbTransaction(t, 'INV-1').status).toBe('unknown');
    expect(dbAccount(t, 'alice').robux).toBe(900);
    t.gateway.buyPass = buy;
    return account;
  }

  it('stays unknown while a try could still arrive; after the window, reconcile settles it as not bought and gives the robux back', async () => {
    await unknownNeverSeen();
    const id = dbTransaction(t, 'INV-1').id;
    const early = await t.api('POST', `/api/transactions/${id}/reconcile`);
    expect(early.json.transaction.status).toBe('unknown');
    expect(dbAccount(t, 'alice').robux).toBe(900);

    t.advance(attemptWindowMs({ timeoutMs: t.config.gatewayTimeoutMs, maxAttempts: t.config.gatewayMaxAttempts, maxBackoffMs: 5, maxRetryAfterMs: 5 }));
    const late = await t.api('POST', `/api/transactions/${id}/reconcile`);
    expect(late.status).toBe(200);
    expect(late.json.transaction.status).toBe('pending');
    expect(dbAccount(t, 'alice').robux).toBe(1000);
    const attempt = t.sqlite.prepare('select outcome, error from purchase_attempts where transaction_id = ?').get(id) as { outcome: string; error: string };
    expect(attempt).toEqual({ outcome: 'failed', error: 'The gateway never received this purchase; it went back to pending' });
    expect(t.gateway.purchaseCount('INV-1')).toBe(0);
  });

  it('the next run after the window settles it by itself and buys it, once', async () => {
    await unknownNeverSeen();
    t.advance(10 * 60_000);
    const res = await t.api('POST', '/api/auto-purchase', {});
    const snapshot = snapshotOf(t, res.json.sessionId);
    expect(stepsOf(t, res.json.sessionId)).toContain('Reconciling 1 unknown purchases...');
    expect(snapshot.transactions).toEqual([expect.objectContaining({ invoiceId: 'INV-1', status: 'completed', usedAccount: 'alice' })]);
    expect(t.gateway.purchaseCount('INV-1')).toBe(1);
    expect(dbAccount(t, 'alice').robux).toBe(900);
  });
});

describe('shutdown keeps its promise', () => {
  it('no retry starts once stopping: the try in flight times out, the order is unknown, the run ends "Interrupted by shutdown"', async () => {
    const t = await buildTestApp({ concurrent: true, engine: { gatewayTimeoutMs: 300, gatewayMaxAttempts: 5 } });
    try {
      await addOrder(t, 'INV-1', gamepass(100));
      await addOrder(t, 'INV-2', gamepass(100));
      t.gateway.faults.hang({ invoiceId: 'INV-1', times: 5 });
      const { sessionId } = await addAccount(t, 'alice', 1000);
      await waitFor('the purchase to be in flight', () => t.gateway.calls() === 1);
      const started = Date.now();
      await t.engine.stop();
      expect(Date.now() - started).toBeLessThan(2_000);
      expect(t.gateway.calls()).toBe(1);
      const snapshot = snapshotOf(t, sessionId);
      expect(snapshot).toMatchObject({ status: 'failed', error: interruptedByShutdown });
      expect(snapshot.transactions.map((x) => x.status)).toEqual(['unknown', 'pending']);
      expect(dbTransaction(t, 'INV-1').status).toBe('unknown');
      expect(dbTransaction(t, 'INV-2').status).toBe('pending');
      expect(t.sqlite.prepare('select count(*) as n from run_lease').get()).toEqual({ n: 0 });
    } finally {
      t.close();
    }
  });

  it('past the budget, a walk still waiting is ended by the engine: the purchase left unknown for reconciliation, the lease released', async () => {
    const t = await buildTestApp({ concurrent: true, engine: { gatewayTimeoutMs: 60_000 } });
    try {
      await addOrder(t, 'INV-1', gamepass(100));
      t.gateway.faults.hang({ invoiceId: 'INV-1' });
      const { sessionId } = await addAccount(t, 'alice', 1000);
      await waitFor('the purchase to be in flight', () => t.gateway.calls() === 1);
      await t.engine.stop(100);
      const snapshot = snapshotOf(t, sessionId);
      expect(snapshot).toMatchObject({ status: 'failed', error: interruptedByShutdown, currentStep: 'Error occurred' });
      expect(snapshot.transactions[0]).toMatchObject({ invoiceId: 'INV-1', status: 'unknown' });
      expect(dbTransaction(t, 'INV-1').status).toBe('unknown');
      expect(t.sqlite.prepare('select outcome from purchase_attempts').get()).toEqual({ outcome: 'unknown' });
      expect(t.sqlite.prepare('select count(*) as n from run_lease').get()).toEqual({ n: 0 });
      expect(eventsOf(t, sessionId).at(-1)?.type).toBe('end');
      expect(foldEvents(emptyRun(headerOf(runRow(t.db, sessionId)!)), eventsOf(t, sessionId))).toEqual(snapshot);
    } finally {
      t.close();
    }
  });
});

describe('a walker paused past its lease', () => {
  let t: TestApp;
  let release: () => void;
  beforeEach(async () => {
    t = await buildTestApp({ concurrent: true });
    const gate = new Promise<void>((resolve) => (release = resolve));
    const buy = t.gateway.buyPass.bind(t.gateway);
    t.gateway.buyPass = async (request, options) => {
      await gate;
      return buy(request, options);
    };
  });
  afterEach(async () => {
    release();
    await t.engine.stop(200);
    t.close();
  });

  it('is not ended by its own process: the run goes on when it wakes', async () => {
    await addOrder(t, 'INV-1', gamepass(100));
    const { sessionId } = await addAccount(t, 'alice', 1000);
    await waitFor('the purchase to start', () => stepsOf(t, sessionId).includes('Processing transaction 1/1: INV-1'));
    t.sqlite.prepare('update run_lease set expires_at = 0').run();
    expect(await t.engine.recover()).toEqual({ endedRuns: 0, reconciled: 0 });
    release();
    await t.engine.idle();
    expect(snapshotOf(t, sessionId).status).toBe('completed');
    expect(t.gateway.purchaseCount('INV-1')).toBe(1);
  });

  it('ended by a live sibling process says so, not "Interrupted by restart"', async () => {
    await addOrder(t, 'INV-1', gamepass(100));
    const { sessionId } = await addAccount(t, 'alice', 1000);
    await waitFor('the purchase to start', () => stepsOf(t, sessionId).includes('Processing transaction 1/1: INV-1'));
    t.sqlite.prepare('update run_lease set expires_at = 0').run();
    const sibling = createAutoPurchase({
      db: t.db,
      gateway: t.gateway,
      cipher: t.cipher,
      clock: { now: () => Date.now() },
      logger: { debug() {}, info() {}, warn() {}, error() {} } as never,
      options: { purchaseDelayMs: 0, gatewayTimeoutMs: 1000, gatewayMaxAttempts: 1 },
      holder: 'sibling',
      holderAlive: () => true,
    });
    await sibling.recover();
    const snapshot = snapshotOf(t, sessionId);
    expect(snapshot).toMatchObject({ status: 'failed', error: endedByAnotherProcess });
    expect(snapshot.transactions[0]).toMatchObject({ status: 'unknown', error: endedByAnotherProcess });
  });
});
