// NOTIFY_WEBHOOK_URL (SPEC §10): sends the deliveries the webhook outbox holds (a row written in the
// transaction that ended the run), signed, one attempt per claim, retried with exponential backoff
// for up to a day, across restarts and beside other processes on the same database file. A run
// never waits for it. Web-standard (fetch, Web Crypto, timers), so it can run at the edge.
//
// Which answers end a delivery: a 2xx delivers it; 410 Gone gives it up at once (the receiver says
// the endpoint is gone for good). Any other answer (3xx, 400, 401, 404, 5xx…) and any network error
// or timeout is retried until the day is over: a receiver misconfigured and fixed within the day
// (a wrong path, a secret not yet deployed) still gets the run, and one run makes one delivery, so
// the retries cost a receiver little (the waits double up to an hour: about 30 tries in a day).
import type { Clock } from '../clock.js';
import type { Db } from '../db/types.js';
import { write, writeRetrying } from '../db/write.js';
import { backoff } from '../domain/backoff.js';
import { errorText } from '../domain/error-text.js';
import { webhookHeaders, webhookSignature } from '../domain/webhook-signature.js';
import type { Logger } from '../logger.js';
import { claimDueDelivery, failExpiredDeliveries, nextDeliveryDueAt, settleDelivery, type DeliveryOutcome, type DeliveryRow } from '../stores/webhook-outbox.js';

export interface WebhookOutboxOptions {
  /** The wait after the first failed attempt; each later one doubles (default 10 s). */
  backoffBaseMs?: number;
  /** No wait is longer (default 1 h). */
  maxBackoffMs?: number;
  /** A delivery not made this long after its run ended is given up (default 24 h). */
  giveUpAfterMs?: number;
  /** One attempt's limit, answer included (default 10 s). */
  timeoutMs?: number;
  /** How much longer than `timeoutMs` a claim lasts before another sender may take the row. */
  claimMarginMs?: number;
  /** Spreads the waits (half the ceiling plus up to half again); Math.random by default. */
  random?: () => number;
}

export interface WebhookOutboxDeps {
  db: Db;
  clock: Clock;
  logger: Logger;
  /** Never logged: it may carry a token. */
  url: string;
  /** NOTIFY_WEBHOOK_SECRET; never logged. */
  secret: string;
  options?: WebhookOutboxOptions;
}

export interface TickReport {
  delivered: number;
  retrying: number;
  failed: number;
}

export const webhookDefaults = {
  backoffBaseMs: 10_000,
  maxBackoffMs: 60 * 60 * 1000,
  giveUpAfterMs: 24 * 60 * 60 * 1000,
  timeoutMs: 10_000,
  claimMarginMs: 30_000,
} as const;

/** What one attempt came to, before it is written down. */
type Attempt = { ok: true } | { ok: false; error: string; final?: boolean; interrupted?: boolean };

export type WebhookOutbox = ReturnType<typeof createWebhookOutbox>;

export function createWebhookOutbox(deps: WebhookOutboxDeps) {
  const options = { ...webhookDefaults, random: Math.random, ...deps.options };
  const sender = crypto.randomUUID();
  let running: Promise<TickReport> | undefined;
  let again = false;
  let stopped = false;
  let inFlight: AbortController | undefined;

  /** Claims the delivery due first, for this attempt; expired ones are given up on the way. */
  const claimNext = (): DeliveryRow | undefined => {
    const now = deps.clock.now();
    // A read first: the poll of an idle outbox takes no write lock.
    if ((nextDeliveryDueAt(deps.db) ?? Infinity) > now) return undefined;
    const { expired, row } = write(deps.db, (tx) => ({
      expired: failExpiredDeliveries(tx, now, now - options.giveUpAfterMs, `not delivered within ${formatMs(options.giveUpAfterMs)}`),
      row: claimDueDelivery(tx, now, now + options.timeoutMs + options.claimMarginMs, `${sender}/${crypto.randomUUID()}`),
    }));
    // Told once committed: a rolled-back give-up is not one.
    for (const id of expired) deps.logger.warn(`webhook: delivery ${id} given up: not delivered within ${formatMs(options.giveUpAfterMs)}`);
    return row;
  };

  const send = async (row: DeliveryRow): Promise<Attempt> => {
    // In flight from here: a stop() while the signature is computed cuts the attempt before it is sent.
    const controller = (inFlight = new AbortController());
    const timestamp = Math.floor(deps.clock.now() / 1000);
    const timeout = AbortSignal.timeout(options.timeoutMs);
    try {
      const signature = await webhookSignature(deps.secret, timestamp, row.body);
      if (controller.signal.aborted || stopped) return { ok: false, error: 'interrupted by shutdown', interrupted: true };
      const res = await fetch(deps.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          [webhookHeaders.delivery]: row.id,
          [webhookHeaders.timestamp]: String(timestamp),
          [webhookHeaders.signature]: signature,
        },
        body: row.body,
        // A redirect could hand the signed run to anyone the receiver's host points at.
        redirect: 'manual',
        signal: AbortSignal.any([controller.signal, timeout]),
      });
      await res.body?.cancel().catch(() => undefined);
      if (res.status >= 200 && res.status < 300) return { ok: true };
      if (res.status === 410) return { ok: false, error: 'HTTP 410 Gone', final: true };
      if (res.type === 'opaqueredirect' || (res.status >= 300 && res.status < 400)) return { ok: false, error: `HTTP ${res.status} (redirects are not followed)` };
      return { ok: false, error: `HTTP ${res.status}` };
    } catch (error) {
      if (controller.signal.aborted) return { ok: false, error: 'interrupted by shutdown', interrupted: true };
      if (timeout.aborted) return { ok: false, error: `no answer within ${formatMs(options.timeoutMs)}` };
      return { ok: false, error: networkError(error) };
    } finally {
      inFlight = undefined;
    }
  };

  /** The row's next state after `attempt`: delivered, due again after the backoff, or given up. */
  const outcomeOf = (row: DeliveryRow, attempt: Attempt, now: number): DeliveryOutcome => {
    if (attempt.ok) return { status: 'delivered' };
    if (attempt.final) return { status: 'failed', error: attempt.error };
    // A shutdown cut the attempt short: the next process sends it at once.
    if (attempt.interrupted) return { status: 'pending', nextAttemptAt: now, error: attempt.error };
    const ceiling = backoff(row.attempts, { backoffBaseMs: options.backoffBaseMs, maxBackoffMs: options.maxBackoffMs });
    const nextAttemptAt = now + Math.round(ceiling / 2 + (options.random() * ceiling) / 2);
    if (nextAttemptAt > row.createdAt + options.giveUpAfterMs) return { status: 'failed', error: attempt.error };
    return { status: 'pending', nextAttemptAt, error: attempt.error };
  };

  const record = async (row: DeliveryRow, attempt: Attempt, report: TickReport): Promise<void> => {
    const now = deps.clock.now();
    const outcome = outcomeOf(row, attempt, now);
    const settled = await writeRetrying(deps.db, (tx) => settleDelivery(tx, row.id, row.claim!, outcome, now), {
      sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
      giveUp: () => stopped,
      maxWaitMs: 1_000,
    });
    const what = `webhook: delivery ${row.id} (run ${row.sessionId}) attempt ${row.attempts}`;
    if (!settled) deps.logger.warn(`${what}: its claim had expired; another sender took it over`);
    else if (outcome.status === 'delivered') deps.logger.info(`${what} delivered`);
    else if (outcome.status === 'pending') deps.logger.warn(`${what} failed (${outcome.error}); next try in ${formatMs(outcome.nextAttemptAt - now)}`);
    else deps.logger.warn(`${what} failed (${outcome.error}); given up`);
    if (settled) report[outcome.status === 'pending' ? 'retrying' : outcome.status]++;
  };

  /** Sends every delivery due now, one after another. */
  const drain = async (report: TickReport): Promise<void> => {
    while (!stopped) {
      let row: DeliveryRow | undefined;
      try {
        row = claimNext();
      } catch (error) {
        // The lock is held elsewhere or the disk fails: the next tick tries again.
        deps.logger.debug(`webhook: cannot claim a delivery now: ${errorText(error)}`);
        return;
      }
      if (!row) return;
      await record(row, await send(row), report);
    }
  };

  return {
    /**
     * Sends the deliveries due now; resolves once none is. A call during a tick makes that tick
     * look again before it ends (a run ended meanwhile), so there is never more than one tick.
     */
    tick(): Promise<TickReport> {
      if (stopped) return Promise.resolve({ delivered: 0, retrying: 0, failed: 0 });
      again = true;
      running ??= (async () => {
        const report: TickReport = { delivered: 0, retrying: 0, failed: 0 };
        try {
          while (again && !stopped) {
            again = false;
            await drain(report);
          }
        } catch (error) {
          if (!stopped) deps.logger.error(`webhook: ${errorText(error)}`);
        } finally {
          running = undefined;
        }
        return report;
      })();
      return running;
    },
    /** No more attempts; the one in flight is cut short and left due for the next start. */
    async stop(): Promise<void> {
      stopped = true;
      inFlight?.abort();
      await running;
    },
  };
}

/**
 * Ticks now, every `pollMs` (deliveries come due; another process may end runs), and on `kick()`
 * (a run ended here). Answers kick and stop; stop resolves once the attempt in flight is recorded.
 */
export function startWebhookOutbox(deps: WebhookOutboxDeps & { pollMs?: number }): { kick(): void; stop(): Promise<void> } {
  const outbox = createWebhookOutbox(deps);
  const kick = () => void outbox.tick();
  const timer = setInterval(kick, deps.pollMs ?? 5_000);
  (timer as { unref?: () => void }).unref?.();
  kick();
  return {
    kick,
    stop: () => {
      clearInterval(timer);
      return outbox.stop();
    },
  };
}

/** A network error's kind without its message: messages can name the host, the URL its token. */
function networkError(error: unknown): string {
  let current: unknown = error;
  for (let depth = 0; current && depth < 4; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && /^[A-Z][A-Z0-9_]{1,40}$/.test(code)) return `network error ${code}`;
    current = (current as { cause?: unknown }).cause;
  }
  return 'network error';
}

function formatMs(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  if (ms < 120_000) return `${Math.round(ms / 1000)} s`;
  if (ms < 2 * 3_600_000) return `${Math.round(ms / 60_000)} min`;
  return `${Math.round(ms / 3_600_000)} h`;
}
