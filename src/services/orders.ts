// Customer orders arrive paid and wait as pending transactions.
import type { Clock } from '../clock.js';
import type { TransactionStatus } from '../db/schema.js';
import type { Db } from '../db/types.js';
import { decodeCursor, pageOf } from '../http/paging.js';
import * as store from '../stores/transactions.js';

export interface OrderInput {
  invoiceId: string;
  gamepass: { id?: number | null; name?: string | null; price?: number | null; sellerId?: number | null };
}

export type OrderService = ReturnType<typeof createOrderService>;

export function createOrderService(deps: { db: Db; clock: Clock }) {
  const { db, clock } = deps;
  return {
    /** Records a pending order; the same invoice again answers the stored one and writes nothing. */
    record(order: OrderInput): { transaction: store.TransactionRow; created: boolean } {
      const now = clock.now();
      const inserted = store.insertTransactionOnce(db, {
        invoiceId: order.invoiceId,
        gamepassId: order.gamepass.id ?? null,
        gamepassName: order.gamepass.name ?? null,
        gamepassPrice: order.gamepass.price ?? null,
        gamepassSellerId: order.gamepass.sellerId ?? null,
        status: 'pending',
        createdAt: now,
        updatedAt: now,
      });
      if (inserted) return { transaction: inserted, created: true };
      return { transaction: store.transactionByInvoice(db, order.invoiceId)!, created: false };
    },

    list(query: { status?: TransactionStatus; cursor?: string; limit: number }) {
      const beforeId = query.cursor === undefined ? undefined : (decodeCursor(query.cursor, ['number'])[0] as number);
      const rows = store.transactionsNewestFirst(db, { status: query.status, beforeId, limit: query.limit + 1 });
      return pageOf(rows, query.limit, (row) => [row.id]);
    },
  };
}
