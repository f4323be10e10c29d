// Settles a transaction whose purchase nobody saw finish (left `processing` by a crash, or
// `unknown` after a gateway that did not answer), by asking the gateway about its idempotency key.
// Never buys: the answer decides between completed, back to pending, and still unknown.
import type { Clock } from '../clock.js';
import type { TransactionStatus } from '../db/schema.js';
import type { Db } from '../db/types.js';
import type { Gateway, PurchaseLookup } from '../gateway/gateway.js';
import type { Logger } from '../logger.js';
import { latestAttemptFor, moveTransaction, refundBalance, settleAttempt } from '../stores/purchases.js';

export interface ReconcileDeps {
  db: Db;
  gateway: Gateway;
  clock: Clock;
  logger: Logger;
  gatewayTimeoutMs: number;
}

export const unknownError = 'The gateway could not say whether the purchase went through; it will be reconciled';

/** Answers the transaction's status afterwards, or undefined when it was not in `from` any more. */
export async function reconcileTransaction(
  deps: ReconcileDeps,
  transactionId: number,
  from: 'processing' | 'unknown',
): Promise<TransactionStatus | undefined> {
  const { db, clock } = deps;
  const attempt = latestAttemptFor(db, transactionId);
  if (!attempt || attempt.outcome === 'failed') {
    // The gateway was never called under a live key: the order can safely wait for a new run.
    return moveTransaction(db, transactionId, from, { status: 'pending', error: null }, clock.now()) ? 'pending' : undefined;
  }
  let answer: PurchaseLookup = 'completed';
  if (attempt.outcome !== 'completed') {
    try {
      answer = await deps.gateway.lookupPurchase(attempt.idempotencyKey, { signal: AbortSignal.timeout(deps.gatewayTimeoutMs) });
    } catch (error) {
      deps.logger.warn(`reconcile: no answer for transaction ${transactionId}: ${error instanceof Error ? error.message : String(error)}`);
      answer = 'unknown';
    }
  }
  const now = clock.now();
  return db.transaction(
    (tx) => {
      // Another reconciler (a run's, the admin's, a restart's) may have settled this attempt while
      // the gateway was asked, and a new attempt may even be under way: act only on the attempt
      // that was asked about, while it is still the latest and unsettled.
      const latest = latestAttemptFor(tx, transactionId);
      if (latest?.idempotencyKey !== attempt.idempotencyKey || latest.outcome !== attempt.outcome) return undefined;
      if (answer === 'completed') {
        const moved = moveTransaction(
          tx,
          transactionId,
          from,
          { status: 'completed', usedAccountId: attempt.accountId, usedAccount: attempt.accountUsername, error: null, completedAt: now },
          now,
        );
        if (moved) settleAttempt(tx, attempt.idempotencyKey, 'completed', null, now);
        return moved ? 'completed' : undefined;
      }
      if (answer === 'failed') {
        const moved = moveTransaction(tx, transactionId, from, { status: 'pending', usedAccountId: null, usedAccount: null, error: null }, now);
        if (!moved) return undefined;
        settleAttempt(tx, attempt.idempotencyKey, 'failed', 'The gateway says this purchase did not go through', now);
        // The balance was reserved when the attempt was stored; nothing was spent.
        if (attempt.accountId) refundBalance(tx, attempt.accountId, attempt.price, now);
        return 'pending';
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
    },
    { behavior: 'immediate' },
  );
}
