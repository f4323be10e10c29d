// Stock-account rows and their balances: each function answers one question or makes one change.
// A balance changes only by a conditional update, so it never goes negative (SPEC §3).
import { and, asc, eq, gte, inArray, sql } from 'drizzle-orm';
import { value } from '../db/placeholder.js';
import { purchaseAttempts, stockAccounts, type AccountStatus } from '../db/schema.js';
import { preparedFor } from '../db/prepared.js';
import type { Db } from '../db/types.js';

export type AccountRow = typeof stockAccounts.$inferSelect;

// The engine's hot path: prepared once per database handle (pass the root handle, also inside a transaction).
const statements = preparedFor((db) => ({
  list: db.select().from(stockAccounts).orderBy(asc(stockAccounts.createdAt), asc(stockAccounts.id)).prepare(),
  choosable: db
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
  reserve: db
    .update(stockAccounts)
    .set({ robux: sql`${stockAccounts.robux} - ${value('price')}`, updatedAt: value('now') })
    .where(and(eq(stockAccounts.id, value('id')), eq(stockAccounts.status, 'active'), gte(stockAccounts.robux, value('price'))))
    .returning({ robux: stockAccounts.robux })
    .prepare(),
}));

export function listAccounts(db: Db): AccountRow[] {
  return statements(db).list.all();
}

export function accountById(db: Db, id: string): AccountRow | undefined {
  return db.select().from(stockAccounts).where(eq(stockAccounts.id, id)).get();
}

/** Inserts the account, or updates the row of the same platform user: one statement, so two admins adding it
 * at once get one row. Inside a `write()` only (a RETURNING read outside one loses a failed commit's error). */
export function upsertAccountByUser(tx: Db, row: AccountRow): AccountRow {
  return tx
    .insert(stockAccounts)
    .values(row)
    .onConflictDoUpdate({
      target: stockAccounts.userId,
      set: {
        username: row.username,
        displayName: row.displayName,
        robux: row.robux,
        credentialEnc: row.credentialEnc,
        // A fresh credential revives an invalid account; one the admin switched off stays off.
        status: sql`case when ${stockAccounts.status} = 'inactive' then 'inactive' else 'active' end`,
        lastChecked: row.lastChecked,
        updatedAt: row.updatedAt,
      },
    })
    .returning()
    .get();
}

export interface AccountChanges {
  username?: string;
  displayName?: string;
  robux?: number;
  status?: AccountStatus;
  credentialEnc?: string;
  lastChecked?: number;
  updatedAt: number;
}

/** Inside a `write()` only: a RETURNING read outside a transaction loses a failed commit's error. */
export function updateAccount(tx: Db, id: string, changes: AccountChanges): AccountRow | undefined {
  return tx.update(stockAccounts).set(changes).where(eq(stockAccounts.id, id)).returning().get();
}

export function deleteAccount(db: Db, id: string): boolean {
  return db.delete(stockAccounts).where(eq(stockAccounts.id, id)).returning({ id: stockAccounts.id }).all().length > 0;
}

export type ChoosableAccount = ReturnType<typeof accountsForChoosing>[number];

export function accountsForChoosing(db: Db) {
  return statements(db).choosable.all();
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

/** The robux held back for purchases nobody has settled yet (`pending`, `unknown`): given back only when the
 * gateway says the purchase did not happen. */
export function outstandingReservations(db: Db, accountId: string): number {
  return (
    db
      .select({ total: sql<number>`coalesce(sum(${purchaseAttempts.price}), 0)` })
      .from(purchaseAttempts)
      .where(and(eq(purchaseAttempts.accountId, accountId), inArray(purchaseAttempts.outcome, ['pending', 'unknown'])))
      .get()?.total ?? 0
  );
}

/** A gateway reading less what is still reserved, which the gateway may not count yet (money is reserved,
 * not assumed); the next reading after those purchases settle puts the balance right. */
export function storeGatewayBalance(db: Db, accountId: string, gatewayRobux: number, now: number) {
  const robux = Math.max(0, gatewayRobux - outstandingReservations(db, accountId));
  return setAccountState(db, accountId, { robux, lastChecked: now }, now);
}
