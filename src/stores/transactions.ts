// Transaction (customer order) rows.
import { and, count, desc, eq, lt, type SQL } from 'drizzle-orm';
import { transactions, type TransactionStatus } from '../db/schema.js';
import type { Db } from '../db/types.js';

export type TransactionRow = typeof transactions.$inferSelect;
export type NewTransactionRow = typeof transactions.$inferInsert;

export interface OrderFields {
  invoiceId: string;
  gamepass: { id?: number | null; name?: string | null; price?: number | null; sellerId?: number | null };
}

/** A paid order as a new pending row; its missing gamepass fields stay null. */
export function pendingOrderRow(order: OrderFields, at: number): NewTransactionRow {
  return {
    invoiceId: order.invoiceId,
    gamepassId: order.gamepass.id ?? null,
    gamepassName: order.gamepass.name ?? null,
    gamepassPrice: order.gamepass.price ?? null,
    gamepassSellerId: order.gamepass.sellerId ?? null,
    status: 'pending',
    createdAt: at,
    updatedAt: at,
  };
}

/**
 * Records the order unless its invoice is stored already; answers the new row, or undefined.
 * Inside a `write()` only: a RETURNING read outside a transaction loses a failed commit's error.
 */
export function insertTransactionOnce(tx: Db, row: NewTransactionRow): TransactionRow | undefined {
  return tx.insert(transactions).values(row).onConflictDoNothing({ target: transactions.invoiceId }).returning().get();
}

export function transactionByInvoice(db: Db, invoiceId: string): TransactionRow | undefined {
  return db.select().from(transactions).where(eq(transactions.invoiceId, invoiceId)).get();
}

export function transactionById(db: Db, id: number): TransactionRow | undefined {
  return db.select().from(transactions).where(eq(transactions.id, id)).get();
}

/** Newest first (ids grow with time), `limit` rows below the cursor's id. */
export function transactionsNewestFirst(
  db: Db,
  filter: { status?: TransactionStatus; beforeId?: number; limit: number },
): TransactionRow[] {
  const conditions: SQL[] = [];
  if (filter.status) conditions.push(eq(transactions.status, filter.status));
  if (filter.beforeId !== undefined) conditions.push(lt(transactions.id, filter.beforeId));
  return db
    .select()
    .from(transactions)
    .where(and(...conditions))
    .orderBy(desc(transactions.id))
    .limit(filter.limit)
    .all();
}

export function countTransactions(db: Db): number {
  return db.select({ n: count() }).from(transactions).get()?.n ?? 0;
}
