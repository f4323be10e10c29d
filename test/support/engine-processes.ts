// Helpers for the real-process engine tests (test/engine-processes.test.ts): a small admin API
// client for a server child process, a polling helper, and a latency proxy in front of the fake
// gateway so that a run lasts long enough for triggers from two processes to overlap.
import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface ApiAnswer<T = unknown> {
  status: number;
  body: T;
}

/** Calls the admin API of a server with the bearer token; every call gives up after `timeoutMs`. */
export function apiClient(baseUrl: string, token: string, timeoutMs = 5_000) {
  async function call<T = unknown>(method: string, path: string, body?: unknown): Promise<ApiAnswer<T>> {
    const res = await fetch(`${baseUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {
      // not JSON: kept as text
    }
    return { status: res.status, body: parsed as T };
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

export interface LatencyProxy {
  url: string;
  /** How many requests were forwarded so far. */
  forwarded(): number;
  close(): Promise<void>;
}

/**
 * An HTTP proxy on 127.0.0.1 that forwards every request to `target` unchanged (method, path,
 * headers, body), answering with the target's answer, after waiting `delayMs` for requests whose
 * path starts with one of `delayedPaths` (default: /buy-pass). A client that goes away aborts the
 * forwarded request.
 */
export async function startLatencyProxy(target: string, delayMs: number, delayedPaths: readonly string[] = ['/buy-pass']): Promise<LatencyProxy> {
  const upstream = new URL(target);
  const sockets = new Set<Socket>();
  let count = 0;
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('error', () => undefined);
    req.on('end', () => {
      const path = req.url ?? '/';
      const wait = delayedPaths.some((prefix) => path.startsWith(prefix)) ? delayMs : 0;
      setTimeout(() => {
        if (res.destroyed) return;
        count++;
        const forward = httpRequest(
          {
            host: upstream.hostname,
            port: upstream.port,
            method: req.method,
            path,
            headers: { ...req.headers, host: upstream.host },
          },
          (answer) => {
            res.writeHead(answer.statusCode ?? 502, answer.headers);
            answer.pipe(res);
          },
        );
        forward.on('error', () => res.destroy());
        res.on('close', () => forward.destroy());
        forward.end(Buffer.concat(chunks));
      }, wait);
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  let closing: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${port}`,
    forwarded: () => count,
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      });
      return closing;
    },
  };
}
