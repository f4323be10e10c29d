// Orders and their purchase attempts (balances: accounts.ts). Each change is conditional on the state it
// expects, so a stale caller changes nothing; hot-path statements take the root handle, also in a transaction.
import { and, asc, desc, eq, inArray, sql } from 'drizzle-orm';
import { value } from '../db/placeholder.js';
import { preparedFor } from '../db/prepared.js';
import { purchaseAttempts, transactions, type AttemptOutcome, type TransactionStatus } from '../db/schema.js';
import type { Db } from '../db/types.js';
import { refundBalance } from './accounts.js';

export type AttemptRow = typeof purchaseAttempts.$inferSelect;

const statements = preparedFor((db) => ({
  claim: db
    .update(transactions)
    .set({ status: 'processing', updatedAt: value('now') })
    .where(and(eq(transactions.id, value('id')), eq(transactions.status, 'pending')))
    .returning({ id: transactions.id })
    .prepare(),
  countAttempt: db
    .update(transactions)
    .set({ attempts: sql`${transactions.attempts} + 1`, updatedAt: value('now') })
    .where(eq(transactions.id, value('id')))
    .prepare(),
  complete: db
    .update(transactions)
    .set({ status: 'completed', usedAccountId: value('accountId'), usedAccount: value('username'), error: null, completedAt: value('now'), updatedAt: value('now') })
    // A purchase the gateway confirmed completes its order whatever a stale reconciler did to it.
    .where(and(eq(transactions.id, value('id')), inArray(transactions.status, ['processing', 'pending', 'unknown'])))
    .returning({ id: transactions.id })
    .prepare(),
  insertAttempt: db
    .insert(purchaseAttempts)
    .values({
      idempotencyKey: value('idempotencyKey'),
      transactionId: value('transactionId'),
      accountId: value('accountId'),
      accountUsername: value('accountUsername'),
      price: value('price'),
      outcome: 'pending',
      createdAt: value('now'),
      updatedAt: value('now'),
    })
    .prepare(),
  settleAttempt: db
    .update(purchaseAttempts)
    .set({ outcome: sql`${value('outcome')}`, error: value('error'), updatedAt: value('now') })
    .where(eq(purchaseAttempts.idempotencyKey, value('key')))
    .prepare(),
}));

export function pendingOldestFirst(db: Db) {
  return db.select().from(transactions).where(eq(transactions.status, 'pending')).orderBy(asc(transactions.createdAt), asc(transactions.id)).all();
}

export function transactionIdsWithStatus(db: Db, status: TransactionStatus): number[] {
  return db
    .select({ id: transactions.id })
    .from(transactions)
    .where(eq(transactions.status, status))
    .orderBy(asc(transactions.id))
    .all()
    .map((row) => row.id);
}

/** pending → processing, only while still pending: whoever claims it first processes it. */
export function claimPending(db: Db, id: number, now: number): boolean {
  return statements(db).claim.get({ id, now }) !== undefined;
}

/** One more purchase attempt of this transaction. */
export function countAttempt(db: Db, id: number, now: number): void {
  statements(db).countAttempt.run({ id, now });
}

/** → completed by this account: the gateway confirmed the purchase (never from completed or failed). */
export function completeTransaction(db: Db, id: number, account: { id: string | null; username: string | null }, now: number): boolean {
  return statements(db).complete.get({ id, accountId: account.id, username: account.username, now }) !== undefined;
}

/** Moves a transaction from one status to another, only if it is still in the first. */
export function moveTransaction(
  db: Db,
  id: number,
  from: TransactionStatus | readonly TransactionStatus[],
  to: {
    status: TransactionStatus;
    usedAccountId?: string | null;
    usedAccount?: string | null;
    error?: string | null;
    completedAt?: number | null;
  },
  now: number,
): boolean {
  const fromList = typeof from === 'string' ? [from] : [...from];
  const moved = db
    .update(transactions)
    .set({ ...to, updatedAt: now })
    .where(and(eq(transactions.id, id), inArray(transactions.status, fromList)))
    .returning({ id: transactions.id })
    .all();
  return moved.length === 1;
}

export function insertAttempt(
  db: Db,
  attempt: { idempotencyKey: string; transactionId: number; accountId: string; accountUsername: string; price: number },
  now: number,
): void {
  statements(db).insertAttempt.run({ ...attempt, now });
}

export function settleAttempt(db: Db, idempotencyKey: string, outcome: AttemptOutcome, error: string | null, now: number): void {
  statements(db).settleAttempt.run({ key: idempotencyKey, outcome, error, now });
}

export function latestAttemptFor(db: Db, transactionId: number): AttemptRow | undefined {
  return db.select().from(purchaseAttempts).where(eq(purchaseAttempts.transactionId, transactionId)).orderBy(desc(purchaseAttempts.id)).limit(1).get();
}

/** True while a purchase with this account is in flight (its attempt not yet settled). */
export function hasAttemptInFlight(db: Db, accountId: string): boolean {
  return (
    db
      .select({ id: purchaseAttempts.id })
      .from(purchaseAttempts)
      .where(and(eq(purchaseAttempts.accountId, accountId), eq(purchaseAttempts.outcome, 'pending')))
      .limit(1)
      .get() !== undefined
  );
}

/** How an attempt nobody saw finish ended, as far as its order and the reserved robux go. */
export type PurchaseSettlement =
  | { bought: true }
  | { bought: false; order: { status: 'pending' | 'failed'; error: string | null }; attemptError: string };

/** Settles an unsettled attempt with its order, only while the order is still in `from` (answers whether it
 * was): bought → completed by the attempt's account; not bought → the order moves on, the price goes back. */
export function settlePurchase(
  db: Db,
  attempt: AttemptRow,
  from: TransactionStatus | readonly TransactionStatus[],
  settlement: PurchaseSettlement,
  now: number,
): boolean {
  if (settlement.bought) {
    const moved = moveTransaction(
      db,
      attempt.transactionId,
      from,
      { status: 'completed', usedAccountId: attempt.accountId, usedAccount: attempt.accountUsername, error: null, completedAt: now },
      now,
    );
    if (moved) settleAttempt(db, attempt.idempotencyKey, 'completed', null, now);
    return moved;
  }
  const moved = moveTransaction(
    db,
    attempt.transactionId,
    from,
    { status: settlement.order.status, usedAccountId: null, usedAccount: null, error: settlement.order.error },
    now,
  );
  if (!moved) return false;
  settleAttempt(db, attempt.idempotencyKey, 'failed', settlement.attemptError, now);
  // The balance was reserved when the attempt was stored; nothing was spent.
  if (attempt.accountId) refundBalance(db, attempt.accountId, attempt.price, now);
  return true;
}
