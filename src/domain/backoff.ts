// Exponential backoff, shared by the gateway calls and the run webhook.

export interface Backoff {
  /** The first wait's ceiling; each later one doubles. */
  backoffBaseMs: number;
  /** No wait is longer; unbounded when absent. */
  maxBackoffMs?: number;
  /** Full jitter (anywhere between 0 and the ceiling) when given; the ceiling itself otherwise. */
  random?: () => number;
}

/** The wait after failed attempt `attempt` (counted from 1). */
export function backoff(attempt: number, policy: Backoff): number {
  const ceiling = Math.min(policy.maxBackoffMs ?? Infinity, policy.backoffBaseMs * 2 ** (attempt - 1));
  return policy.random ? Math.round(policy.random() * ceiling) : ceiling;
}
