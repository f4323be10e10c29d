// GET /api/audit: the audit log (SPEC §12), newest first, filtered and paged like the run history.
import type { Hono } from 'hono';
import * as v from 'valibot';
import { endOfDayIfDateOnly, isoDateParam } from '../http/dates.js';
import { limitSchema, pageBody } from '../http/paging.js';
import { presentAuditEntry } from '../http/present.js';
import { checked } from '../http/read-json.js';
import { resource } from '../http/resource.js';
import type { AuditService } from '../services/audit.js';

const filterText = (what: string) => v.pipe(v.string(), v.maxLength(200, `must be at most 200 characters (${what})`));

export const auditQuery = v.strictObject({
  /** Exact (`account.add`), or every action starting with it when it ends in `.` (`account.`). */
  action: v.optional(filterText('an action, or a prefix ending in "."')),
  /** Exact: `admin token`, `browser session`, `token "<name>"`. */
  actor: v.optional(filterText('an actor')),
  /** Exact (`transaction:42`), or every target starting with it when it ends in `:` (`transaction:`). */
  target: v.optional(filterText('a target, or a prefix ending in ":"')),
  from: v.optional(isoDateParam),
  to: v.optional(isoDateParam),
  cursor: v.optional(v.string()),
  limit: limitSchema,
});

export function auditRoutes(app: Hono, audit: AuditService): void {
  resource(app, '/api/audit', {
    GET: (c) => {
      const query = checked(auditQuery, c.req.query(), 'query');
      const page = audit.list({
        // An empty filter (a cleared field in a form) filters nothing.
        action: query.action || undefined,
        actor: query.actor || undefined,
        target: query.target || undefined,
        from: query.from,
        to: query.to === undefined ? undefined : endOfDayIfDateOnly(c.req.query('to')!, query.to),
        cursor: query.cursor,
        limit: query.limit,
      });
      return c.json(pageBody('entries', page, presentAuditEntry));
    },
  });
}
