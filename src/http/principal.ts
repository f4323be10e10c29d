// Who is calling (SPEC §12): set on the request's context by the access check (src/http/access.ts)
// before any /api handler runs. Handlers read it for the audit log's actor; never a secret in it.
import type { Context } from 'hono';
import type { TokenScope } from '../domain/scopes.js';

export type Principal =
  /** `Authorization: Bearer <ADMIN_TOKEN>`: the root credential. */
  | { kind: 'admin-token'; scope: 'admin'; actor: 'admin token' }
  /** The browser's session cookie (log-in with the admin token). */
  | { kind: 'session'; scope: 'admin'; actor: 'browser session'; /** The session's stored SHA-256 (not the cookie). */ idHash: string }
  /** A named API token; `actor` is its name. */
  | { kind: 'api-token'; scope: TokenScope; actor: string; tokenId: number; expiresAt: number | null }
  /** A watch link: opens one run's snapshot and stream, nothing else. */
  | { kind: 'watch-link'; actor: 'watch link'; sessionId: string; expiresAt: number };

declare module 'hono' {
  interface ContextVariableMap {
    principal: Principal;
  }
}

/** The caller of an /api route that passed the access check. */
export function principalOf(c: Context): Principal {
  const principal = c.get('principal');
  if (!principal) throw new Error(`${c.req.method} ${c.req.path}: no principal (the route is public or the access check did not run)`);
  return principal;
}

/** The audit log's actor for this request: a token's name, "admin token" or "browser session". */
export function actorOf(c: Context): string {
  return principalOf(c).actor;
}
