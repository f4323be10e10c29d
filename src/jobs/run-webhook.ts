// NOTIFY_WEBHOOK_URL (SPEC §7): each finished run's summary is POSTed there as JSON, retried with
// backoff, in the background: a slow or broken webhook never holds a run up.
import { backoff } from '../domain/backoff.js';
import type { Logger } from '../logger.js';

export interface RunWebhookOptions {
  url: string;
  logger: Logger;
  attempts?: number;
  baseDelayMs?: number;
  timeoutMs?: number;
}

export function createRunWebhook(options: RunWebhookOptions): (summary: object) => Promise<boolean> {
  const attempts = options.attempts ?? 5;
  const baseDelayMs = options.baseDelayMs ?? 1000;
  return async (summary) => {
    const body = JSON.stringify(summary);
    for (let attempt = 1; attempt <= attempts; attempt++) {
      try {
        const res = await fetch(options.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
          signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
        });
        await res.body?.cancel();
        if (res.ok) return true;
        // A 4xx other than 408/429 will not get better by trying again.
        if (res.status < 500 && res.status !== 408 && res.status !== 429) break;
      } catch {
        // network error or timeout: try again
      }
      if (attempt < attempts) await new Promise((resolve) => setTimeout(resolve, backoff(attempt, { backoffBaseMs: baseDelayMs })));
    }
    // The URL may carry a token: log only that it failed.
    options.logger.warn('run webhook: the summary could not be delivered');
    return false;
  };
}
