// One run at a time (the lease), start-up recovery, reconciliation, retry, and the run API.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runLease } from '../src/db/schema.js';
import { createAutoPurchase } from '../src/engine/auto-purchase.js';
import { emptyRun, foldEvents } from '../src/domain/fold.js';
import { appendEvents } from '../src/stores/run-events.js';
import { headerOf, insertRun, runRow } from '../src/stores/runs.js';
import { addAccount, addOrder, dbAccount, dbTransaction, eventsOf, gamepass, snapshotOf, stepsOf } from './support/run-fixtures.js';
import { buildTestApp, type TestApp } from './support/test-app.js';

/** Leaves the database as a process killed mid-purchase would: a running run, its lease, an order processing. */
function simulateCrash(t: TestApp, invoiceId: string, idempotencyKey: string | undefined, options: { holder?: string; expiresIn?: number } = {}) {
  const now = Date.parse('2026-11-27T12:00:00Z');
  const tx = dbTransaction(t, invoiceId);
  const account = t.sqlite.prepare('select * from stock_accounts limit 1').get() as any;
  const sessionId = 'crashed-run';
  t.db.transaction((db) => {
    insertRun(db, { sessionId, now });
    appendEvents(db, sessionId, [
      { type: 'step', data: { currentStep: 'Initializing auto-purchase...' } },
      { type: 'transactions', data: { totalTransactions: 1, transactions: [{ invoiceId, gamepassName: tx.gamepass_name, gamepassPrice: tx.gamepass_price, status: 'processing', timestamp: new Date(now).toISOString() }] } },
    ], now);
    db.insert(runLease).values({ id: 1, sessionId, holder: options.holder ?? 'dead-host/1/x', expiresAt: now + (options.expiresIn ?? -1) }).run();
  });
  t.sqlite.prepare("update transactions set status = 'processing', attempts = 1 where invoice_id = ?").run(invoiceId);
  if (idempotencyKey) {
    t.sqlite.prepare('update stock_accounts set robux = robux - ? where id = ?').run(tx.gamepass_price, account.id);
    t.sqlite
      .prepare("insert into purchase_attempts (idempotency_key, transaction_id, account_id, account_username, price, outcome, created_at, updated_at) values (?, ?, ?, ?, ?, 'pending', ?, ?)")
      .run(idempotencyKey, tx.id, account.id, account.username, tx.gamepass_price, now, now);
  }
  return { sessionId, account };
}

/** The sandbox saw a buy under `key` and gave no answer: it cannot tell whether it bought (lookup: unknown). */
async function seenUnanswered(t: TestApp, invoiceId: string, key: string) {
  t.gateway.faults.transient(1, { invoiceId });
  await buyInSandbox(t, invoiceId, key).then(
    () => {
      throw new Error('the sandbox answered');
    },
    () => undefined,
  );
}

function buyInSandbox(t: TestApp, invoiceId: string, key: string, credential = 'sandbox:alice:1000') {
  return t.gateway.buyPass({ credential, invoiceId, gamepassId: 1, gamepassName: 'x', price: 100, sellerId: 1, idempotencyKey: key });
}

describe('one run at a time', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await buildTestApp({ concurrent: true });
  });
  afterEach(async () => {
    await t.engine.stop(200);
    t.close();
  });

  it('a trigger during a run answers the same sessionId; a burst starts one run', async () => {
    await addOrder(t, 'INV-1', gamepass(100));
    t.gateway.faults.hang({ invoiceId: 'INV-1' });
    const first = await t.api('POST', '/api/admin/stock-accounts', { robloxCookie: 'sandbox:alice:1000' });
    const burst = await Promise.all(Array.from({ length: 20 }, () => t.api('POST', '/api/auto-purchase', {})));
    expect(new Set(burst.map((r) => r.json.sessionId))).toEqual(new Set([first.json.autoPurchase.sessionId]));
    expect(burst.every((r) => r.status === 202)).toBe(true);
    expect(t.sqlite.prepare('select count(*) as n from runs').get()).toEqual({ n: 1 });
  });

  it('the active run sees an account added during the run for the orders it has not reached', async () => {
    await addOrder(t, 'INV-1', gamepass(100));
    await addOrder(t, 'INV-2', gamepass(800));
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const buy = t.gateway.buyPass.bind(t.gateway);
    t.gateway.buyPass = async (request, options) => {
      if (request.invoiceId === 'INV-1') await gate;
      return buy(request, options);
    };
    const first = await t.api('POST', '/api/admin/stock-accounts', { robloxCookie: 'sandbox:alice:150' });
    const sessionId = first.json.autoPurchase.sessionId;
    while (!stepsOf(t, sessionId).includes('Processing transaction 1/2: INV-1')) await new Promise((r) => setTimeout(r, 5));
    const second = await t.api('POST', '/api/admin/stock-accounts', { robloxCookie: 'sandbox:bob:1000' });
    expect(second.json.autoPurchase.sessionId).toBe(sessionId);
    release();
    await t.engine.idle();
    const snapshot = snapshotOf(t, sessionId);
    expect(snapshot.transactions.map((r) => [r.invoiceId, r.status, r.usedAccount])).toEqual([
      ['INV-1', 'completed', 'alice'],
      ['INV-2', 'completed', 'bob'],
    ]);
    expect(snapshot.stockAccounts.map((a) => [a.username, a.robux])).toEqual([
      ['alice', 50],
      ['bob', 200],
    ]);
  });

  it('a trigger during a run makes it look again before it ends: a retried order and an order it skipped are bought in the same run', async () => {
    await addOrder(t, 'INV-FAIL', gamepass(100, 'Retired [NOT_FOR_SALE]'));
    await addAccount(t, 'alice', 300);
    await t.engine.idle();
    expect(dbTransaction(t, 'INV-FAIL').status).toBe('failed');
    t.sqlite.prepare("update transactions set gamepass_name = 'Back on sale' where invoice_id = 'INV-FAIL'").run();
    await addOrder(t, 'INV-BIG', gamepass(800));
    await addOrder(t, 'INV-LAST', gamepass(100));
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const buy = t.gateway.buyPass.bind(t.gateway);
    t.gateway.buyPass = async (request, options) => {
      if (request.invoiceId === 'INV-LAST') await gate;
      return buy(request, options);
    };
    const sessionId = (await t.api('POST', '/api/auto-purchase', {})).json.sessionId;
    while (!stepsOf(t, sessionId).includes('Processing transaction 2/2: INV-LAST')) await new Promise((r) => setTimeout(r, 5));
    expect(snapshotOf(t, sessionId).transactions[0]).toMatchObject({ invoiceId: 'INV-BIG', status: 'skipped' });
    // During the run: a retry, and an account that covers the order it skipped.
    const retried = await t.api('POST', `/api/transactions/${dbTransaction(t, 'INV-FAIL').id}/retry`);
    expect(retried.json.autoPurchase.sessionId).toBe(sessionId);
    const bob = await t.api('POST', '/api/admin/stock-accounts', { robloxCookie: 'sandbox:bob:1000' });
    expect(bob.json.autoPurchase.sessionId).toBe(sessionId);
    release();
    await t.engine.idle();
    const snapshot = snapshotOf(t, sessionId);
    expect(snapshot.status).toBe('completed');
    expect(snapshot.transactions.map((r) => [r.invoiceId, r.status, r.usedAccount])).toEqual([
      ['INV-BIG', 'completed', 'bob'],
      ['INV-LAST', 'completed', 'alice'],
      ['INV-FAIL', 'completed', 'alice'],
    ]);
    expect(snapshot.summary).toEqual({ totalTransactions: 3, processedCount: 3, skippedCount: 0, failedCount: 0, unknownCount: 0 });
    expect(foldEvents(emptyRun(headerOf(runRow(t.db, sessionId)!)), eventsOf(t, sessionId))).toEqual(snapshot);
    for (const invoice of ['INV-BIG', 'INV-LAST', 'INV-FAIL']) expect(t.gateway.purchaseCount(invoice)).toBe(1);
  });

  it('DELETE of an account the active run is buying with answers 409', async () => {
    await addOrder(t, 'INV-1', gamepass(100));
    t.gateway.faults.hang({ invoiceId: 'INV-1' });
    const res = await t.api('POST', '/api/admin/stock-accounts', { robloxCookie: 'sandbox:alice:1000' });
    const id = res.json.stockAccount.id;
    while (!t.sqlite.prepare("select 1 from purchase_attempts where outcome = 'pending'").get()) await new Promise((r) => setTimeout(r, 5));
    const del = await t.api('DELETE', `/api/admin/stock-accounts/${id}`);
    expect(del.status).toBe(409);
    expect(del.json.error.code).toBe('account_in_use');
    expect(dbAccount(t, 'alice')).toBeDefined();
  });

  it('a run whose holder died is taken over after its lease expires, and ended "Interrupted by restart"', async () => {
    await addAccount(t, 'alice', 1000);
    await t.engine.idle();
    await addOrder(t, 'INV-1', gamepass(100));
    await buyInSandbox(t, 'INV-1', 'key-of-dead-walker');
    // A live-looking holder whose lease has not expired: the trigger must not start a second walk.
    const live = simulateCrash(t, 'INV-1', 'key-of-dead-walker', { holder: 'other-host/1/x', expiresIn: 60_000 });
    const during = await t.api('POST', '/api/auto-purchase', {});
    expect(during.json.sessionId).toBe(live.sessionId);
    t.advance(61_000);
    const after = await t.api('POST', '/api/auto-purchase', {});
    expect(after.json.sessionId).not.toBe(live.sessionId);
    await t.engine.idle();
    expect(snapshotOf(t, live.sessionId)).toMatchObject({ status: 'failed', currentStep: 'Error occurred', error: 'Interrupted by restart' });
    expect(snapshotOf(t, live.sessionId).transactions[0]!.status).toBe('unknown');
    expect(stepsOf(t, after.json.sessionId)).toContain('Reconciling 1 unknown purchases...');
    expect(dbTransaction(t, 'INV-1')).toMatchObject({ status: 'completed', used_account: 'alice' });
    expect(t.gateway.purchaseCount('INV-1')).toBe(1);
  });
});

describe('start-up recovery and reconciliation', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await buildTestApp();
    await addAccount(t, 'alice', 1000);
    await addOrder(t, 'INV-1', gamepass(100));
  });
  afterEach(() => t.close());

  const restart = () => createAutoPurchase({ db: t.db, gateway: t.gateway, cipher: t.cipher, clock: { now: () => Date.parse('2026-11-27T12:10:00Z') }, logger: { debug() {}, info() {}, warn() {}, error() {} }, options: { purchaseDelayMs: 0, gatewayTimeoutMs: 50, gatewayMaxAttempts: 1 } });

  it('a purchase the gateway completed before the crash ends completed, bought once', async () => {
    await buyInSandbox(t, 'INV-1', 'k1');
    const { sessionId } = simulateCrash(t, 'INV-1', 'k1');
    expect(await restart().recover()).toEqual({ endedRuns: 1, reconciled: 1 });
    expect(snapshotOf(t, sessionId)).toMatchObject({ status: 'failed', error: 'Interrupted by restart' });
    expect(dbTransaction(t, 'INV-1')).toMatchObject({ status: 'completed', used_account: 'alice' });
    expect(dbAccount(t, 'alice').robux).toBe(900);
    expect(t.gateway.purchaseCount('INV-1')).toBe(1);
    expect(t.sqlite.prepare('select outcome from purchase_attempts').all()).toEqual([{ outcome: 'completed' }]);
    expect(t.sqlite.prepare('select count(*) as n from run_lease').get()).toEqual({ n: 0 });
  });

  it('a purchase the gateway refused goes back to pending, its balance given back', async () => {
    t.gateway.faults.refuse('NOT_FOR_SALE', { invoiceId: 'INV-1' });
    await buyInSandbox(t, 'INV-1', 'k1');
    simulateCrash(t, 'INV-1', 'k1');
    await restart().recover();
    expect(dbTransaction(t, 'INV-1').status).toBe('pending');
    expect(dbAccount(t, 'alice').robux).toBe(1000);
  });

  it('a purchase the gateway cannot tell about becomes unknown; one never sent goes back to pending', async () => {
    await seenUnanswered(t, 'INV-1', 'unanswered-key');
    simulateCrash(t, 'INV-1', 'unanswered-key');
    await restart().recover();
    expect(dbTransaction(t, 'INV-1').status).toBe('unknown');

    await addOrder(t, 'INV-2', gamepass(100));
    t.sqlite.prepare("update transactions set status = 'processing' where invoice_id = 'INV-2'").run();
    await restart().recover();
    expect(dbTransaction(t, 'INV-2').status).toBe('pending');
  });

  it('a late answer to a stale reconciliation changes nothing: bought once, refunded once', async () => {
    t.gateway.faults.refuse('NOT_FOR_SALE', { invoiceId: 'INV-1' });
    await buyInSandbox(t, 'INV-1', 'k1');
    simulateCrash(t, 'INV-1', 'k1');
    const gated = <A extends unknown[], R>(fn: (...args: A) => Promise<R>) => {
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      let first = true;
      const wrapped = async (...args: A) => {
        if (first) {
          first = false;
          await gate;
        }
        return fn(...args);
      };
      return { wrapped, release };
    };
    // The restart's lookup of k1 is slow; meanwhile a run reconciles k1 and starts buying under k2.
    const lookup = gated(t.gateway.lookupPurchase.bind(t.gateway));
    t.gateway.lookupPurchase = lookup.wrapped;
    const recovering = restart().recover();
    await new Promise((r) => setTimeout(r, 10));
    const buy = gated(t.gateway.buyPass.bind(t.gateway));
    t.gateway.buyPass = buy.wrapped;
    t.engine.trigger();
    while (!t.sqlite.prepare("select 1 from purchase_attempts where outcome = 'pending' and idempotency_key != 'k1'").get()) {
      await new Promise((r) => setTimeout(r, 5));
    }
    // The restart's late "k1 failed" arrives while k2 is in flight.
    lookup.release();
    await recovering;
    buy.release();
    await t.engine.idle();
    expect(dbTransaction(t, 'INV-1').status).toBe('completed');
    expect(dbAccount(t, 'alice').robux).toBe(900);
    await t.api('POST', '/api/auto-purchase', {});
    expect(t.gateway.purchaseCount('INV-1')).toBe(1);
  });

  it('recovery leaves a live holder alone', async () => {
    const { sessionId } = simulateCrash(t, 'INV-1', 'k1', { holder: 'other-host/1/x', expiresIn: 60 * 60_000 });
    expect(await restart().recover()).toEqual({ endedRuns: 0, reconciled: 0 });
    expect(snapshotOf(t, sessionId).status).toBe('running');
    expect(dbTransaction(t, 'INV-1').status).toBe('processing');
  });

  it('POST /reconcile settles an unknown order by its key; other statuses answer 409', async () => {
    await seenUnanswered(t, 'INV-1', 'k1');
    simulateCrash(t, 'INV-1', 'k1');
    await restart().recover();
    const id = dbTransaction(t, 'INV-1').id;
    expect(dbTransaction(t, 'INV-1').status).toBe('unknown');
    const still = await t.api('POST', `/api/transactions/${id}/reconcile`);
    expect(still.status).toBe(200);
    expect(still.json.transaction.status).toBe('unknown');
    await buyInSandbox(t, 'INV-1', 'k1');
    const settled = await t.api('POST', `/api/transactions/${id}/reconcile`);
    expect(settled.json.transaction).toMatchObject({ status: 'completed', usedAccount: 'alice' });
    expect((await t.api('POST', `/api/transactions/${id}/reconcile`)).status).toBe(409);
    expect((await t.api('POST', '/api/transactions/99999/reconcile')).status).toBe(404);
    expect((await t.api('POST', '/api/transactions/abc/reconcile')).status).toBe(404);
  });

  it('unknown orders are reconciled at the start of each run, then bought if they did not go through', async () => {
    await seenUnanswered(t, 'INV-1', 'k1');
    simulateCrash(t, 'INV-1', 'k1');
    await restart().recover();
    t.gateway.faults.refuse('NOT_FOR_SALE', { invoiceId: 'INV-1' });
    await buyInSandbox(t, 'INV-1', 'k1');
    const res = await t.api('POST', '/api/auto-purchase', {});
    expect(stepsOf(t, res.json.sessionId).slice(0, 4)).toEqual([
      'Initializing auto-purchase...',
      'Checking available stock accounts...',
      'Reconciling 1 unknown purchases...',
      'Fetching pending transactions...',
    ]);
    expect(snapshotOf(t, res.json.sessionId).transactions[0]).toMatchObject({ invoiceId: 'INV-1', status: 'completed' });
    expect(t.gateway.purchaseCount('INV-1')).toBe(1);
  });
});

describe('the run API', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await buildTestApp();
  });
  afterEach(() => t.close());

  it('POST /api/transactions/:id/retry puts a failed order back and starts a run; otherwise 409', async () => {
    await addOrder(t, 'INV-1', gamepass(100, 'Retired [NOT_FOR_SALE]'));
    await addAccount(t, 'alice', 1000);
    const id = dbTransaction(t, 'INV-1').id;
    expect(dbTransaction(t, 'INV-1').status).toBe('failed');
    t.sqlite.prepare("update transactions set gamepass_name = 'Back on sale' where id = ?").run(id);
    const res = await t.api('POST', `/api/transactions/${id}/retry`);
    expect(res.status).toBe(202);
    expect(res.json.transaction).toMatchObject({ invoiceId: 'INV-1', status: 'pending', error: null });
    expect(snapshotOf(t, res.json.autoPurchase.sessionId).transactions[0]).toMatchObject({ status: 'completed' });
    const again = await t.api('POST', `/api/transactions/${id}/retry`);
    expect(again.status).toBe(409);
    expect(again.json.error.code).toBe('not_failed');
  });

  it('POST /api/auto-purchase: 202 with a trigger account, 404 for an unknown one, 400 for bad bodies', async () => {
    const { account } = await addAccount(t, 'alice', 10);
    const res = await t.api('POST', '/api/auto-purchase', { stockAccountId: account.id });
    expect(res.status).toBe(202);
    expect(snapshotOf(t, res.json.sessionId).triggeredBy).toEqual({ stockAccountId: account.id, stockAccountName: 'alice' });
    expect((await t.api('POST', '/api/auto-purchase', { stockAccountId: 'nope' })).status).toBe(404);
    expect((await t.api('POST', '/api/auto-purchase', { stockAccountId: 5 })).status).toBe(400);
    expect((await t.api('POST', '/api/auto-purchase', { other: 1 })).status).toBe(400);
    const bare = await t.app.request('/api/auto-purchase', { method: 'POST', headers: { authorization: 'Bearer test-admin-token-0123456789abcdef' } });
    expect(bare.status).toBe(202);
  });

  it('GET …/progress/:sessionId answers the snapshot, 404 for an unknown run', async () => {
    await addOrder(t, 'INV-1');
    const { sessionId } = await addAccount(t, 'alice', 1000);
    const res = await t.api('GET', `/api/auto-purchase/progress/${sessionId}`);
    expect(res.status).toBe(200);
    expect(res.json).toEqual(snapshotOf(t, sessionId));
    expect(Object.keys(res.json).sort()).toEqual(
      ['sessionId', 'status', 'currentStep', 'triggeredBy', 'stockAccounts', 'transactions', 'summary', 'startTime', 'endTime', 'createdAt'].sort(),
    );
    expect((await t.api('GET', '/api/auto-purchase/progress/nope')).status).toBe(404);
  });

  it('GET /api/auto-purchase/sessions: newest first, filters, paging, 400 for bad values', async () => {
    const alice = await addAccount(t, 'alice', 10);
    t.advance(86_400_000);
    const bob = await addAccount(t, 'bob', 10);
    t.advance(86_400_000);
    const manual = (await t.api('POST', '/api/auto-purchase', {})).json.sessionId;
    const all = await t.api('GET', '/api/auto-purchase/sessions');
    expect(all.json.sessions.map((s: any) => s.sessionId)).toEqual([manual, bob.sessionId, alice.sessionId]);
    expect(all.json.sessions[0]).not.toHaveProperty('transactions');
    expect(all.json.sessions[1]).toMatchObject({ status: 'completed', triggeredBy: { stockAccountName: 'bob' }, summary: { totalTransactions: 0 } });

    const page1 = await t.api('GET', '/api/auto-purchase/sessions?limit=2');
    expect(page1.json.sessions).toHaveLength(2);
    const page2 = await t.api('GET', `/api/auto-purchase/sessions?limit=2&cursor=${page1.json.nextCursor}`);
    expect(page2.json.sessions.map((s: any) => s.sessionId)).toEqual([alice.sessionId]);
    expect(page2.json.nextCursor).toBeUndefined();

    const byAccount = await t.api('GET', `/api/auto-purchase/sessions?stockAccountId=${bob.account.id}`);
    expect(byAccount.json.sessions.map((s: any) => s.sessionId)).toEqual([bob.sessionId]);
    const byDay = await t.api('GET', '/api/auto-purchase/sessions?from=2026-11-28&to=2026-11-28');
    expect(byDay.json.sessions.map((s: any) => s.sessionId)).toEqual([bob.sessionId]);
    expect((await t.api('GET', '/api/auto-purchase/sessions?status=failed')).json.sessions).toEqual([]);

    for (const query of ['status=done', 'from=yesterday', 'to=2026-13-45', 'limit=500', 'cursor=zzz', 'colour=red']) {
      const res = await t.api('GET', `/api/auto-purchase/sessions?${query}`);
      expect(res.status, query).toBe(400);
    }
  });
});
