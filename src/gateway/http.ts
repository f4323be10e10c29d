// The HTTP gateway (SPEC §6): the shop's own buy-pass service, reached with Web-standard fetch only
// (no node:* import), so it runs wherever the app factory runs.
//
// Failure classes:
// - an answer (success, a refusal, a rejected credential, a lookup status) is returned;
// - nobody knows whether the gateway acted (timeout, abort, lost connection, 5xx, a 2xx buy answer
//   we cannot read) → GatewayTransientError: the engine retries under the same key, then reconciles;
// - a configuration problem (the secret refused, a redirect, an unexpected 4xx or body) → a plain
//   Error: retrying cannot help.
// No message ever carries the credential or a response body: they name the method, path and status.

import {
  GatewayTransientError,
  refusalCodes,
  type BuyRequest,
  type BuyResult,
  type CallOptions,
  type Gateway,
  type PurchaseLookup,
  type RefusalCode,
  type VerifyResult,
} from './gateway.js';

export interface HttpGatewayOptions {
  /** The service's base URL (GATEWAY_URL); a trailing slash is ignored. */
  url: string;
  /** Sent as `x-internal-secret` on every request (GATEWAY_SECRET). */
  secret: string;
  /** Defaults to the global fetch; tests pass a wrapper. */
  fetch?: typeof fetch;
}

/** The wait a 429 without a usable Retry-After stands for. */
export const DEFAULT_RETRY_AFTER_MS = 1000;
/** The largest response body read; a longer one is cancelled and counts as unreadable. */
const MAX_BODY_BYTES = 1024 * 1024;
const lookupStatuses: readonly PurchaseLookup[] = ['completed', 'failed', 'unknown'];

/**
 * `Retry-After` in milliseconds: delta-seconds (fractions allowed) or an HTTP-date relative to
 * `now`. Absent or unparseable → DEFAULT_RETRY_AFTER_MS; never negative.
 */
export function parseRetryAfter(value: string | null | undefined, now: number = Date.now()): number {
  if (value == null) return DEFAULT_RETRY_AFTER_MS;
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return clampMs(Number(text) * 1000);
  // An HTTP-date always names a day or a month; this keeps Date.parse from reading "-1" as a year.
  if (/[a-z]/i.test(text)) {
    const at = Date.parse(text);
    if (Number.isFinite(at)) return clampMs(at - now);
  }
  return DEFAULT_RETRY_AFTER_MS;
}

function clampMs(ms: number): number {
  if (!Number.isFinite(ms)) return ms > 0 ? Number.MAX_SAFE_INTEGER : DEFAULT_RETRY_AFTER_MS;
  return Math.min(Math.max(Math.round(ms), 0), Number.MAX_SAFE_INTEGER);
}

/**
 * Printable ASCII without leading or trailing blanks: a value every fetch sends as is, checked up
 * front so that no header TypeError (which quotes the value) is ever thrown for the secret.
 */
function isHeaderValue(value: string): boolean {
  return /^[\x21-\x7e](?:[\x20-\x7e\t]*[\x21-\x7e])?$/.test(value);
}

/** Whether a body is worth reading: not for the secret refused, a redirect, a timeout or a 5xx. */
function answersWithBody(status: number): boolean {
  return status >= 200 && status < 500 && !(status >= 300 && status < 400) && status !== 401 && status !== 403 && status !== 408;
}

type Method = 'GET' | 'POST';

interface Raw {
  status: number;
  headers: Headers;
  /** What was read of the body; only filled when `read` asked for it. */
  json: unknown;
  /** False when the body was empty, not JSON, too large, or not read. */
  isJson: boolean;
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const isRefusalCode = (value: unknown): value is RefusalCode =>
  typeof value === 'string' && (refusalCodes as readonly string[]).includes(value);

export function createHttpGateway(options: HttpGatewayOptions): Gateway {
  let base: URL;
  try {
    base = new URL(options.url);
  } catch {
    throw new Error('The gateway URL is not a valid URL');
  }
  if (base.protocol !== 'http:' && base.protocol !== 'https:') throw new Error('The gateway URL must be http(s)');
  if (base.username || base.password) throw new Error('The gateway URL must not carry credentials');
  if (base.search || base.hash) throw new Error('The gateway URL must not carry a query or a fragment');
  if (!isHeaderValue(options.secret)) throw new Error('The gateway secret is empty or not a valid header value');
  const baseUrl = base.href.replace(/\/+$/, '');
  const secret = options.secret;
  const doFetch: typeof fetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));

  /**
   * One request. `read(status)` says whether the body matters for that status; when it does not,
   * the body is cancelled at once so the connection is released. Transport failures (no answer,
   * abort, timeout, a body cut short) reject with GatewayTransientError.
   */
  async function request(
    method: Method,
    path: string,
    call: { body?: unknown; headers?: Record<string, string>; signal: AbortSignal | undefined; read: (status: number) => boolean },
  ): Promise<Raw> {
    const what = `${method} ${path}`;
    // Built before the fetch, so a bad header or body is our bug (a plain error), not "no answer".
    const headers = new Headers({ 'x-internal-secret': secret, accept: 'application/json' });
    for (const [name, value] of Object.entries(call.headers ?? {})) headers.set(name, value);
    let body: string | undefined;
    if (call.body !== undefined) {
      body = JSON.stringify(call.body);
      headers.set('content-type', 'application/json');
    }
    const init: RequestInit = { method, headers, redirect: 'manual' };
    if (body !== undefined) init.body = body;
    if (call.signal) init.signal = call.signal;

    let response: Response;
    try {
      call.signal?.throwIfAborted();
      response = await doFetch(`${baseUrl}${path}`, init);
    } catch (error) {
      throw new GatewayTransientError(`${what} got no answer (${describe(error)})`, { cause: error });
    }

    // A browser's fetch hides a manual redirect behind status 0.
    const status = response.type === 'opaqueredirect' ? 302 : response.status;
    if (!call.read(status)) {
      await discard(response);
      return { status, headers: response.headers, json: undefined, isJson: false };
    }
    let text: string | undefined;
    try {
      text = await readBounded(response);
    } catch (error) {
      throw new GatewayTransientError(`${what} answered HTTP ${status} but its body was cut short (${describe(error)})`, {
        cause: error,
      });
    }
    if (text === undefined || text.trim() === '') return { status, headers: response.headers, json: undefined, isJson: false };
    try {
      return { status, headers: response.headers, json: JSON.parse(text) as unknown, isJson: true };
    } catch {
      return { status, headers: response.headers, json: undefined, isJson: false };
    }
  }

  /** The answers every endpoint treats alike: the secret refused, a redirect. */
  function checkConfiguration(what: string, status: number): void {
    if (status === 401 || status === 403) throw new Error(`The gateway refused our x-internal-secret (HTTP ${status})`);
    if (status >= 300 && status < 400) throw new Error(`${what} answered a redirect (HTTP ${status}); check GATEWAY_URL`);
  }

  const isServerTrouble = (status: number) => status >= 500 || status === 408;

  return {
    kind: 'http',

    async verifyAccount(credential: string, callOptions?: CallOptions): Promise<VerifyResult> {
      const what = 'POST /account';
      const answer = await request('POST', '/account', {
        body: { robloxCookie: credential },
        signal: callOptions?.signal,
        read: (status) => answersWithBody(status) && status !== 429,
      });
      const { status, json } = answer;
      checkConfiguration(what, status);
      if (isServerTrouble(status) || status === 429) throw new GatewayTransientError(`${what} answered HTTP ${status}`);
      const ok = status >= 200 && status < 300;
      if (isRecord(json) && json.success === false) {
        const message = typeof json.message === 'string' && json.message !== '' ? json.message : 'The gateway rejected the credential';
        return { ok: false, code: 'INVALID_CREDENTIAL', message };
      }
      if (!ok) throw new Error(`${what} answered HTTP ${status}`);
      const account = isRecord(json) && json.success === true ? readAccount(json) : undefined;
      if (!account) throw new Error('The gateway answered an unexpected body for /account');
      return { ok: true, ...account };
    },

    async buyPass(buy: BuyRequest, callOptions?: CallOptions): Promise<BuyResult> {
      const what = 'POST /buy-pass';
      if (typeof buy.idempotencyKey !== 'string' || !isHeaderValue(buy.idempotencyKey)) {
        throw new TypeError('The idempotency key is empty or not a valid header value');
      }
      const answer = await request('POST', '/buy-pass', {
        headers: { 'Idempotency-Key': buy.idempotencyKey },
        body: {
          robloxCookie: buy.credential,
          invoiceId: buy.invoiceId,
          gamepassId: buy.gamepassId,
          gamepassName: buy.gamepassName,
          price: buy.price,
          sellerId: buy.sellerId,
          idempotencyKey: buy.idempotencyKey,
        },
        signal: callOptions?.signal,
        read: answersWithBody,
      });
      const { status, json } = answer;
      checkConfiguration(what, status);
      if (isServerTrouble(status)) throw new GatewayTransientError(`${what} answered HTTP ${status}`);

      const refused = isRecord(json) && json.success === false && isRefusalCode(json.code) ? json : undefined;
      if (status === 429 || refused?.code === 'RATE_LIMITED') {
        const message = refused && typeof refused.message === 'string' && refused.message !== '' ? refused.message : 'RATE_LIMITED';
        return {
          success: false,
          code: 'RATE_LIMITED',
          message,
          retryAfterMs: parseRetryAfter(answer.headers.get('retry-after')),
        };
      }
      if (refused && isRefusalCode(refused.code)) {
        const message = typeof refused.message === 'string' && refused.message !== '' ? refused.message : refused.code;
        return { success: false, code: refused.code, message };
      }
      const ok = status >= 200 && status < 300;
      if (ok && isRecord(json) && json.success === true) return { success: true };
      // A 2xx we cannot read may have bought; a 409 is the key still being worked on elsewhere.
      if (ok || status === 409 || status === 425) {
        throw new GatewayTransientError(`${what} answered an unexpected ${answer.isJson ? 'body' : 'non-JSON body'} (HTTP ${status})`);
      }
      throw new Error(`${what} answered HTTP ${status}`);
    },

    async lookupPurchase(idempotencyKey: string, callOptions?: CallOptions): Promise<PurchaseLookup> {
      const path = `/purchases/${encodeURIComponent(idempotencyKey)}`;
      const what = `GET ${path}`;
      const answer = await request('GET', path, {
        signal: callOptions?.signal,
        read: (status) => (status >= 200 && status < 300) || status === 404,
      });
      const { status, json } = answer;
      checkConfiguration(what, status);
      // Only the contract's own 404 body says "never seen"; any other 404 (a wrong path, a proxy) proves nothing.
      if (status === 404) return isRecord(json) && json.status === 'not_found' ? 'not_found' : 'unknown';
      if (isServerTrouble(status) || status === 429) throw new GatewayTransientError(`${what} answered HTTP ${status}`);
      if (status < 200 || status >= 300) throw new Error(`${what} answered HTTP ${status}`);
      const found = isRecord(json) ? json.status : undefined;
      if (typeof found === 'string' && (lookupStatuses as readonly string[]).includes(found)) return found as PurchaseLookup;
      throw new Error(`${what} answered an unexpected body (HTTP ${status})`);
    },
  };
}

/** The account of a `{success: true, …}` /account answer, or undefined when a field is off. */
function readAccount(json: Record<string, unknown>): { userId: number; username: string; displayName: string; robux: number } | undefined {
  const { userId: rawUserId, username, displayName, robux } = json;
  let userId: number | undefined;
  if (typeof rawUserId === 'number') userId = rawUserId;
  else if (typeof rawUserId === 'string' && /^\d+$/.test(rawUserId)) userId = Number(rawUserId);
  if (userId === undefined || !Number.isSafeInteger(userId) || userId <= 0) return undefined;
  if (typeof username !== 'string' || username === '') return undefined;
  if (typeof robux !== 'number' || !Number.isSafeInteger(robux) || robux < 0) return undefined;
  if (displayName !== undefined && displayName !== null && typeof displayName !== 'string') return undefined;
  return { userId, username, displayName: typeof displayName === 'string' && displayName !== '' ? displayName : username, robux };
}

/** The body as text, or undefined when it is larger than MAX_BODY_BYTES (then cancelled). */
async function readBounded(response: Response): Promise<string | undefined> {
  if (!response.body) return '';
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let text = '';
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return text + decoder.decode();
      size += value.byteLength;
      if (size > MAX_BODY_BYTES) {
        await reader.cancel().catch(() => {});
        return undefined;
      }
      text += decoder.decode(value, { stream: true });
    }
  } catch (error) {
    await reader.cancel().catch(() => {});
    throw error;
  } finally {
    reader.releaseLock();
  }
}

/** Releases the connection without reading a body we do not need. */
async function discard(response: Response): Promise<void> {
  if (response.body && !response.bodyUsed) await response.body.cancel().catch(() => {});
}

/** A transport error's kind, without anything a server sent. */
function describe(error: unknown): string {
  if (error instanceof Error || error instanceof DOMException) {
    if (error.name === 'TimeoutError') return 'timed out';
    if (error.name === 'AbortError') return 'aborted';
    const cause = (error as { cause?: unknown }).cause;
    const code = typeof cause === 'object' && cause !== null ? (cause as { code?: unknown }).code : undefined;
    return typeof code === 'string' ? `${error.message}: ${code}` : error.message;
  }
  return String(error);
}
