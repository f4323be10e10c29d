// The auto-purchase service: starts runs (one at a time, across processes, through the lease),
// ends runs whose walker died, reconciles, retries, and stops cleanly.
import { and, eq } from 'drizzle-orm';
import { isoTime, type Clock } from '../clock.js';
import { runs, runTransactions } from '../db/schema.js';
import type { Db } from '../db/types.js';
import { write, writeRetrying } from '../db/write.js';
import type { CredentialCipher } from '../domain/credential-cipher.js';
import type { RunEventBody } from '../domain/run.js';
import type { Gateway } from '../gateway/gateway.js';
import { AppError, notFound } from '../domain/app-error.js';
import type { Logger } from '../logger.js';
import { accountById } from '../stores/accounts.js';
import * as purchases from '../stores/purchases.js';
import { transactionById } from '../stores/transactions.js';
import { currentLease, dropLease, isDead, renewLease, requestRerun, takeLease, type HolderAlive, type Lease } from './lease.js';
import type { CallPolicy } from './purchase-call.js';
import { reconcileTransaction, unknownError } from './reconcile.js';
import { appendEvents } from '../stores/run-events.js';
import { insertRun, runOverview, runRow } from '../stores/runs.js';
import { steps, walkRun } from './run-walk.js';
import { errorText } from '../domain/error-text.js';

export interface EngineOptions {
  purchaseDelayMs: number;
  gatewayTimeoutMs: number;
  gatewayMaxAttempts: number;
  /** How long a lease lasts without renewal before another process may take the run over. */
  leaseMs?: number;
  backoffBaseMs?: number;
  maxBackoffMs?: number;
  maxRetryAfterMs?: number;
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
  /** Called once a run this process walked has ended, with its overview (the webhook). */
  onRunEnd?: (overview: ReturnType<typeof runOverview>) => void;
}

export const interruptedByRestart = 'Interrupted by restart';
export const interruptedByShutdown = 'Interrupted by shutdown';
/** How long past one gateway try a shutdown waits for the purchase in flight. */
export const shutdownMarginMs = 2_000;
/** A sibling process ended the run: its walker is alive but stopped renewing the lease (paused on a lock, stuck). */
export const endedByAnotherProcess = 'Ended by another server process: the process walking this run stopped renewing its lease';

export type AutoPurchase = ReturnType<typeof createAutoPurchase>;

export function createAutoPurchase(deps: EngineDeps) {
  const { db, clock, logger } = deps;
  const holder = deps.holder ?? `process/${crypto.randomUUID()}`;
  const holderAlive: HolderAlive = (name) => (name === holder ? true : deps.holderAlive?.(name));
  const leaseMs = deps.options.leaseMs ?? 30_000;
  const policy: CallPolicy = {
    timeoutMs: deps.options.gatewayTimeoutMs,
    maxAttempts: deps.options.gatewayMaxAttempts,
    backoffBaseMs: deps.options.backoffBaseMs ?? 250,
    maxBackoffMs: deps.options.maxBackoffMs ?? 10_000,
    maxRetryAfterMs: deps.options.maxRetryAfterMs ?? 60_000,
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    random: Math.random,
    isStopping: () => stopping,
  };
  const walks = new Map<string, Promise<void>>();
  const onAppend = (sessionId: string, seq: number) => {
    try {
      deps.onAppend?.(sessionId, seq);
    } catch (error) {
      logger.error(`append listener failed: ${errorText(error)}`);
    }
  };
  /** Appends made inside a transaction, announced once it has committed. */
  let appended: [string, number][] = [];
  const announce = () => {
    const done = appended;
    appended = [];
    for (const [sessionId, seq] of done) onAppend(sessionId, seq);
  };
  let stopping = false;

  /**
   * Ends a run whose walker is gone: its rows still `processing` become `unknown` in the run, the
   * run fails "Interrupted by restart".
   */
  function endInterrupted(tx: Db, sessionId: string, now: number, why: string): void {
    const run = runRow(tx, sessionId);
    if (run && run.status === 'running') {
      const stuck = tx
        .select({ invoiceId: runTransactions.invoiceId })
        .from(runTransactions)
        .where(and(eq(runTransactions.sessionId, sessionId), eq(runTransactions.status, 'processing')))
        .all();
      const events: RunEventBody[] = stuck.map(({ invoiceId }) => ({
        type: 'transaction',
        data: { invoiceId, status: 'unknown', error: why, timestamp: isoTime(now) },
      }));
      if (stuck.length) {
        events.push({
          type: 'summary',
          data: {
            totalTransactions: run.totalTransactions,
            processedCount: run.processedCount,
            skippedCount: run.skippedCount,
            failedCount: run.failedCount,
            unknownCount: run.unknownCount + stuck.length,
          },
        });
      }
      events.push(
        { type: 'step', data: { currentStep: steps.error } },
        { type: 'end', data: { status: 'failed', endTime: isoTime(now), error: why } },
      );
      appended.push([sessionId, appendEvents(tx, sessionId, events, now)]);
    }
  }

  /** Our own walker, paused on a lock or a full disk past its lease, is alive: only its process can tell. */
  function leaseIsDead(lease: Lease, now: number): boolean {
    if (lease.holder === holder) return !walks.has(lease.sessionId);
    return isDead(lease, now, holderAlive);
  }

  /** Ends runs left `running` with no live walker; answers the orphaned `processing` transactions. */
  function endDeadRuns(tx: Db, now: number): number[] | undefined {
    const lease = currentLease(tx);
    if (lease && !leaseIsDead(lease, now)) return undefined;
    const why = lease && lease.holder !== holder && holderAlive(lease.holder) === true ? endedByAnotherProcess : interruptedByRestart;
    const running = tx.select({ sessionId: runs.sessionId }).from(runs).where(eq(runs.status, 'running')).all();
    for (const { sessionId } of running) endInterrupted(tx, sessionId, now, why);
    dropLease(tx);
    return purchases.transactionIdsWithStatus(tx, 'processing');
  }

  function startWalk(sessionId: string, orphans: number[]) {
    // Renews the lease while a gateway call is slow; each commit of the walk renews it too.
    const renewal = setInterval(() => {
      try {
        write(db, (tx) => renewLease(tx, { sessionId, holder, expiresAt: clock.now() + leaseMs }));
      } catch (error) {
        logger.warn(`run ${sessionId}: lease renewal failed: ${errorText(error)}`);
      }
    }, Math.max(50, Math.floor(leaseMs / 3)));
    const walk = new Promise<void>((resolve) => setTimeout(resolve, 0))
      .then(() =>
        walkRun(
          {
            db,
            gateway: deps.gateway,
            cipher: deps.cipher,
            clock,
            logger,
            policy,
            purchaseDelayMs: deps.options.purchaseDelayMs,
            leaseMs,
            gatewayTimeoutMs: deps.options.gatewayTimeoutMs,
            isStopping: () => stopping,
            onAppend,
          },
          { sessionId, holder, orphans },
        ),
      )
      .catch((error: unknown) => logger.error(`run ${sessionId}: walk crashed: ${errorText(error)}`))
      .finally(() => {
        clearInterval(renewal);
        walks.delete(sessionId);
        try {
          const row = runRow(db, sessionId);
          if (row && row.status !== 'running') deps.onRunEnd?.(runOverview(row));
        } catch (error) {
          logger.warn(`run ${sessionId}: end listener failed: ${errorText(error)}`);
        }
      });
    walks.set(sessionId, walk);
  }

  return {
    holder,

    /**
     * Starts a run, or answers the active one: one SQLite transaction under the write lock, so a
     * burst of triggers, from any process, starts one run.
     */
    /** Throws 503 while shutting down: call before a change that a trigger follows, so nothing is half done. */
    assertAccepting(): void {
      if (stopping) throw new AppError(503, 'shutting_down', 'The server is shutting down; try again in a moment');
    },

    trigger(input: { stockAccountId?: string } = {}): { sessionId: string; started: boolean } {
      this.assertAccepting();
      const now = clock.now();
      const outcome = write(db, (tx) => {
          appended = [];
          const account = input.stockAccountId === undefined ? undefined : accountById(tx, input.stockAccountId);
          if (input.stockAccountId !== undefined && !account) throw notFound('Stock account');
          const lease = currentLease(tx);
          if (lease && !leaseIsDead(lease, now)) {
            // The active run answers, and looks for pending orders again before it ends (an
            // order retried, an account added after it passed orders by).
            requestRerun(tx);
            return { sessionId: lease.sessionId, started: false, orphans: [] };
          }
          const orphans = endDeadRuns(tx, now) ?? [];
          const sessionId = crypto.randomUUID();
          insertRun(tx, {
            sessionId,
            now,
            ...(account ? { triggeredBy: { stockAccountId: account.id, stockAccountName: account.username } } : {}),
          });
          appended.push([sessionId, appendEvents(tx, sessionId, [{ type: 'step', data: { currentStep: steps.initializing } }], now)]);
          takeLease(tx, { sessionId, holder, expiresAt: now + leaseMs });
          return { sessionId, started: true, orphans };
      });
      announce();
      if (outcome.started) startWalk(outcome.sessionId, outcome.orphans);
      return { sessionId: outcome.sessionId, started: outcome.started };
    },

    /** At start-up: runs a crash left `running` end failed; their `processing` transactions are reconciled. */
    async recover(): Promise<{ endedRuns: number; reconciled: number }> {
      const now = clock.now();
      // At start-up and in the sweep: a held lock or a full disk is waited out, not fatal.
      const result = await writeRetrying(
        db,
        (tx) => {
          appended = [];
          const before = tx.select({ sessionId: runs.sessionId }).from(runs).where(eq(runs.status, 'running')).all().length;
          const orphans = endDeadRuns(tx, now);
          return orphans === undefined ? undefined : { orphans, endedRuns: before };
        },
        { sleep: policy.sleep, giveUp: () => stopping },
      );
      announce();
      if (!result) return { endedRuns: 0, reconciled: 0 };
      for (const id of result.orphans) await reconcileTransaction(reconcileDeps(), id, 'processing');
      return { endedRuns: result.endedRuns, reconciled: result.orphans.length };
    },

    /** POST /api/transactions/:id/retry: a failed order back to pending, then a run. */
    retry(transactionId: number) {
      this.assertAccepting();
      const now = clock.now();
      const moved = write(db, (tx) => {
          const row = transactionById(tx, transactionId);
          if (!row) throw notFound('Transaction');
          if (row.status !== 'failed') throw new AppError(409, 'not_failed', `Only a failed transaction can be retried; this one is ${row.status}`);
          purchases.moveTransaction(tx, transactionId, 'failed', { status: 'pending', error: null, usedAccount: null, usedAccountId: null }, now);
          return transactionById(tx, transactionId)!;
      });
      return { transaction: moved, run: this.trigger() };
    },

    /** POST /api/transactions/:id/reconcile: ask the gateway about an unknown purchase now. */
    async reconcile(transactionId: number) {
      const row = transactionById(db, transactionId);
      if (!row) throw notFound('Transaction');
      if (row.status !== 'unknown') throw new AppError(409, 'not_unknown', `Only an unknown transaction can be reconciled; this one is ${row.status}`);
      await reconcileTransaction(reconcileDeps(), transactionId, 'unknown');
      return transactionById(db, transactionId)!;
    },

    /** True while a purchase with this account is in flight: it may not be deleted then. */
    isBuyingWith(accountId: string): boolean {
      return purchases.hasAttemptInFlight(db, accountId);
    },

    /** Resolves when every walk this process started has ended. */
    async idle(): Promise<void> {
      while (walks.size > 0) await Promise.all([...walks.values()]);
    },

    /**
     * No new runs; the walks end after the purchase in flight, failed "Interrupted by shutdown".
     * The budget covers one gateway try (no retry starts once stopping); past it, a walk still
     * waiting is ended here: its purchase in flight left `unknown` for reconciliation by its key.
     */
    async stop(budgetMs = deps.options.gatewayTimeoutMs + shutdownMarginMs): Promise<void> {
      stopping = true;
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        this.idle(),
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, budgetMs);
        }),
      ]);
      clearTimeout(timer);
      for (const sessionId of walks.keys()) {
        try {
          endAtShutdown(sessionId);
        } catch (error) {
          logger.error(`run ${sessionId}: could not be ended at shutdown (the next start ends it): ${errorText(error)}`);
        }
      }
      announce();
    },
  };

  /** A walk that outlived the shutdown budget: its purchases in flight become unknown, the run ends, the lease goes. */
  function endAtShutdown(sessionId: string): void {
    const now = clock.now();
    write(db, (tx) => {
      const lease = currentLease(tx);
      if (!lease || lease.holder !== holder || lease.sessionId !== sessionId) return;
      for (const id of purchases.transactionIdsWithStatus(tx, 'processing')) {
        const attempt = purchases.latestAttemptFor(tx, id);
        if (attempt?.outcome === 'pending') {
          purchases.settleAttempt(tx, attempt.idempotencyKey, 'unknown', interruptedByShutdown, now);
          purchases.moveTransaction(tx, id, 'processing', { status: 'unknown', usedAccountId: attempt.accountId, usedAccount: attempt.accountUsername, error: unknownError }, now);
        } else {
          purchases.moveTransaction(tx, id, 'processing', { status: 'pending' }, now);
        }
      }
      endInterrupted(tx, sessionId, now, interruptedByShutdown);
      dropLease(tx);
    });
    logger.warn(`run ${sessionId}: ended at shutdown with a purchase still in flight; it will be reconciled by its key`);
  }

  function reconcileDeps() {
    return { db, gateway: deps.gateway, clock, logger, gatewayTimeoutMs: deps.options.gatewayTimeoutMs, policy, isStopping: () => stopping };
  }
}

