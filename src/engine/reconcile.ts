// Settles a purchase nobody saw finish (`processing` after a crash, `unknown` after no answer) by
// asking the gateway about its idempotency key. Never buys: completed, back to pending, or still unknown.
import type { Clock } from '../clock.js';
import type { TransactionStatus } from '../db/schema.js';
import type { Db } from '../db/types.js';
import { writeRetrying } from '../db/write.js';
import type { Gateway, PurchaseLookup } from '../gateway/gateway.js';
import type { Logger } from '../logger.js';
import { latestAttemptFor, moveTransaction, settleAttempt, settlePurchase } from '../stores/purchases.js';
import type { CallPolicy } from './purchase-call.js';
import { errorText } from '../domain/error-text.js';

export interface ReconcileDeps {
  db: Db;
  gateway: Gateway;
  clock: Clock;
  logger: Logger;
  gatewayTimeoutMs: number;
  policy: CallPolicy;
  isStopping?(): boolean;
}

/** Beyond every try's timeout and wait, for clocks and queues between us and the gateway. */
export const attemptWindowMarginMs = 60_000;

/** How long a request carrying an attempt's key may still reach the gateway (every try and wait, plus a
 * margin): after it, a gateway that never saw the key never will (SPEC §6, §11). */
export function attemptWindowMs(policy: Pick<CallPolicy, 'timeoutMs' | 'maxAttempts' | 'maxBackoffMs' | 'maxRetryAfterMs'>): number {
  return policy.maxAttempts * (policy.timeoutMs + Math.max(policy.maxBackoffMs, policy.maxRetryAfterMs)) + attemptWindowMarginMs;
}

export const notFoundAfterWindow = 'The gateway never received this purchase; it went back to pending';

export const unknownError = 'The gateway could not say whether the purchase went through; it will be reconciled';

/**
 * Answers the transaction's status afterwards, or undefined when it was not in `from` any more.
 * `alsoInTx` runs in the transaction that settles it, told the same (a reconciliation by hand's audit entry).
 */
export async function reconcileTransaction(
  deps: ReconcileDeps,
  transactionId: number,
  from: 'processing' | 'unknown',
  alsoInTx?: (tx: Db, status: TransactionStatus | undefined) => void,
): Promise<TransactionStatus | undefined> {
  const { db, clock } = deps;
  const retrying = { sleep: deps.policy.sleep, giveUp: () => deps.isStopping?.() ?? false };
  const settle = (change: (tx: Db) => TransactionStatus | undefined) =>
    writeRetrying(
      db,
      (tx) => {
        const status = change(tx);
        alsoInTx?.(tx, status);
        return status;
      },
      retrying,
    );
  const attempt = latestAttemptFor(db, transactionId);
  if (!attempt || attempt.outcome === 'failed') {
    // The gateway was never called under a live key: the order can safely wait for a new run.
    return settle((tx) => (moveTransaction(tx, transactionId, from, { status: 'pending', error: null }, clock.now()) ? 'pending' : undefined));
  }
  let answer: PurchaseLookup = 'completed';
  if (attempt.outcome !== 'completed') {
    try {
      answer = await deps.gateway.lookupPurchase(attempt.idempotencyKey, { signal: AbortSignal.timeout(deps.gatewayTimeoutMs) });
    } catch (error) {
      deps.logger.warn(`reconcile: no answer for transaction ${transactionId}: ${errorText(error)}`);
      answer = 'unknown';
    }
  }
  const now = clock.now();
  // Never seen by the gateway, and too late for any of its tries to arrive: certainly not bought.
  const neverSeen = answer === 'not_found' && now - attempt.createdAt >= attemptWindowMs(deps.policy);
  if (answer === 'not_found') answer = neverSeen ? 'failed' : 'unknown';
  return settle((tx) => {
    // Another reconciler may have settled this attempt (or started a new one) while the gateway
    // was asked: act only on the attempt asked about, while it is still the latest and unsettled.
    const latest = latestAttemptFor(tx, transactionId);
    if (latest?.idempotencyKey !== attempt.idempotencyKey || latest.outcome !== attempt.outcome) return undefined;
    if (answer === 'completed') return settlePurchase(tx, attempt, from, { bought: true }, now) ? 'completed' : undefined;
    if (answer === 'failed') {
      const attemptError = neverSeen ? notFoundAfterWindow : 'The gateway says this purchase did not go through';
      return settlePurchase(tx, attempt, from, { bought: false, order: { status: 'pending', error: null }, attemptError }, now) ? 'pending' : undefined;
    }
    const moved = moveTransaction(
      tx,
      transactionId,
      from,
      { status: 'unknown', usedAccountId: attempt.accountId, usedAccount: attempt.accountUsername, error: unknownError },
      now,
    );
    if (moved) settleAttempt(tx, attempt.idempotencyKey, 'unknown', unknownError, now);
    return moved ? 'unknown' : undefined;
  });
}
