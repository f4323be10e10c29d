// The fake buy-pass service's scripted answers: a queue consumed first, in order, by the requests
// each script matches (by default /buy-pass), before the marketplace answers by its own rules.
import { isRecord } from './fake-gateway-market.js';

/** Which requests a script applies to. */
export interface ScriptMatch {
  /** '/account', '/buy-pass', '/purchases' (any key) or 'any'; default '/buy-pass'. */
  path?: '/account' | '/buy-pass' | '/purchases' | 'any';
  /** /buy-pass only: just the buys for this invoice. */
  invoiceId?: string;
  /** How many matching requests it answers (default 1). */
  times?: number;
}

export type ScriptAction =
  /** Answers this status with a JSON body (or a raw string body; none when undefined). */
  | { kind: 'respond'; status: number; body?: unknown; headers?: Record<string, string> }
  /** 429, with `Retry-After` when given, and a RATE_LIMITED JSON body unless `body: null`. */
  | { kind: 'rateLimit'; retryAfter?: string | number; body?: unknown }
  /** Never answers (the socket is destroyed on close). */
  | { kind: 'hang' }
  /** Buys as the marketplace would (storing the answer under the key), then never answers. */
  | { kind: 'completeThenHang' }
  /** Reads the request, then destroys the socket without answering. */
  | { kind: 'drop' }
  /** Buys as the marketplace would, then destroys the socket without answering. */
  | { kind: 'completeThenDrop' };

export interface QueuedScript {
  action: ScriptAction;
  path: NonNullable<ScriptMatch['path']>;
  invoiceId: string | undefined;
  remaining: number;
}

export function addScript(queue: QueuedScript[], action: ScriptAction, match: ScriptMatch = {}): void {
  const times = match.times ?? 1;
  if (!Number.isSafeInteger(times) || times < 1) throw new RangeError('times must be a positive integer');
  queue.push({ action, path: match.path ?? '/buy-pass', invoiceId: match.invoiceId, remaining: times });
}

/** Consumes one use of the oldest script matching this request. */
export function takeScript(queue: QueuedScript[], path: string, body: unknown): ScriptAction | undefined {
  const family = path.startsWith('/purchases/') ? '/purchases' : path;
  const invoiceId = isRecord(body) && typeof body.invoiceId === 'string' ? body.invoiceId : undefined;
  const index = queue.findIndex(
    (entry) =>
      (entry.path === 'any' || entry.path === family) &&
      (entry.invoiceId === undefined || (family === '/buy-pass' && entry.invoiceId === invoiceId)),
  );
  const entry = queue[index];
  if (!entry) return undefined;
  entry.remaining -= 1;
  if (entry.remaining === 0) queue.splice(index, 1);
  return entry.action;
}

export function pendingScripts(queue: readonly QueuedScript[]): number {
  return queue.reduce((sum, entry) => sum + entry.remaining, 0);
}
