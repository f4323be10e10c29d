// Faults a test or the demo injects into the sandbox gateway: queued buy faults (a refusal, a
// transient failure, a hang), transient verify/lookup failures, and revoked credentials.
import { DEFAULT_RETRY_AFTER_MS, isRefusalCode, type RefusalCode } from './gateway.js';
import { sandboxRefusalMessages } from './sandbox-markers.js';

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

export type BuyFault =
  | { kind: 'refuse'; code: RefusalCode; message: string; retryAfterMs: number | undefined }
  | { kind: 'transient' }
  | { kind: 'hang' }
  | { kind: 'completeThenHang' };

interface QueuedFault {
  fault: BuyFault;
  invoiceId: string | undefined;
  remaining: number;
}

/** What the faults hold; the gateway consumes them with the take* functions below. */
export interface FaultState {
  queue: QueuedFault[];
  verifyFailures: number;
  lookupFailures: number;
  revoked: Set<string>;
}

export function createFaultState(): FaultState {
  return { queue: [], verifyFailures: 0, lookupFailures: 0, revoked: new Set() };
}

function assertCount(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer`);
}

function enqueue(state: FaultState, fault: BuyFault, target: FaultTarget = {}): void {
  const times = target.times ?? 1;
  assertCount('times', times);
  state.queue.push({ fault, invoiceId: target.invoiceId, remaining: times });
}

function refusalFault(code: RefusalCode, options: RefuseOptions): BuyFault {
  if (!isRefusalCode(code)) throw new RangeError(`Unknown refusal code: ${String(code)}`);
  const retryAfterMs = code === 'RATE_LIMITED' ? (options.retryAfterMs ?? DEFAULT_RETRY_AFTER_MS) : undefined;
  if (retryAfterMs !== undefined && (!Number.isSafeInteger(retryAfterMs) || retryAfterMs < 0)) {
    throw new RangeError('retryAfterMs must be a non-negative integer');
  }
  return { kind: 'refuse', code, message: options.message ?? sandboxRefusalMessages[code], retryAfterMs };
}

/** The controls a test holds (`sandbox.faults`): each one adds to or clears the state. */
export function faultControls(state: FaultState): SandboxFaults {
  return {
    refuse: (code, options = {}) => enqueue(state, refusalFault(code, options), options),
    transient: (times, options = {}) => enqueue(state, { kind: 'transient' }, { ...options, times }),
    hang: (options) => enqueue(state, { kind: 'hang' }, options),
    completeThenHang: (options) => enqueue(state, { kind: 'completeThenHang' }, options),
    verifyTransient(times) {
      assertCount('times', times);
      state.verifyFailures += times;
    },
    lookupTransient(times) {
      assertCount('times', times);
      state.lookupFailures += times;
    },
    revokeCredential: (username) => void state.revoked.add(username),
    pending: () => state.queue.reduce((sum, entry) => sum + entry.remaining, 0),
    clear() {
      state.queue.length = 0;
      state.verifyFailures = 0;
      state.lookupFailures = 0;
      state.revoked.clear();
    },
  };
}

/** Consumes one use of the oldest fault aimed at this invoice (or at any). */
export function takeBuyFault(state: FaultState, invoiceId: string): BuyFault | undefined {
  const index = state.queue.findIndex((entry) => entry.invoiceId === undefined || entry.invoiceId === invoiceId);
  const entry = state.queue[index];
  if (!entry) return undefined;
  entry.remaining -= 1;
  if (entry.remaining === 0) state.queue.splice(index, 1);
  return entry.fault;
}

export function takeVerifyFailure(state: FaultState): boolean {
  if (state.verifyFailures === 0) return false;
  state.verifyFailures -= 1;
  return true;
}

export function takeLookupFailure(state: FaultState): boolean {
  if (state.lookupFailures === 0) return false;
  state.lookupFailures -= 1;
  return true;
}
