// GET /api/auto-purchase/progress/:sessionId/events: the live progress stream (SPEC §5).
import type { Context, Hono } from 'hono';
import type { Db } from '../db/types.js';
import { runEventsAfter, runRow, runSnapshot } from '../engine/run-store.js';
import { badRequest, notFound } from '../http/app-error.js';
import { resource } from '../http/resource.js';
import { eventFrame, sseHeaders } from '../stream/frames.js';
import type { RunHub } from '../stream/run-hub.js';
import { openRunStream } from '../stream/run-stream.js';
import type { StreamTicker } from '../stream/stream-ticker.js';

export interface RunEventsDeps {
  db: Db;
  hub: RunHub;
  ticker: StreamTicker;
  now(): number;
  maxUnsentBytes?: number;
  /** A closer of the request's connection; supplied by the runtime's entry (none elsewhere). */
  connectionCloser?: (c: Context) => (() => void) | undefined;
}

export function runEventsRoutes(app: Hono, deps: RunEventsDeps): void {
  const snapshots = snapshotFrames(deps.db);
  resource(app, '/api/auto-purchase/progress/:sessionId/events', {
    GET: (c) => {
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
      let start: { seq: number; snapshot?: Uint8Array; ended?: boolean };
      if (resumable) {
        start = { seq: lastEventId };
      } else {
        start = snapshots.frame(sessionId);
      }
      const body = openRunStream({
        hub: deps.hub,
        ticker: deps.ticker,
        sessionId,
        start,
        now: deps.now,
        maxUnsentBytes: deps.maxUnsentBytes,
        abortConnection: deps.connectionCloser?.(c),
      });
      return new Response(body, { status: 200, headers: sseHeaders });
    },
  });
}

/**
 * Snapshot frames, encoded once per run and seq: a burst of clients opening the same run (a
 * reconnect storm) shares one serialisation. A few recent ones are kept.
 */
function snapshotFrames(db: Db, keep = 8) {
  const recent = new Map<string, { seq: number; snapshot: Uint8Array; ended: boolean }>();
  return {
    frame(sessionId: string) {
      const row = runRow(db, sessionId);
      if (!row) throw notFound('Run');
      const key = `${sessionId}:${row.lastSeq}`;
      let frame = recent.get(key);
      if (!frame) {
        const found = runSnapshot(db, sessionId);
        if (!found) throw notFound('Run');
        frame = { seq: found.seq, snapshot: eventFrame(found.seq, 'snapshot', JSON.stringify(found.snapshot)), ended: found.snapshot.status !== 'running' };
        recent.set(`${sessionId}:${found.seq}`, frame);
        if (recent.size > keep) recent.delete(recent.keys().next().value!);
      }
      return frame;
    },
  };
}

function parseEventId(text: string | undefined): number | undefined {
  if (text === undefined || text === '') return undefined;
  if (!/^\d{1,15}$/.test(text.trim())) throw badRequest('invalid_event_id', 'Last-Event-ID / lastEventId must be a non-negative integer');
  return Number(text.trim());
}
