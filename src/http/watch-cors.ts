// CORS for the two routes a watch link opens (SPEC §12): another site's page, on an origin listed in
// WATCH_ORIGINS, may follow a run with `new EventSource(link)`. Mounted before the access check, as
// a preflight carries no credential. Never `*`, never credentials: the link is the capability, and
// a browser must not send this site's cookie along with it.
import type { MiddlewareHandler } from 'hono';

/** `…/progress/<sessionId>` and `…/progress/<sessionId>/events`, the session id one path segment. */
const WATCHABLE = /^\/api\/auto-purchase\/progress\/[^/]+(?:\/events)?$/;
const METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export const watchCorsMaxAgeSeconds = 600;

export function watchCors(origins: readonly string[]): MiddlewareHandler {
  const allowed = new Set(origins);
  return async (c, next) => {
    if (allowed.size === 0 || !METHODS.has(c.req.method) || !WATCHABLE.test(c.req.path)) return next();
    const origin = c.req.header('origin');
    const listed = origin !== undefined && allowed.has(origin);
    const preflight = c.req.method === 'OPTIONS' && c.req.header('access-control-request-method') !== undefined;
    if (preflight) {
      // An unlisted origin gets a plain 204 with no grant: its browser then refuses the request itself.
      const headers: Record<string, string> = { Vary: 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers' };
      if (listed) {
        Object.assign(headers, {
          'Access-Control-Allow-Origin': origin,
          'Access-Control-Allow-Methods': 'GET, HEAD',
          'Access-Control-Allow-Headers': 'Last-Event-ID, Cache-Control',
          'Access-Control-Max-Age': String(watchCorsMaxAgeSeconds),
        });
      }
      return c.body(null, 204, headers);
    }
    await next();
    // The answer varies by Origin whenever a grant may be given, listed or not (a shared cache).
    c.res.headers.append('Vary', 'Origin');
    if (listed) {
      c.res.headers.set('Access-Control-Allow-Origin', origin);
      // Content-Type and Content-Length are readable anyway; Retry-After tells a page when to retry a 429.
      c.res.headers.set('Access-Control-Expose-Headers', 'Retry-After');
    }
  };
}
