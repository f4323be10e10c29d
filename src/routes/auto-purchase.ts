// /api/auto-purchase: start a run by hand, its snapshot, and the run history.
import type { Context, Hono } from 'hono';
import { accepts } from 'hono/accepts';
import * as v from 'valibot';
import { runStatuses } from '../domain/run.js';
import type { AutoPurchase } from '../engine/auto-purchase.js';
import { limitSchema, pageBody } from '../http/paging.js';
import { checked, readJson } from '../http/read-json.js';
import { resource } from '../http/resource.js';
import { endOfDayIfDateOnly, isoDateParam } from '../http/dates.js';
import { compressAboveBytes } from '../http/compress-json.js';
import { actorOf } from '../http/principal.js';
import type { RunService } from '../services/runs.js';
import type { EncodedSnapshot } from '../stream/snapshot-cache.js';

export const triggerBody = v.strictObject({
  stockAccountId: v.optional(v.pipe(v.string('must be a string'), v.nonEmpty('must not be empty'))),
});

export const sessionsQuery = v.strictObject({
  status: v.optional(v.union([v.literal(''), v.picklist(runStatuses)], `must be one of: ${runStatuses.join(', ')}`)),
  from: v.optional(isoDateParam),
  to: v.optional(isoDateParam),
  stockAccountId: v.optional(v.string()),
  cursor: v.optional(v.string()),
  limit: limitSchema,
});

export function autoPurchaseRoutes(app: Hono, engine: Pick<AutoPurchase, 'trigger'>, runs: RunService, options: { compress?: boolean } = {}): void {
  resource(app, '/api/auto-purchase', {
    POST: async (c) => {
      // An empty body starts a run with no trigger account.
      const body = c.req.header('content-length') === '0' || !c.req.header('content-type') ? {} : await readJson(c, triggerBody);
      // Audited as `run.start` in the trigger's transaction, even when it joins the active run.
      const { sessionId } = engine.trigger({ stockAccountId: body.stockAccountId, actor: actorOf(c) });
      return c.json({ sessionId }, 202);
    },
  });
  resource(app, '/api/auto-purchase/progress/:sessionId', {
    GET: (c) => snapshotAnswer(c, runs.progress(c.req.param('sessionId')!), options.compress !== false),
  });
  resource(app, '/api/auto-purchase/sessions', {
    GET: (c) => {
      const query = checked(sessionsQuery, c.req.query(), 'query');
      const page = runs.history({
        // An empty filter (a cleared select in a form) filters nothing.
        status: query.status || undefined,
        from: query.from,
        to: query.to === undefined ? undefined : endOfDayIfDateOnly(c.req.query('to')!, query.to),
        stockAccountId: query.stockAccountId || undefined,
        cursor: query.cursor,
        limit: query.limit,
      });
      return c.json(pageBody('sessions', page));
    },
  });
}

/**
 * The snapshot's bytes as encoded once for every client at this seq (and the stream), gzip-compressed
 * once when the client accepts it; the app's compression then leaves the answer alone.
 */
async function snapshotAnswer(c: Context, snapshot: EncodedSnapshot, compress: boolean): Promise<Response> {
  const headers: Record<string, string> = { 'Content-Type': 'application/json', Vary: 'Accept-Encoding' };
  const gzip = compress && snapshot.json.length > compressAboveBytes && accepts(c, { header: 'Accept-Encoding', supports: ['gzip'], default: 'identity' }) === 'gzip';
  const body = gzip ? await snapshot.gzip() : snapshot.json;
  if (gzip) headers['Content-Encoding'] = 'gzip';
  headers['Content-Length'] = String(body.length);
  return c.body(body, 200, headers);
}
