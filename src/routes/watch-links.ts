// POST /api/auto-purchase/progress/:sessionId/watch-links: a signed, expiring link that opens one
// run's snapshot and event stream and nothing else (SPEC §12). Operate scope.
import type { Context, Hono } from 'hono';
import * as v from 'valibot';
import { isoTime, type Clock } from '../clock.js';
import type { WatchLink } from '../domain/api.js';
import { notFound } from '../domain/app-error.js';
import type { WatchLinkSigner } from '../domain/watch-link.js';
import { watchLinkDurationPattern, watchLinkLifetimeMs } from '../domain/watch-link-expiry.js';
import { accessTokenParam } from '../http/access.js';
import { actorOf } from '../http/principal.js';
import { readJson } from '../http/read-json.js';
import { resource } from '../http/resource.js';

export const watchLinkBody = v.strictObject({
  expiresIn: v.optional(
    v.pipe(
      v.string('must be a duration such as "15m", "24h" or "7d"'),
      v.regex(watchLinkDurationPattern, 'must be a duration with a unit, such as "15m", "24h" or "7d"'),
    ),
  ),
});

export interface WatchLinkDeps {
  signer: () => Promise<WatchLinkSigner>;
  clock: Clock;
  runExists: (sessionId: string) => boolean;
  /** Records who handed out a link to which run (the audit log, committed before the link is answered). */
  audit?: (entry: { actor: string; sessionId: string; expiresAt: number }) => void;
}

export function watchLinkRoutes(app: Hono, deps: WatchLinkDeps): void {
  resource(app, '/api/auto-purchase/progress/:sessionId/watch-links', {
    POST: async (c) => {
      const sessionId = c.req.param('sessionId')!;
      // An empty body asks for the default lifetime.
      const body = c.req.header('content-length') === '0' || !c.req.header('content-type') ? {} : await readJson(c, watchLinkBody);
      const lifetimeMs = watchLinkLifetimeMs(body.expiresIn);
      if (!deps.runExists(sessionId)) throw notFound('Run');
      const expiresAt = deps.clock.now() + lifetimeMs;
      const token = await (await deps.signer()).sign({ sessionId, expiresAt });
      deps.audit?.({ actor: actorOf(c), sessionId, expiresAt });
      const origin = requestOrigin(c);
      const run = encodeURIComponent(sessionId);
      const query = `?${accessTokenParam}=${encodeURIComponent(token)}`;
      const link: WatchLink = {
        url: `${origin}/watch/${run}${query}`,
        eventsUrl: `${origin}/api/auto-purchase/progress/${run}/events${query}`,
        expiresAt: isoTime(expiresAt),
      };
      // The answer is a capability: no cache keeps it.
      c.header('Cache-Control', 'no-store');
      return c.json(link, 201);
    },
  });
}

// A host as a proxy may forward it: a name or IPv4, or a bracketed IPv6, with an optional port.
const HOST = /^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;

/**
 * The origin the caller reached us at: behind a proxy, the first X-Forwarded-Proto / X-Forwarded-Host
 * (as src/http/same-origin.ts reads them); else the request's own. A forwarded value that is not a
 * plain scheme or host is ignored, so nothing odd lands in the link.
 */
export function requestOrigin(c: Context): string {
  const own = new URL(c.req.url);
  const forwardedProto = c.req.header('x-forwarded-proto')?.split(',')[0]?.trim().toLowerCase();
  const forwardedHost = c.req.header('x-forwarded-host')?.split(',')[0]?.trim();
  const protocol = forwardedProto === 'http' || forwardedProto === 'https' ? forwardedProto : own.protocol.slice(0, -1);
  const host = forwardedHost !== undefined && HOST.test(forwardedHost) ? forwardedHost : own.host;
  return `${protocol}://${host}`;
}
