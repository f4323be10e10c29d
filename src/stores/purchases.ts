// The rows a purchase touches: claiming an order, reserving a balance, recording an attempt.
// Every change is conditional on the state it expects, so a stale caller changes nothing.
import { and, asc, desc, eq, gte, inArray, sql } from 'drizzle-orm';
import { purchaseAttempts, stockAccounts, transactions, type AttemptOutcome, type TransactionStatus } from '../db/schema.js';
import type { Db } from '../db/types.js';

export type AttemptRow = typeof purchaseAttempts.$inferSelect;

export function pendingOldestFirst(tx: Db) {
  return tx.select().from(transactions).where(eq(transactions.status, 'pending')).orderBy(asc(transactions.createdAt), asc(transactions.id)).all();
}

export function transactionIdsWithStatus(tx: Db, status: TransactionStatus): number[] {
  return tx
    .select({ id: transactions.id })
    .from(transactions)
    .where(eq(transactions.status, status))
    .orderBy(asc(transactions.id))
    .all()
    .map((row) => row.id);
}

/** Moves a transaction from one status to another, only if it is still in the first. */
export function moveTransaction(
  tx: Db,
  id: number,
  from: TransactionStatus | readonly TransactionStatus[],
  to: {
    status: TransactionStatus;
    usedAccountId?: string | null;
    usedAccount?: string | null;
    error?: string | null;
    completedAt?: number | null;
    attemptsDelta?: number;
  },
  now: number,
): boolean {
  const fromList = typeof from === 'string' ? [from] : [...from];
  const { attemptsDelta, ...fields } = to;
  const moved = tx
    .update(transactions)
    .set({ ...fields, updatedAt: now, ...(attemptsDelta ? { attempts: sql`${transactions.attempts} + ${attemptsDelta}` } : {}) })
    .where(and(eq(transactions.id, id), inArray(transactions.status, fromList)))
    .returning({ id: transactions.id })
    .all();
  return moved.length === 1;
}

export function accountsForChoosing(tx: Db) {
  return tx
    .select({
      id: stockAccounts.id,
      username: stockAccounts.username,
      robux: stockAccounts.robux,
      status: stockAccounts.status,
      createdAt: stockAccounts.createdAt,
      credentialEnc: stockAccounts.credentialEnc,
    })
    .from(stockAccounts)
    .orderBy(asc(stockAccounts.createdAt), asc(stockAccounts.id))
    .all();
}

/** Takes the price off an active account's balance, only while the balance covers it. */
export function reserveBalance(tx: Db, accountId: string, price: number, now: number): number | undefined {
  return tx
    .update(stockAccounts)
    .set({ robux: sql`${stockAccounts.robux} - ${price}`, updatedAt: now })
    .where(and(eq(stockAccounts.id, accountId), eq(stockAccounts.status, 'active'), gte(stockAccounts.robux, price)))
    .returning({ robux: stockAccounts.robux })
    .get()?.robux;
}

/** Gives a reserved price back; answers the account's new balance and status, if it still exists. */
export function refundBalance(tx: Db, accountId: string, price: number, now: number) {
  return tx
    .update(stockAccounts)
    .set({ robux: sql`${stockAccounts.robux} + ${price}`, updatedAt: now })
    .where(eq(stockAccounts.id, accountId))
    .returning({ robux: stockAccounts.robux, status: stockAccounts.status })
    .get();
}

export function setAccountState(tx: Db, accountId: string, state: { robux?: number; status?: 'active' | 'inactive' | 'invalid'; lastChecked?: number }, now: number) {
  return tx
    .update(stockAccounts)
    .set({ ...state, updatedAt: now })
    .where(eq(stockAccounts.id, accountId))
    .returning({ robux: stockAccounts.robux, status: stockAccounts.status })
    .get();
}

export function insertAttempt(
  tx: Db,
  attempt: { idempotencyKey: string; transactionId: number; accountId: string; accountUsername: string; price: number },
  now: number,
): void {
  tx.insert(purchaseAttempts).values({ ...attempt, outcome: 'pending', createdAt: now, updatedAt: now }).run();
}

export function settleAttempt(tx: Db, idempotencyKey: string, outcome: AttemptOutcome, error: string | null, now: number): void {
  tx.update(purchaseAttempts).set({ outcome, error, updatedAt: now }).where(eq(purchaseAttempts.idempotencyKey, idempotencyKey)).run();
}

export function latestAttemptFor(tx: Db, transactionId: number): AttemptRow | undefined {
  return tx.select().from(purchaseAttempts).where(eq(purchaseAttempts.transactionId, transactionId)).orderBy(desc(purchaseAttempts.id)).limit(1).get();
}

/** True while a purchase with this account is in flight (its attempt not yet settled). */
export function hasAttemptInFlight(tx: Db, accountId: string): boolean {
  return (
    tx
      .select({ id: purchaseAttempts.id })
      .from(purchaseAttempts)
      .where(and(eq(purchaseAttempts.accountId, accountId), eq(purchaseAttempts.outcome, 'pending')))
      .limit(1)
      .get() !== undefined
  );
}
