// /api/admin/stock-accounts: add, list, update, delete.
import type { Hono } from 'hono';
import * as v from 'valibot';
import { presentAccount } from '../http/present.js';
import { actorOf } from '../http/principal.js';
import { readJson } from '../http/read-json.js';
import { resource } from '../http/resource.js';
import type { AccountService } from '../services/accounts.js';

const credential = v.pipe(
  v.string('must be a string'),
  v.trim(),
  v.nonEmpty('must not be empty'),
  v.maxLength(8192, 'must be at most 8192 characters'),
);

export const addAccountBody = v.strictObject({ robloxCookie: credential });
export const updateAccountBody = v.strictObject({
  robloxCookie: v.optional(credential),
  status: v.optional(v.picklist(['active', 'inactive'], 'must be "active" or "inactive"')),
});

export function stockAccountRoutes(app: Hono, accounts: AccountService): void {
  resource(app, '/api/admin/stock-accounts', {
    GET: (c) => c.json({ stockAccounts: accounts.list().map((row) => presentAccount(row)) }),
    POST: async (c) => {
      const body = await readJson(c, addAccountBody);
      const { account, created, sessionId } = await accounts.add(body.robloxCookie, actorOf(c));
      return c.json({ stockAccount: presentAccount(account), autoPurchase: { sessionId } }, created ? 201 : 200);
    },
  });
  resource(app, '/api/admin/stock-accounts/:id', {
    PUT: async (c) => {
      const body = await readJson(c, updateAccountBody);
      const { account, sessionId } = await accounts.update(c.req.param('id')!, { credential: body.robloxCookie, status: body.status }, actorOf(c));
      return c.json({ stockAccount: presentAccount(account), autoPurchase: { sessionId } });
    },
    DELETE: (c) => {
      accounts.remove(c.req.param('id')!, actorOf(c));
      return c.body(null, 204);
    },
  });
}
