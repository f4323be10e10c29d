// One purchase through the gateway, under one idempotency key: a per-request timeout, transient
// failures retried with exponential backoff and full jitter, RATE_LIMITED waits its Retry-After.
import { GatewayTransientError, type BuyRequest, type BuyResult, type Gateway } from '../gateway/gateway.js';
import { backoff } from '../domain/backoff.js';
import { errorText } from '../domain/error-text.js';

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
  /** A shutdown: no further try is made; what is known so far is answered (SPEC §11). */
  isStopping?(): boolean;
}

export type CallOutcome =
  | { kind: 'answered'; result: BuyResult; attempts: number }
  /** No answer after every attempt: nobody knows whether it bought. */
  | { kind: 'no-answer'; attempts: number; lastError: string }
  /**
   * The gateway call failed in a way that is not transient (a 401, an unexpected answer). When no
   * earlier attempt went unanswered, the gateway certainly did not buy.
   */
  | { kind: 'error'; error: unknown; attempts: number; mayHaveBought: boolean };

export async function buyWithRetries(gateway: Gateway, request: BuyRequest, policy: CallPolicy): Promise<CallOutcome> {
  let lastError = 'no attempt made';
  /** An attempt went unanswered: from then on, only the gateway's word on this key settles it. */
  let unanswered = false;
  for (let attempt = 1; attempt <= policy.maxAttempts; attempt++) {
    try {
      const result = await gateway.buyPass(request, { signal: AbortSignal.timeout(policy.timeoutMs) });
      if (result.success || result.code !== 'RATE_LIMITED') return { kind: 'answered', result, attempts: attempt };
      if (attempt === policy.maxAttempts || policy.isStopping?.()) {
        // A rate limiter may answer before the idempotency check: after an unanswered attempt,
        // a final 429 does not say the first one did not buy.
        return unanswered ? { kind: 'no-answer', attempts: attempt, lastError: 'RATE_LIMITED after an unanswered attempt' } : { kind: 'answered', result, attempts: attempt };
      }
      const asked = Number.isFinite(result.retryAfterMs) ? result.retryAfterMs! : 1000;
      await policy.sleep(Math.min(Math.max(asked, 0), policy.maxRetryAfterMs));
    } catch (error) {
      if (!isTransient(error)) return { kind: 'error', error, attempts: attempt, mayHaveBought: unanswered };
      unanswered = true;
      lastError = errorText(error);
      if (policy.isStopping?.()) return { kind: 'no-answer', attempts: attempt, lastError };
      // Full jitter, so processes retrying the same gateway spread out.
      if (attempt < policy.maxAttempts) await policy.sleep(backoff(attempt, policy));
    }
  }
  return { kind: 'no-answer', attempts: policy.maxAttempts, lastError };
}

function isTransient(error: unknown): boolean {
  return (
    error instanceof GatewayTransientError ||
    (error instanceof DOMException && (error.name === 'TimeoutError' || error.name === 'AbortError'))
  );
}
