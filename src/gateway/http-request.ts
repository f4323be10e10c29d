// One request to the shop's buy-pass service (SPEC §6), with Web-standard fetch only: the secret
// header, a bounded body read, and a transport failure turned into GatewayTransientError.
// No message ever carries the credential or a response body: they name the method, path and status.
import { GatewayTransientError } from './gateway.js';

/** Where the service is and how to reach it: what every call of the http gateway shares. */
export interface HttpTarget {
  /** The base URL without a trailing slash. */
  baseUrl: string;
  secret: string;
  fetch: typeof fetch;
}

export type Method = 'GET' | 'POST';

export interface RequestCall {
  body?: unknown;
  headers?: Record<string, string>;
  signal: AbortSignal | undefined;
  /** Whether the body matters for this status; when it does not, it is cancelled unread. */
  read: (status: number) => boolean;
}

export interface Raw {
  status: number;
  headers: Headers;
  /** What was read of the body; only filled when `read` asked for it. */
  json: unknown;
  /** False when the body was empty, not JSON, too large, or not read. */
  isJson: boolean;
}

/** The largest response body read; a longer one is cancelled and counts as unreadable. */
const MAX_BODY_BYTES = 1024 * 1024;

/**
 * Printable ASCII without leading or trailing blanks: a value every fetch sends as is, checked up
 * front so that no header TypeError (which quotes the value) is ever thrown for the secret.
 */
export function isHeaderValue(value: string): boolean {
  return /^[\x21-\x7e](?:[\x20-\x7e\t]*[\x21-\x7e])?$/.test(value);
}

/** Whether a body is worth reading: not for the secret refused, a redirect, a timeout or a 5xx. */
export function answersWithBody(status: number): boolean {
  return status >= 200 && status < 500 && !(status >= 300 && status < 400) && status !== 401 && status !== 403 && status !== 408;
}

/**
 * One request. Transport failures (no answer, abort, timeout, a body cut short) reject with
 * GatewayTransientError: nobody can say whether the service acted.
 */
export async function request(target: HttpTarget, method: Method, path: string, call: RequestCall): Promise<Raw> {
  const what = `${method} ${path}`;
  // Built before the fetch, so a bad header or body is our bug (a plain error), not "no answer".
  const init = requestInit(target.secret, method, call);
  let response: Response;
  try {
    call.signal?.throwIfAborted();
    response = await target.fetch(`${target.baseUrl}${path}`, init);
  } catch (error) {
    throw new GatewayTransientError(`${what} got no answer (${describe(error)})`, { cause: error });
  }

  // A browser's fetch hides a manual redirect behind status 0.
  const status = response.type === 'opaqueredirect' ? 302 : response.status;
  const unread: Raw = { status, headers: response.headers, json: undefined, isJson: false };
  if (!call.read(status)) {
    await discard(response);
    return unread;
  }
  let text: string | undefined;
  try {
    text = await readBounded(response);
  } catch (error) {
    throw new GatewayTransientError(`${what} answered HTTP ${status} but its body was cut short (${describe(error)})`, {
      cause: error,
    });
  }
  if (text === undefined || text.trim() === '') return unread;
  try {
    return { ...unread, json: JSON.parse(text) as unknown, isJson: true };
  } catch {
    return unread;
  }
}

function requestInit(secret: string, method: Method, call: RequestCall): RequestInit {
  const headers = new Headers({ 'x-internal-secret': secret, accept: 'application/json' });
  for (const [name, value] of Object.entries(call.headers ?? {})) headers.set(name, value);
  // A redirect is a configuration problem to report, never a hop to follow with the secret.
  const init: RequestInit = { method, headers, redirect: 'manual' };
  if (call.body !== undefined) {
    init.body = JSON.stringify(call.body);
    headers.set('content-type', 'application/json');
  }
  if (call.signal) init.signal = call.signal;
  return init;
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
