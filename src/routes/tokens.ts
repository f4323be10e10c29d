// /api/tokens: make an API token (shown once), list them, revoke one (SPEC §12). Admin scope.
import type { Hono } from 'hono';
import * as v from 'valibot';
import { isoTime } from '../clock.js';
import type { ApiTokenView } from '../domain/api.js';
import { notFound } from '../domain/app-error.js';
import { tokenScopes } from '../domain/scopes.js';
import { isCalendarDateTime } from '../http/dates.js';
import { actorOf } from '../http/principal.js';
import { readJson } from '../http/read-json.js';
import { resource } from '../http/resource.js';
import type { TokenService } from '../services/tokens.js';
import type { ApiTokenRow } from '../stores/api-tokens.js';

export const createTokenBody = v.strictObject({
  name: v.pipe(
    v.string('must be a string'),
    v.trim(),
    v.maxLength(64, 'must be at most 64 characters'),
    // One pattern (the document's JSON Schema has one per string): something to read, and no control or bidi characters.
    v.regex(/^(?=[^]*\S)[^\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]*$/, 'must not be empty, nor contain control characters'),
  ),
  scope: v.picklist(tokenScopes, 'must be "read", "operate" or "admin"'),
  expiresAt: v.optional(
    v.nullable(
      v.pipe(
        v.string('must be an ISO-8601 date-time string or null'),
        v.regex(/^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/, 'must be an ISO-8601 date or date-time'),
        v.check(isCalendarDateTime, 'must be an ISO-8601 date or date-time on the calendar'),
      ),
    ),
  ),
});

export function tokenRoutes(app: Hono, tokens: TokenService): void {
  resource(app, '/api/tokens', {
    GET: (c) => c.json({ tokens: tokens.list().map(presentToken) }),
    POST: async (c) => {
      const body = await readJson(c, createTokenBody);
      const expiresAt = body.expiresAt == null ? null : Date.parse(body.expiresAt);
      const { token, row } = await tokens.create({ name: body.name, scope: body.scope, expiresAt }, actorOf(c));
      c.header('Cache-Control', 'no-store');
      return c.json({ token, apiToken: presentToken(row) }, 201);
    },
  });
  resource(app, '/api/tokens/:id', {
    DELETE: (c) => {
      const param = c.req.param('id')!;
      if (!/^[1-9]\d{0,15}$/.test(param)) throw notFound('Token');
      tokens.revoke(Number(param), actorOf(c));
      return c.body(null, 204);
    },
  });
}

export function presentToken(row: ApiTokenRow): ApiTokenView {
  return {
    id: row.id,
    name: row.name,
    scope: row.scope,
    prefix: row.prefix,
    createdAt: isoTime(row.createdAt),
    lastUsedAt: isoTime(row.lastUsedAt),
    expiresAt: isoTime(row.expiresAt),
  };
}
