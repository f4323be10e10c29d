// The walk of one run (SPEC §3): accounts, reconciliation, the pending orders oldest first, one
// purchase at a time. Each change is one SQLite transaction that updates the domain rows, the
// run's rows and appends the matching events. A purchase takes two: the claim, the account's
// reservation and the attempt with its idempotency key are committed before the gateway is
// called; its outcome after.
import { isoTime, type Clock } from '../clock.js';
import type { Db } from '../db/types.js';
import { writeRetrying, type StorageFault } from '../db/write.js';
import { leastBalanceCovering } from '../domain/choose-account.js';
import type { CredentialCipher } from '../domain/credential-cipher.js';
import { emptySummary, type RunAccount, type RunEventBody, type RunSummary, type RunTransaction, type RunTransactionStatus } from '../domain/run.js';
import type { Gateway, RefusalCode, VerifyResult } from '../gateway/gateway.js';
import type { Logger } from '../logger.js';
import * as purchases from '../stores/purchases.js';
import type { ChoosableAccount } from '../stores/purchases.js';
import { releaseLease, renewLease, takeRerun } from './lease.js';
import { buyWithRetries, type CallPolicy } from './purchase-call.js';
import { reconcileTransaction, unknownError } from './reconcile.js';
import { appendEvents, runTransactionList } from '../stores/run-events.js';
import { errorText } from '../domain/error-text.js';

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
  endedBefore: 'The run ended before this order',
  notSent: 'The purchase could not be sent; the order stays pending',
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

const faultWords: Record<StorageFault, string> = { busy: 'locked by another program', full: 'full (disk)', io: 'failing (I/O error)' };

/** Thrown inside a commit when this process no longer holds the lease: another one ended the run. */
class LeaseLost extends Error {}
class Interrupted extends Error {}

type PendingRow = ReturnType<typeof purchases.pendingOldestFirst>[number];
interface Gamepass {
  id: number;
  name: string;
  price: number;
  sellerId: number;
}
interface Claim {
  row: PendingRow;
  gamepass: Gamepass;
}
type Pick = { account: ChoosableAccount; idempotencyKey: string } | undefined;

export async function walkRun(deps: WalkDeps, target: WalkTarget): Promise<void> {
  const { db, clock, logger } = deps;
  const { sessionId, holder } = target;
  const summary: RunSummary = emptySummary();
  /** The run's view of the accounts, in the order the snapshot lists them. */
  const runAccounts = new Map<string, RunAccount>();
  /** Decrypted once per run and credential, kept only while the run lasts. */
  const credentials = new Map<string, { sealed: string; plain: string }>();
  /** The transaction this walk has claimed and not yet settled, if any. */
  let claimed: PendingRow | undefined;

  /**
   * One SQLite transaction: the lease is renewed, `change` makes its domain changes (through the
   * root handle: one connection) and answers its events, which are appended in the same commit.
   * A held lock or a failed commit (disk full) pauses the walk and tries again, from the run's
   * in-memory state as it was before the first try (SPEC §11: never abandon a run for a lock).
   */
  const commit = async <T>(change: (now: number, events: RunEventBody[]) => T): Promise<T> => {
    const before = { summary: { ...summary }, accounts: [...runAccounts.values()].map((a) => ({ ...a })), claimed };
    const restore = () => {
      Object.assign(summary, before.summary);
      runAccounts.clear();
      for (const a of before.accounts) runAccounts.set(a.id, { ...a });
      claimed = before.claimed;
    };
    let seq = 0;
    let tries = 0;
    const result = await writeRetrying(
      db,
      () => {
        if (tries++ > 0) restore();
        const now = clock.now();
        if (!renewLease(db, { sessionId, holder, expiresAt: now + deps.leaseMs })) throw new LeaseLost();
        const events: RunEventBody[] = [];
        const answer = change(now, events);
        if (events.length) seq = appendEvents(db, sessionId, events, now);
        return answer;
      },
      {
        sleep: deps.policy.sleep,
        giveUp: deps.isStopping,
        onFault: (fault, attempt) => {
          if (attempt === 1 || attempt % 20 === 0) logger.warn(`run ${sessionId}: the database is ${faultWords[fault]}; the run waits and tries again (try ${attempt})`);
        },
      },
    ).catch((error: unknown) => {
      if (tries > 0) restore();
      throw error;
    });
    if (seq) deps.onAppend(sessionId, seq);
    return result;
  };
  const step = (currentStep: string): RunEventBody => ({ type: 'step', data: { currentStep } });
  const summaryEvent = (): RunEventBody => ({ type: 'summary', data: { ...summary } });
  const accountsEvent = (): RunEventBody => ({ type: 'accounts', data: { stockAccounts: [...runAccounts.values()].map((a) => ({ ...a })) } });
  /** A row of the run changed: its event, and the summary when the row reached an end state. */
  const settle = (events: RunEventBody[], invoiceId: string, status: RunTransactionStatus, now: number, extra: { usedAccount?: string; error?: string } = {}) => {
    events.push({ type: 'transaction', data: { invoiceId, status, ...extra, timestamp: isoTime(now) } });
    if (status === 'processing' || status === 'pending') return;
    if (status === 'completed') summary.processedCount++;
    else if (status === 'failed') summary.failedCount++;
    else if (status === 'skipped') summary.skippedCount++;
    else summary.unknownCount++;
    events.push(summaryEvent());
    claimed = undefined;
  };

  /**
   * Brings the run's account list in line with the database: a changed balance or status is an
   * `account` event, an account the run has not seen yet (added during the run) re-sends the list.
   */
  const syncAccounts = (accounts: readonly ChoosableAccount[], events: RunEventBody[]) => {
    let added = false;
    for (const account of accounts) {
      if (!runAccounts.has(account.id) && account.status === 'active') {
        runAccounts.set(account.id, { id: account.id, username: account.username, robux: account.robux, status: account.status });
        added = true;
      }
    }
    if (added) events.push(accountsEvent());
    if (accounts.length === runAccounts.size && !added && accounts.every((a) => sameAs(runAccounts.get(a.id), a))) return;
    const byId = new Map(accounts.map((a) => [a.id, a]));
    for (const seen of runAccounts.values()) {
      const current = byId.get(seen.id);
      // A deleted account can no longer buy: the run shows it inactive.
      const robux = current?.robux ?? seen.robux;
      const status = current?.status ?? 'inactive';
      if (robux !== seen.robux || status !== seen.status) {
        seen.robux = robux;
        seen.status = status;
        events.push({ type: 'account', data: { id: seen.id, robux, status } });
      }
    }
  };

  try {
    // 2. The active accounts enter the snapshot.
    await commit((_now, events) => {
      events.push(step(steps.checkingAccounts));
      for (const a of purchases.accountsForChoosing(db)) {
        if (a.status === 'active') runAccounts.set(a.id, { id: a.id, username: a.username, robux: a.robux, status: a.status });
      }
      events.push(accountsEvent());
    });

    // 3a. Purchases nobody saw finish are settled first; those that did not go through rejoin the queue.
    const unknown = purchases.transactionIdsWithStatus(db, 'unknown');
    const toReconcile = [...target.orphans.map((id) => ({ id, from: 'processing' as const })), ...unknown.map((id) => ({ id, from: 'unknown' as const }))];
    if (toReconcile.length > 0) {
      await commit((_now, events) => events.push(step(steps.reconciling(toReconcile.length))));
      for (const { id, from } of toReconcile) await reconcileTransaction(deps, id, from);
    }

    // 3b. Every pending transaction, oldest first, enters the snapshot.
    const queue = await commit((now, events) => {
      const rows = purchases.pendingOldestFirst(db);
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
      const more = await commit((now, events) => {
        const rows = takeRerun(db, { sessionId, holder }) ? requeuePending(now, events) : [];
        if (rows.length === 0) {
          events.push(step(steps.nonePending(updated)), { type: 'end', data: { status: 'completed', endTime: isoTime(now) } });
          releaseLease(db, { sessionId, holder });
        }
        return rows;
      });
      if (more.length === 0) return;
      queue.push(...more);
    }

    let lastYield = performance.now();
    for (let i = 0; ; ) {
      for (; i < queue.length; i++) {
        if (deps.isStopping()) throw new Interrupted(messages.interruptedByShutdown);
        // A gateway that answers at once (the sandbox) never gives the event loop back by itself:
        // yield every few milliseconds so requests and streams are served during a long run.
        if (performance.now() - lastYield > 4) {
          await yieldToEventLoop();
          lastYield = performance.now();
        }
        const calledGateway = await processOne(queue[i]!, i + 1, queue.length);
        if (calledGateway && i < queue.length - 1 && deps.purchaseDelayMs > 0) {
          await commit((_now, events) => events.push(step(steps.waiting(i + 1, queue.length))));
          await sleepUnlessStopping(deps.purchaseDelayMs);
        }
      }
      // The end, unless a trigger arrived meanwhile and pending orders wait: checked in the same
      // commit that releases the lease, so no trigger falls between the two.
      const more = await commit((now, events) => {
        const rows = takeRerun(db, { sessionId, holder }) ? requeuePending(now, events) : [];
        if (rows.length === 0) {
          events.push(step(steps.completed), { type: 'end', data: { status: 'completed', endTime: isoTime(now) } });
          releaseLease(db, { sessionId, holder });
        }
        return rows;
      });
      if (more.length === 0) break;
      queue.push(...more);
    }
  } catch (error) {
    if (error instanceof LeaseLost) {
      logger.warn(`run ${sessionId}: lease lost to another process; this walk stops`);
      return;
    }
    const message = errorText(error);
    if (!(error instanceof Interrupted)) logger.error(`run ${sessionId} failed: ${message}`);
    try {
      await commit((now, events) => {
        if (claimed) releaseClaim(claimed, now, events);
        events.push(step(steps.error), { type: 'end', data: { status: 'failed', endTime: isoTime(now), error: message } });
        releaseLease(db, { sessionId, holder });
      });
    } catch (endError) {
      // The database itself is failing: the lease expires and the next trigger or start-up ends the run.
      logger.error(`run ${sessionId}: could not record its end: ${errorText(endError)}`);
    }
  }

  /**
   * Pending orders the run has not bought, after a trigger during the run: new ones join the end
   * of its list, ones it passed by (skipped, or failed and retried since) are shown pending again.
   */
  function requeuePending(now: number, events: RunEventBody[]): PendingRow[] {
    const pending = purchases.pendingOldestFirst(db);
    if (pending.length === 0) return [];
    const list = runTransactionList(db, sessionId);
    const at = new Map(list.map((row, i) => [row.invoiceId, i]));
    for (const row of pending) {
      const i = at.get(row.invoiceId);
      const fresh: RunTransaction = { invoiceId: row.invoiceId, gamepassName: row.gamepassName, gamepassPrice: row.gamepassPrice, status: 'pending', timestamp: isoTime(now) };
      if (i === undefined) {
        list.push(fresh);
        continue;
      }
      const was = list[i]!.status;
      if (was === 'completed') summary.processedCount--;
      else if (was === 'failed') summary.failedCount--;
      else if (was === 'skipped') summary.skippedCount--;
      else if (was === 'unknown') summary.unknownCount--;
      list[i] = fresh;
    }
    summary.totalTransactions = list.length;
    events.push({ type: 'transactions', data: { transactions: list, totalTransactions: list.length } }, summaryEvent());
    return pending;
  }

  /**
   * A claimed transaction the walk cannot finish: back to pending when no purchase of it is in
   * flight, else `unknown`, for reconciliation by its key. Never left `processing`.
   */
  function releaseClaim(row: PendingRow, now: number, events: RunEventBody[]) {
    const attempt = purchases.latestAttemptFor(db, row.id);
    if (attempt?.outcome === 'pending') {
      purchases.settleAttempt(db, attempt.idempotencyKey, 'unknown', 'The run ended during this purchase', now);
      if (purchases.moveTransaction(db, row.id, 'processing', { status: 'unknown', usedAccountId: attempt.accountId, usedAccount: attempt.accountUsername, error: unknownError }, now)) {
        settle(events, row.invoiceId, 'unknown', now, { usedAccount: attempt.accountUsername, error: unknownError });
      }
    } else if (purchases.moveTransaction(db, row.id, 'processing', { status: 'pending' }, now)) {
      settle(events, row.invoiceId, 'skipped', now, { error: messages.endedBefore });
    }
  }

  /** Balances of every active account, from the gateway; answers how many were updated. */
  async function refreshBalances(): Promise<number> {
    let updated = 0;
    for (const account of purchases.accountsForChoosing(db).filter((a) => a.status === 'active')) {
      const verified = await verifyQuietly(account);
      if (!verified) continue;
      await commit((now, events) => {
        if (verified.ok) purchases.storeGatewayBalance(db, account.id, verified.robux, now);
        else purchases.setAccountState(db, account.id, { status: 'invalid', lastChecked: now }, now);
        syncAccounts(purchases.accountsForChoosing(db), events);
      });
      updated++;
    }
    return updated;
  }

  async function credentialOf(account: ChoosableAccount): Promise<string> {
    const known = credentials.get(account.id);
    if (known?.sealed === account.credentialEnc) return known.plain;
    const plain = await deps.cipher.decrypt(account.credentialEnc);
    credentials.set(account.id, { sealed: account.credentialEnc, plain });
    return plain;
  }

  async function verifyQuietly(account: ChoosableAccount): Promise<VerifyResult | undefined> {
    try {
      return await deps.gateway.verifyAccount(await credentialOf(account), { signal: AbortSignal.timeout(deps.gatewayTimeoutMs) });
    } catch {
      logger.warn(`run ${sessionId}: balance check of account ${account.id} got no answer`);
      return undefined;
    }
  }

  /**
   * Chooses the account with the least balance covering the price, reserves the price on it and
   * stores the attempt with a new idempotency key; or, when no account covers it, puts the order
   * back to pending and shows it skipped. Runs inside a commit.
   */
  function reserve(claim: Claim, excluded: Set<string>, now: number, events: RunEventBody[]): Pick {
    const { row, gamepass } = claim;
    let accounts = purchases.accountsForChoosing(db);
    for (;;) {
      const account = leastBalanceCovering(accounts, gamepass.price, excluded);
      if (!account) break;
      if (purchases.reserveBalance(db, account.id, gamepass.price, now) === undefined) {
        excluded.add(account.id);
        accounts = purchases.accountsForChoosing(db);
        continue;
      }
      const idempotencyKey = crypto.randomUUID();
      purchases.insertAttempt(db, { idempotencyKey, transactionId: row.id, accountId: account.id, accountUsername: account.username, price: gamepass.price }, now);
      purchases.countAttempt(db, row.id, now);
      syncAccounts(accounts.map((a) => (a.id === account.id ? { ...a, robux: a.robux - gamepass.price } : a)), events);
      settle(events, row.invoiceId, 'processing', now, { usedAccount: account.username });
      return { account, idempotencyKey };
    }
    // No account covers it: it waits for a later run.
    purchases.moveTransaction(db, row.id, 'processing', { status: 'pending' }, now);
    syncAccounts(accounts, events);
    settle(events, row.invoiceId, 'skipped', now, { error: messages.noAccount });
    return undefined;
  }

  /** One pending transaction; answers whether the gateway was called for it. */
  async function processOne(row: PendingRow, position: number, total: number): Promise<boolean> {
    const excluded = new Set<string>();
    // The claim and the first reservation share one commit.
    let pick = await commit((now, events): Pick | 'done' => {
      events.push(step(steps.processing(position, total, row.invoiceId)));
      if (!purchases.claimPending(db, row.id, now)) {
        syncAccounts(purchases.accountsForChoosing(db), events);
        settle(events, row.invoiceId, 'skipped', now, { error: messages.takenElsewhere });
        return 'done';
      }
      claimed = row;
      if (row.gamepassId == null || row.gamepassName == null || row.gamepassPrice == null || row.gamepassSellerId == null) {
        purchases.moveTransaction(db, row.id, 'processing', { status: 'failed', error: messages.missingGamepass }, now);
        settle(events, row.invoiceId, 'failed', now, { error: messages.missingGamepass });
        return 'done';
      }
      return reserve({ row, gamepass: gamepassOf(row) }, excluded, now, events);
    });
    if (pick === 'done') return false;
    const claim = { row, gamepass: gamepassOf(row) };
    let calledGateway = false;
    while (pick) {
      calledGateway = true;
      const retryElsewhere = await buy(claim, pick);
      if (!retryElsewhere) return true;
      excluded.add(pick.account.id);
      pick = await commit((now, events) => reserve(claim, excluded, now, events));
    }
    return calledGateway;
  }

  /** Calls the gateway and records what it answered; true when the next account should try. */
  async function buy(claim: Claim, pick: NonNullable<Pick>): Promise<boolean> {
    const { row, gamepass } = claim;
    const { account, idempotencyKey } = pick;
    let credential: string;
    try {
      credential = await credentialOf(account);
    } catch (error) {
      return await notSent(claim, pick, error);
    }
    const outcome = await buyWithRetries(
      deps.gateway,
      {
        credential,
        invoiceId: row.invoiceId,
        gamepassId: gamepass.id,
        gamepassName: gamepass.name,
        price: gamepass.price,
        sellerId: gamepass.sellerId,
        idempotencyKey,
      },
      deps.policy,
    );

    if (outcome.kind === 'error') {
      // A gateway that refuses us (a wrong secret, an unexpected answer): the run ends failed.
      // If no attempt went unanswered, nothing was bought and the order waits for the next run;
      // else it is unknown (the walk's end records that) and reconciled by its key.
      if (!outcome.mayHaveBought) return await notSent(claim, pick, outcome.error);
      throw outcome.error;
    }
    if (outcome.kind === 'no-answer') {
      // The balance stays reserved until reconciliation says whether it was spent.
      await commit((now, events) => {
        purchases.settleAttempt(db, idempotencyKey, 'unknown', outcome.lastError, now);
        purchases.moveTransaction(db, row.id, 'processing', { status: 'unknown', usedAccountId: account.id, usedAccount: account.username, error: unknownError }, now);
        settle(events, row.invoiceId, 'unknown', now, { usedAccount: account.username, error: unknownError });
      });
      return false;
    }
    const result = outcome.result;
    if (result.success) {
      await commit((now, events) => {
        purchases.settleAttempt(db, idempotencyKey, 'completed', null, now);
        purchases.completeTransaction(db, row.id, account, now);
        settle(events, row.invoiceId, 'completed', now, { usedAccount: account.username });
      });
      return false;
    }
    return settleRefusal(result.code, result.message, claim, pick);
  }

  /** The purchase was certainly not made: the attempt failed, the price goes back, the order waits. Then the run ends failed. */
  async function notSent(claim: Claim, pick: NonNullable<Pick>, error: unknown): Promise<never> {
    const message = errorText(error);
    await commit((now, events) => {
      purchases.settleAttempt(db, pick.idempotencyKey, 'failed', `Not sent: ${message}`, now);
      purchases.refundBalance(db, pick.account.id, claim.gamepass.price, now);
      syncAccounts(purchases.accountsForChoosing(db), events);
      purchases.moveTransaction(db, claim.row.id, 'processing', { status: 'pending' }, now);
      settle(events, claim.row.invoiceId, 'skipped', now, { error: messages.notSent });
    });
    throw error;
  }

  /** Records a refusal; answers true when the order should be tried with the next account. */
  async function settleRefusal(code: RefusalCode, message: string, claim: Claim, pick: NonNullable<Pick>): Promise<boolean> {
    const { row, gamepass } = claim;
    const { account, idempotencyKey } = pick;
    const error = `${code}: ${message}`;
    // One order's INVALID_CREDENTIAL may be about that order, not the account: only a fresh
    // /account verification that rejects the credential too marks the account invalid (SPEC §11).
    const verified = code === 'INSUFFICIENT_FUNDS' || code === 'INVALID_CREDENTIAL' ? await verifyQuietly(account) : undefined;
    const invalidConfirmed = code === 'INVALID_CREDENTIAL' && verified?.ok === false;
    return await commit((now, events) => {
      purchases.settleAttempt(db, idempotencyKey, 'failed', error, now);
      if (verified?.ok) purchases.storeGatewayBalance(db, account.id, verified.robux, now);
      else purchases.refundBalance(db, account.id, gamepass.price, now);
      if (invalidConfirmed) purchases.setAccountState(db, account.id, { status: 'invalid', lastChecked: now }, now);
      syncAccounts(purchases.accountsForChoosing(db), events);
      switch (code) {
        case 'INSUFFICIENT_FUNDS':
          return true;
        case 'INVALID_CREDENTIAL':
          if (invalidConfirmed) return true;
          return failOrder(now, events);
        case 'ALREADY_OWNED':
          // The customer has the pass: the order is done, and nothing was bought.
          purchases.completeTransaction(db, row.id, { id: null, username: null }, now);
          settle(events, row.invoiceId, 'completed', now);
          return false;
        case 'RATE_LIMITED':
          purchases.moveTransaction(db, row.id, 'processing', { status: 'pending' }, now);
          settle(events, row.invoiceId, 'skipped', now, { error: messages.rateLimited });
          return false;
        default:
          return failOrder(now, events);
      }
    });

    function failOrder(now: number, events: RunEventBody[]): false {
      purchases.moveTransaction(db, row.id, 'processing', { status: 'failed', usedAccountId: account.id, usedAccount: account.username, error: message }, now);
      settle(events, row.invoiceId, 'failed', now, { usedAccount: account.username, error: message });
      return false;
    }
  }

  async function sleepUnlessStopping(ms: number): Promise<void> {
    // Short slices, so a shutdown does not wait out a long delay.
    for (let left = ms; left > 0 && !deps.isStopping(); left -= 250) await deps.policy.sleep(Math.min(250, left));
  }
}

/** A macrotask turn: setImmediate where the runtime has it, else a zero timeout. */
function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => (typeof setImmediate === 'function' ? setImmediate(resolve) : setTimeout(resolve, 0)));
}

function gamepassOf(row: PendingRow): Gamepass {
  return { id: row.gamepassId!, name: row.gamepassName!, price: row.gamepassPrice!, sellerId: row.gamepassSellerId! };
}

function sameAs(seen: RunAccount | undefined, account: ChoosableAccount): boolean {
  return seen !== undefined && seen.robux === account.robux && seen.status === account.status;
}
