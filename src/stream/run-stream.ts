// One SSE connection to one run: a ReadableStream (Web standard) that keeps only its cursor, the
// last seq it sent. When the hub wakes it, it sends what lies after the cursor, from the shared
// window or, when behind it, from the database; it never writes past the stream's byte budget,
// so a slow client holds no growing queue, and one stalled too long is cut and resumes by id.
import type { Logger } from '../logger.js';
import { concatFrames, pingFrame, retryFrame } from './frames.js';
import type { RunHub } from './run-hub.js';
import type { StreamTicker } from './stream-ticker.js';

export interface RunStreamOptions {
  hub: RunHub;
  ticker: StreamTicker;
  sessionId: string;
  /** What the stream opens with: a snapshot frame (in chunks) at its seq, or nothing before the events after `seq`. */
  start: { seq: number; snapshot?: readonly Uint8Array[]; ended?: boolean };
  now(): number;
  /** Bytes the stream may hold unsent before it stops writing (its queue's high-water mark). */
  maxUnsentBytes?: number;
  /** Closes the underlying connection at once (the Node entry destroys the socket); resolves once it is closed. */
  abortConnection?: (() => void) | (() => Promise<void>);
  /** Told, in one line, of each client the stream cuts. */
  logger?: Logger;
  onClose?: () => void;
}

export const defaultMaxUnsentBytes = 256 * 1024;

export function openRunStream(options: RunStreamOptions): ReadableStream<Uint8Array> {
  const { hub, ticker, sessionId } = options;
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  let cursor = options.start.seq;
  let closed = false;
  let cancelled = false;
  let stalled: number | undefined;
  let subscription: ReturnType<RunHub['subscribe']> | undefined;

  const release = () => {
    if (closed) return;
    closed = true;
    subscription?.unsubscribe();
    ticker.remove(handle);
    options.onClose?.();
  };
  const finish = () => {
    if (closed) return;
    release();
    controller.close();
  };
  const room = () => (controller.desiredSize ?? 0) > 0;

  let pumping = false;
  /** Sends everything after the cursor that fits. */
  const pump = () => {
    // enqueue() may call pull() at once, which pumps: the outer loop goes on instead.
    if (closed || !subscription || pumping) return;
    pumping = true;
    try {
      send(subscription.feed);
    } finally {
      pumping = false;
    }
  };

  const send = (feed: ReturnType<RunHub['subscribe']>['feed']) => {
    while (room()) {
      const last = feed.lastSeq();
      if (cursor >= last) break;
      let chunk = feed.bytesAfter(cursor);
      if (!chunk) {
        // Behind the shared window: this connection catches up from the database on its own.
        const frames = hub.readFrames(sessionId, cursor, last);
        if (frames.length === 0 || frames[0]!.seq !== cursor + 1) {
          // Rows behind the cursor were deleted under it: the client resumes and gets a snapshot.
          abort('gap');
          return;
        }
        const lastFrame = frames[frames.length - 1]!;
        chunk = { bytes: concatFrames(frames.map((frame) => frame.bytes)), lastSeq: lastFrame.seq, ends: lastFrame.type === 'end' };
      }
      cursor = chunk.lastSeq;
      controller.enqueue(chunk.bytes);
      if (chunk.ends) {
        finish();
        return;
      }
    }
    stalled = room() || cursor >= feed.lastSeq() ? undefined : (stalled ?? options.now());
  };

  const abort = (reason: string) => {
    if (closed) return;
    release();
    if (reason === 'gap') options.logger?.info(`stream ${sessionId}: closed a client at seq ${cursor}, whose next events were deleted (it resumes from a snapshot)`);
    else options.logger?.warn(`stream ${sessionId}: cut a ${reason} client at seq ${cursor}`);
    // The closed connection makes the runtime's writer cancel the stream, as when a client leaves.
    // Erroring it first would be reported as a failed response (@hono/node-server prints the
    // error's stack on stderr): the error is only for a reader that nobody cancels.
    let connectionClosed: void | Promise<void> = undefined;
    try {
      connectionClosed = options.abortConnection?.();
    } catch {
      // Already gone: nothing more to close.
    }
    void Promise.resolve(connectionClosed)
      .catch(() => undefined)
      .then(() => {
        if (!cancelled) controller.error(new Error(`stream closed: ${reason}`));
      });
  };

  const handle = {
    ping: () => {
      if (closed) return;
      if (room()) controller.enqueue(pingFrame);
      else stalled ??= options.now();
    },
    stalledSince: () => stalled,
    abort,
  };

  return new ReadableStream<Uint8Array>(
    {
      start(c) {
        controller = c;
        controller.enqueue(retryFrame(3000));
        for (const chunk of options.start.snapshot ?? []) controller.enqueue(chunk);
        if (options.start.ended) {
          finish();
          return;
        }
        subscription = hub.subscribe(sessionId, { wake: pump });
        ticker.add(handle);
        pump();
      },
      pull() {
        stalled = undefined;
        pump();
      },
      cancel() {
        cancelled = true;
        release();
      },
    },
    new ByteLengthQueuingStrategy({ highWaterMark: options.maxUnsentBytes ?? defaultMaxUnsentBytes }),
  );
}
