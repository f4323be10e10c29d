// GET /api/auto-purchase/progress/:sessionId/events: the live progress stream (SPEC §5).
import type { Context, Hono } from 'hono';
import { getCookie } from 'hono/cookie';
import type { Db } from '../db/types.js';
import { runEventsAfter } from '../stores/run-events.js';
import { runRow } from '../stores/runs.js';
import { sessionCookieName } from '../http/admin-auth.js';
import { AppError, badRequest, notFound } from '../domain/app-error.js';
import { resource } from '../http/resource.js';
import type { Logger } from '../logger.js';
import { sseHeaders } from '../stream/frames.js';
import type { RunHub } from '../stream/run-hub.js';
import { openRunStream } from '../stream/run-stream.js';
import { createSnapshotCache, type SnapshotCache } from '../stream/snapshot-cache.js';
import type { StreamQuota } from '../stream/stream-quota.js';
import type { StreamTicker } from '../stream/stream-ticker.js';

export interface RunEventsDeps {
  db: Db;
  hub: RunHub;
  ticker: StreamTicker;
  now(): number;
  maxUnsentBytes?: number;
  /** Caps the streams one credential holds open (none: no cap). */
  quota?: StreamQuota;
  /** The encoded snapshots, shared with `GET …/progress/:id`; built when not given. */
  snapshots?: SnapshotCache;
  /** Where a cut client is told of, in one line. */
  logger?: Logger;
  /**
   * A closer of the request's connection, resolving once it is closed; supplied by the runtime's
   * entry (none elsewhere).
   */
  connectionCloser?: (c: Context) => (() => void) | (() => Promise<void>) | undefined;
}

export function runEventsRoutes(app: Hono, deps: RunEventsDeps): void {
  const snapshots = deps.snapshots ?? createSnapshotCache(deps.db);
  resource(app, '/api/auto-purchase/progress/:sessionId/events', {
    GET: async (c) => {
      const sessionId = c.req.param('sessionId')!;
      // EventSource resends the header on reconnect, so it wins over the query of the first request.
      const lastEventId = parseEventId(c.req.header('last-event-id') || c.req.query('lastEventId'));
      const run = runRow(deps.db, sessionId);
      if (!run) throw notFound('Run');
      const ended = run.status !== 'running';
      if (lastEventId !== undefined && ended && lastEventId >= run.lastSeq) {
        // Everything was sent: 204 tells EventSource clients to stop reconnecting.
        return c.body(null, 204);
      }
      // HEAD runs this handler too (and drops the body): open nothing that would never be cancelled.
      if (c.req.method === 'HEAD') return new Response(null, { status: 200, headers: sseHeaders });
      const resumable =
        lastEventId !== undefined &&
        lastEventId <= run.lastSeq &&
        (lastEventId === run.lastSeq || runEventsAfter(deps.db, sessionId, lastEventId, 1)[0]?.seq === lastEventId + 1);
      let start: { seq: number; snapshot?: readonly Uint8Array[]; ended?: boolean };
      if (resumable) {
        start = { seq: lastEventId };
      } else {
        const snapshot = snapshots.get(sessionId);
        if (!snapshot) throw notFound('Run');
        start = { seq: snapshot.seq, snapshot: snapshot.frame(), ended: snapshot.ended };
      }
      const release = deps.quota ? await deps.quota.take(credentialOf(c)) : undefined;
      if (deps.quota && !release) throw tooManyStreams();
      const body = openRunStream({
        hub: deps.hub,
        ticker: deps.ticker,
        sessionId,
        start,
        now: deps.now,
        maxUnsentBytes: deps.maxUnsentBytes,
        logger: deps.logger,
        abortConnection: deps.connectionCloser?.(c),
        // However the stream ends (end event, client gone, cut), its slot is given back.
        onClose: release,
      });
      return new Response(body, { status: 200, headers: sseHeaders });
    },
  });
}

/** What the admin middleware authenticated this request with: the bearer token wins over the cookie. */
function credentialOf(c: Context): string {
  const bearer = c.req.header('authorization')?.match(/^Bearer\s+(.+)$/i)?.[1]?.trim();
  return bearer !== undefined ? `bearer:${bearer}` : `cookie:${getCookie(c, sessionCookieName) ?? ''}`;
}

const tooManyStreams = () =>
  new AppError(429, 'too_many_streams', 'This credential holds too many open progress streams: close one first', { 'Retry-After': '5' });

function parseEventId(text: string | undefined): number | undefined {
  if (text === undefined || text === '') return undefined;
  if (!/^\d{1,15}$/.test(text.trim())) throw badRequest('invalid_event_id', 'Last-Event-ID / lastEventId must be a non-negative integer');
  return Number(text.trim());
}
