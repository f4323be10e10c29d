// The sandbox gateway (SPEC §6): a deterministic in-process marketplace for the demo and the tests, with fault injection.

import {
  GatewayTransientError,
  refusalCodes,
  type BuyRequest,
  type BuyResult,
  type CallOptions,
  type Gateway,
  type PurchaseLookup,
  type RefusalCode,
  type VerifiedAccount,
  type VerifyResult,
} from './gateway.js';

/**
 * Markers a demo order can carry in its gamepass name to make the sandbox misbehave. When a name
 * holds several, the first one in this order applies. Injected faults take precedence.
 */
export const sandboxMarkers = {
  '[NOT_FOR_SALE]': 'Answers NOT_FOR_SALE: the order fails.',
  '[PRICE_CHANGED]': 'Answers PRICE_CHANGED: the order fails.',
  '[ALREADY_OWNED]': 'Answers ALREADY_OWNED: the order completes without buying anything.',
  '[INSUFFICIENT_FUNDS]': 'Answers INSUFFICIENT_FUNDS whatever the balance, once per order: the engine tries the next account.',
  '[INVALID_CREDENTIAL]': 'Answers INVALID_CREDENTIAL once per order: the engine marks the buying account invalid and tries the next.',
  '[RATE_LIMITED]': 'Answers RATE_LIMITED (retry after 1000 ms) the first time per idempotency key, then buys.',
  '[TIMEOUT]': 'Always fails transiently (no answer): the order ends unknown.',
  '[FLAKY]': 'Fails transiently the first time per idempotency key, then buys on the retry.',
} as const;
export type SandboxMarker = keyof typeof sandboxMarkers;

/** The refusal each code answers unless a fault supplies its own message. */
export const sandboxRefusalMessages: Readonly<Record<RefusalCode, string>> = {
  INSUFFICIENT_FUNDS: 'Not enough robux to buy this game pass',
  INVALID_CREDENTIAL: 'The Roblox cookie is invalid or expired',
  PRICE_CHANGED: 'The price of this game pass changed',
  NOT_FOR_SALE: 'This game pass is not for sale',
  ALREADY_OWNED: 'The customer already owns this game pass',
  RATE_LIMITED: 'Too many requests, retry later',
};

const DEFAULT_RETRY_AFTER_MS = 1000;
const CREDENTIAL_PREFIX = 'sandbox:';
const revokedMessage = 'The Roblox cookie is invalid or expired';
const MALFORMED_MESSAGE = 'Malformed sandbox credential: expected sandbox:<username>:<robux>';

export interface FaultTarget {
  /** Only a buy for this invoice consumes the fault; without it, any buy does. */
  invoiceId?: string;
  /** How many matching buys the fault applies to (default 1). */
  times?: number;
}

export interface RefuseOptions extends FaultTarget {
  message?: string;
  /** RATE_LIMITED only (default 1000). */
  retryAfterMs?: number;
}

export interface SandboxFaults {
  refuse(code: RefusalCode, options?: RefuseOptions): void;
  transient(times: number, options?: { invoiceId?: string }): void;
  hang(options?: FaultTarget): void;
  completeThenHang(options?: FaultTarget): void;
  verifyTransient(times: number): void;
  lookupTransient(times: number): void;
  /** From now on this account's credential is rejected, by /account and by buys (an expired cookie). */
  revokeCredential(username: string): void;
  /** Buy faults not consumed yet (each `times` counted). */
  pending(): number;
  clear(): void;
}

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

// ---------------------------------------------------------------------------------------------
// Credentials

type AccountIdentity = Omit<VerifiedAccount, 'robux'>;

type ParsedCredential =
  | { ok: true; identity: AccountIdentity; declaredRobux: number | undefined }
  | { ok: false; message: string };

/** FNV-1a 32-bit over UTF-8: cheap, stable across runtimes, good enough to tell accounts apart. */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(text)) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** The userId the sandbox gives a username: a positive integer, the same on every run. */
export function sandboxUserId(username: string): number {
  return fnv1a(username) || 1;
}

function identityOf(username: string): AccountIdentity {
  const displayName = username.charAt(0).toUpperCase() + username.slice(1);
  return { userId: sandboxUserId(username), username, displayName };
}

function parseCredential(credential: string): ParsedCredential {
  if (credential === 'sandbox:invalid') return { ok: false, message: sandboxRefusalMessages.INVALID_CREDENTIAL };
  if (credential.trim() === '') return { ok: false, message: 'The Roblox cookie is empty' };
  // A real-looking cookie still works, so the demo accepts anything an admin pastes.
  if (!credential.startsWith(CREDENTIAL_PREFIX)) {
    const username = `user_${fnv1a(credential).toString(36)}`;
    return { ok: true, identity: identityOf(username), declaredRobux: undefined };
  }
  const parts = credential.slice(CREDENTIAL_PREFIX.length).split(':');
  const [username, robuxText] = parts;
  if (parts.length !== 2 || !username || username.trim() !== username || !robuxText || !/^\d+$/.test(robuxText)) {
    return { ok: false, message: MALFORMED_MESSAGE };
  }
  const robux = Number(robuxText);
  if (!Number.isSafeInteger(robux)) return { ok: false, message: MALFORMED_MESSAGE };
  return { ok: true, identity: identityOf(username), declaredRobux: robux };
}

// ---------------------------------------------------------------------------------------------
// Faults

type BuyFault =
  | { kind: 'refuse'; code: RefusalCode; message: string; retryAfterMs: number | undefined }
  | { kind: 'transient' }
  | { kind: 'hang' }
  | { kind: 'completeThenHang' };

interface QueuedFault {
  fault: BuyFault;
  invoiceId: string | undefined;
  remaining: number;
}

function assertCount(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer`);
}

function createFaults() {
  const queue: QueuedFault[] = [];
  let verifyFailures = 0;
  let lookupFailures = 0;
  const revoked = new Set<string>();

  function enqueue(fault: BuyFault, target: FaultTarget = {}): void {
    const times = target.times ?? 1;
    assertCount('times', times);
    queue.push({ fault, invoiceId: target.invoiceId, remaining: times });
  }

  const api: SandboxFaults = {
    refuse(code, options = {}) {
      if (!refusalCodes.includes(code)) throw new RangeError(`Unknown refusal code: ${String(code)}`);
      const retryAfterMs = code === 'RATE_LIMITED' ? (options.retryAfterMs ?? DEFAULT_RETRY_AFTER_MS) : undefined;
      if (retryAfterMs !== undefined && (!Number.isSafeInteger(retryAfterMs) || retryAfterMs < 0)) {
        throw new RangeError('retryAfterMs must be a non-negative integer');
      }
      const message = options.message ?? sandboxRefusalMessages[code];
      enqueue({ kind: 'refuse', code, message, retryAfterMs }, options);
    },
    transient(times, options = {}) {
      enqueue({ kind: 'transient' }, { ...options, times });
    },
    hang(options) {
      enqueue({ kind: 'hang' }, options);
    },
    completeThenHang(options) {
      enqueue({ kind: 'completeThenHang' }, options);
    },
    verifyTransient(times) {
      assertCount('times', times);
      verifyFailures += times;
    },
    lookupTransient(times) {
      assertCount('times', times);
      lookupFailures += times;
    },
    revokeCredential(username) {
      revoked.add(username);
    },
    pending() {
      return queue.reduce((sum, entry) => sum + entry.remaining, 0);
    },
    clear() {
      queue.length = 0;
      verifyFailures = 0;
      lookupFailures = 0;
      revoked.clear();
    },
  };

  return {
    api,
    /** Consumes one use of the oldest fault aimed at this invoice (or at any). */
    takeBuyFault(invoiceId: string): BuyFault | undefined {
      const index = queue.findIndex((entry) => entry.invoiceId === undefined || entry.invoiceId === invoiceId);
      const entry = queue[index];
      if (!entry) return undefined;
      entry.remaining -= 1;
      if (entry.remaining === 0) queue.splice(index, 1);
      return entry.fault;
    },
    takeVerifyFailure(): boolean {
      if (verifyFailures === 0) return false;
      verifyFailures -= 1;
      return true;
    },
    isRevoked: (username: string) => revoked.has(username),
    takeLookupFailure(): boolean {
      if (lookupFailures === 0) return false;
      lookupFailures -= 1;
      return true;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Helpers

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

function refusal(code: RefusalCode, message: string, retryAfterMs?: number): BuyResult {
  return retryAfterMs === undefined ? { success: false, code, message } : { success: false, code, message, retryAfterMs };
}

function isPositiveInteger(value: unknown): boolean {
  return typeof value === 'number' && Number.isSafeInteger(value) && value > 0;
}

function isNonEmptyString(value: unknown): boolean {
  return typeof value === 'string' && value.length > 0;
}

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

function findMarker(gamepassName: string): SandboxMarker | undefined {
  return (Object.keys(sandboxMarkers) as SandboxMarker[]).find((marker) => gamepassName.includes(marker));
}

const refusalMarkers: Partial<Record<SandboxMarker, RefusalCode>> = {
  '[NOT_FOR_SALE]': 'NOT_FOR_SALE',
  '[PRICE_CHANGED]': 'PRICE_CHANGED',
  '[ALREADY_OWNED]': 'ALREADY_OWNED',
  '[INSUFFICIENT_FUNDS]': 'INSUFFICIENT_FUNDS',
  '[INVALID_CREDENTIAL]': 'INVALID_CREDENTIAL',
};

// ---------------------------------------------------------------------------------------------
// The gateway

interface AccountState {
  balance: number;
  /** The robux the last verified credential declared; a different one is a top-up. */
  declaredRobux: number | undefined;
}

export function createSandboxGateway(): SandboxGateway {
  const accounts = new Map<number, AccountState>();
  /** The first settled answer per idempotency key; RATE_LIMITED is never stored. */
  const answers = new Map<string, BuyResult>();
  /** Every key a buy request carried, answered or not: a lookup of any other says `not_found`. */
  const seenKeys = new Set<string>();
  /** Keys whose once-only marker ([RATE_LIMITED], [FLAKY]) already fired. */
  const markersFired = new Set<string>();
  /**
   * Orders whose account-level marker ([INSUFFICIENT_FUNDS], [INVALID_CREDENTIAL]) already fired:
   * once per order, so the next account buys it and a demo does not disable every account.
   */
  const orderMarkersFired = new Set<string>();
  const log: SandboxPurchase[] = [];
  const faults = createFaults();
  let buyCalls = 0;

  function accountFor(identity: AccountIdentity, declaredRobux: number | undefined): AccountState {
    let state = accounts.get(identity.userId);
    if (!state) {
      state = { balance: declaredRobux ?? 0, declaredRobux };
      accounts.set(identity.userId, state);
    }
    return state;
  }

  function remember(key: string, result: BuyResult): BuyResult {
    if (!(result.success === false && result.code === 'RATE_LIMITED')) answers.set(key, result);
    return { ...result };
  }

  /** The marketplace's own rules: a valid credential and enough robux. */
  function purchase(request: BuyRequest): BuyResult {
    const key = request.idempotencyKey;
    const parsed = parseCredential(request.credential);
    if (!parsed.ok) return remember(key, refusal('INVALID_CREDENTIAL', parsed.message));
    if (faults.isRevoked(parsed.identity.username)) return remember(key, refusal('INVALID_CREDENTIAL', revokedMessage));
    const state = accountFor(parsed.identity, parsed.declaredRobux);
    if (request.price > state.balance) {
      const message = `Not enough robux: balance ${state.balance}, price ${request.price}`;
      return remember(key, refusal('INSUFFICIENT_FUNDS', message));
    }
    state.balance -= request.price;
    log.push(
      Object.freeze({ idempotencyKey: key, invoiceId: request.invoiceId, userId: parsed.identity.userId, price: request.price }),
    );
    return remember(key, { success: true });
  }

  function applyFault(fault: BuyFault, request: BuyRequest, signal: AbortSignal | undefined): BuyResult | Promise<never> {
    switch (fault.kind) {
      case 'refuse':
        return remember(request.idempotencyKey, refusal(fault.code, fault.message, fault.retryAfterMs));
      case 'transient':
        throw new GatewayTransientError('Sandbox: injected transient failure');
      case 'hang':
        return waitForAbort(signal);
      case 'completeThenHang':
        purchase(request);
        return waitForAbort(signal);
    }
  }

  /** Undefined when the name carries no marker, or a once-only marker has already fired. */
  function applyMarker(request: BuyRequest): BuyResult | undefined {
    const marker = findMarker(request.gamepassName);
    if (!marker) return undefined;
    const code = refusalMarkers[marker];
    if (code === 'INSUFFICIENT_FUNDS' || code === 'INVALID_CREDENTIAL') {
      const order = `${marker}:${request.invoiceId}`;
      if (orderMarkersFired.has(order)) return undefined;
      orderMarkersFired.add(order);
    }
    if (code) return remember(request.idempotencyKey, refusal(code, sandboxRefusalMessages[code]));
    if (marker === '[TIMEOUT]') throw new GatewayTransientError('Sandbox: [TIMEOUT] marker, no answer');
    if (markersFired.has(request.idempotencyKey)) return undefined;
    markersFired.add(request.idempotencyKey);
    if (marker === '[FLAKY]') throw new GatewayTransientError('Sandbox: [FLAKY] marker, first call fails');
    return refusal('RATE_LIMITED', sandboxRefusalMessages.RATE_LIMITED, DEFAULT_RETRY_AFTER_MS);
  }

  return {
    kind: 'sandbox',
    faults: faults.api,

    async verifyAccount(credential: string, options?: CallOptions): Promise<VerifyResult> {
      throwIfAborted(options?.signal);
      if (faults.takeVerifyFailure()) throw new GatewayTransientError('Sandbox: injected transient failure');
      const parsed = parseCredential(credential);
      if (!parsed.ok) return { ok: false, code: 'INVALID_CREDENTIAL', message: parsed.message };
      if (faults.isRevoked(parsed.identity.username)) return { ok: false, code: 'INVALID_CREDENTIAL', message: revokedMessage };
      const state = accountFor(parsed.identity, parsed.declaredRobux);
      // Re-verifying with a new declared balance is how the demo tops an account up.
      if (parsed.declaredRobux !== undefined && parsed.declaredRobux !== state.declaredRobux) {
        state.balance = parsed.declaredRobux;
        state.declaredRobux = parsed.declaredRobux;
      }
      return { ok: true, ...parsed.identity, robux: state.balance };
    },

    // Everything up to the answer runs synchronously, so concurrent calls cannot interleave.
    async buyPass(request: BuyRequest, options?: CallOptions): Promise<BuyResult> {
      buyCalls += 1;
      const signal = options?.signal;
      throwIfAborted(signal);
      assertValidRequest(request);
      seenKeys.add(request.idempotencyKey);
      const stored = answers.get(request.idempotencyKey);
      if (stored) return { ...stored };
      const fault = faults.takeBuyFault(request.invoiceId);
      if (fault) return applyFault(fault, request, signal);
      return applyMarker(request) ?? purchase(request);
    },

    async lookupPurchase(idempotencyKey: string, options?: CallOptions): Promise<PurchaseLookup> {
      throwIfAborted(options?.signal);
      if (faults.takeLookupFailure()) throw new GatewayTransientError('Sandbox: injected transient failure');
      const stored = answers.get(idempotencyKey);
      if (stored) return stored.success ? 'completed' : 'failed';
      return seenKeys.has(idempotencyKey) ? 'unknown' : 'not_found';
    },

    balanceOf: (userId) => accounts.get(userId)?.balance,
    purchases: () => [...log],
    purchaseCount: (invoiceId) => log.filter((entry) => entry.invoiceId === invoiceId).length,
    calls: () => buyCalls,
  };
}
