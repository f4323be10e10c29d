// The run walk of SPEC §3, word for word, through the API and the sandbox gateway.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { emptyRun, foldEvents } from '../src/domain/fold.js';
import { headerOf, runRow } from '../src/stores/runs.js';
import { GatewayTransientError } from '../src/gateway/gateway.js';
import { addAccount, addOrder, dbAccount, dbTransaction, eventsOf, gamepass, snapshotOf, stepsOf } from './support/run-fixtures.js';
import { buildTestApp, type TestApp } from './support/test-app.js';

describe('a run, step by step', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await buildTestApp();
  });
  afterEach(() => t.close());

  it('walks the pending orders oldest first with the exact steps, statuses and summary', async () => {
    await addOrder(t, 'INV-1', gamepass(100, 'VIP'));
    await addOrder(t, 'INV-2', gamepass(250, 'Coins'));
    await addOrder(t, 'INV-3', { name: 'Broken', price: 10 });
    await addOrder(t, 'INV-4', gamepass(5000, 'Huge'));
    const { sessionId, account } = await addAccount(t, 'alice', 1000);

    expect(stepsOf(t, sessionId)).toEqual([
      'Initializing auto-purchase...',
      'Checking available stock accounts...',
      'Fetching pending transactions...',
      'Processing transaction 1/4: INV-1',
      'Processing transaction 2/4: INV-2',
      'Processing transaction 3/4: INV-3',
      'Processing transaction 4/4: INV-4',
      'Auto-purchase completed',
    ]);
    const snapshot = snapshotOf(t, sessionId);
    expect(snapshot).toMatchObject({
      sessionId,
      status: 'completed',
      currentStep: 'Auto-purchase completed',
      triggeredBy: { stockAccountId: account.id, stockAccountName: 'alice' },
      stockAccounts: [{ id: account.id, username: 'alice', robux: 650, status: 'active' }],
      summary: { totalTransactions: 4, processedCount: 2, skippedCount: 1, failedCount: 1, unknownCount: 0 },
    });
    expect(snapshot.endTime).toEqual(expect.any(String));
    expect(snapshot.error).toBeUndefined();
    expect(snapshot.transactions.map((x) => [x.invoiceId, x.gamepassName, x.gamepassPrice, x.status, x.usedAccount, x.error])).toEqual([
      ['INV-1', 'VIP', 100, 'completed', 'alice', undefined],
      ['INV-2', 'Coins', 250, 'completed', 'alice', undefined],
      ['INV-3', 'Broken', 10, 'failed', undefined, 'Missing gamepass data'],
      ['INV-4', 'Huge', 5000, 'skipped', undefined, 'No active stock account has enough robux for this game pass'],
    ]);

    expect(dbTransaction(t, 'INV-1')).toMatchObject({ status: 'completed', used_account: 'alice', attempts: 1 });
    expect(dbTransaction(t, 'INV-1').completed_at).toEqual(expect.any(Number));
    expect(dbTransaction(t, 'INV-3')).toMatchObject({ status: 'failed', error: 'Missing gamepass data', attempts: 0 });
    expect(dbTransaction(t, 'INV-4')).toMatchObject({ status: 'pending', attempts: 0 });
    expect(dbAccount(t, 'alice').robux).toBe(650);
    expect(t.gateway.balanceOf(account.userId)).toBe(650);
    expect(t.gateway.purchases().map((p) => p.invoiceId)).toEqual(['INV-1', 'INV-2']);
  });

  it('numbers events from 1 without gaps, and they fold to the stored snapshot', async () => {
    await addOrder(t, 'INV-1');
    await addOrder(t, 'INV-2');
    const { sessionId } = await addAccount(t, 'alice', 1000);
    const events = eventsOf(t, sessionId);
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    expect(events.at(-1)!.type).toBe('end');
    expect(runRow(t.db, sessionId)!.lastSeq).toBe(events.length);
    const header = headerOf(runRow(t.db, sessionId)!);
    expect(foldEvents(emptyRun(header), events)).toEqual(snapshotOf(t, sessionId));
  });

  it('with no pending orders refreshes every active balance and says so', async () => {
    await addAccount(t, 'alice', 100);
    await addAccount(t, 'bob', 200);
    // Spend in the sandbox behind the shop's back: the refresh must see it.
    const spent = await t.gateway.buyPass({
      credential: 'sandbox:alice:100',
      invoiceId: 'ELSEWHERE',
      gamepassId: 1,
      gamepassName: 'x',
      price: 30,
      sellerId: 1,
      idempotencyKey: 'outside-the-shop',
    });
    expect(spent.success).toBe(true);
    const res = await t.api('POST', '/api/auto-purchase', {});
    expect(res.status).toBe(202);
    expect(stepsOf(t, res.json.sessionId)).toEqual([
      'Initializing auto-purchase...',
      'Checking available stock accounts...',
      'Fetching pending transactions...',
      'No pending transactions. Updated 2 stock accounts.',
    ]);
    const snapshot = snapshotOf(t, res.json.sessionId);
    expect(snapshot.status).toBe('completed');
    expect(snapshot.currentStep).toBe('No pending transactions. Updated 2 stock accounts.');
    expect(snapshot.triggeredBy).toBeUndefined();
    expect(snapshot.summary.totalTransactions).toBe(0);
    expect(snapshot.stockAccounts.map((a) => [a.username, a.robux])).toEqual([
      ['alice', 70],
      ['bob', 200],
    ]);
    expect(dbAccount(t, 'alice').robux).toBe(70);
  });

  it('chooses the active account with the least balance that still covers the price', async () => {
    await addAccount(t, 'small', 100);
    await addAccount(t, 'middle', 500);
    await addAccount(t, 'large', 1000);
    await t.api('PUT', `/api/admin/stock-accounts/${dbAccount(t, 'middle').id}`, { status: 'inactive' });
    await addOrder(t, 'INV-300', gamepass(300));
    await addOrder(t, 'INV-80', gamepass(80));
    const res = await t.api('POST', '/api/auto-purchase', {});
    const rows = snapshotOf(t, res.json.sessionId).transactions;
    expect(rows.map((r) => [r.invoiceId, r.usedAccount])).toEqual([
      ['INV-300', 'large'],
      ['INV-80', 'small'],
    ]);
    expect([dbAccount(t, 'small').robux, dbAccount(t, 'middle').robux, dbAccount(t, 'large').robux]).toEqual([20, 500, 700]);
  });

  it('the trigger answers at once; the walk runs in the background', async () => {
    const slow = await buildTestApp({ concurrent: true });
    try {
      await addOrder(slow, 'INV-1');
      slow.gateway.faults.hang({ invoiceId: 'INV-1' });
      const res = await slow.api('POST', '/api/admin/stock-accounts', { robloxCookie: 'sandbox:alice:500' });
      expect(res.status).toBe(201);
      expect(snapshotOf(slow, res.json.autoPurchase.sessionId).status).toBe('running');
    } finally {
      await slow.engine.stop(100);
      slow.close();
    }
  });

  it('waits PURCHASE_DELAY_MS between purchases with the waiting step', async () => {
    const delayed = await buildTestApp({ engine: { purchaseDelayMs: 20 } });
    try {
      await addOrder(delayed, 'INV-1');
      await addOrder(delayed, 'INV-2');
      await addOrder(delayed, 'INV-3');
      const { sessionId } = await addAccount(delayed, 'alice', 1000);
      expect(stepsOf(delayed, sessionId)).toEqual([
        'Initializing auto-purchase...',
        'Checking available stock accounts...',
        'Fetching pending transactions...',
        'Processing transaction 1/3: INV-1',
        'Waiting before next purchase... (1/3 completed)',
        'Processing transaction 2/3: INV-2',
        'Waiting before next purchase... (2/3 completed)',
        'Processing transaction 3/3: INV-3',
        'Auto-purchase completed',
      ]);
    } finally {
      delayed.close();
    }
  });
});

describe('refusals and failures (SPEC §6)', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await buildTestApp();
  });
  afterEach(() => t.close());

  it('NOT_FOR_SALE and PRICE_CHANGED fail the order with the gateway message; the balance is given back', async () => {
    await addOrder(t, 'INV-1', gamepass(100, 'Retired [NOT_FOR_SALE]'));
    await addOrder(t, 'INV-2', gamepass(100, 'Repriced [PRICE_CHANGED]'));
    const { sessionId } = await addAccount(t, 'alice', 1000);
    const rows = snapshotOf(t, sessionId).transactions;
    expect(rows.map((r) => [r.status, r.error])).toEqual([
      ['failed', 'This game pass is not for sale'],
      ['failed', 'The price of this game pass changed'],
    ]);
    expect(dbTransaction(t, 'INV-1')).toMatchObject({ status: 'failed', error: 'This game pass is not for sale' });
    expect(dbAccount(t, 'alice').robux).toBe(1000);
    expect(snapshotOf(t, sessionId).summary.failedCount).toBe(2);
  });

  it('ALREADY_OWNED completes the order without buying', async () => {
    await addOrder(t, 'INV-1', gamepass(100, 'Owned [ALREADY_OWNED]'));
    const { sessionId } = await addAccount(t, 'alice', 1000);
    expect(snapshotOf(t, sessionId).transactions[0]!.status).toBe('completed');
    expect(dbTransaction(t, 'INV-1').status).toBe('completed');
    expect(t.gateway.purchaseCount('INV-1')).toBe(0);
    expect(dbAccount(t, 'alice').robux).toBe(1000);
  });

  it('INSUFFICIENT_FUNDS refreshes that balance and tries the next account', async () => {
    await addAccount(t, 'alice', 200);
    await addAccount(t, 'bob', 900);
    await addOrder(t, 'INV-1', gamepass(150));
    t.gateway.faults.refuse('INSUFFICIENT_FUNDS', { invoiceId: 'INV-1' });
    const res = await t.api('POST', '/api/auto-purchase', {});
    const row = snapshotOf(t, res.json.sessionId).transactions[0]!;
    expect(row).toMatchObject({ status: 'completed', usedAccount: 'bob' });
    expect(dbAccount(t, 'alice').robux).toBe(200);
    expect(dbAccount(t, 'bob').robux).toBe(750);
    expect(dbTransaction(t, 'INV-1').attempts).toBe(2);
  });

  it('INVALID_CREDENTIAL that a fresh /account verification confirms marks the account invalid and tries the next', async () => {
    await addAccount(t, 'alice', 200);
    await addAccount(t, 'bob', 900);
    await addOrder(t, 'INV-1', gamepass(150));
    // alice's cookie expired: the gateway rejects it for buying and for /account alike.
    t.gateway.faults.revokeCredential('alice');
    const res = await t.api('POST', '/api/auto-purchase', {});
    const snapshot = snapshotOf(t, res.json.sessionId);
    expect(snapshot.transactions[0]).toMatchObject({ status: 'completed', usedAccount: 'bob' });
    expect(snapshot.stockAccounts.find((a) => a.username === 'alice')).toMatchObject({ status: 'invalid', robux: 200 });
    expect(dbAccount(t, 'alice')).toMatchObject({ status: 'invalid', robux: 200 });
  });

  it('INVALID_CREDENTIAL on one order while the account still verifies: the account keeps buying, the order fails with the message', async () => {
    await addAccount(t, 'alice', 200);
    await addAccount(t, 'bob', 900);
    await addOrder(t, 'INV-1', gamepass(150));
    await addOrder(t, 'INV-2', gamepass(100));
    t.gateway.faults.refuse('INVALID_CREDENTIAL', { invoiceId: 'INV-1', message: 'Cookie rejected for this pass' });
    const res = await t.api('POST', '/api/auto-purchase', {});
    const snapshot = snapshotOf(t, res.json.sessionId);
    expect(snapshot.transactions[0]).toMatchObject({ invoiceId: 'INV-1', status: 'failed', usedAccount: 'alice', error: 'Cookie rejected for this pass' });
    expect(snapshot.transactions[1]).toMatchObject({ invoiceId: 'INV-2', status: 'completed', usedAccount: 'alice' });
    expect(snapshot.stockAccounts.find((a) => a.username === 'alice')).toMatchObject({ status: 'active', robux: 100 });
    expect(dbAccount(t, 'alice')).toMatchObject({ status: 'active', robux: 100 });
    expect(dbTransaction(t, 'INV-1')).toMatchObject({ status: 'failed', error: 'Cookie rejected for this pass' });
    expect(t.gateway.purchaseCount('INV-1')).toBe(0);
  });

  it('after a restart, one [INVALID_CREDENTIAL] order does not disable a fresh rich account: every other order is bought', async () => {
    await addOrder(t, 'INV-1', gamepass(10, 'Expired Cookie [INVALID_CREDENTIAL]'));
    for (const n of [2, 3, 4]) await addOrder(t, `INV-${n}`, gamepass(100));
    const { sessionId } = await addAccount(t, 'whale', 1_000_000);
    const snapshot = snapshotOf(t, sessionId);
    expect(snapshot.transactions.map((x) => x.status)).toEqual(['failed', 'completed', 'completed', 'completed']);
    expect(dbAccount(t, 'whale')).toMatchObject({ status: 'active', robux: 1_000_000 - 300 });
  });

  it('transient failures are retried under the same key, then the purchase succeeds once', async () => {
    await addOrder(t, 'INV-1', gamepass(100));
    t.gateway.faults.transient(2, { invoiceId: 'INV-1' });
    const { sessionId } = await addAccount(t, 'alice', 1000);
    expect(snapshotOf(t, sessionId).transactions[0]!.status).toBe('completed');
    expect(t.gateway.purchaseCount('INV-1')).toBe(1);
    expect(t.sqlite.prepare('select count(*) as n from purchase_attempts').get()).toEqual({ n: 1 });
  });

  it('no answer after every attempt leaves the order unknown, its balance reserved', async () => {
    await addOrder(t, 'INV-1', gamepass(100, 'Slow [TIMEOUT]'));
    const { sessionId } = await addAccount(t, 'alice', 1000);
    const snapshot = snapshotOf(t, sessionId);
    expect(snapshot.transactions[0]).toMatchObject({ status: 'unknown', usedAccount: 'alice' });
    expect(snapshot.summary.unknownCount).toBe(1);
    expect(dbTransaction(t, 'INV-1').status).toBe('unknown');
    expect(dbAccount(t, 'alice').robux).toBe(900);
    expect(t.sqlite.prepare('select outcome from purchase_attempts').all()).toEqual([{ outcome: 'unknown' }]);
  });

  it('RATE_LIMITED waits and retries under the same key', async () => {
    await addOrder(t, 'INV-1', gamepass(100, 'Busy [RATE_LIMITED]'));
    const { sessionId } = await addAccount(t, 'alice', 1000);
    expect(snapshotOf(t, sessionId).transactions[0]!.status).toBe('completed');
    expect(t.gateway.purchaseCount('INV-1')).toBe(1);
    expect(t.gateway.calls()).toBe(2);
  });

  it('an unexpected error ends the run failed with "Error occurred"; an order certainly not bought waits, its balance back', async () => {
    await addOrder(t, 'INV-1', gamepass(100));
    t.gateway.buyPass = async () => {
      throw new Error('boom: the gateway library crashed');
    };
    const { sessionId } = await addAccount(t, 'alice', 1000);
    const snapshot = snapshotOf(t, sessionId);
    expect(snapshot).toMatchObject({ status: 'failed', currentStep: 'Error occurred', error: 'boom: the gateway library crashed' });
    expect(snapshot.endTime).toEqual(expect.any(String));
    expect(dbTransaction(t, 'INV-1').status).toBe('pending');
    expect(snapshot.transactions[0]!.status).toBe('skipped');
    expect(dbAccount(t, 'alice').robux).toBe(1000);
    expect(t.sqlite.prepare('select outcome from purchase_attempts').all()).toEqual([{ outcome: 'failed' }]);
    expect(t.sqlite.prepare('select count(*) as n from run_lease').get()).toEqual({ n: 0 });
  });

  it('an unexpected error after an unanswered attempt leaves the order unknown, its balance reserved', async () => {
    await addOrder(t, 'INV-1', gamepass(100));
    let calls = 0;
    t.gateway.buyPass = async () => {
      calls++;
      if (calls === 1) throw new GatewayTransientError('timeout');
      throw new Error('boom after a timeout');
    };
    const { sessionId } = await addAccount(t, 'alice', 1000);
    const snapshot = snapshotOf(t, sessionId);
    expect(snapshot).toMatchObject({ status: 'failed', error: 'boom after a timeout' });
    expect(dbTransaction(t, 'INV-1').status).toBe('unknown');
    expect(snapshot.transactions[0]!.status).toBe('unknown');
    expect(dbAccount(t, 'alice').robux).toBe(900);
  });

  it('a credential that cannot be decrypted ends the run failed; the order waits, nothing bought', async () => {
    await addOrder(t, 'INV-1', gamepass(100));
    await addAccount(t, 'alice', 50);
    t.sqlite.prepare("update stock_accounts set credential_enc = 'v1.broken.broken', robux = 1000").run();
    const res = await t.api('POST', '/api/auto-purchase', {});
    expect(snapshotOf(t, res.json.sessionId)).toMatchObject({ status: 'failed', currentStep: 'Error occurred' });
    expect(dbTransaction(t, 'INV-1').status).toBe('pending');
    expect(dbAccount(t, 'alice').robux).toBe(1000);
    expect(t.gateway.purchaseCount('INV-1')).toBe(0);
  });
});
