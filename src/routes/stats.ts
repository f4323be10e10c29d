// GET /api/stats?from=&to=: the stats page's numbers (SPEC §4).
import type { Hono } from 'hono';
import * as v from 'valibot';
import { checked } from '../http/read-json.js';
import { resource } from '../http/resource.js';
import { endOfDayIfDateOnly, isoDateParam } from '../http/dates.js';
import type { StatsService } from '../services/stats.js';

export const statsQuery = v.strictObject({ from: v.optional(isoDateParam), to: v.optional(isoDateParam) });

export function statsRoutes(app: Hono, stats: StatsService): void {
  resource(app, '/api/stats', {
    GET: (c) => {
      const query = checked(statsQuery, c.req.query(), 'query');
      const to = query.to === undefined ? undefined : endOfDayIfDateOnly(c.req.query('to')!, query.to);
      return c.json(stats.forRange({ from: query.from, to }));
    },
  });
}
