// The one access check of /api (SPEC §12): who is calling (admin token, API token, watch link,
// browser session) and whether the route's scope, declared in the route table
// (src/http/api-routes.ts), lets them. Sets the request's principal (src/http/principal.ts).
import type { Context, MiddlewareHandler } from 'hono';
import { getCookie } from 'hono/cookie';
import type { Clock } from '../clock.js';
import { AppError } from '../domain/app-error.js';
import { scopeAllows, type TokenScope } from '../domain/scopes.js';
import type { WatchLinkSigner } from '../domain/watch-link.js';
import { tokenActor, type TokenService } from '../services/tokens.js';
import { sessionCookieName, sha256Hex, type AdminAuth } from './admin-auth.js';
import type { ApiRoute, RouteScope } from './api-routes.js';
import type { Principal } from './principal.js';
import { assertOwnOrigin, changesState } from './same-origin.js';

export interface AccessDeps {
  adminAuth: AdminAuth;
  tokens: Pick<TokenService, 'authenticate'>;
  /** The watch links' signer (made once, on first use). */
  watchLinks: () => Promise<WatchLinkSigner>;
  clock: Clock;
  routes: readonly ApiRoute[];
}

/** The query parameter a watch link travels in (EventSource cannot send headers). */
export const accessTokenParam = 'access_token';

export interface Access {
  /** Middleware for /api/*: public routes pass; others need a credential whose scope allows them. */
  check: MiddlewareHandler;
  /** Who is calling (401 when nobody or a bad credential); for routes outside /api with their own rule. */
  authenticate(c: Context): Promise<Principal>;
}

interface CompiledRoute {
  route: ApiRoute;
  pattern: RegExp;
}

export function createAccess(deps: AccessDeps): Access {
  const compiled = deps.routes.map((route): CompiledRoute => ({ route, pattern: pathPattern(route.path) }));

  const authenticate = async (c: Context): Promise<Principal> => {
    const bearer = c.req.header('authorization')?.match(/^Bearer\s+(.+)$/i)?.[1]?.trim();
    if (bearer !== undefined) {
      if (deps.adminAuth.tokenMatches(bearer)) return { kind: 'admin-token', scope: 'admin', actor: 'admin token' };
      const row = await deps.tokens.authenticate(bearer);
      if (!row) throw unauthorized('The bearer token is not valid: unknown, revoked or expired');
      return { kind: 'api-token', scope: row.scope, actor: tokenActor(row.name), tokenId: row.id, expiresAt: row.expiresAt };
    }
    const accessToken = c.req.query(accessTokenParam);
    if (accessToken !== undefined) {
      const grant = await (await deps.watchLinks()).verify(accessToken, deps.clock.now());
      if (!grant) throw unauthorized('This watch link is not valid or has expired');
      return { kind: 'watch-link', actor: 'watch link', sessionId: grant.sessionId, expiresAt: grant.expiresAt };
    }
    const cookie = getCookie(c, sessionCookieName);
    if (!cookie) throw unauthorized('Log in first: send Authorization: Bearer <token> or the session cookie');
    // Before the session is looked up (or touched): a cross-origin page gets nothing done.
    if (changesState(c.req.method)) assertOwnOrigin(c);
    if (!(await deps.adminAuth.sessionValid(cookie))) throw unauthorized('The session has ended: log in again');
    return { kind: 'session', scope: 'admin', actor: 'browser session', idHash: await sha256Hex(cookie) };
  };

  const check: MiddlewareHandler = async (c, next) => {
    const method = c.req.method === 'HEAD' ? 'GET' : c.req.method;
    const path = c.req.path;
    const onPath = compiled.filter(({ pattern }) => pattern.test(path));
    const found = onPath.find(({ route }) => route.method === method);
    // A method the path does not take needs any credential (then 405); a path the table does not
    // know needs admin: a route registered without its row is closed, not open to every token.
    const scope: RouteScope = found?.route.scope ?? (onPath.length > 0 ? 'read' : 'admin');
    if (scope === 'public') return next();
    const principal = await authenticate(c);
    if (principal.kind === 'watch-link') {
      const sessionId = found?.route.watchable ? found.pattern.exec(path)?.groups?.['sessionId'] : undefined;
      // Hono's path is already percent-decoded, as its router matches it.
      if (sessionId === undefined || sessionId !== principal.sessionId) {
        throw forbidden('A watch link opens only its own run’s progress and events');
      }
    } else if (!scopeAllows(principal.scope, neededScope(scope))) {
      throw forbidden(`This token’s scope (${principal.scope}) does not allow ${c.req.method} ${path}: it needs ${neededScope(scope)}`);
    }
    c.set('principal', principal);
    return next();
  };

  return { check, authenticate };
}

/** `metrics` routes take their own token, or an admin credential. */
function neededScope(scope: Exclude<RouteScope, 'public'>): TokenScope {
  return scope === 'metrics' ? 'admin' : scope;
}

/** `/api/transactions/:id/retry` → a regex with a named group per parameter (one path segment each). */
export function pathPattern(path: string): RegExp {
  const source = path
    .split('/')
    .map((segment) => (segment.startsWith(':') ? `(?<${segment.slice(1)}>[^/]+)` : segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('/');
  return new RegExp(`^${source}$`);
}

export function unauthorized(message: string): AppError {
  return new AppError(401, 'unauthorized', message, { 'WWW-Authenticate': 'Bearer' });
}

function forbidden(message: string): AppError {
  return new AppError(403, 'forbidden', message);
}
