// Customer orders arrive paid and wait as pending transactions.
import type { Clock } from '../clock.js';
import type { TransactionStatus } from '../domain/api.js';
import type { Db } from '../db/types.js';
import type { Page } from '../domain/paging.js';
import { write } from '../db/write.js';
import { appendAudit, type AuditRow } from '../stores/audit.js';
import * as store from '../stores/transactions.js';
import { readPage, type PageRequest } from './paging.js';
import { resolutionsOf, resolveUnknownOrder, transactionTarget, type ResolveInput } from './resolve.js';

export type OrderInput = store.OrderFields;

/** An order of a listed page, with its hand resolution when it has one. */
export interface ListedOrder {
  transaction: store.TransactionRow;
  resolution?: AuditRow;
}

export type OrderService = ReturnType<typeof createOrderService>;

export function createOrderService(deps: { db: Db; clock: Clock }) {
  const { db, clock } = deps;
  return {
    /**
     * Records a pending order, audited as `order.add` by `actor`; the same invoice again answers the
     * stored one and writes nothing.
     */
    record(order: OrderInput, actor: string): { transaction: store.TransactionRow; created: boolean } {
      const now = clock.now();
      // One transaction: the answer is given only once the row (and its audit entry) is committed (SPEC §11).
      return write(db, (tx) => {
        const inserted = store.insertTransactionOnce(tx, store.pendingOrderRow(order, now));
        if (inserted) {
          appendAudit(tx, { at: now, actor, action: 'order.add', target: transactionTarget(inserted.id), outcome: 'ok', note: inserted.invoiceId });
          return { transaction: inserted, created: true };
        }
        return { transaction: store.transactionByInvoice(tx, order.invoiceId)!, created: false };
      });
    },

    /** Newest first. */
    list(query: PageRequest & { status?: TransactionStatus }): Page<ListedOrder> {
      const page = readPage(
        query,
        ['number'],
        (after: [number] | undefined, limit) => store.transactionsNewestFirst(db, { status: query.status, beforeId: after?.[0], limit }),
        (row): [number] => [row.id],
      );
      // The hand resolutions shown beside the orders: one query for the page.
      const resolutions = resolutionsOf(db, page.items.map((row) => row.id));
      return { ...page, items: page.items.map((row) => ({ transaction: row, resolution: resolutions.get(row.id) })) };
    },

    /** POST /api/transactions/:id/resolve: an `unknown` order settled by hand, audited. */
    resolve(transactionId: number, resolution: ResolveInput) {
      return resolveUnknownOrder({ db, clock }, transactionId, resolution);
    },
  };
}
