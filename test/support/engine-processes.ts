// Helpers for the real-process engine tests (test/engine-processes.test.ts): the admin calls they
// repeat, a polling helper, and a latency proxy in front of the fake gateway so that a run lasts
// long enough for triggers from two processes to overlap.
import { adminClientAt } from './admin-client.js';
import { startForwardingProxy, type ForwardingProxy } from './forwarding-proxy.js';

export interface ApiAnswer<T = unknown> {
  status: number;
  body: T;
}

/**
 * The shared admin client of a server process, answering `{status, body}`: `body` is the parsed
 * JSON, or the text when it is not JSON. Every call gives up after `timeoutMs`.
 */
export function apiClient(baseUrl: string, token: string, timeoutMs = 5_000) {
  const admin = adminClientAt(baseUrl, token, timeoutMs);
  async function call<T = unknown>(method: string, path: string, body?: unknown): Promise<ApiAnswer<T>> {
    const answer = await admin(method, path, body);
    return { status: answer.status, body: (answer.text === '' || answer.json !== undefined ? answer.json : answer.text) as T };
  }
  return {
    call,
    addOrder: (invoiceId: string, price = 10, id = 1000) =>
      call('POST', '/api/transactions', { invoiceId, gamepass: { id, name: `Pass ${invoiceId}`, price, sellerId: 77 } }),
    addAccount: (robloxCookie: string) =>
      call<{ stockAccount: { id: string }; autoPurchase: { sessionId: string } }>('POST', '/api/admin/stock-accounts', { robloxCookie }),
    trigger: () => call<{ sessionId: string }>('POST', '/api/auto-purchase'),
    progress: (sessionId: string) => call<RunSnapshot>('GET', `/api/auto-purchase/progress/${encodeURIComponent(sessionId)}`),
    /** Every transaction (at most 100), newest first; only those with `status` when given. */
    async transactions(status = ''): Promise<ApiTransaction[]> {
      const answer = await call<{ transactions: ApiTransaction[] }>('GET', `/api/transactions?status=${status}&limit=100`);
      if (answer.status !== 200) throw new Error(`GET /api/transactions answered ${answer.status}: ${JSON.stringify(answer.body)}`);
      return answer.body.transactions;
    },
  };
}

export type ApiClient = ReturnType<typeof apiClient>;

export interface ApiTransaction {
  id: number;
  invoiceId: string;
  status: string;
  usedAccount: string | null;
  error: string | null;
  attempts: number;
}

export interface RunSnapshot {
  status: string;
  currentStep: string;
  error?: string;
  transactions: { invoiceId: string; status: string; error?: string; usedAccount?: string }[];
  summary: { totalTransactions: number; processedCount: number; skippedCount: number; failedCount: number; unknownCount: number };
}

/**
 * Calls `probe` every `intervalMs` until it answers something other than undefined; rejects with
 * `what` (and the last value or error seen) after `timeoutMs`.
 */
export async function pollUntil<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 10_000, intervalMs = 25): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() >= deadline) {
      const detail = last instanceof Error ? last.message : last === undefined ? '' : JSON.stringify(last);
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${detail ? `: ${detail}` : ''}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** How many times each invoice was bought, from a list of purchases. */
export function countByInvoice(purchases: readonly { invoiceId: string }[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const { invoiceId } of purchases) counts.set(invoiceId, (counts.get(invoiceId) ?? 0) + 1);
  return counts;
}

export type LatencyProxy = ForwardingProxy;

/**
 * A proxy in front of `target` that waits `delayMs` before forwarding the requests whose path
 * starts with one of `delayedPaths` (default: /buy-pass), so a run lasts long enough to overlap.
 */
export function startLatencyProxy(target: string, delayMs: number, delayedPaths: readonly string[] = ['/buy-pass']): Promise<LatencyProxy> {
  return startForwardingProxy(target, (path) =>
    delayedPaths.some((prefix) => path.startsWith(prefix)) ? new Promise((resolve) => setTimeout(resolve, delayMs)) : undefined,
  );
}
