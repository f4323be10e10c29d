// Stock-account rows: each function answers one question or makes one change.
import { asc, eq, sql } from 'drizzle-orm';
import { stockAccounts, type AccountStatus } from '../db/schema.js';
import { preparedFor } from '../db/prepared.js';
import type { Db } from '../db/types.js';

export type AccountRow = typeof stockAccounts.$inferSelect;

const statements = preparedFor((db) => ({
  list: db.select().from(stockAccounts).orderBy(asc(stockAccounts.createdAt), asc(stockAccounts.id)).prepare(),
}));

export function listAccounts(db: Db): AccountRow[] {
  return statements(db).list.all();
}

export function accountById(db: Db, id: string): AccountRow | undefined {
  return db.select().from(stockAccounts).where(eq(stockAccounts.id, id)).get();
}

/**
 * Inserts the account, or, when the platform's user is stored already, updates that row (same id):
 * one statement, so two admins adding the same account at once still get one row.
 */
/** Inside a `write()` only (a RETURNING read outside a transaction loses a failed commit's error). */
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
