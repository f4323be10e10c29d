// Opening a run's progress stream (SPEC §5): 404 for no such run, 204 when everything was sent,
// otherwise a stream that resumes after Last-Event-ID or opens with a snapshot.
import { AppError, notFound } from '../domain/app-error.js';
import type { Metrics } from '../domain/metrics.js';
import type { Logger } from '../logger.js';
import type { RunFeed } from './run-feed.js';
import type { RunHub } from './run-hub.js';
import { openRunStream, type StreamStart } from './run-stream.js';
import type { SnapshotCache } from './snapshot-cache.js';
import type { StreamQuota } from './stream-quota.js';
import type { StreamTicker } from './stream-ticker.js';

export interface RunEventsDeps {
  hub: RunHub;
  ticker: StreamTicker;
  /** The encoded snapshots, shared with `GET …/progress/:id`. */
  snapshots: SnapshotCache;
  now(): number;
  maxUnsentBytes?: number;
  /** Caps the streams one credential holds open (none: no cap). */
  quota?: StreamQuota;
  /** Where a cut client is told of, in one line. */
  logger?: Logger;
  /** Counts the streams open now. */
  metrics?: Pick<Metrics, 'streamOpened' | 'streamClosed'>;
}

export interface RunEventsRequest {
  sessionId: string;
  lastEventId?: number;
  /** Whom the quota counts the stream against (never logged). */
  credential: string;
  /** A HEAD request: the status and headers only. */
  head: boolean;
  /** Closes the request's connection at once, resolving once it is closed (the runtime's entry). */
  abortConnection?: (() => void) | (() => Promise<void>);
  /** Ends the stream when its credential is revoked (aborted) or no longer valid (asked at each heartbeat). */
  until?: AbortSignal;
  stillValid?: () => boolean;
}

export type RunEventsAnswer = { status: 204 } | { status: 200; body: ReadableStream<Uint8Array> | null };

export async function openRunEvents(deps: RunEventsDeps, request: RunEventsRequest): Promise<RunEventsAnswer> {
  const { sessionId, lastEventId } = request;
  const head = deps.hub.feed.head(sessionId);
  if (!head) throw notFound('Run');
  // Everything was sent: 204 tells EventSource clients to stop reconnecting.
  if (lastEventId !== undefined && head.ended && lastEventId >= head.lastSeq) return { status: 204 };
  // HEAD runs the GET handler too (and drops the body): open nothing that would never be cancelled.
  if (request.head) return { status: 200, body: null };
  const start: StreamStart =
    lastEventId !== undefined && resumable(deps.hub.feed, sessionId, lastEventId, head.lastSeq) ? { seq: lastEventId } : snapshotStart(deps.snapshots, sessionId);
  const release = deps.quota ? await deps.quota.take(request.credential) : undefined;
  if (deps.quota && !release) throw tooManyStreams();
  deps.metrics?.streamOpened();
  // However the stream ends (end event, client gone, cut), or if opening it fails (its first read
  // of the run: a 503), its slot and its count are given back, once.
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    release?.();
    deps.metrics?.streamClosed();
  };
  let body: ReadableStream<Uint8Array>;
  try {
    body = openRunStream({
      hub: deps.hub,
      ticker: deps.ticker,
      sessionId,
      start,
      now: deps.now,
      maxUnsentBytes: deps.maxUnsentBytes,
      logger: deps.logger,
      abortConnection: request.abortConnection,
      until: request.until,
      stillValid: request.stillValid,
      onClose: close,
    });
  } catch (error) {
    close();
    throw error;
  }
  return { status: 200, body };
}

/** Every event after `lastEventId` is still stored (or there is none yet). */
function resumable(feed: RunFeed, sessionId: string, lastEventId: number, lastSeq: number): boolean {
  if (lastEventId > lastSeq) return false;
  return lastEventId === lastSeq || feed.eventsAfter(sessionId, lastEventId, { limit: 1 })[0]?.seq === lastEventId + 1;
}

function snapshotStart(snapshots: SnapshotCache, sessionId: string): StreamStart {
  const snapshot = snapshots.get(sessionId);
  if (!snapshot) throw notFound('Run');
  return { seq: snapshot.seq, snapshot: snapshot.frame(), ended: snapshot.ended };
}

const tooManyStreams = () =>
  new AppError(429, 'too_many_streams', 'This credential holds too many open progress streams: close one first', { 'Retry-After': '5' });
