// The rows a purchase touches: claiming an order, reserving a balance, recording an attempt.
// Every change is conditional on the state it expects, so a stale caller changes nothing.
// Hot-path statements are prepared once per database handle: pass the root handle, also inside
// a transaction.
import { and, asc, desc, eq, gte, inArray, sql } from 'drizzle-orm';
import { value } from '../db/placeholder.js';
import { preparedFor } from '../db/prepared.js';
import { purchaseAttempts, stockAccounts, transactions, type AttemptOutcome, type TransactionStatus } from '../db/schema.js';
import type { Db } from '../db/types.js';

export type AttemptRow = typeof purchaseAttempts.$inferSelect;


const statements = preparedFor((db) => ({
  accounts: db
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
    .prepare(),
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
  reserve: db
    .update(stockAccounts)
    .set({ robux: sql`${stockAccounts.robux} - ${value('price')}`, updatedAt: value('now') })
    .where(and(eq(stockAccounts.id, value('id')), eq(stockAccounts.status, 'active'), gte(stockAccounts.robux, value('price'))))
    .returning({ robux: stockAccounts.robux })
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

export type ChoosableAccount = ReturnType<typeof accountsForChoosing>[number];

export function accountsForChoosing(db: Db) {
  return statements(db).accounts.all();
}

/** Takes the price off an active account's balance, only while the balance covers it. */
export function reserveBalance(db: Db, accountId: string, price: number, now: number): number | undefined {
  return statements(db).reserve.get({ id: accountId, price, now })?.robux;
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

/** Inside a `write()` only, like every balance change here (their RETURNING reads lose a failed commit outside one). */
export function setAccountState(tx: Db, accountId: string, state: { robux?: number; status?: 'active' | 'inactive' | 'invalid'; lastChecked?: number }, now: number) {
  return tx
    .update(stockAccounts)
    .set({ ...state, updatedAt: now })
    .where(eq(stockAccounts.id, accountId))
    .returning({ robux: stockAccounts.robux, status: stockAccounts.status })
    .get();
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

/**
 * The robux held back on an account for purchases nobody has settled yet: in flight (`pending`)
 * or `unknown`. Reserved when the attempt was stored, given back only when the gateway says the
 * purchase did not happen.
 */
export function outstandingReservations(db: Db, accountId: string): number {
  return (
    db
      .select({ total: sql<number>`coalesce(sum(${purchaseAttempts.price}), 0)` })
      .from(purchaseAttempts)
      .where(and(eq(purchaseAttempts.accountId, accountId), inArray(purchaseAttempts.outcome, ['pending', 'unknown'])))
      .get()?.total ?? 0
  );
}

/**
 * The balance to store from a gateway reading: the reading less what is still reserved, since the
 * gateway may not count those purchases yet. Money is reserved, not assumed; the next reading
 * after they settle puts the balance right.
 */
export function storeGatewayBalance(db: Db, accountId: string, gatewayRobux: number, now: number) {
  const robux = Math.max(0, gatewayRobux - outstandingReservations(db, accountId));
  return setAccountState(db, accountId, { robux, lastChecked: now }, now);
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

/**
 * Settles an unsettled attempt (`pending` or `unknown`) with its order, in the caller's
 * transaction: bought → the order completed by the attempt's account, the robux stay spent; not
 * bought → the order moved on and the reserved price given back to the account, if it still
 * exists. Only while the order is still in `from`: answers whether it was (else nothing changes).
 */
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
