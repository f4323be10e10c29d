// One purchase through the gateway, under one idempotency key: a per-request timeout, transient
// failures retried with exponential backoff and full jitter, RATE_LIMITED waits its Retry-After.
import { GatewayTransientError, type BuyRequest, type BuyResult, type Gateway } from '../gateway/gateway.js';

export interface CallPolicy {
  timeoutMs: number;
  maxAttempts: number;
  /** The first backoff's ceiling; each later one doubles, up to maxBackoffMs. */
  backoffBaseMs: number;
  maxBackoffMs: number;
  /** The longest Retry-After honoured; a longer one is cut to this. */
  maxRetryAfterMs: number;
  sleep(ms: number): Promise<void>;
  random(): number;
}

export type CallOutcome =
  | { kind: 'answered'; result: BuyResult; attempts: number }
  /** No answer after every attempt: nobody knows whether it bought. */
  | { kind: 'no-answer'; attempts: number; lastError: string };

export async function buyWithRetries(gateway: Gateway, request: BuyRequest, policy: CallPolicy): Promise<CallOutcome> {
  let lastError = 'no attempt made';
  for (let attempt = 1; attempt <= policy.maxAttempts; attempt++) {
    try {
      const result = await gateway.buyPass(request, { signal: AbortSignal.timeout(policy.timeoutMs) });
      if (result.success || result.code !== 'RATE_LIMITED' || attempt === policy.maxAttempts) {
        return { kind: 'answered', result, attempts: attempt };
      }
      const asked = Number.isFinite(result.retryAfterMs) ? result.retryAfterMs! : 1000;
      await policy.sleep(Math.min(Math.max(asked, 0), policy.maxRetryAfterMs));
    } catch (error) {
      if (!isTransient(error)) throw error;
      lastError = error instanceof Error ? error.message : String(error);
      if (attempt < policy.maxAttempts) await policy.sleep(backoff(attempt, policy));
    }
  }
  return { kind: 'no-answer', attempts: policy.maxAttempts, lastError };
}

/** Full jitter: anywhere between 0 and the attempt's exponential ceiling. */
export function backoff(attempt: number, policy: Pick<CallPolicy, 'backoffBaseMs' | 'maxBackoffMs' | 'random'>): number {
  const ceiling = Math.min(policy.maxBackoffMs, policy.backoffBaseMs * 2 ** (attempt - 1));
  return Math.round(policy.random() * ceiling);
}

function isTransient(error: unknown): boolean {
  return (
    error instanceof GatewayTransientError ||
    (error instanceof DOMException && (error.name === 'TimeoutError' || error.name === 'AbortError'))
  );
}
