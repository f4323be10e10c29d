// Ending runs whose walker is gone (a crash, a sibling process that stopped renewing its lease, a
// shutdown past its budget) and reconciling the orders they left `processing`.
import { eq } from 'drizzle-orm';
import { isoTime } from '../clock.js';
import { runs } from '../db/schema.js';
import type { Db } from '../db/types.js';
import { write, writeRetrying } from '../db/write.js';
import type { RunEventBody } from '../domain/run.js';
import { summarize } from '../domain/summary.js';
import * as purchases from '../stores/purchases.js';
import { appendEvents, runTransactionList } from '../stores/run-events.js';
import { runRow } from '../stores/runs.js';
import { announce, reconcileDeps, type Appended, type EngineState } from './engine-state.js';
import { currentLease, dropLease, isDead, type Lease } from './lease.js';
import { reconcileTransaction, unknownError } from './reconcile.js';
import { endedByAnotherProcess, interruptedByRestart, interruptedByShutdown, steps } from './run-messages.js';

/** At start-up: runs a crash left `running` end failed; their `processing` transactions are reconciled. */
export async function recover(engine: EngineState): Promise<{ endedRuns: number; reconciled: number }> {
  const { db, clock } = engine.deps;
  const now = clock.now();
  const appended: Appended[] = [];
  // At start-up and in the sweep: a held lock or a full disk is waited out, not fatal.
  const result = await writeRetrying(
    db,
    (tx) => {
      appended.length = 0;
      const before = tx.select({ sessionId: runs.sessionId }).from(runs).where(eq(runs.status, 'running')).all().length;
      const orphans = endDeadRuns(engine, tx, now, appended);
      return orphans === undefined ? undefined : { orphans, endedRuns: before };
    },
    { sleep: engine.policy.sleep, giveUp: () => engine.stopping },
  );
  if (!result) return { endedRuns: 0, reconciled: 0 };
  announce(engine, appended);
  for (const id of result.orphans) await reconcileTransaction(reconcileDeps(engine), id, 'processing');
  return { endedRuns: result.endedRuns, reconciled: result.orphans.length };
}

/** Our own walker, paused on a lock or a full disk past its lease, is alive: only its process can tell. */
export function leaseIsDead(engine: EngineState, lease: Lease, now: number): boolean {
  if (lease.holder === engine.holder) return !engine.walks.has(lease.sessionId);
  return isDead(lease, now, engine.holderAlive);
}

/**
 * Ends runs left `running` with no live walker; answers the orphaned `processing` transactions.
 * Its appends go into `appended`, to be announced once the caller's transaction has committed.
 */
export function endDeadRuns(engine: EngineState, tx: Db, now: number, appended: Appended[]): number[] | undefined {
  const lease = currentLease(tx);
  if (lease && !leaseIsDead(engine, lease, now)) return undefined;
  const why = lease && lease.holder !== engine.holder && engine.holderAlive(lease.holder) === true ? endedByAnotherProcess : interruptedByRestart;
  const running = tx.select({ sessionId: runs.sessionId }).from(runs).where(eq(runs.status, 'running')).all();
  for (const { sessionId } of running) endInterrupted(engine, tx, sessionId, now, why, appended);
  dropLease(tx);
  return purchases.transactionIdsWithStatus(tx, 'processing');
}

/** A walk that outlived the shutdown budget: its purchases in flight become unknown, the run ends, the lease goes. */
export function endAtShutdown(engine: EngineState, sessionId: string): void {
  const { db, clock, logger } = engine.deps;
  const now = clock.now();
  const appended: Appended[] = [];
  write(db, (tx) => {
    appended.length = 0;
    const lease = currentLease(tx);
    if (!lease || lease.holder !== engine.holder || lease.sessionId !== sessionId) return;
    for (const id of purchases.transactionIdsWithStatus(tx, 'processing')) {
      const attempt = purchases.latestAttemptFor(tx, id);
      if (attempt?.outcome === 'pending') {
        purchases.settleAttempt(tx, attempt.idempotencyKey, 'unknown', interruptedByShutdown, now);
        purchases.moveTransaction(tx, id, 'processing', { status: 'unknown', usedAccountId: attempt.accountId, usedAccount: attempt.accountUsername, error: unknownError }, now);
      } else {
        purchases.moveTransaction(tx, id, 'processing', { status: 'pending' }, now);
      }
    }
    endInterrupted(engine, tx, sessionId, now, interruptedByShutdown, appended);
    dropLease(tx);
  });
  announce(engine, appended);
  logger.warn(`run ${sessionId}: ended at shutdown with a purchase still in flight; it will be reconciled by its key`);
}

/** A run whose walker is gone fails `why`; its rows still `processing` become `unknown`, and the summary follows them. */
function endInterrupted(engine: EngineState, tx: Db, sessionId: string, now: number, why: string, appended: Appended[]): void {
  if (runRow(tx, sessionId)?.status !== 'running') return;
  const rows = runTransactionList(tx, sessionId);
  const stuck = rows.filter((row) => row.status === 'processing');
  const events: RunEventBody[] = stuck.map(({ invoiceId }) => ({ type: 'transaction', data: { invoiceId, status: 'unknown', error: why, timestamp: isoTime(now) } }));
  if (stuck.length) {
    for (const row of stuck) row.status = 'unknown';
    events.push({ type: 'summary', data: summarize(rows) });
  }
  events.push({ type: 'step', data: { currentStep: steps.error } }, { type: 'end', data: { status: 'failed', endTime: isoTime(now), error: why } });
  const seq = appendEvents(tx, sessionId, events, now, { notify: engine.deps.options.notify });
  appended.push({ sessionId, seq, count: events.length, ended: 'failed' });
}
