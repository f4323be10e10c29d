// Housekeeping (SPEC §7), replacing the seed's one-hour TTL: stream events older than
// PROGRESS_RETENTION, and runs and audit entries older than HISTORY_RETENTION, are deleted. A finished run's snapshot
// lives in its own rows, so it outlives its events; a running run's events are never deleted;
// transactions, the shop's records, never are.
//
// SQLite is synchronous: one transaction deleting 100k rows holds the event loop (and the write
// lock) for the whole of it. So the job deletes a bounded batch per transaction and yields the
// event loop between two (SPEC §11): requests, heartbeats and the run go on while it works.
import { and, asc, eq, gt, inArray, lt, ne, notInArray, sql, type SQL } from 'drizzle-orm';
import type { Clock } from '../clock.js';
import { runEvents, runs } from '../db/schema.js';
import type { Db } from '../db/types.js';
import { sqlVariableLimit } from '../db/limits.js';
import { writeRetrying, type RetryPolicy } from '../db/write.js';
import type { Logger } from '../logger.js';
import { deleteOldAudit } from '../stores/audit.js';
import { deleteExpiredSessions } from '../stores/sessions.js';
import { deleteSettledDeliveries } from '../stores/webhook-outbox.js';
import { errorText } from '../domain/error-text.js';

export interface RetentionPolicy {
  progressRetentionMs: number;
  historyRetentionMs: number;
}

export interface CleanupOptions {
  /** Yields between batches and waits out a held lock; a timer by default. */
  sleep?: (ms: number) => Promise<void>;
  /** Rows deleted per transaction: each costs the event loop a few milliseconds. */
  batchRows?: number;
  /** Answers true once the job must stop (shutdown); looked at between batches. */
  stopped?: () => boolean;
  onFault?: RetryPolicy['onFault'];
}

export const defaultCleanupBatchRows = 2_000;

export interface CleanupReport {
  events: number;
  runs: number;
}

/** Runs `change` in a transaction of its own, then yields the event loop before the next one. */
interface Batches {
  commit<T>(change: (tx: Db) => T): Promise<T>;
  stopped(): boolean;
  readonly size: number;
}

function batchesOf(db: Db, options: CleanupOptions): Batches {
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const stopped = options.stopped ?? (() => false);
  return {
    // A batch's ids are bound parameters of one statement: never more than the database allows.
    size: Math.min(options.batchRows ?? defaultCleanupBatchRows, sqlVariableLimit() - 20),
    stopped,
    async commit(change) {
      const result = await writeRetrying(db, change, { sleep, giveUp: stopped, onFault: options.onFault });
      await sleep(0);
      return result;
    },
  };
}

/** Deletes what is past its retention, a batch per transaction; answers how many events and runs. */
export async function runCleanup(db: Db, now: number, policy: RetentionPolicy, options: CleanupOptions = {}): Promise<CleanupReport> {
  const batches = batchesOf(db, options);
  const events = await deleteOldEvents(batches, now - policy.progressRetentionMs);
  const old = await deleteOldRuns(batches, now - policy.historyRetentionMs);
  // Browser sessions past their idle or absolute expiry (SPEC §11): a handful of rows.
  if (!batches.stopped()) await batches.commit((tx) => deleteExpiredSessions(tx, now));
  // Webhook deliveries made or given up, kept as long as the history (pending ones always stay).
  await deleteInBatches(batches, (tx, size) => deleteSettledDeliveries(tx, now - policy.historyRetentionMs, size));
  // The audit log, kept as long as the history (SPEC §12).
  await deleteInBatches(batches, (tx, size) => deleteOldAudit(tx, now - policy.historyRetentionMs, size));
  return { events: events + old.events, runs: old.runs };
}

/** Deletes a batch at a time with `deleteBatch` (answering how many it deleted) until one comes short. */
async function deleteInBatches(batches: Batches, deleteBatch: (tx: Db, size: number) => number): Promise<void> {
  while (!batches.stopped()) {
    const deleted = await batches.commit((tx) => deleteBatch(tx, batches.size));
    if (deleted < batches.size) return;
  }
}

interface EventKey {
  createdAt: number;
  rowid: number;
}

/**
 * Events older than `cutoff` of runs not running, walked once in (created_at, rowid) order through
 * the run_events_created index: each batch starts where the last one ended, so the old events of a
 * run still running, which stay, are passed over once, not scanned again by every batch.
 */
async function deleteOldEvents(batches: Batches, cutoff: number): Promise<number> {
  let deleted = 0;
  let after: EventKey | undefined;
  while (!batches.stopped()) {
    const batch = await batches.commit((tx) => deleteEventBatch(tx, cutoff, after, batches.size));
    deleted += batch.deleted;
    if (!batch.last) break;
    after = batch.last;
  }
  return deleted;
}

function deleteEventBatch(tx: Db, cutoff: number, after: EventKey | undefined, size: number): { deleted: number; last?: EventKey } {
  const keys = eventKeysAfter(tx, cutoff, after, size);
  if (keys.length === 0) return { deleted: 0 };
  const running = tx.select({ sessionId: runs.sessionId }).from(runs).where(eq(runs.status, 'running'));
  const deleted = tx
    .delete(runEvents)
    .where(and(inArray(sql`rowid`, keys.map((key) => key.rowid)), notInArray(runEvents.sessionId, running)))
    .returning({ seq: runEvents.seq })
    .all().length;
  return { deleted, last: keys.length < size ? undefined : keys[keys.length - 1] };
}

/**
 * The next `size` keys of events older than `cutoff`, after `after`. Two index seeks, the rest of
 * `after`'s millisecond then the later ones: SQLite seeks a row value `(created_at, rowid) > (?, ?)`
 * on created_at alone and would scan the events of that millisecond again (one commit's share it).
 */
function eventKeysAfter(tx: Db, cutoff: number, after: EventKey | undefined, size: number): EventKey[] {
  const keysWhere = (where: SQL | undefined, limit: number) =>
    tx
      .select({ createdAt: runEvents.createdAt, rowid: sql<number>`rowid` })
      .from(runEvents)
      .where(where)
      .orderBy(asc(runEvents.createdAt), sql`rowid`)
      .limit(limit)
      .all();
  if (!after) return keysWhere(lt(runEvents.createdAt, cutoff), size);
  const same = keysWhere(and(eq(runEvents.createdAt, after.createdAt), sql`rowid > ${after.rowid}`), size);
  if (same.length === size) return same;
  return [...same, ...keysWhere(and(gt(runEvents.createdAt, after.createdAt), lt(runEvents.createdAt, cutoff)), size - same.length)];
}

/** Runs past HISTORY_RETENTION that may go: every one but a running one. */
const dueForDeletion = (cutoff: number) => and(lt(runs.createdAt, cutoff), ne(runs.status, 'running'));

/**
 * Runs older than `cutoff` with their rows. Their events go first, a batch at a time, so that the
 * cascade of a run's row (ON DELETE CASCADE) deletes only its lists; then whole runs, as many a
 * transaction as their lists fit in a batch.
 */
async function deleteOldRuns(batches: Batches, cutoff: number): Promise<{ events: number; runs: number }> {
  let events = 0;
  while (!batches.stopped()) {
    const deleted = await batches.commit((tx) => {
      const due = tx.select({ sessionId: runs.sessionId }).from(runs).where(dueForDeletion(cutoff));
      const batch = tx
        .select({ rowid: sql<number>`rowid` })
        .from(runEvents)
        .where(inArray(runEvents.sessionId, due))
        .limit(batches.size);
      return tx
        .delete(runEvents)
        .where(inArray(sql`rowid`, batch))
        .returning({ seq: runEvents.seq })
        .all().length;
    });
    events += deleted;
    if (deleted < batches.size) break;
  }
  let removed = 0;
  while (!batches.stopped()) {
    const deleted = await batches.commit((tx) => {
      const due = tx
        .select({ sessionId: runs.sessionId, rows: runs.totalTransactions })
        .from(runs)
        .where(dueForDeletion(cutoff))
        .orderBy(asc(runs.createdAt))
        .limit(batches.size)
        .all();
      const chosen: string[] = [];
      let rows = 0;
      for (const run of due) {
        if (chosen.length > 0 && rows + run.rows + 1 > batches.size) break;
        chosen.push(run.sessionId);
        rows += run.rows + 1;
      }
      if (chosen.length === 0) return 0;
      return tx.delete(runs).where(inArray(runs.sessionId, chosen)).returning({ sessionId: runs.sessionId }).all().length;
    });
    removed += deleted;
    if (deleted === 0) break;
  }
  return { events, runs: removed };
}

/** Runs the cleanup every `intervalMs` (never two at once); answers a function that stops it. */
export function startCleanupJob(deps: {
  db: Db;
  clock: Clock;
  logger: Logger;
  intervalMs: number;
  policy: RetentionPolicy;
  options?: CleanupOptions;
  /** Told what each pass deleted (the metrics). */
  onReport?: (report: CleanupReport) => void;
}): () => void {
  let working = false;
  let stopped = false;
  const tick = async () => {
    if (working) return;
    working = true;
    try {
      const removed = await runCleanup(deps.db, deps.clock.now(), deps.policy, {
        ...deps.options,
        stopped: () => stopped,
        onFault: (fault, attempt) => {
          if (attempt === 1) deps.logger.warn(`cleanup: the database is ${fault === 'busy' ? 'locked by another program' : 'not writable'}; waiting`);
        },
      });
      deps.onReport?.(removed);
      if (removed.events || removed.runs) deps.logger.info(`cleanup: deleted ${removed.events} stream events and ${removed.runs} runs`);
    } catch (error) {
      if (!stopped) deps.logger.error(`cleanup failed: ${errorText(error)}`);
    } finally {
      working = false;
    }
  };
  // Timers overflow past 2^31 - 1 ms (about 24.8 days).
  const timer = setInterval(() => void tick(), Math.min(deps.intervalMs, 2 ** 31 - 1));
  // A timer that must not keep a process alive where the runtime lets us say so.
  (timer as { unref?: () => void }).unref?.();
  return () => {
    stopped = true;
    clearInterval(timer);
  };
}
