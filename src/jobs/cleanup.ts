// Housekeeping (SPEC §7), replacing the seed's one-hour TTL: stream events older than
// PROGRESS_RETENTION and runs older than HISTORY_RETENTION are deleted. A finished run's snapshot
// lives in its own rows, so it outlives its events; a running run's events are never deleted;
// transactions, the shop's records, never are.
import { and, inArray, lt, ne, notInArray } from 'drizzle-orm';
import type { Clock } from '../clock.js';
import { runEvents, runs } from '../db/schema.js';
import type { Db } from '../db/types.js';
import type { Logger } from '../logger.js';

export interface RetentionPolicy {
  progressRetentionMs: number;
  historyRetentionMs: number;
}

export function runCleanup(db: Db, now: number, policy: RetentionPolicy): { events: number; runs: number } {
  return db.transaction(
    (tx) => {
      const running = tx.select({ sessionId: runs.sessionId }).from(runs).where(inArray(runs.status, ['running']));
      const events = tx
        .delete(runEvents)
        .where(and(lt(runEvents.createdAt, now - policy.progressRetentionMs), notInArray(runEvents.sessionId, running)))
        .returning({ seq: runEvents.seq })
        .all().length;
      // Its events, accounts and transaction rows go with it (ON DELETE CASCADE).
      const removedRuns = tx
        .delete(runs)
        .where(and(lt(runs.createdAt, now - policy.historyRetentionMs), ne(runs.status, 'running')))
        .returning({ sessionId: runs.sessionId })
        .all().length;
      return { events, runs: removedRuns };
    },
    { behavior: 'immediate' },
  );
}

/** Runs the cleanup every `intervalMs`; answers a function that stops it. */
export function startCleanupJob(deps: { db: Db; clock: Clock; logger: Logger; intervalMs: number; policy: RetentionPolicy }): () => void {
  const tick = () => {
    try {
      const removed = runCleanup(deps.db, deps.clock.now(), deps.policy);
      if (removed.events || removed.runs) deps.logger.info(`cleanup: deleted ${removed.events} stream events and ${removed.runs} runs`);
    } catch (error) {
      deps.logger.error(`cleanup failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  };
  // Timers overflow past 2^31 - 1 ms (about 24.8 days).
  const timer = setInterval(tick, Math.min(deps.intervalMs, 2 ** 31 - 1));
  // A timer that must not keep a process alive where the runtime lets us say so.
  (timer as { unref?: () => void }).unref?.();
  return () => clearInterval(timer);
}
