// One SSE connection to one run: a ReadableStream (Web standard) that keeps only its cursor, the
// last seq it sent. Woken by the hub, it sends what lies after the cursor, never past the stream's
// byte budget: a slow client holds no growing queue, and one stalled too long is cut and resumes by id.
import type { Logger } from '../logger.js';
import { pingFrame, retryFrame } from './frames.js';
import type { RunFrames, RunHub, RunListener } from './run-hub.js';
import type { StreamTicker, TickedStream } from './stream-ticker.js';

/** What a stream opens with: a snapshot frame (in chunks) at its seq, or nothing before the events after `seq`. */
export interface StreamStart {
  seq: number;
  snapshot?: readonly Uint8Array[];
  /** The run has ended: the stream closes after the snapshot. */
  ended?: boolean;
}

export interface RunStreamOptions {
  hub: RunHub;
  ticker: StreamTicker;
  sessionId: string;
  start: StreamStart;
  now(): number;
  /** Bytes the stream may hold unsent before it stops writing (its queue's high-water mark). */
  maxUnsentBytes?: number;
  /** Closes the underlying connection at once (the Node entry destroys the socket); resolves once it is closed. */
  abortConnection?: (() => void) | (() => Promise<void>);
  /** Told, in one line, of each client the stream cuts. */
  logger?: Logger;
  onClose?: () => void;
  /** Ends the stream (cleanly, like a run's end) when aborted: its credential was revoked. */
  until?: AbortSignal;
  /** Asked at each heartbeat: false ends the stream (its credential expired, or was revoked elsewhere). */
  stillValid?: () => boolean;
}

export const defaultMaxUnsentBytes = 256 * 1024;

export function openRunStream(options: RunStreamOptions): ReadableStream<Uint8Array> {
  const connection = new RunConnection(options);
  return new ReadableStream<Uint8Array>(
    {
      start: (controller) => connection.start(controller),
      pull: () => connection.pull(),
      cancel: () => connection.cancel(),
    },
    new ByteLengthQueuingStrategy({ highWaterMark: options.maxUnsentBytes ?? defaultMaxUnsentBytes }),
  );
}

class RunConnection implements RunListener, TickedStream {
  private controller!: ReadableStreamDefaultController<Uint8Array>;
  private cursor: number;
  private closed = false;
  private cancelled = false;
  private pumping = false;
  private stalled: number | undefined;
  private subscription: { frames: RunFrames; unsubscribe: () => void } | undefined;

  constructor(private readonly options: RunStreamOptions) {
    this.cursor = options.start.seq;
  }

  start(controller: ReadableStreamDefaultController<Uint8Array>) {
    this.controller = controller;
    controller.enqueue(retryFrame(3000));
    for (const chunk of this.options.start.snapshot ?? []) controller.enqueue(chunk);
    if (this.options.start.ended) return this.finish();
    if (this.options.until?.aborted || this.options.stillValid?.() === false) return this.finish();
    this.options.until?.addEventListener('abort', this.revoked, { once: true });
    this.subscription = this.options.hub.subscribe(this.options.sessionId, this);
    this.options.ticker.add(this);
    this.pump();
  }

  pull() {
    this.stalled = undefined;
    this.pump();
  }

  cancel() {
    this.cancelled = true;
    this.release();
  }

  /** The hub read new frames of the run. */
  wake() {
    this.pump();
  }

  ping() {
    if (this.closed) return;
    if (this.options.stillValid?.() === false) return this.finish();
    if (this.room()) this.controller.enqueue(pingFrame);
    else this.stalled ??= this.options.now();
  }

  stalledSince() {
    return this.stalled;
  }

  abort(reason: string) {
    if (this.closed) return;
    this.release();
    const { logger, sessionId } = this.options;
    if (reason === 'gap') logger?.info(`stream ${sessionId}: closed a client at seq ${this.cursor}, whose next events were deleted (it resumes from a snapshot)`);
    else logger?.warn(`stream ${sessionId}: cut a ${reason} client at seq ${this.cursor}`);
    // Closing the connection makes the runtime cancel the stream, as when a client leaves; erroring
    // it first would print a stack on stderr (@hono/node-server). The error is for a reader nobody cancels.
    let connectionClosed: void | Promise<void> = undefined;
    try {
      connectionClosed = this.options.abortConnection?.();
    } catch {
      // Already gone: nothing more to close.
    }
    void Promise.resolve(connectionClosed)
      .catch(() => undefined)
      .then(() => {
        if (!this.cancelled) this.controller.error(new Error(`stream closed: ${reason}`));
      });
  }

  /** Sends everything after the cursor that fits. enqueue() may call pull() at once: the outer loop goes on instead. */
  private pump() {
    if (this.closed || !this.subscription || this.pumping) return;
    this.pumping = true;
    try {
      this.send(this.subscription.frames);
    } finally {
      this.pumping = false;
    }
  }

  private send(frames: RunFrames) {
    while (this.room()) {
      const chunk = frames.chunkAfter(this.cursor);
      if (chunk === undefined) break;
      if (chunk === 'gap') return this.abort('gap');
      this.cursor = chunk.lastSeq;
      this.controller.enqueue(chunk.bytes);
      if (chunk.ends) return this.finish();
    }
    this.stalled = this.room() || this.cursor >= frames.lastSeq() ? undefined : (this.stalled ?? this.options.now());
  }

  private room() {
    return (this.controller.desiredSize ?? 0) > 0;
  }

  private readonly revoked = () => this.finish();

  private release() {
    if (this.closed) return;
    this.closed = true;
    this.options.until?.removeEventListener('abort', this.revoked);
    this.subscription?.unsubscribe();
    this.options.ticker.remove(this);
    this.options.onClose?.();
  }

  private finish() {
    if (this.closed) return;
    this.release();
    this.controller.close();
  }
}
