// The walk of one run, step by step as SPEC §3 lists them. Each step is one or more commits: one
// SQLite transaction that changes the domain rows and appends the events describing the change.
import { isoTime } from '../clock.js';
import { errorText } from '../domain/error-text.js';
import type { RunEventBody, RunTransaction } from '../domain/run.js';
import { accountsForChoosing, setAccountState, storeGatewayBalance } from '../stores/accounts.js';
import { pendingOldestFirst, transactionIdsWithStatus } from '../stores/purchases.js';
import { runTransactionList } from '../stores/run-events.js';
import { buyOrder, releaseClaim } from './buy-order.js';
import { releaseLease, takeRerun } from './lease.js';
import { reconcileTransaction } from './reconcile.js';
import { interruptedByShutdown, steps } from './run-messages.js';
import { Interrupted, LeaseLost, runAccountOf, stepEvent, WalkContext, type PendingRow, type WalkDeps, type WalkTarget } from './walk-context.js';

export async function walkRun(deps: WalkDeps, target: WalkTarget): Promise<void> {
  const run = new WalkContext(deps, target);
  try {
    await checkAccounts(run);
    await reconcileUnknown(run, target.orphans);
    const queue = await fetchPending(run);
    // None pending: the balances are refreshed, and the end says how many (§3.4).
    let endStep: string = queue.length === 0 ? steps.nonePending(await refreshBalances(run)) : steps.completed;
    for (let i = 0; ; ) {
      for (; i < queue.length; i++) await processOrder(run, queue, i);
      const more = await endUnlessRerun(run, endStep);
      if (more.length === 0) return;
      // A trigger during the run: the orders pending since then are walked before it ends.
      queue.push(...more);
      endStep = steps.completed;
    }
  } catch (error) {
    await endFailed(run, error);
  }
}

/** §3.2: the active accounts, with their balances, enter the snapshot. */
async function checkAccounts(run: WalkContext): Promise<void> {
  await run.commit((_now, events) => {
    events.push(stepEvent(steps.checkingAccounts));
    for (const account of accountsForChoosing(run.db)) {
      if (account.status === 'active') run.accounts.set(account.id, runAccountOf(account));
    }
    events.push(run.accountsEvent());
  });
}

/** §3.3: purchases nobody saw finish are settled first; those that did not go through rejoin the queue. */
async function reconcileUnknown(run: WalkContext, orphans: readonly number[]): Promise<void> {
  const unknown = transactionIdsWithStatus(run.db, 'unknown');
  const toReconcile = [...orphans.map((id) => ({ id, from: 'processing' as const })), ...unknown.map((id) => ({ id, from: 'unknown' as const }))];
  if (toReconcile.length === 0) return;
  await run.commit((_now, events) => events.push(stepEvent(steps.reconciling(toReconcile.length))));
  for (const { id, from } of toReconcile) await reconcileTransaction(run.deps, id, from);
}

/** §3.3: every pending transaction, oldest first, enters the snapshot. */
function fetchPending(run: WalkContext): Promise<PendingRow[]> {
  return run.commit((now, events) => {
    const rows = pendingOldestFirst(run.db);
    events.push(stepEvent(steps.fetching));
    run.publish(rows.map((row) => listedPending(row, now)), events);
    return rows;
  });
}

/** §3.4: the balances of every active account, from the gateway; answers how many were updated. */
async function refreshBalances(run: WalkContext): Promise<number> {
  let updated = 0;
  for (const account of accountsForChoosing(run.db).filter((a) => a.status === 'active')) {
    const verified = await run.verifyQuietly(account);
    if (!verified) continue;
    await run.commit((now, events) => {
      if (verified.ok) storeGatewayBalance(run.db, account.id, verified.robux, now);
      else setAccountState(run.db, account.id, { status: 'invalid', lastChecked: now }, now);
      run.syncAccounts(accountsForChoosing(run.db), events);
    });
    updated++;
  }
  return updated;
}

/** §3.5: the order at `i`, then the wait before the next purchase. */
async function processOrder(run: WalkContext, queue: readonly PendingRow[], i: number): Promise<void> {
  if (run.deps.isStopping()) throw new Interrupted(interruptedByShutdown);
  await run.yieldWhenDue();
  const calledGateway = await buyOrder(run, queue[i]!, i + 1, queue.length);
  if (calledGateway && i < queue.length - 1 && run.deps.purchaseDelayMs > 0) {
    await run.commit((_now, events) => events.push(stepEvent(steps.waiting(i + 1, queue.length))));
    await run.sleepUnlessStopping(run.deps.purchaseDelayMs);
  }
}

/**
 * §3.6: the end, unless a trigger arrived meanwhile and orders are pending: then answers them, to
 * walk on. Checked in the commit that releases the lease, so no trigger falls between the two.
 */
function endUnlessRerun(run: WalkContext, endStep: string): Promise<PendingRow[]> {
  return run.commit((now, events) => {
    const more = takeRerun(run.db, run) ? requeuePending(run, now, events) : [];
    if (more.length === 0) {
      events.push(stepEvent(endStep), { type: 'end', data: { status: 'completed', endTime: isoTime(now) } });
      releaseLease(run.db, run);
    }
    return more;
  });
}

/** New pending orders join the end of the run's list; ones it passed by (skipped, retried) show pending again. */
function requeuePending(run: WalkContext, now: number, events: RunEventBody[]): PendingRow[] {
  const pending = pendingOldestFirst(run.db);
  if (pending.length === 0) return [];
  const list = runTransactionList(run.db, run.sessionId);
  const at = new Map(list.map((row, i) => [row.invoiceId, i]));
  for (const row of pending) {
    const i = at.get(row.invoiceId);
    if (i === undefined) list.push(listedPending(row, now));
    else list[i] = listedPending(row, now);
  }
  run.publish(list, events);
  return pending;
}

/** §3.6: an unexpected error ends the run failed, its claimed order released; a lost lease ends nothing. */
async function endFailed(run: WalkContext, error: unknown): Promise<void> {
  const { logger } = run.deps;
  if (error instanceof LeaseLost) {
    logger.warn(`run ${run.sessionId}: lease lost to another process; this walk stops`);
    return;
  }
  const message = errorText(error);
  if (!(error instanceof Interrupted)) logger.error(`run ${run.sessionId} failed: ${message}`);
  try {
    await run.commit((now, events) => {
      if (run.claimed) releaseClaim(run, run.claimed, now, events);
      events.push(stepEvent(steps.error), { type: 'end', data: { status: 'failed', endTime: isoTime(now), error: message } });
      releaseLease(run.db, run);
    });
  } catch (endError) {
    // The database itself is failing: the lease expires and the next trigger or start-up ends the run.
    logger.error(`run ${run.sessionId}: could not record its end: ${errorText(endError)}`);
  }
}

function listedPending(row: PendingRow, now: number): RunTransaction {
  return { invoiceId: row.invoiceId, gamepassName: row.gamepassName, gamepassPrice: row.gamepassPrice, status: 'pending', timestamp: isoTime(now) };
}
