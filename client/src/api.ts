// Calls to the server: same-origin, with the session cookie. A 401 from any call sends the admin
// back to the log-in form, except a watch link's (capabilityGet), which has no session to lose.
import { createSignal } from 'solid-js';
import type { ApiTokenView, AuditPage, CreatedApiToken, WatchLink } from '../../src/domain/api.js';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** undefined while unknown, then whether the cookie is good. */
const [loggedIn, setLoggedIn] = createSignal<boolean | undefined>(undefined);
export { loggedIn, setLoggedIn };

export async function api<T = unknown>(method: string, path: string, body?: unknown): Promise<T> {
  return request<T>(method, path, body, path === '/api/auth/login' ? undefined : () => setLoggedIn(false));
}

/**
 * A GET made with a watch link's capability (`?access_token=` in `path`), by someone who is not
 * logged in: a 401 or 403 is about that link, so it is thrown and never logs anyone out.
 */
export function capabilityGet<T = unknown>(path: string): Promise<T> {
  return request<T>('GET', path, undefined, undefined);
}

async function request<T>(method: string, path: string, body: unknown, onUnauthorized: (() => void) | undefined): Promise<T> {
  const res = await fetch(path, {
    method,
    credentials: 'same-origin',
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (res.status === 401) onUnauthorized?.();
  if (res.status === 204) return undefined as T;
  const json = (await res.json().catch(() => undefined)) as (T & { error?: { code: string; message: string } }) | undefined;
  if (!res.ok) throw new ApiError(res.status, json?.error?.code ?? 'error', json?.error?.message ?? `The server answered ${res.status}`);
  return json as T;
}

export async function logIn(token: string): Promise<void> {
  await api('POST', '/api/auth/login', { token });
  setLoggedIn(true);
}

export async function logOut(): Promise<void> {
  await api('POST', '/api/auth/logout');
  setLoggedIn(false);
}

/** Asks the server once whether the cookie still works (the session survives restarts). */
export async function checkSession(): Promise<void> {
  try {
    await api('GET', '/api/admin/stock-accounts');
    setLoggedIn(true);
  } catch {
    setLoggedIn(false);
  }
}

// ---------------------------------------------------------------------------------------------
// API tokens, watch links and the audit log (SPEC §12)

export type TokenScope = ApiTokenView['scope'];

export interface NewApiToken {
  name: string;
  scope: TokenScope;
  /** ISO time, or null for a token that does not expire. */
  expiresAt: string | null;
}

/** Creates a token: the answer carries the token itself, this once. */
export function createApiToken(token: NewApiToken): Promise<CreatedApiToken> {
  return api<CreatedApiToken>('POST', '/api/tokens', token);
}

/** The tokens, newest first (never the tokens themselves). */
export function listApiTokens(): Promise<ApiTokenView[]> {
  return api<{ tokens: ApiTokenView[] }>('GET', '/api/tokens').then((answer) => answer.tokens);
}

export function revokeApiToken(id: number): Promise<void> {
  return api<void>('DELETE', `/api/tokens/${id}`);
}

export type WatchLinkExpiry = '1h' | '24h' | '7d' | '30d';

/** A read-only live link to one run; `expiresIn` left out takes the server's default (24 h). */
export function createWatchLink(sessionId: string, expiresIn?: WatchLinkExpiry): Promise<WatchLink> {
  return api<WatchLink>('POST', `/api/auto-purchase/progress/${encodeURIComponent(sessionId)}/watch-links`, expiresIn ? { expiresIn } : {});
}

export interface AuditQuery {
  action?: string;
  actor?: string;
  /** ISO times. */
  from?: string;
  to?: string;
  limit?: number;
  cursor?: string;
}

/** The audit query with only the parameters that are set. */
export function auditPath(query: AuditQuery): string {
  const params = new URLSearchParams();
  for (const key of ['action', 'actor', 'from', 'to', 'limit', 'cursor'] as const) {
    const value = query[key];
    if (value !== undefined && value !== '') params.set(key, String(value));
  }
  const text = params.toString();
  return text ? `/api/audit?${text}` : '/api/audit';
}

/** A page of the audit log, newest first. */
export function listAudit(query: AuditQuery): Promise<AuditPage> {
  return api<AuditPage>('GET', auditPath(query));
}
