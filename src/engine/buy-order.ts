// Buying one order (SPEC §3.5) in two commits: the claim, the account's reservation and the
// attempt with its idempotency key are stored before the gateway is called; its answer after.
import { leastBalanceCovering } from '../domain/choose-account.js';
import { errorText } from '../domain/error-text.js';
import type { RunEventBody } from '../domain/run.js';
import type { RefusalCode } from '../gateway/gateway.js';
import { accountsForChoosing, refundBalance, reserveBalance, setAccountState, storeGatewayBalance, type ChoosableAccount } from '../stores/accounts.js';
import * as purchases from '../stores/purchases.js';
import { buyWithRetries } from './purchase-call.js';
import { unknownError } from './reconcile.js';
import { messages, steps } from './run-messages.js';
import { stepEvent, type PendingRow, type WalkContext } from './walk-context.js';

interface Claim {
  row: PendingRow;
  gamepass: { id: number; name: string; price: number; sellerId: number };
}
type Pick = { account: ChoosableAccount; idempotencyKey: string } | undefined;

/** The order at `position` of `total`; answers whether the gateway was called for it. */
export async function buyOrder(run: WalkContext, row: PendingRow, position: number, total: number): Promise<boolean> {
  const excluded = new Set<string>();
  // The claim and the first reservation share one commit.
  let pick = await run.commit((now, events) => {
    events.push(stepEvent(steps.processing(position, total, row.invoiceId)));
    return claimOrder(run, row, now, events) ? reserve(run, claimOf(row), excluded, now, events) : undefined;
  });
  if (!pick) return false;
  const claim = claimOf(row);
  while (pick) {
    const retryElsewhere = await buy(run, claim, pick);
    if (!retryElsewhere) break;
    excluded.add(pick.account.id);
    pick = await run.commit((now, events) => reserve(run, claim, excluded, now, events));
  }
  return true;
}

/** pending → processing, unless another run took it; an order without its gamepass data fails here. */
function claimOrder(run: WalkContext, row: PendingRow, now: number, events: RunEventBody[]): boolean {
  if (!purchases.claimPending(run.db, row.id, now)) {
    run.syncAccounts(accountsForChoosing(run.db), events);
    run.settle(events, row.invoiceId, 'skipped', now, { error: messages.takenElsewhere });
    return false;
  }
  run.claimed = row;
  if (row.gamepassId == null || row.gamepassName == null || row.gamepassPrice == null || row.gamepassSellerId == null) {
    purchases.moveTransaction(run.db, row.id, 'processing', { status: 'failed', error: messages.missingGamepass }, now);
    run.settle(events, row.invoiceId, 'failed', now, { error: messages.missingGamepass });
    return false;
  }
  return true;
}

/**
 * Reserves the price on the account with the least balance covering it and stores the attempt with
 * a new idempotency key; with no such account, the order goes back to pending, skipped in the run.
 */
function reserve(run: WalkContext, claim: Claim, excluded: Set<string>, now: number, events: RunEventBody[]): Pick {
  const { row, gamepass } = claim;
  let accounts = accountsForChoosing(run.db);
  for (;;) {
    const account = leastBalanceCovering(accounts, gamepass.price, excluded);
    if (!account) break;
    if (reserveBalance(run.db, account.id, gamepass.price, now) === undefined) {
      excluded.add(account.id);
      accounts = accountsForChoosing(run.db);
      continue;
    }
    const idempotencyKey = crypto.randomUUID();
    purchases.insertAttempt(run.db, { idempotencyKey, transactionId: row.id, accountId: account.id, accountUsername: account.username, price: gamepass.price }, now);
    purchases.countAttempt(run.db, row.id, now);
    run.syncAccounts(accounts.map((a) => (a.id === account.id ? { ...a, robux: a.robux - gamepass.price } : a)), events);
    run.settle(events, row.invoiceId, 'processing', now, { usedAccount: account.username });
    return { account, idempotencyKey };
  }
  purchases.moveTransaction(run.db, row.id, 'processing', { status: 'pending' }, now);
  run.syncAccounts(accounts, events);
  run.settle(events, row.invoiceId, 'skipped', now, { error: messages.noAccount });
  return undefined;
}

/** Calls the gateway and records what it answered; true when the next account should try. */
async function buy(run: WalkContext, claim: Claim, pick: NonNullable<Pick>): Promise<boolean> {
  const { row, gamepass } = claim;
  const { account, idempotencyKey } = pick;
  let credential: string;
  try {
    credential = await run.credentialOf(account);
  } catch (error) {
    return await notSent(run, claim, pick, error);
  }
  const request = { credential, invoiceId: row.invoiceId, gamepassId: gamepass.id, gamepassName: gamepass.name, price: gamepass.price, sellerId: gamepass.sellerId, idempotencyKey };
  const outcome = await buyWithRetries(run.deps.gateway, request, run.deps.policy);
  run.deps.onPurchase?.(outcome);
  if (outcome.kind === 'error') {
    // A gateway that refuses us (a wrong secret, an unexpected answer) ends the run failed: with no
    // unanswered attempt nothing was bought; else the walk's end leaves the order unknown.
    if (!outcome.mayHaveBought) return await notSent(run, claim, pick, outcome.error);
    throw outcome.error;
  }
  if (outcome.kind === 'no-answer') {
    // The balance stays reserved until reconciliation says whether it was spent.
    await run.commit((now, events) => {
      purchases.settleAttempt(run.db, idempotencyKey, 'unknown', outcome.lastError, now);
      purchases.moveTransaction(run.db, row.id, 'processing', { status: 'unknown', usedAccountId: account.id, usedAccount: account.username, error: unknownError }, now);
      run.settle(events, row.invoiceId, 'unknown', now, { usedAccount: account.username, error: unknownError });
    });
    return false;
  }
  const result = outcome.result;
  if (!result.success) return settleRefusal(run, result.code, result.message, claim, pick);
  await run.commit((now, events) => {
    purchases.settleAttempt(run.db, idempotencyKey, 'completed', null, now);
    purchases.completeTransaction(run.db, row.id, account, now);
    run.settle(events, row.invoiceId, 'completed', now, { usedAccount: account.username });
  });
  return false;
}

/** The purchase was certainly not made: the price goes back, the order waits; then the run ends failed. */
async function notSent(run: WalkContext, claim: Claim, pick: NonNullable<Pick>, error: unknown): Promise<never> {
  const message = errorText(error);
  await run.commit((now, events) => {
    purchases.settleAttempt(run.db, pick.idempotencyKey, 'failed', `Not sent: ${message}`, now);
    refundBalance(run.db, pick.account.id, claim.gamepass.price, now);
    run.syncAccounts(accountsForChoosing(run.db), events);
    purchases.moveTransaction(run.db, claim.row.id, 'processing', { status: 'pending' }, now);
    run.settle(events, claim.row.invoiceId, 'skipped', now, { error: messages.notSent });
  });
  throw error;
}

/** Records a refusal (SPEC §6); answers true when the order should be tried with the next account. */
async function settleRefusal(run: WalkContext, code: RefusalCode, message: string, claim: Claim, pick: NonNullable<Pick>): Promise<boolean> {
  const { row, gamepass } = claim;
  const { account, idempotencyKey } = pick;
  // One order's INVALID_CREDENTIAL may be about that order: only a fresh /account check that
  // rejects the credential too marks the account invalid (SPEC §11).
  const verified = code === 'INSUFFICIENT_FUNDS' || code === 'INVALID_CREDENTIAL' ? await run.verifyQuietly(account) : undefined;
  const invalidConfirmed = code === 'INVALID_CREDENTIAL' && verified?.ok === false;
  const failOrder = (now: number, events: RunEventBody[]): false => {
    purchases.moveTransaction(run.db, row.id, 'processing', { status: 'failed', usedAccountId: account.id, usedAccount: account.username, error: message }, now);
    run.settle(events, row.invoiceId, 'failed', now, { usedAccount: account.username, error: message });
    return false;
  };
  return await run.commit((now, events) => {
    purchases.settleAttempt(run.db, idempotencyKey, 'failed', `${code}: ${message}`, now);
    if (verified?.ok) storeGatewayBalance(run.db, account.id, verified.robux, now);
    else refundBalance(run.db, account.id, gamepass.price, now);
    if (invalidConfirmed) setAccountState(run.db, account.id, { status: 'invalid', lastChecked: now }, now);
    run.syncAccounts(accountsForChoosing(run.db), events);
    switch (code) {
      case 'INSUFFICIENT_FUNDS':
        return true;
      case 'INVALID_CREDENTIAL':
        return invalidConfirmed || failOrder(now, events);
      case 'ALREADY_OWNED':
        // The customer has the pass: the order is done, and nothing was bought.
        purchases.completeTransaction(run.db, row.id, { id: null, username: null }, now);
        run.settle(events, row.invoiceId, 'completed', now);
        return false;
      case 'RATE_LIMITED':
        purchases.moveTransaction(run.db, row.id, 'processing', { status: 'pending' }, now);
        run.settle(events, row.invoiceId, 'skipped', now, { error: messages.rateLimited });
        return false;
      default:
        return failOrder(now, events);
    }
  });
}

/**
 * The claimed order of a walk that cannot finish it: `unknown` when a purchase of it is in flight
 * (reconciled by its key), else back to pending. Never left `processing`.
 */
export function releaseClaim(run: WalkContext, row: PendingRow, now: number, events: RunEventBody[]): void {
  const attempt = purchases.latestAttemptFor(run.db, row.id);
  if (attempt?.outcome === 'pending') {
    purchases.settleAttempt(run.db, attempt.idempotencyKey, 'unknown', 'The run ended during this purchase', now);
    if (purchases.moveTransaction(run.db, row.id, 'processing', { status: 'unknown', usedAccountId: attempt.accountId, usedAccount: attempt.accountUsername, error: unknownError }, now)) {
      run.settle(events, row.invoiceId, 'unknown', now, { usedAccount: attempt.accountUsername, error: unknownError });
    }
  } else if (purchases.moveTransaction(run.db, row.id, 'processing', { status: 'pending' }, now)) {
    run.settle(events, row.invoiceId, 'skipped', now, { error: messages.endedBefore });
  }
}

function claimOf(row: PendingRow): Claim {
  return { row, gamepass: { id: row.gamepassId!, name: row.gamepassName!, price: row.gamepassPrice!, sellerId: row.gamepassSellerId! } };
}
