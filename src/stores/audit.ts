// Audit-log rows (SPEC §12): who changed what, when, and how it ended. Never a secret in any column.
import { and, desc, eq, gte, inArray, lt, lte, max, ne, or, sql, type SQL } from 'drizzle-orm';
import { auditLog } from '../db/schema.js';
import type { Db } from '../db/types.js';
import { sqlVariableLimit } from '../db/limits.js';

export type AuditRow = typeof auditLog.$inferSelect;
export type NewAuditRow = Omit<typeof auditLog.$inferInsert, 'id'>;

/** Appends one entry; call it inside the `write()` that makes the change it records. */
export function appendAudit(tx: Db, entry: NewAuditRow): AuditRow {
  return tx.insert(auditLog).values(entry).returning().get();
}

/**
 * The latest entry of one action (with one of `outcomes`, when given) for each of these targets, in
 * one query (a page's worth of targets, through the `(target, id)` index), keyed by target.
 */
export function latestAuditByTarget(db: Db, action: string, targets: readonly string[], outcomes?: readonly string[]): Map<string, AuditRow> {
  const found = new Map<string, AuditRow>();
  // The targets are bound parameters: cut to what one statement may carry (100 in a Durable Object).
  const perQuery = Math.max(1, sqlVariableLimit() - 1 - (outcomes?.length ?? 0) - 1);
  for (let i = 0; i < targets.length; i += perQuery) {
    const chunk = targets.slice(i, i + perQuery);
    const latestIds = db
      .select({ id: max(auditLog.id) })
      .from(auditLog)
      .where(and(eq(auditLog.action, action), inArray(auditLog.target, chunk), outcomes ? inArray(auditLog.outcome, [...outcomes]) : undefined))
      .groupBy(auditLog.target);
    for (const row of db.select().from(auditLog).where(inArray(auditLog.id, latestIds)).all()) found.set(row.target, row);
  }
  return found;
}

/**
 * What `GET /api/audit` filters on. `action` and `target` match exactly, or as a prefix when they end
 * in `.` (`account.`) or `:` (`transaction:`); `from` / `to` bound `at` (epoch ms, inclusive).
 */
export interface AuditFilter {
  action?: string;
  actor?: string;
  target?: string;
  from?: number;
  to?: number;
}

/** Entries newest first (by `at`, then id, through the `(at, id)` index), strictly before `before`. */
export function auditNewestFirst(db: Db, filter: AuditFilter & { before?: [number, number]; limit: number }): AuditRow[] {
  const conditions: (SQL | undefined)[] = [
    filter.action ? matches(auditLog.action, filter.action, '.') : undefined,
    filter.actor ? eq(auditLog.actor, filter.actor) : undefined,
    filter.target ? matches(auditLog.target, filter.target, ':') : undefined,
    filter.from !== undefined ? gte(auditLog.at, filter.from) : undefined,
    filter.to !== undefined ? lte(auditLog.at, filter.to) : undefined,
  ];
  if (filter.before) {
    const [at, id] = filter.before;
    conditions.push(or(lt(auditLog.at, at), and(eq(auditLog.at, at), lt(auditLog.id, id))));
  }
  return db
    .select()
    .from(auditLog)
    .where(and(...conditions))
    .orderBy(desc(auditLog.at), desc(auditLog.id))
    .limit(filter.limit)
    .all();
}

/**
 * Equal to `value`, or starting with it when it ends in `prefixMark` (no LIKE, so `_` and `%` are
 * plain; SQLite's substr counts characters, hence the code points).
 */
function matches(column: typeof auditLog.action | typeof auditLog.target, value: string, prefixMark: string): SQL {
  return value.endsWith(prefixMark) ? sql`substr(${column}, 1, ${[...value].length}) = ${value}` : eq(column, value);
}

/** Deletes up to `limit` entries older than `cutoff` (HISTORY_RETENTION); answers how many. */
export function deleteOldAudit(tx: Db, cutoff: number, limit: number): number {
  // A hand resolution stays: the transaction it settled is kept for good, and shows it (who, why).
  const batch = tx
    .select({ id: auditLog.id })
    .from(auditLog)
    .where(and(lt(auditLog.at, cutoff), ne(auditLog.action, 'transaction.resolve')))
    .orderBy(auditLog.at)
    .limit(limit);
  return tx.delete(auditLog).where(inArray(auditLog.id, batch)).returning({ id: auditLog.id }).all().length;
}
