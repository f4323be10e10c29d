// The sandbox gateway (SPEC §6): a deterministic in-process marketplace for the demo and the tests,
// with fault injection (sandbox-faults.ts), demo markers (sandbox-markers.ts) and made-up accounts
// (sandbox-credentials.ts). Each gateway call is a function over the marketplace's state.

import { DEFAULT_RETRY_AFTER_MS, GatewayTransientError } from './gateway.js';
import type { BuyRequest, BuyResult, CallOptions, Gateway, PurchaseLookup, RefusalCode, VerifyResult } from './gateway.js';
import { parseCredential, type AccountIdentity } from './sandbox-credentials.js';
import {
  createFaultState,
  faultControls,
  takeBuyFault,
  takeLookupFailure,
  takeVerifyFailure,
  type BuyFault,
  type FaultState,
  type SandboxFaults,
} from './sandbox-faults.js';
import { findMarker, refusalMarkers, sandboxRefusalMessages } from './sandbox-markers.js';

export interface SandboxPurchase {
  readonly idempotencyKey: string;
  readonly invoiceId: string;
  readonly userId: number;
  readonly price: number;
}

export interface SandboxGateway extends Gateway {
  readonly kind: 'sandbox';
  readonly faults: SandboxFaults;
  balanceOf(userId: number): number | undefined;
  /** Successful purchases, oldest first. */
  purchases(): ReadonlyArray<SandboxPurchase>;
  purchaseCount(invoiceId: string): number;
  /** buyPass calls made, whatever they answered. */
  calls(): number;
}

interface AccountState {
  balance: number;
  /** The robux the last verified credential declared; a different one is a top-up. */
  declaredRobux: number | undefined;
}

/** The marketplace: its accounts, what it answered per idempotency key, and what it sold. */
interface Market {
  accounts: Map<number, AccountState>;
  /** The first settled answer per idempotency key; RATE_LIMITED is never stored. */
  answers: Map<string, BuyResult>;
  /** Every key a buy request carried, answered or not: a lookup of any other says `not_found`. */
  seenKeys: Set<string>;
  /** Keys whose once-only marker ([RATE_LIMITED], [FLAKY]) already fired. */
  markersFired: Set<string>;
  /**
   * Orders whose account-level marker ([INSUFFICIENT_FUNDS], [INVALID_CREDENTIAL]) already fired:
   * once per order, so the next account buys it and a demo does not disable every account.
   */
  orderMarkersFired: Set<string>;
  log: SandboxPurchase[];
  faults: FaultState;
  buyCalls: number;
}

export function createSandboxGateway(): SandboxGateway {
  const market: Market = {
    accounts: new Map(),
    answers: new Map(),
    seenKeys: new Set(),
    markersFired: new Set(),
    orderMarkersFired: new Set(),
    log: [],
    faults: createFaultState(),
    buyCalls: 0,
  };
  return {
    kind: 'sandbox',
    faults: faultControls(market.faults),
    verifyAccount: async (credential, options) => verifyAccount(market, credential, options),
    buyPass: async (request, options) => buyPass(market, request, options),
    lookupPurchase: async (idempotencyKey, options) => lookupPurchase(market, idempotencyKey, options),
    balanceOf: (userId) => market.accounts.get(userId)?.balance,
    purchases: () => [...market.log],
    purchaseCount: (invoiceId) => market.log.filter((entry) => entry.invoiceId === invoiceId).length,
    calls: () => market.buyCalls,
  };
}

function verifyAccount(market: Market, credential: string, options?: CallOptions): VerifyResult {
  throwIfAborted(options?.signal);
  if (takeVerifyFailure(market.faults)) throw new GatewayTransientError('Sandbox: injected transient failure');
  const parsed = parseCredential(credential);
  if (!parsed.ok) return { ok: false, code: 'INVALID_CREDENTIAL', message: parsed.message };
  if (market.faults.revoked.has(parsed.identity.username)) {
    return { ok: false, code: 'INVALID_CREDENTIAL', message: sandboxRefusalMessages.INVALID_CREDENTIAL };
  }
  const state = accountFor(market, parsed.identity, parsed.declaredRobux);
  // Re-verifying with a new declared balance is how the demo tops an account up.
  if (parsed.declaredRobux !== undefined && parsed.declaredRobux !== state.declaredRobux) {
    state.balance = parsed.declaredRobux;
    state.declaredRobux = parsed.declaredRobux;
  }
  return { ok: true, ...parsed.identity, robux: state.balance };
}

// Everything up to the answer runs synchronously, so concurrent calls cannot interleave.
function buyPass(market: Market, request: BuyRequest, options?: CallOptions): BuyResult | Promise<never> {
  market.buyCalls += 1;
  const signal = options?.signal;
  throwIfAborted(signal);
  assertValidRequest(request);
  market.seenKeys.add(request.idempotencyKey);
  const stored = market.answers.get(request.idempotencyKey);
  if (stored) return { ...stored };
  const fault = takeBuyFault(market.faults, request.invoiceId);
  if (fault) return applyFault(market, fault, request, signal);
  return applyMarker(market, request) ?? purchase(market, request);
}

function lookupPurchase(market: Market, idempotencyKey: string, options?: CallOptions): PurchaseLookup {
  throwIfAborted(options?.signal);
  if (takeLookupFailure(market.faults)) throw new GatewayTransientError('Sandbox: injected transient failure');
  const stored = market.answers.get(idempotencyKey);
  if (stored) return stored.success ? 'completed' : 'failed';
  return market.seenKeys.has(idempotencyKey) ? 'unknown' : 'not_found';
}

function accountFor(market: Market, identity: AccountIdentity, declaredRobux: number | undefined): AccountState {
  let state = market.accounts.get(identity.userId);
  if (!state) {
    state = { balance: declaredRobux ?? 0, declaredRobux };
    market.accounts.set(identity.userId, state);
  }
  return state;
}

function remember(market: Market, key: string, result: BuyResult): BuyResult {
  if (!(result.success === false && result.code === 'RATE_LIMITED')) market.answers.set(key, result);
  return { ...result };
}

/** The marketplace's own rules: a valid credential and enough robux. */
function purchase(market: Market, request: BuyRequest): BuyResult {
  const key = request.idempotencyKey;
  const parsed = parseCredential(request.credential);
  if (!parsed.ok) return remember(market, key, refusal('INVALID_CREDENTIAL', parsed.message));
  if (market.faults.revoked.has(parsed.identity.username)) {
    return remember(market, key, refusal('INVALID_CREDENTIAL', sandboxRefusalMessages.INVALID_CREDENTIAL));
  }
  const state = accountFor(market, parsed.identity, parsed.declaredRobux);
  if (request.price > state.balance) {
    const message = `Not enough robux: balance ${state.balance}, price ${request.price}`;
    return remember(market, key, refusal('INSUFFICIENT_FUNDS', message));
  }
  state.balance -= request.price;
  market.log.push(Object.freeze({ idempotencyKey: key, invoiceId: request.invoiceId, userId: parsed.identity.userId, price: request.price }));
  return remember(market, key, { success: true });
}

function applyFault(market: Market, fault: BuyFault, request: BuyRequest, signal: AbortSignal | undefined): BuyResult | Promise<never> {
  switch (fault.kind) {
    case 'refuse':
      return remember(market, request.idempotencyKey, refusal(fault.code, fault.message, fault.retryAfterMs));
    case 'transient':
      throw new GatewayTransientError('Sandbox: injected transient failure');
    case 'hang':
      return waitForAbort(signal);
    case 'completeThenHang':
      purchase(market, request);
      return waitForAbort(signal);
  }
}

/** Undefined when the name carries no marker, or a once-only marker has already fired. */
function applyMarker(market: Market, request: BuyRequest): BuyResult | undefined {
  const marker = findMarker(request.gamepassName);
  if (!marker) return undefined;
  const code = refusalMarkers[marker];
  if (code === 'INSUFFICIENT_FUNDS' || code === 'INVALID_CREDENTIAL') {
    const order = `${marker}:${request.invoiceId}`;
    if (market.orderMarkersFired.has(order)) return undefined;
    market.orderMarkersFired.add(order);
  }
  if (code) return remember(market, request.idempotencyKey, refusal(code, sandboxRefusalMessages[code]));
  if (marker === '[TIMEOUT]') throw new GatewayTransientError('Sandbox: [TIMEOUT] marker, no answer');
  if (market.markersFired.has(request.idempotencyKey)) return undefined;
  market.markersFired.add(request.idempotencyKey);
  if (marker === '[FLAKY]') throw new GatewayTransientError('Sandbox: [FLAKY] marker, first call fails');
  return refusal('RATE_LIMITED', sandboxRefusalMessages.RATE_LIMITED, DEFAULT_RETRY_AFTER_MS);
}

function refusal(code: RefusalCode, message: string, retryAfterMs?: number): BuyResult {
  return retryAfterMs === undefined ? { success: false, code, message } : { success: false, code, message, retryAfterMs };
}

function abortError(signal: AbortSignal): GatewayTransientError {
  return new GatewayTransientError('timeout', { cause: signal.reason });
}

/** A real request with an aborted signal never reaches the marketplace: nothing happens. */
function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw abortError(signal);
}

/**
 * An answer that never comes: settles only when the caller gives up. No timer is involved, so a
 * hang without a signal holds nothing alive; the `once` listener is gone as soon as it fires.
 */
function waitForAbort(signal: AbortSignal | undefined): Promise<never> {
  return new Promise<never>((_resolve, reject) => {
    if (!signal) return;
    if (signal.aborted) return reject(abortError(signal));
    signal.addEventListener('abort', () => reject(abortError(signal)), { once: true });
  });
}

const isPositiveInteger = (value: unknown) => typeof value === 'number' && Number.isSafeInteger(value) && value > 0;
const isNonEmptyString = (value: unknown) => typeof value === 'string' && value.length > 0;

/** A malformed request is the caller's bug, not a marketplace answer: it rejects with a TypeError. */
function assertValidRequest(request: BuyRequest): void {
  const problems: string[] = [];
  if (typeof request.credential !== 'string') problems.push('credential must be a string');
  if (!isNonEmptyString(request.invoiceId)) problems.push('invoiceId must be a non-empty string');
  if (!isNonEmptyString(request.idempotencyKey)) problems.push('idempotencyKey must be a non-empty string');
  if (typeof request.gamepassName !== 'string') problems.push('gamepassName must be a string');
  if (!isPositiveInteger(request.gamepassId)) problems.push('gamepassId must be a positive integer');
  if (!isPositiveInteger(request.sellerId)) problems.push('sellerId must be a positive integer');
  if (!isPositiveInteger(request.price)) problems.push('price must be a positive integer');
  if (problems.length > 0) throw new TypeError(`Invalid buy request: ${problems.join('; ')}`);
}
