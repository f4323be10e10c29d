// Audit-log rows (SPEC §12): who changed what, when, and how it ended. Never a secret in any column.
import { and, eq, inArray, max } from 'drizzle-orm';
import { auditLog } from '../db/schema.js';
import type { Db } from '../db/types.js';

export type AuditRow = typeof auditLog.$inferSelect;
export type NewAuditRow = Omit<typeof auditLog.$inferInsert, 'id'>;

/** Appends one entry; call it inside the `write()` that makes the change it records. */
export function appendAudit(tx: Db, entry: NewAuditRow): AuditRow {
  return tx.insert(auditLog).values(entry).returning().get();
}

/**
 * The latest entry of one action for each of these targets, in one query (a page's worth of
 * targets, through the `(target, id)` index), keyed by target.
 */
export function latestAuditByTarget(db: Db, action: string, targets: readonly string[]): Map<string, AuditRow> {
  if (targets.length === 0) return new Map();
  const latestIds = db
    .select({ id: max(auditLog.id) })
    .from(auditLog)
    .where(and(eq(auditLog.action, action), inArray(auditLog.target, [...targets])))
    .groupBy(auditLog.target);
  const rows = db.select().from(auditLog).where(inArray(auditLog.id, latestIds)).all();
  return new Map(rows.map((row) => [row.target, row]));
}
