// /api/transactions: paid orders in, the list out.
import type { Hono } from 'hono';
import * as v from 'valibot';
import { transactionStatuses } from '../domain/api.js';
import { limitSchema, pageBody } from '../http/paging.js';
import { presentTransaction } from '../http/present.js';
import { actorOf } from '../http/principal.js';
import { checked, jsonObject, readJson } from '../http/read-json.js';
import { resource } from '../http/resource.js';
import type { AutoPurchase } from '../engine/auto-purchase.js';
import { notFound } from '../domain/app-error.js';
import type { OrderService } from '../services/orders.js';
import { resolveOutcomes } from '../services/resolve.js';

const positiveId = v.nullish(
  v.pipe(
    v.number('must be a number'),
    v.safeInteger('must be an integer'),
    v.minValue(1, 'must be a positive integer'),
  ),
);

export const orderBody = v.strictObject({
  invoiceId: v.pipe(
    v.string('must be a string'),
    v.trim(),
    v.nonEmpty('must not be empty'),
    v.maxLength(128, 'must be at most 128 characters'),
  ),
  // Every field may be missing (the run fails such an order), never of the wrong type.
  gamepass: jsonObject(
    v.strictObject({
      id: positiveId,
      name: v.nullish(v.pipe(v.string('must be a string'), v.maxLength(256, 'must be at most 256 characters'))),
      price: positiveId,
      sellerId: positiveId,
    }),
  ),
});

export const resolveNoteMaxLength = 500;

export const resolveBody = v.strictObject({
  outcome: v.picklist(resolveOutcomes, `must be one of: ${resolveOutcomes.join(', ')}`),
  note: v.pipe(
    v.string('must be a string'),
    v.trim(),
    v.nonEmpty('must not be empty: say why'),
    v.maxLength(resolveNoteMaxLength, `must be at most ${resolveNoteMaxLength} characters`),
  ),
});

export const transactionsQuery = v.strictObject({
  status: v.optional(
    v.union(
      [v.literal(''), v.picklist(transactionStatuses)],
      `must be one of: ${transactionStatuses.join(', ')}`,
    ),
  ),
  cursor: v.optional(v.string()),
  limit: limitSchema,
});

export function transactionRoutes(app: Hono, orders: OrderService, engine: AutoPurchase): void {
  resource(app, '/api/transactions', {
    POST: async (c) => {
      const { transaction, created } = orders.record(await readJson(c, orderBody), actorOf(c));
      return c.json({ transaction: presentTransaction(transaction) }, created ? 201 : 200);
    },
    GET: (c) => {
      const query = checked(transactionsQuery, c.req.query(), 'query');
      const page = orders.list({ status: query.status || undefined, cursor: query.cursor, limit: query.limit });
      return c.json(pageBody('transactions', page, (order) => presentTransaction(order.transaction, order.resolution)));
    },
  });
  resource(app, '/api/transactions/:id/retry', {
    POST: (c) => {
      const { transaction, run } = engine.retry(transactionId(c.req.param('id')), actorOf(c));
      return c.json({ transaction: presentTransaction(transaction), autoPurchase: { sessionId: run.sessionId } }, 202);
    },
  });
  resource(app, '/api/transactions/:id/reconcile', {
    POST: async (c) => c.json({ transaction: presentTransaction(await engine.reconcile(transactionId(c.req.param('id')), actorOf(c))) }),
  });
  resource(app, '/api/transactions/:id/resolve', {
    POST: async (c) => {
      const id = transactionId(c.req.param('id'));
      const body = await readJson(c, resolveBody);
      const { transaction, audit } = orders.resolve(id, { ...body, actor: actorOf(c) });
      return c.json({ transaction: presentTransaction(transaction, audit) });
    },
  });
}

function transactionId(param: string | undefined): number {
  if (!param || !/^[1-9]\d{0,15}$/.test(param)) throw notFound('Transaction');
  return Number(param);
}
