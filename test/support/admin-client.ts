// The one admin HTTP client of the tests: a JSON request with the admin's bearer token, answered as
// {status, json, text, headers}, over the in-memory app (app.request) or a real port (fetch).

/** How a request reaches the server: `app.request` in memory, or `overHttp(url)` for a process. */
export type FetchLike = (path: string, init: RequestInit) => Response | Promise<Response>;

export interface AdminAnswer<T = any> {
  status: number;
  /** The parsed body; undefined when it is empty or not JSON (then `text` tells what came). */
  json: T;
  text: string;
  headers: Headers;
}

/** `body` is sent as JSON (a string as it is); `headers` add to or replace the defaults. */
export type AdminCall = <T = any>(method: string, path: string, body?: unknown, headers?: Record<string, string>) => Promise<AdminAnswer<T>>;

export interface AdminClientOptions {
  /** Every call gives up after this long (default: never), so a hung server fails the test. */
  timeoutMs?: number;
}

export function adminClient(fetchLike: FetchLike, token: string, options: AdminClientOptions = {}): AdminCall {
  return async (method, path, body, headers = {}) => {
    const init: RequestInit = { method, headers: { authorization: `Bearer ${token}`, ...headers } };
    if (body !== undefined) {
      init.body = typeof body === 'string' ? body : JSON.stringify(body);
      (init.headers as Record<string, string>)['content-type'] ??= 'application/json';
    }
    if (options.timeoutMs !== undefined) init.signal = AbortSignal.timeout(options.timeoutMs);
    const res = await fetchLike(path, init);
    const text = await res.text();
    return { status: res.status, json: parseJson(text), text, headers: res.headers };
  };
}

/** A server on a real port: each path is fetched below `baseUrl` (e.g. http://127.0.0.1:port). */
export function overHttp(baseUrl: string): FetchLike {
  return (path, init) => fetch(`${baseUrl}${path}`, init);
}

/** The admin client of a server process, each call bounded by `timeoutMs`. */
export function adminClientAt(baseUrl: string, token: string, timeoutMs = 5_000): AdminCall {
  return adminClient(overHttp(baseUrl), token, { timeoutMs });
}

function parseJson(text: string): any {
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
