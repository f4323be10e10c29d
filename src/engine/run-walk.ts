// The walk of one run (SPEC §3): accounts, reconciliation, the pending orders oldest first, one
// purchase at a time. Each change is one SQLite transaction that updates the domain rows, the
// run's rows and appends the matching events.
import { isoTime, type Clock } from '../clock.js';
import type { Db } from '../db/types.js';
import { leastBalanceCovering } from '../domain/choose-account.js';
import type { CredentialCipher } from '../domain/credential-cipher.js';
import { emptySummary, type RunAccount, type RunEventBody, type RunSummary, type RunTransaction, type RunTransactionStatus } from '../domain/run.js';
import type { Gateway, RefusalCode } from '../gateway/gateway.js';
import type { Logger } from '../logger.js';
import * as purchases from '../stores/purchases.js';
import { transactionById } from '../stores/transactions.js';
import { releaseLease, renewLease } from './lease.js';
import { buyWithRetries, type CallPolicy } from './purchase-call.js';
import { reconcileTransaction, unknownError } from './reconcile.js';
import { appendEvents } from './run-store.js';

export const steps = {
  initializing: 'Initializing auto-purchase...',
  checkingAccounts: 'Checking available stock accounts...',
  reconciling: (n: number) => `Reconciling ${n} unknown purchases...`,
  fetching: 'Fetching pending transactions...',
  nonePending: (n: number) => `No pending transactions. Updated ${n} stock accounts.`,
  processing: (i: number, n: number, invoiceId: string) => `Processing transaction ${i}/${n}: ${invoiceId}`,
  waiting: (k: number, n: number) => `Waiting before next purchase... (${k}/${n} completed)`,
  completed: 'Auto-purchase completed',
  error: 'Error occurred',
} as const;

export const messages = {
  missingGamepass: 'Missing gamepass data',
  noAccount: 'No active stock account has enough robux for this game pass',
  takenElsewhere: 'Handled by another run',
  rateLimited: 'The gateway kept answering RATE_LIMITED; the order stays pending for a later run',
  interruptedByShutdown: 'Interrupted by shutdown',
} as const;

export interface WalkDeps {
  db: Db;
  gateway: Gateway;
  cipher: CredentialCipher;
  clock: Clock;
  logger: Logger;
  policy: CallPolicy;
  purchaseDelayMs: number;
  leaseMs: number;
  gatewayTimeoutMs: number;
  isStopping(): boolean;
  /** Called after each commit that appended events, with the run's last seq. */
  onAppend(sessionId: string, seq: number): void;
}

export interface WalkTarget {
  sessionId: string;
  holder: string;
  /** Transactions a dead walker left `processing`: reconciled before anything is bought. */
  orphans: readonly number[];
}

/** Thrown inside a commit when this process no longer holds the lease: another one ended the run. */
class LeaseLost extends Error {}
class Interrupted extends Error {}

type PendingRow = ReturnType<typeof purchases.pendingOldestFirst>[number];
type ChoosableAccount = ReturnType<typeof purchases.accountsForChoosing>[number];

export async function walkRun(deps: WalkDeps, target: WalkTarget): Promise<void> {
  const { db, clock, logger } = deps;
  const { sessionId, holder } = target;
  const summary: RunSummary = emptySummary();
  /** The run's view of the accounts, in the order the snapshot lists them. */
  const runAccounts = new Map<string, RunAccount>();

  /** One SQLite transaction: the lease is renewed, `change` makes its domain changes and answers its events. */
  const commit = <T>(change: (tx: Db, now: number, events: RunEventBody[]) => T): T => {
    let seq = 0;
    const result = db.transaction(
      (tx) => {
        const now = clock.now();
        if (!renewLease(tx, { sessionId, holder, expiresAt: now + deps.leaseMs })) throw new LeaseLost();
        const events: RunEventBody[] = [];
        const answer = change(tx, now, events);
        if (events.length) seq = appendEvents(tx, sessionId, events, now);
        return answer;
      },
      { behavior: 'immediate' },
    );
    if (seq) deps.onAppend(sessionId, seq);
    return result;
  };
  /** The transaction this walk has claimed and not yet settled, if any. */
  let claimed: { id: number; invoiceId: string } | undefined;
  const step = (currentStep: string): RunEventBody => ({ type: 'step', data: { currentStep } });
  const summaryEvent = (): RunEventBody => ({ type: 'summary', data: { ...summary } });
  const rowEvent = (invoiceId: string, status: RunTransactionStatus, now: number, extra: { usedAccount?: string; error?: string } = {}): RunEventBody => ({
    type: 'transaction',
    data: { invoiceId, status, ...extra, timestamp: isoTime(now) },
  });
  const count = (status: 'completed' | 'failed' | 'skipped' | 'unknown') => {
    if (status === 'completed') summary.processedCount++;
    else if (status === 'failed') summary.failedCount++;
    else if (status === 'skipped') summary.skippedCount++;
    else summary.unknownCount++;
  };

  /**
   * Brings the run's account list in line with the database: a changed balance or status is an
   * `account` event, an account the run has not seen yet (added during the run) re-sends the list.
   */
  const syncAccounts = (accounts: readonly ChoosableAccount[], events: RunEventBody[]) => {
    const byId = new Map(accounts.map((a) => [a.id, a]));
    let added = false;
    for (const account of accounts) {
      if (!runAccounts.has(account.id) && account.status === 'active') {
        runAccounts.set(account.id, { id: account.id, username: account.username, robux: account.robux, status: account.status });
        added = true;
      }
    }
    if (added) events.push({ type: 'accounts', data: { stockAccounts: [...runAccounts.values()].map((a) => ({ ...a })) } });
    for (const seen of runAccounts.values()) {
      const now = byId.get(seen.id);
      // A deleted account can no longer buy: the run shows it inactive.
      const robux = now?.robux ?? seen.robux;
      const status = now?.status ?? 'inactive';
      if (robux !== seen.robux || status !== seen.status) {
        seen.robux = robux;
        seen.status = status;
        events.push({ type: 'account', data: { id: seen.id, robux, status } });
      }
    }
  };

  try {
    // 2. The active accounts enter the snapshot.
    commit((tx, _now, events) => {
      events.push(step(steps.checkingAccounts));
      for (const a of purchases.accountsForChoosing(tx)) {
        if (a.status === 'active') runAccounts.set(a.id, { id: a.id, username: a.username, robux: a.robux, status: a.status });
      }
      events.push({ type: 'accounts', data: { stockAccounts: [...runAccounts.values()].map((a) => ({ ...a })) } });
    });

    // 3a. Purchases nobody saw finish are settled first; those that did not go through rejoin the queue.
    const unknown = purchases.transactionIdsWithStatus(db, 'unknown');
    const toReconcile = [...target.orphans.map((id) => ({ id, from: 'processing' as const })), ...unknown.map((id) => ({ id, from: 'unknown' as const }))];
    if (toReconcile.length > 0) {
      commit((_tx, _now, events) => events.push(step(steps.reconciling(toReconcile.length))));
      for (const { id, from } of toReconcile) await reconcileTransaction(deps, id, from);
    }

    // 3b. Every pending transaction, oldest first, enters the snapshot.
    const queue = commit((tx, now, events) => {
      const rows = purchases.pendingOldestFirst(tx);
      summary.totalTransactions = rows.length;
      const list: RunTransaction[] = rows.map((row) => ({
        invoiceId: row.invoiceId,
        gamepassName: row.gamepassName,
        gamepassPrice: row.gamepassPrice,
        status: 'pending',
        timestamp: isoTime(now),
      }));
      events.push(step(steps.fetching), { type: 'transactions', data: { transactions: list, totalTransactions: rows.length } }, summaryEvent());
      return rows;
    });

    if (queue.length === 0) {
      const updated = await refreshBalances();
      commit((tx, now, events) => {
        events.push(step(steps.nonePending(updated)), { type: 'end', data: { status: 'completed', endTime: isoTime(now) } });
        releaseLease(tx, { sessionId, holder });
      });
      return;
    }

    for (let i = 0; i < queue.length; i++) {
      if (deps.isStopping()) throw new Interrupted(messages.interruptedByShutdown);
      const calledGateway = await processOne(queue[i]!, i + 1, queue.length);
      if (calledGateway && i < queue.length - 1 && deps.purchaseDelayMs > 0) {
        commit((_tx, _now, events) => events.push(step(steps.waiting(i + 1, queue.length))));
        await sleepUnlessStopping(deps.purchaseDelayMs);
      }
    }

    commit((tx, now, events) => {
      events.push(step(steps.completed), { type: 'end', data: { status: 'completed', endTime: isoTime(now) } });
      releaseLease(tx, { sessionId, holder });
    });
  } catch (error) {
    if (error instanceof LeaseLost) {
      logger.warn(`run ${sessionId}: lease lost to another process; this walk stops`);
      return;
    }
    const message = error instanceof Error ? error.message : String(error);
    if (!(error instanceof Interrupted)) logger.error(`run ${sessionId} failed: ${message}`);
    try {
      commit((tx, now, events) => {
        if (claimed) releaseClaim(tx, claimed, now, events);
        events.push(step(steps.error), { type: 'end', data: { status: 'failed', endTime: isoTime(now), error: message } });
        releaseLease(tx, { sessionId, holder });
      });
    } catch (endError) {
      // The database itself is failing: the lease expires and the next trigger or start-up ends the run.
      logger.error(`run ${sessionId}: could not record its end: ${endError instanceof Error ? endError.message : String(endError)}`);
    }
  }

  /**
   * A claimed transaction the walk cannot finish: back to pending when no purchase of it is in
   * flight, else `unknown`, for reconciliation by its key. Never left `processing`.
   */
  function releaseClaim(tx: Db, claim: { id: number; invoiceId: string }, now: number, events: RunEventBody[]) {
    const attempt = purchases.latestAttemptFor(tx, claim.id);
    if (attempt?.outcome === 'pending') {
      purchases.settleAttempt(tx, attempt.idempotencyKey, 'unknown', 'The run ended during this purchase', now);
      if (purchases.moveTransaction(tx, claim.id, 'processing', { status: 'unknown', usedAccountId: attempt.accountId, usedAccount: attempt.accountUsername, error: unknownError }, now)) {
        count('unknown');
        events.push(rowEvent(claim.invoiceId, 'unknown', now, { usedAccount: attempt.accountUsername, error: unknownError }), summaryEvent());
      }
    } else if (purchases.moveTransaction(tx, claim.id, 'processing', { status: 'pending' }, now)) {
      count('skipped');
      events.push(rowEvent(claim.invoiceId, 'skipped', now, { error: 'The run ended before this order' }), summaryEvent());
    }
  }

  /** Balances of every active account, from the gateway; answers how many were updated. */
  async function refreshBalances(): Promise<number> {
    let updated = 0;
    for (const account of purchases.accountsForChoosing(db).filter((a) => a.status === 'active')) {
      const verified = await verifyQuietly(account);
      if (!verified) continue;
      commit((tx, now, events) => {
        purchases.setAccountState(tx, account.id, verified.ok ? { robux: verified.robux, lastChecked: now } : { status: 'invalid', lastChecked: now }, now);
        syncAccounts(purchases.accountsForChoosing(tx), events);
      });
      updated++;
    }
    return updated;
  }

  async function verifyQuietly(account: ChoosableAccount) {
    try {
      return await deps.gateway.verifyAccount(await deps.cipher.decrypt(account.credentialEnc), {
        signal: AbortSignal.timeout(deps.gatewayTimeoutMs),
      });
    } catch (error) {
      logger.warn(`run ${sessionId}: balance check of account ${account.id} got no answer`);
      return undefined;
    }
  }

  /** One pending transaction; answers whether the gateway was called for it. */
  async function processOne(row: PendingRow, position: number, total: number): Promise<boolean> {
    const isClaimed = commit((tx, now, events) => {
      events.push(step(steps.processing(position, total, row.invoiceId)));
      syncAccounts(purchases.accountsForChoosing(tx), events);
      if (!purchases.moveTransaction(tx, row.id, 'pending', { status: 'processing' }, now)) {
        count('skipped');
        events.push(rowEvent(row.invoiceId, 'skipped', now, { error: messages.takenElsewhere }), summaryEvent());
        return false;
      }
      if (row.gamepassId == null || row.gamepassName == null || row.gamepassPrice == null || row.gamepassSellerId == null) {
        purchases.moveTransaction(tx, row.id, 'processing', { status: 'failed', error: messages.missingGamepass }, now);
        count('failed');
        events.push(rowEvent(row.invoiceId, 'failed', now, { error: messages.missingGamepass }), summaryEvent());
        return false;
      }
      events.push(rowEvent(row.invoiceId, 'processing', now));
      claimed = { id: row.id, invoiceId: row.invoiceId };
      return true;
    });
    if (!isClaimed) return false;
    try {
      return await buyClaimed(row);
    } finally {
      // Settled by then, unless an error is on its way up to the walk's end, which releases it.
      if (transactionById(db, row.id)?.status !== 'processing') claimed = undefined;
    }
  }

  async function buyClaimed(row: PendingRow): Promise<boolean> {
    const gamepass = { id: row.gamepassId!, name: row.gamepassName!, price: row.gamepassPrice!, sellerId: row.gamepassSellerId! };

    const excluded = new Set<string>();
    let calledGateway = false;
    for (;;) {
      const pick = commit((tx, now, events) => {
        let accounts = purchases.accountsForChoosing(tx);
        for (;;) {
          const account = leastBalanceCovering(accounts, gamepass.price, excluded);
          if (!account) break;
          const robux = purchases.reserveBalance(tx, account.id, gamepass.price, now);
          if (robux === undefined) {
            accounts = purchases.accountsForChoosing(tx);
            excluded.add(account.id);
            continue;
          }
          const idempotencyKey = crypto.randomUUID();
          purchases.insertAttempt(tx, { idempotencyKey, transactionId: row.id, accountId: account.id, accountUsername: account.username, price: gamepass.price }, now);
          purchases.moveTransaction(tx, row.id, 'processing', { status: 'processing', attemptsDelta: 1 }, now);
          syncAccounts(purchases.accountsForChoosing(tx), events);
          events.push(rowEvent(row.invoiceId, 'processing', now, { usedAccount: account.username }));
          return { account, idempotencyKey };
        }
        // No account covers it: it waits for a later run.
        purchases.moveTransaction(tx, row.id, 'processing', { status: 'pending' }, now);
        syncAccounts(accounts, events);
        count('skipped');
        events.push(rowEvent(row.invoiceId, 'skipped', now, { error: messages.noAccount }), summaryEvent());
        return undefined;
      });
      if (!pick) return calledGateway;

      const { account, idempotencyKey } = pick;
      calledGateway = true;
      const outcome = await buyWithRetries(
        deps.gateway,
        {
          credential: await deps.cipher.decrypt(account.credentialEnc),
          invoiceId: row.invoiceId,
          gamepassId: gamepass.id,
          gamepassName: gamepass.name,
          price: gamepass.price,
          sellerId: gamepass.sellerId,
          idempotencyKey,
        },
        deps.policy,
      );

      if (outcome.kind === 'no-answer') {
        // The balance stays reserved until reconciliation says whether it was spent.
        commit((tx, now, events) => {
          purchases.settleAttempt(tx, idempotencyKey, 'unknown', outcome.lastError, now);
          purchases.moveTransaction(tx, row.id, 'processing', { status: 'unknown', usedAccountId: account.id, usedAccount: account.username, error: unknownError }, now);
          count('unknown');
          events.push(rowEvent(row.invoiceId, 'unknown', now, { usedAccount: account.username, error: unknownError }), summaryEvent());
        });
        return true;
      }

      const result = outcome.result;
      if (result.success) {
        commit((tx, now, events) => {
          purchases.settleAttempt(tx, idempotencyKey, 'completed', null, now);
          purchases.moveTransaction(tx, row.id, 'processing', { status: 'completed', usedAccountId: account.id, usedAccount: account.username, error: null, completedAt: now }, now);
          count('completed');
          events.push(rowEvent(row.invoiceId, 'completed', now, { usedAccount: account.username }), summaryEvent());
        });
        return true;
      }

      const retryElsewhere = await settleRefusal(result.code, result.message, account, idempotencyKey, row, gamepass.price);
      if (!retryElsewhere) return true;
      excluded.add(account.id);
    }
  }

  /** Records a refusal; answers true when the order should be tried with the next account. */
  async function settleRefusal(code: RefusalCode, message: string, account: ChoosableAccount, idempotencyKey: string, row: PendingRow, price: number): Promise<boolean> {
    const error = `${code}: ${message}`;
    if (code === 'INSUFFICIENT_FUNDS') {
      const verified = await verifyQuietly(account);
      commit((tx, now, events) => {
        purchases.settleAttempt(tx, idempotencyKey, 'failed', error, now);
        if (verified?.ok) purchases.setAccountState(tx, account.id, { robux: verified.robux, lastChecked: now }, now);
        else purchases.refundBalance(tx, account.id, price, now);
        syncAccounts(purchases.accountsForChoosing(tx), events);
      });
      return true;
    }
    if (code === 'INVALID_CREDENTIAL') {
      commit((tx, now, events) => {
        purchases.settleAttempt(tx, idempotencyKey, 'failed', error, now);
        purchases.refundBalance(tx, account.id, price, now);
        purchases.setAccountState(tx, account.id, { status: 'invalid' }, now);
        syncAccounts(purchases.accountsForChoosing(tx), events);
      });
      return true;
    }
    commit((tx, now, events) => {
      purchases.settleAttempt(tx, idempotencyKey, 'failed', error, now);
      purchases.refundBalance(tx, account.id, price, now);
      syncAccounts(purchases.accountsForChoosing(tx), events);
      if (code === 'ALREADY_OWNED') {
        // The customer has the pass: the order is done, and nothing was bought.
        purchases.moveTransaction(tx, row.id, 'processing', { status: 'completed', error: null, completedAt: now }, now);
        count('completed');
        events.push(rowEvent(row.invoiceId, 'completed', now), summaryEvent());
      } else if (code === 'RATE_LIMITED') {
        purchases.moveTransaction(tx, row.id, 'processing', { status: 'pending' }, now);
        count('skipped');
        events.push(rowEvent(row.invoiceId, 'skipped', now, { error: messages.rateLimited }), summaryEvent());
      } else {
        purchases.moveTransaction(tx, row.id, 'processing', { status: 'failed', usedAccountId: account.id, usedAccount: account.username, error: message }, now);
        count('failed');
        events.push(rowEvent(row.invoiceId, 'failed', now, { usedAccount: account.username, error: message }), summaryEvent());
      }
    });
    return false;
  }

  async function sleepUnlessStopping(ms: number): Promise<void> {
    // Short slices, so a shutdown does not wait out a long delay.
    for (let left = ms; left > 0 && !deps.isStopping(); left -= 250) await deps.policy.sleep(Math.min(250, left));
  }
}
