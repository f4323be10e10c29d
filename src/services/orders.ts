// Customer orders arrive paid and wait as pending transactions.
import type { Clock } from '../clock.js';
import type { TransactionStatus } from '../db/schema.js';
import type { Db } from '../db/types.js';
import { decodeCursor, pageOf } from '../domain/paging.js';
import { write } from '../db/write.js';
import * as store from '../stores/transactions.js';
import { resolutionsOf, resolveUnknownOrder, type Resolution } from './resolve.js';

export type OrderInput = store.OrderFields;

export type OrderService = ReturnType<typeof createOrderService>;

export function createOrderService(deps: { db: Db; clock: Clock }) {
  const { db, clock } = deps;
  return {
    /** Records a pending order; the same invoice again answers the stored one and writes nothing. */
    record(order: OrderInput): { transaction: store.TransactionRow; created: boolean } {
      const now = clock.now();
      // One transaction: the answer is given only once the row is committed (SPEC §11).
      return write(db, (tx) => {
        const inserted = store.insertTransactionOnce(tx, store.pendingOrderRow(order, now));
        if (inserted) return { transaction: inserted, created: true };
        return { transaction: store.transactionByInvoice(tx, order.invoiceId)!, created: false };
      });
    },

    list(query: { status?: TransactionStatus; cursor?: string; limit: number }) {
      const beforeId = query.cursor === undefined ? undefined : (decodeCursor(query.cursor, ['number'])[0] as number);
      const rows = store.transactionsNewestFirst(db, { status: query.status, beforeId, limit: query.limit + 1 });
      const page = pageOf(rows, query.limit, (row) => [row.id]);
      // The hand resolutions shown beside the orders: one query for the page.
      return { ...page, resolutions: resolutionsOf(db, page.items.map((row) => row.id)) };
    },

    /** POST /api/transactions/:id/resolve: an `unknown` order settled by hand, audited. */
    resolve(transactionId: number, resolution: Resolution) {
      return resolveUnknownOrder({ db, clock }, transactionId, resolution);
    },
  };
}
