// GET /api/stats?from=&to=: the stats page's numbers (SPEC §4).
import type { Hono } from 'hono';
import * as v from 'valibot';
import type { Clock } from '../clock.js';
import type { Db } from '../db/types.js';
import { badRequest } from '../domain/app-error.js';
import { checked } from '../http/read-json.js';
import { resource } from '../http/resource.js';
import { shopStats } from '../stores/stats.js';
import { endOfDayIfDateOnly, isoDateParam } from '../http/dates.js';

const statsQuery = v.strictObject({ from: v.optional(isoDateParam), to: v.optional(isoDateParam) });
const day = 86_400_000;

export function statsRoutes(app: Hono, db: Db, clock: Clock): void {
  resource(app, '/api/stats', {
    GET: (c) => {
      const query = checked(statsQuery, c.req.query(), 'query');
      const to = query.to === undefined ? clock.now() : endOfDayIfDateOnly(c.req.query('to')!, query.to);
      const from = query.from ?? to - 30 * day;
      if (from > to) throw badRequest('invalid_range', '"from" must not be after "to"');
      return c.json(shopStats(db, { from, to }));
    },
  });
}
