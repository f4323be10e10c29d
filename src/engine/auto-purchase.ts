// The auto-purchase service: starts runs (one at a time, across processes, through the lease),
// retries and reconciles orders on request, and stops cleanly. Ending dead runs: run-recovery.ts.
import type { Clock } from '../clock.js';
import type { Db } from '../db/types.js';
import { write } from '../db/write.js';
import { AppError, notFound } from '../domain/app-error.js';
import type { CredentialCipher } from '../domain/credential-cipher.js';
import type { RunOutcome } from '../domain/metrics.js';
import { errorText } from '../domain/error-text.js';
import type { Gateway } from '../gateway/gateway.js';
import type { Logger } from '../logger.js';
import { refusalsAudited } from '../services/audit.js';
import { transactionTarget } from '../services/resolve.js';
import { accountById } from '../stores/accounts.js';
import { appendAudit } from '../stores/audit.js';
import * as purchases from '../stores/purchases.js';
import { appendEvents, storedEventsAfter } from '../stores/run-events.js';
import { insertRun, runOverview, runRow } from '../stores/runs.js';
import { transactionById } from '../stores/transactions.js';
import { announce, createEngineState, reconcileDeps, reportAppend, reportRunEnded, type Appended, type EngineState } from './engine-state.js';
import { currentLease, renewLease, requestRerun, takeLease, type HolderAlive } from './lease.js';
import { reconcileTransaction } from './reconcile.js';
import { steps } from './run-messages.js';
import { endAtShutdown, endDeadRuns, leaseIsDead, recover } from './run-recovery.js';
import { walkRun } from './run-walk.js';
import type { CallOutcome } from './purchase-call.js';
import type { WalkDeps } from './walk-context.js';

export interface EngineOptions {
  purchaseDelayMs: number;
  gatewayTimeoutMs: number;
  gatewayMaxAttempts: number;
  /** How long a lease lasts without renewal before another process may take the run over. */
  leaseMs?: number;
  backoffBaseMs?: number;
  maxBackoffMs?: number;
  maxRetryAfterMs?: number;
  /** NOTIFY_WEBHOOK_URL is set: each run's end enqueues its webhook delivery in the same transaction. */
  notify?: boolean;
  /**
   * The delay between purchases is slept in slices this long, so a shutdown does not wait it out
   * (default 250 ms). A Durable Object, which has no shutdown and pays an alarm per slice, sleeps it whole.
   */
  sleepSliceMs?: number;
}

export interface EngineDeps {
  db: Db;
  gateway: Gateway;
  cipher: CredentialCipher;
  clock: Clock;
  logger: Logger;
  options: EngineOptions;
  /** This process's name in the lease; the Node entry makes it `host/pid/uuid`. */
  holder?: string;
  holderAlive?: HolderAlive;
  /** Called after every commit that appended events to a run (the stream's in-process signal). */
  onAppend?: (sessionId: string, seq: number) => void;
  /** Told how many events each commit of this process inserted (the metrics). */
  onEventsAppended?: (count: number) => void;
  /**
   * Told once of each run whose `end` a commit of this process wrote, however it ended (its walk,
   * or ended as dead by recovery, a trigger or the shutdown): the metrics count each end once.
   */
  onRunEnded?: (outcome: RunOutcome) => void;
  /**
   * Called once a walk of this process has ended its run, with its overview (the webhook kick).
   * Not when another process ended the run (this walk lost its lease): that process wrote the end.
   */
  onRunEnd?: (overview: ReturnType<typeof runOverview>) => void;
  /** Told what each purchase came to at the gateway (the metrics). */
  onPurchase?: (outcome: CallOutcome) => void;
  /**
   * How the engine waits (the delay between purchases, the retry backoff): a timer by default; a
   * Durable Object waits on its alarm, so a run goes on with nobody connected (src/edge/alarms.ts).
   */
  sleep?: (ms: number) => Promise<void>;
}

/** How long past one gateway try a shutdown waits for the purchase in flight. */
export const shutdownMarginMs = 2_000;

export type AutoPurchase = ReturnType<typeof createAutoPurchase>;

/** A run asked for. With `actor` (a person asked), its `run.start` audit entry is written in the trigger's transaction. */
export interface TriggerInput {
  stockAccountId?: string;
  /** The audit log's actor: "admin token", "browser session" or `token "<name>"`. */
  actor?: string;
  /** Why, when another change asked for the run: the entry's note, e.g. `after account.add account:<id>`. */
  reason?: string;
}

export function createAutoPurchase(deps: EngineDeps) {
  const engine = createEngineState(deps);
  return {
    holder: engine.holder,
    /** Throws 503 while shutting down: call before a change that a trigger follows, so nothing is half done. */
    assertAccepting: () => assertAccepting(engine),
    trigger: (input: TriggerInput = {}) => trigger(engine, input),
    recover: () => recover(engine),
    /** `actor` (the audit log's): "admin token", "browser session" or `token "<name>"`. */
    retry: (transactionId: number, actor: string) => retry(engine, transactionId, actor),
    reconcile: (transactionId: number, actor: string) => reconcileNow(engine, transactionId, actor),
    /** True while a purchase with this account is in flight: it may not be deleted then. */
    isBuyingWith: (accountId: string) => purchases.hasAttemptInFlight(deps.db, accountId),
    idle: () => idle(engine),
    stop: (budgetMs = deps.options.gatewayTimeoutMs + shutdownMarginMs) => stop(engine, budgetMs),
  };
}

function assertAccepting(engine: EngineState): void {
  if (engine.stopping) throw new AppError(503, 'shutting_down', 'The server is shutting down; try again in a moment');
}

/**
 * Starts a run, or answers the active one: one SQLite transaction under the write lock, so a burst
 * of triggers, from any process, starts one run.
 */
function trigger(engine: EngineState, input: TriggerInput): { sessionId: string; started: boolean } {
  assertAccepting(engine);
  const { db, clock } = engine.deps;
  const now = clock.now();
  const appended: Appended[] = [];
  const outcome = write(db, (tx) => {
    appended.length = 0;
    const account = input.stockAccountId === undefined ? undefined : accountById(tx, input.stockAccountId);
    if (input.stockAccountId !== undefined && !account) throw notFound('Stock account');
    const lease = currentLease(tx);
    if (lease && !leaseIsDead(engine, lease, now)) {
      // The active run answers, and looks for pending orders again before it ends (an order
      // retried, an account added after it passed orders by).
      requestRerun(tx);
      auditRunStart(tx, input, { sessionId: lease.sessionId, account, now, joined: true });
      return { sessionId: lease.sessionId, started: false, orphans: [], seq: 0 };
    }
    const orphans = endDeadRuns(engine, tx, now, appended) ?? [];
    const sessionId = crypto.randomUUID();
    insertRun(tx, { sessionId, now, ...(account ? { triggeredBy: { stockAccountId: account.id, stockAccountName: account.username } } : {}) });
    const seq = appendEvents(tx, sessionId, [{ type: 'step', data: { currentStep: steps.initializing } }], now);
    appended.push({ sessionId, seq, count: 1 });
    takeLease(tx, { sessionId, holder: engine.holder, expiresAt: now + engine.leaseMs });
    auditRunStart(tx, input, { sessionId, account, now, joined: false });
    return { sessionId, started: true, orphans, seq };
  });
  announce(engine, appended);
  if (outcome.started) startWalk(engine, outcome.sessionId, outcome.orphans, outcome.seq);
  return { sessionId: outcome.sessionId, started: outcome.started };
}

/**
 * The `run.start` entry of a run a person asked for (none for the engine's own runs): why, for which
 * account, and whether the active run answered instead of a new one.
 */
function auditRunStart(
  tx: Db,
  input: TriggerInput,
  run: { sessionId: string; account?: { id: string; username: string }; now: number; joined: boolean },
): void {
  if (input.actor === undefined) return;
  const why = input.reason ?? (run.account ? `for account:${run.account.id} (${run.account.username})` : undefined);
  const note = [why, run.joined ? 'a run was active: it looks for pending orders again' : undefined].filter(Boolean).join('; ');
  appendAudit(tx, { at: run.now, actor: input.actor, action: 'run.start', target: `run:${run.sessionId}`, outcome: 'ok', note: note || null });
}

/** The walk of a run this process just started (its last seq `startSeq`), with the lease renewed beside it. */
function startWalk(engine: EngineState, sessionId: string, orphans: number[], startSeq: number): void {
  const { deps, holder, leaseMs } = engine;
  const { db, clock, logger } = deps;
  // Renews the lease while a gateway call is slow; each commit of the walk renews it too.
  const renewal = setInterval(() => {
    try {
      write(db, (tx) => renewLease(tx, { sessionId, holder, expiresAt: clock.now() + leaseMs }));
    } catch (error) {
      logger.warn(`run ${sessionId}: lease renewal failed: ${errorText(error)}`);
    }
  }, Math.max(50, Math.floor(leaseMs / 3)));
  const walkDeps: WalkDeps = {
    db,
    gateway: deps.gateway,
    cipher: deps.cipher,
    clock,
    logger,
    policy: engine.policy,
    purchaseDelayMs: deps.options.purchaseDelayMs,
    sleepSliceMs: deps.options.sleepSliceMs ?? 250,
    leaseMs,
    gatewayTimeoutMs: deps.options.gatewayTimeoutMs,
    isStopping: () => engine.stopping,
    notify: deps.options.notify ?? false,
    // While this walk holds the lease, only its commits append to the run: each inserted the step
    // from the seq it last reported (a commit that finds the lease gone throws before appending).
    onAppend: (id, seq) => {
      reportAppend(engine, { sessionId: id, seq, count: seq - lastSeq });
      lastSeq = seq;
    },
    onPurchase: deps.onPurchase,
  };
  let lastSeq = startSeq;
  const walk = new Promise<void>((resolve) => setTimeout(resolve, 0))
    .then(() => walkRun(walkDeps, { sessionId, holder, orphans }))
    .catch((error: unknown) => logger.error(`run ${sessionId}: walk crashed: ${errorText(error)}`))
    .finally(() => {
      clearInterval(renewal);
      engine.walks.delete(sessionId);
      try {
        const outcome = endWrittenAt(engine, sessionId, lastSeq);
        if (outcome) {
          reportRunEnded(engine, outcome);
          deps.onRunEnd?.(runOverview(runRow(db, sessionId)!));
        }
      } catch (error) {
        logger.warn(`run ${sessionId}: end listener failed: ${errorText(error)}`);
      }
    });
  engine.walks.set(sessionId, walk);
}

/**
 * The outcome of the run's end when the event at `seq` (the last one this walk's commits appended)
 * is it: the walk ended the run itself. A walk that lost its lease (another process, or the
 * shutdown, ended the run after its last commit) wrote no end: undefined.
 */
function endWrittenAt(engine: EngineState, sessionId: string, seq: number): RunOutcome | undefined {
  const [last] = storedEventsAfter(engine.deps.db, sessionId, seq - 1, { toSeq: seq, limit: 1 });
  if (last?.seq !== seq || last.type !== 'end') return undefined;
  return (JSON.parse(last.data) as { status: RunOutcome }).status;
}

/** POST /api/transactions/:id/retry: a failed order back to pending (audited with it), then a run. */
function retry(engine: EngineState, transactionId: number, actor: string) {
  assertAccepting(engine);
  const { db, clock } = engine.deps;
  const now = clock.now();
  const target = transactionTarget(transactionId);
  const moved = refusalsAudited(engine.deps, { actor, action: 'transaction.retry', target }, () =>
    write(db, (tx) => {
      const row = transactionById(tx, transactionId);
      if (!row) throw notFound('Transaction');
      if (row.status !== 'failed') throw new AppError(409, 'not_failed', `Only a failed transaction can be retried; this one is ${row.status}`);
      purchases.moveTransaction(tx, transactionId, 'failed', { status: 'pending', error: null, usedAccount: null, usedAccountId: null }, now);
      appendAudit(tx, { at: now, actor, action: 'transaction.retry', target, outcome: 'ok', note: row.invoiceId });
      return transactionById(tx, transactionId)!;
    }),
  );
  return { transaction: moved, run: trigger(engine, { actor, reason: `after transaction.retry ${target}` }) };
}

/** What a reconciliation by hand came to, as its audit entry's note. */
const reconciledNotes: Record<string, string> = {
  completed: 'the gateway says it went through: completed',
  pending: 'not bought: back to pending',
  unknown: 'the gateway still cannot say: unknown',
};

/** POST /api/transactions/:id/reconcile: ask the gateway about an unknown purchase now (audited with what it settles). */
async function reconcileNow(engine: EngineState, transactionId: number, actor: string) {
  const { db, clock } = engine.deps;
  const target = transactionTarget(transactionId);
  refusalsAudited(engine.deps, { actor, action: 'transaction.reconcile', target }, () => {
    const row = transactionById(db, transactionId);
    if (!row) throw notFound('Transaction');
    if (row.status !== 'unknown') throw new AppError(409, 'not_unknown', `Only an unknown transaction can be reconciled; this one is ${row.status}`);
  });
  await reconcileTransaction(reconcileDeps(engine), transactionId, 'unknown', (tx, status) => {
    const note = status === undefined ? 'settled elsewhere meanwhile' : reconciledNotes[status] ?? status;
    appendAudit(tx, { at: clock.now(), actor, action: 'transaction.reconcile', target, outcome: 'ok', note });
  });
  return transactionById(db, transactionId)!;
}

/** Resolves when every walk this process started has ended. */
async function idle(engine: EngineState): Promise<void> {
  while (engine.walks.size > 0) await Promise.all([...engine.walks.values()]);
}

/**
 * No new runs; the walks end after the purchase in flight, failed "Interrupted by shutdown". The
 * budget covers one gateway try; past it, a walk still waiting is ended here (run-recovery.ts).
 */
async function stop(engine: EngineState, budgetMs: number): Promise<void> {
  engine.stopping = true;
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([
    idle(engine),
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, budgetMs);
    }),
  ]);
  clearTimeout(timer);
  for (const sessionId of engine.walks.keys()) {
    try {
      endAtShutdown(engine, sessionId);
    } catch (error) {
      engine.deps.logger.error(`run ${sessionId}: could not be ended at shutdown (the next start ends it): ${errorText(error)}`);
    }
  }
}
