// The audit log (SPEC §12): the page of entries GET /api/audit answers, and the best-effort record
// of a refused change. A change that happens is recorded by its own service, in its own transaction.
import type { Clock } from '../clock.js';
import type { Db } from '../db/types.js';
import { StorageError, write } from '../db/write.js';
import { AppError, badRequest } from '../domain/app-error.js';
import type { Page } from '../domain/paging.js';
import { appendAudit, auditNewestFirst, type AuditFilter, type AuditRow } from '../stores/audit.js';
import { readPage, type PageRequest } from './paging.js';

export type AuditService = ReturnType<typeof createAuditService>;

export function createAuditService(deps: { db: Db }) {
  const { db } = deps;
  return {
    /** Newest first; 400 `invalid_range` when `from` is after `to`. */
    list(query: PageRequest & AuditFilter): Page<AuditRow> {
      const { cursor, limit, ...filter } = query;
      if (filter.from !== undefined && filter.to !== undefined && filter.from > filter.to) {
        throw badRequest('invalid_range', '"from" must not be after "to"');
      }
      return readPage(
        { cursor, limit },
        ['number', 'number'],
        (before: [number, number] | undefined, rows) => auditNewestFirst(db, { ...filter, before, limit: rows }),
        (row): [number, number] => [row.at, row.id],
      );
    },
  };
}

/** Who tried what on which thing: an audit entry but for its outcome. */
export interface AuditSubject {
  actor: string;
  action: string;
  target: string;
}

/** The refusals of a state change worth an entry, and the outcome each records (the error's code is the note). */
const refusalOutcomes: Partial<Record<number, string>> = { 409: 'conflict', 422: 'rejected', 502: 'gateway_error' };

/**
 * Runs `change` (sync or async); when it is refused with a 409, 422 or 502, records the refusal in a
 * write of its own and throws the refusal on. Best effort: a storage fault while recording leaves
 * the refusal's answer as it is (never a 500 instead of a 409).
 */
export function refusalsAudited<T>(deps: { db: Db; clock: Clock }, subject: AuditSubject, change: () => T): T {
  const record = (error: unknown): never => {
    recordRefusal(deps, subject, error);
    throw error;
  };
  let result: T;
  try {
    result = change();
  } catch (error) {
    return record(error);
  }
  return result instanceof Promise ? (result.catch(record) as T) : result;
}

function recordRefusal(deps: { db: Db; clock: Clock }, subject: AuditSubject, error: unknown): void {
  const outcome = error instanceof AppError ? refusalOutcomes[error.status] : undefined;
  if (outcome) recordBestEffort(deps, { ...subject, outcome, note: (error as AppError).code });
}

/**
 * An entry of something refused, in a write of its own. Best effort: the refusal is the answer,
 * whatever the disk says (a busy or full database loses the entry, never turns the answer into a 500).
 */
export function recordBestEffort(deps: { db: Db; clock: Clock }, entry: AuditSubject & { outcome: string; note?: string | null }): void {
  try {
    write(deps.db, (tx) => appendAudit(tx, { at: deps.clock.now(), ...entry }));
  } catch (error) {
    if (!(error instanceof StorageError)) throw error;
  }
}
