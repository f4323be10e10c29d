// GET /api/auto-purchase/progress/:sessionId/events: the live progress stream (SPEC §5).
import type { Context, Hono } from 'hono';
import { badRequest } from '../domain/app-error.js';
import { principalOf, type Principal } from '../http/principal.js';
import { resource } from '../http/resource.js';
import { sseHeaders } from '../stream/frames.js';
import { openRunEvents, type RunEventsDeps, type RunEventsRequest } from '../stream/open-run-events.js';
import { createSnapshotCache } from '../stream/snapshot-cache.js';

export interface RunEventsRouteDeps extends Omit<RunEventsDeps, 'snapshots'> {
  /** The encoded snapshots, shared with `GET …/progress/:id`; built when not given. */
  snapshots?: RunEventsDeps['snapshots'];
  /** A closer of the request's connection, resolving once it is closed; supplied by the runtime's entry. */
  connectionCloser?: (c: Context) => (() => void) | (() => Promise<void>) | undefined;
  /** How long the request's credential keeps a stream open (an API token until revoked or expired, a watch link until it expires). */
  credentialLife?: (principal: Principal) => Pick<RunEventsRequest, 'until' | 'stillValid'>;
  /** The client's address: a watch link, shared with many viewers, is counted per address. */
  clientAddress?: (c: Context) => string;
}

export function runEventsRoutes(app: Hono, deps: RunEventsRouteDeps): void {
  const opening: RunEventsDeps = { ...deps, snapshots: deps.snapshots ?? createSnapshotCache(deps.hub.feed) };
  resource(app, '/api/auto-purchase/progress/:sessionId/events', {
    GET: async (c) => {
      // EventSource resends the header on reconnect, so it wins over the query of the first request.
      const lastEventId = parseEventId(c.req.header('last-event-id') || c.req.query('lastEventId'));
      const answer = await openRunEvents(opening, {
        sessionId: c.req.param('sessionId')!,
        lastEventId,
        credential: credentialOf(c, deps.clientAddress),
        head: c.req.method === 'HEAD',
        abortConnection: deps.connectionCloser?.(c),
        ...deps.credentialLife?.(principalOf(c)),
      });
      if (answer.status === 204) return c.body(null, 204);
      return new Response(answer.body, { status: 200, headers: sseHeaders });
    },
  });
}

/**
 * Whom the stream quota counts against, from the credential the access check found (never the
 * secret itself): the admin token, a session, an API token; a watch link per link and client
 * address (one link may be shared with many viewers, each their own client).
 */
function credentialOf(c: Context, clientAddress: ((c: Context) => string) | undefined): string {
  const principal = principalOf(c);
  switch (principal.kind) {
    case 'admin-token':
      return 'admin-token';
    case 'session':
      return `session:${principal.idHash}`;
    case 'api-token':
      return `token:${principal.tokenId}`;
    case 'watch-link':
      return `link:${clientAddress?.(c) ?? 'unknown'}:${principal.sessionId}:${principal.expiresAt}`;
  }
}

function parseEventId(text: string | undefined): number | undefined {
  if (text === undefined || text === '') return undefined;
  if (!/^\d{1,15}$/.test(text.trim())) throw badRequest('invalid_event_id', 'Last-Event-ID / lastEventId must be a non-negative integer');
  return Number(text.trim());
}
