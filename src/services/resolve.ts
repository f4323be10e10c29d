// Settling an `unknown` order by hand (SPEC §4, §11): the order, its attempt and the reserved robux
// follow the admin's word, and an audit row records who, when and why, in the same transaction.
import type { Clock } from '../clock.js';
import type { Db } from '../db/types.js';
import { write } from '../db/write.js';
import { AppError, notFound } from '../domain/app-error.js';
import { appendAudit, latestAuditByTarget, type AuditRow } from '../stores/audit.js';
import { latestAttemptFor, moveTransaction, settlePurchase } from '../stores/purchases.js';
import { transactionById, type TransactionRow } from '../stores/transactions.js';
import { refusalsAudited } from './audit.js';

export const resolveOutcomes = ['completed', 'failed'] as const;
export type ResolveOutcome = (typeof resolveOutcomes)[number];

/** The admin's word on an unknown order (the answer's `resolution` is src/domain/api.ts). */
export interface ResolveInput {
  outcome: ResolveOutcome;
  note: string;
  /** Who resolved it: "admin token", "browser session", or a token's name. */
  actor: string;
}

export const resolveAction = 'transaction.resolve';

/** The audit log's name for a transaction. */
export const transactionTarget = (id: number) => `transaction:${id}`;

export const resolvedByHandError = (note: string) => `Resolved by hand: ${note}`;

/**
 * Settles one `unknown` order as the admin says; 404 for an unknown id, 409 `not_unknown` when it
 * is not unknown (nothing changed then; the refusal is audited with outcome `conflict`). Answers the
 * order and its audit row, whose outcome is the admin's word (`completed` or `failed`).
 */
export function resolveUnknownOrder(
  deps: { db: Db; clock: Clock },
  transactionId: number,
  resolution: ResolveInput,
): { transaction: TransactionRow; audit: AuditRow } {
  const now = deps.clock.now();
  const subject = { actor: resolution.actor, action: resolveAction, target: transactionTarget(transactionId) };
  return refusalsAudited(deps, subject, () => write(deps.db, (tx) => settleByHand(tx, transactionId, resolution, now)));
}

/** The order, its attempt and the reserved robux follow the admin's word; the audit entry beside them. */
function settleByHand(tx: Db, transactionId: number, resolution: ResolveInput, now: number): { transaction: TransactionRow; audit: AuditRow } {
  const row = transactionById(tx, transactionId);
  if (!row) throw notFound('Transaction');
  if (row.status !== 'unknown') {
    throw new AppError(409, 'not_unknown', `Only an unknown transaction can be resolved; this one is ${row.status}`);
  }
  const error = resolvedByHandError(resolution.note);
  const attempt = latestAttemptFor(tx, transactionId);
  if (attempt && (attempt.outcome === 'unknown' || attempt.outcome === 'pending')) {
    settlePurchase(
      tx,
      attempt,
      'unknown',
      resolution.outcome === 'completed'
        ? { bought: true }
        : { bought: false, order: { status: 'failed', error }, attemptError: error },
      now,
    );
  } else {
    // No reservation is outstanding (not reached by today's engine): only the order moves.
    moveTransaction(
      tx,
      transactionId,
      'unknown',
      resolution.outcome === 'completed' ? { status: 'completed', error: null, completedAt: now } : { status: 'failed', error },
      now,
    );
  }
  const audit = appendAudit(tx, {
    at: now,
    actor: resolution.actor,
    action: resolveAction,
    target: transactionTarget(transactionId),
    outcome: resolution.outcome,
    note: resolution.note,
  });
  return { transaction: transactionById(tx, transactionId)!, audit };
}

/** The latest hand resolution of each of these orders (one query), by transaction id. */
export function resolutionsOf(db: Db, transactionIds: readonly number[]): Map<number, AuditRow> {
  // Only resolutions that happened: a refused one (outcome `conflict`) settled nothing.
  const byTarget = latestAuditByTarget(db, resolveAction, transactionIds.map(transactionTarget), resolveOutcomes);
  const resolutions = new Map<number, AuditRow>();
  for (const id of transactionIds) {
    const row = byTarget.get(transactionTarget(id));
    if (row) resolutions.set(id, row);
  }
  return resolutions;
}
