// The HTTP gateway (SPEC §6): the shop's own buy-pass service over Web-standard fetch, one function
// per gateway call. An answer is returned; "nobody knows whether it acted" (timeout, 5xx, a 2xx buy
// we cannot read) throws GatewayTransientError; a configuration problem throws a plain Error.

import { DEFAULT_RETRY_AFTER_MS, GatewayTransientError, isRefusalCode } from './gateway.js';
import type { BuyRequest, BuyResult, CallOptions, Gateway, PurchaseLookup, RefusalCode, VerifiedAccount, VerifyResult } from './gateway.js';
import { answersWithBody, isHeaderValue, request, type HttpTarget, type Raw } from './http-request.js';

export interface HttpGatewayOptions {
  /** The service's base URL (GATEWAY_URL); a trailing slash is ignored. */
  url: string;
  /** Sent as `x-internal-secret` on every request (GATEWAY_SECRET). */
  secret: string;
  /** Defaults to the global fetch; tests pass a wrapper. */
  fetch?: typeof fetch;
}

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

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const isServerTrouble = (status: number) => status >= 500 || status === 408;

export function createHttpGateway(options: HttpGatewayOptions): Gateway {
  const target = targetOf(options);
  return {
    kind: 'http',
    verifyAccount: (credential, callOptions) => verifyAccount(target, credential, callOptions),
    buyPass: (buy, callOptions) => buyPass(target, buy, callOptions),
    lookupPurchase: (idempotencyKey, callOptions) => lookupPurchase(target, idempotencyKey, callOptions),
  };
}

/** The options checked once, at start-up: a bad URL or secret stops the server, not a purchase. */
function targetOf(options: HttpGatewayOptions): HttpTarget {
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
  return {
    baseUrl: base.href.replace(/\/+$/, ''),
    secret: options.secret,
    fetch: options.fetch ?? ((input, init) => globalThis.fetch(input, init)),
  };
}

/** The answers every endpoint treats alike: the secret refused, a redirect. */
function checkConfiguration(what: string, status: number): void {
  if (status === 401 || status === 403) throw new Error(`The gateway refused our x-internal-secret (HTTP ${status})`);
  if (status >= 300 && status < 400) throw new Error(`${what} answered a redirect (HTTP ${status}); check GATEWAY_URL`);
}

async function verifyAccount(target: HttpTarget, credential: string, callOptions?: CallOptions): Promise<VerifyResult> {
  const what = 'POST /account';
  const { status, json } = await request(target, 'POST', '/account', {
    body: { robloxCookie: credential },
    signal: callOptions?.signal,
    read: (status) => answersWithBody(status) && status !== 429,
  });
  checkConfiguration(what, status);
  if (isServerTrouble(status) || status === 429) throw new GatewayTransientError(`${what} answered HTTP ${status}`);
  if (isRecord(json) && json.success === false) {
    const message = typeof json.message === 'string' && json.message !== '' ? json.message : 'The gateway rejected the credential';
    return { ok: false, code: 'INVALID_CREDENTIAL', message };
  }
  if (status < 200 || status >= 300) throw new Error(`${what} answered HTTP ${status}`);
  const account = isRecord(json) && json.success === true ? readAccount(json) : undefined;
  if (!account) throw new Error('The gateway answered an unexpected body for /account');
  return { ok: true, ...account };
}

async function buyPass(target: HttpTarget, buy: BuyRequest, callOptions?: CallOptions): Promise<BuyResult> {
  if (typeof buy.idempotencyKey !== 'string' || !isHeaderValue(buy.idempotencyKey)) {
    throw new TypeError('The idempotency key is empty or not a valid header value');
  }
  const answer = await request(target, 'POST', '/buy-pass', {
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
  return buyResultOf('POST /buy-pass', answer);
}

/** A /buy-pass answer as a purchase result, or the error that says why it is none. */
function buyResultOf(what: string, answer: Raw): BuyResult {
  const { status, json } = answer;
  checkConfiguration(what, status);
  if (isServerTrouble(status)) throw new GatewayTransientError(`${what} answered HTTP ${status}`);
  const refused = refusalOf(json);
  if (status === 429 || refused?.code === 'RATE_LIMITED') {
    const retryAfterMs = parseRetryAfter(answer.headers.get('retry-after'));
    return { success: false, code: 'RATE_LIMITED', message: refused?.message ?? 'RATE_LIMITED', retryAfterMs };
  }
  if (refused) return { success: false, code: refused.code, message: refused.message ?? refused.code };
  const ok = status >= 200 && status < 300;
  if (ok && isRecord(json) && json.success === true) return { success: true };
  // A 2xx we cannot read may have bought; a 409 is the key still being worked on elsewhere.
  if (ok || status === 409 || status === 425) {
    throw new GatewayTransientError(`${what} answered an unexpected ${answer.isJson ? 'body' : 'non-JSON body'} (HTTP ${status})`);
  }
  throw new Error(`${what} answered HTTP ${status}`);
}

/** A contract refusal `{success: false, code, message?}`; its message only when it has one. */
function refusalOf(json: unknown): { code: RefusalCode; message: string | undefined } | undefined {
  if (!isRecord(json) || json.success !== false || !isRefusalCode(json.code)) return undefined;
  return { code: json.code, message: typeof json.message === 'string' && json.message !== '' ? json.message : undefined };
}

async function lookupPurchase(target: HttpTarget, idempotencyKey: string, callOptions?: CallOptions): Promise<PurchaseLookup> {
  const path = `/purchases/${encodeURIComponent(idempotencyKey)}`;
  const what = `GET ${path}`;
  const { status, json } = await request(target, 'GET', path, {
    signal: callOptions?.signal,
    read: (status) => (status >= 200 && status < 300) || status === 404,
  });
  checkConfiguration(what, status);
  // Only the contract's own 404 body says "never seen"; any other 404 (a wrong path, a proxy) proves nothing.
  if (status === 404) return isRecord(json) && json.status === 'not_found' ? 'not_found' : 'unknown';
  if (isServerTrouble(status) || status === 429) throw new GatewayTransientError(`${what} answered HTTP ${status}`);
  if (status < 200 || status >= 300) throw new Error(`${what} answered HTTP ${status}`);
  const found = isRecord(json) ? json.status : undefined;
  if (typeof found === 'string' && (lookupStatuses as readonly string[]).includes(found)) return found as PurchaseLookup;
  throw new Error(`${what} answered an unexpected body (HTTP ${status})`);
}

/** The account of a `{success: true, …}` /account answer, or undefined when a field is off. */
function readAccount(json: Record<string, unknown>): VerifiedAccount | undefined {
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

