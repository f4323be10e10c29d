// One per process: reads a run's new events once (whatever the number of its connections), encodes
// them once into the run's shared window, and wakes its connections. Depends only on a RunFeed.
import { errorText } from '../domain/error-text.js';
import type { Logger } from '../logger.js';
import { FrameWindow } from './frame-window.js';
import { chunkOf, eventFrame, type Chunk, type Frame } from './frames.js';
import type { FeedEvent, RunFeed } from './run-feed.js';

export interface HubOptions {
  /** Frames kept per run for connections that are (nearly) caught up. */
  windowFrames?: number;
  /** Events read from the feed per query. */
  batchRows?: number;
}

/** A reader of one run's frames: the hub calls `wake` after new frames of its run are read. */
export interface RunListener {
  wake(): void;
}

/** One run's frames as its connections see them. */
export interface RunFrames {
  readonly sessionId: string;
  /** The last seq this process has read of the run. */
  lastSeq(): number;
  /** Frames after `seq`, from the shared window, or undefined when `seq` is behind the window. */
  framesAfter(seq: number): Frame[] | undefined;
  /** The same frames joined into one chunk, shared by every connection at this cursor. */
  bytesAfter(seq: number): Chunk | undefined;
  /**
   * What a connection at `seq` sends next: from the window, or read from the feed when behind it;
   * 'gap' when the events after `seq` are no longer stored (the client resumes from a snapshot).
   */
  chunkAfter(seq: number): Chunk | 'gap' | undefined;
}

const encode = (events: readonly FeedEvent[]): Frame[] =>
  events.map((event) => ({ seq: event.seq, type: event.type, bytes: eventFrame(event.seq, event.type, event.data) }));

/** Stored frames of a run after `afterSeq` up to `toSeq`, encoded. */
const storedFrames = (feed: RunFeed, sessionId: string, afterSeq: number, toSeq: number, limit: number): Frame[] =>
  encode(feed.eventsAfter(sessionId, afterSeq, { toSeq, limit }));

/** A run with listeners in this process: its shared window, and the catch-up reads of connections behind it. */
class HubRun extends FrameWindow implements RunFrames {
  readonly listeners = new Set<RunListener>();

  /** Call after subscribing to the feed: the window starts at the run's last seq read then, so no event falls between. */
  constructor(
    readonly sessionId: string,
    private readonly feed: RunFeed,
    private readonly batchRows: number,
    capacity: number,
    readonly stop: () => void,
  ) {
    super(feed.head(sessionId)?.lastSeq ?? 0, capacity);
  }

  /** Reads the run's new events into the window: once, for every listener. */
  readNew() {
    for (;;) {
      const events = this.feed.eventsAfter(this.sessionId, this.lastSeq(), { limit: this.batchRows });
      this.add(encode(events));
      if (events.length < this.batchRows) return;
    }
  }

  chunkAfter(seq: number): Chunk | 'gap' | undefined {
    if (seq >= this.lastSeq()) return undefined;
    const shared = this.bytesAfter(seq);
    if (shared) return shared;
    const frames = storedFrames(this.feed, this.sessionId, seq, this.lastSeq(), this.batchRows);
    return frames[0]?.seq === seq + 1 ? chunkOf(frames) : 'gap';
  }
}

/**
 * Collects keys marked during a turn of the event loop and hands them to `flush` on the next turn
 * (not in a microtask): a whole turn's commits reach each connection as one write, and the walk is
 * not held up by the fan-out between two of its commits.
 */
function perTurn(flush: (keys: Set<string>) => void): (key: string) => void {
  const marked = new Set<string>();
  let scheduled = false;
  const run = () => {
    scheduled = false;
    flush(marked);
  };
  return (key) => {
    marked.add(key);
    if (scheduled) return;
    scheduled = true;
    if (typeof setImmediate === 'function') setImmediate(run);
    else setTimeout(run, 0);
  };
}

export type RunHub = ReturnType<typeof createRunHub>;

export function createRunHub(feed: RunFeed, logger: Logger, options: HubOptions = {}) {
  const capacity = options.windowFrames ?? 1024;
  const batchRows = options.batchRows ?? 500;
  const runs = new Map<string, HubRun>();

  /** Reads the new events of every run marked stored, once, and wakes its listeners. */
  const stored = perTurn((marked) => {
    for (const sessionId of marked) {
      marked.delete(sessionId);
      const run = runs.get(sessionId);
      if (!run) continue;
      try {
        run.readNew();
      } catch (error) {
        logger.error(`stream: reading run ${sessionId} failed: ${errorText(error)}`);
      }
      for (const listener of [...run.listeners]) listener.wake();
    }
  });

  const open = (sessionId: string): HubRun => {
    const stop = feed.subscribe(sessionId, () => stored(sessionId));
    let run: HubRun;
    try {
      run = new HubRun(sessionId, feed, batchRows, capacity, stop);
    } catch (error) {
      // A failed first read must not leave the feed's subscription (and its watch timer) behind.
      stop();
      throw error;
    }
    runs.set(sessionId, run);
    return run;
  };

  return {
    /** The storage and notifier the hub reads through (the snapshot cache shares it). */
    feed,

    /** Listens to a run; answers its frames and a function that stops listening. */
    subscribe(sessionId: string, listener: RunListener): { frames: RunFrames; unsubscribe: () => void } {
      const run = runs.get(sessionId) ?? open(sessionId);
      run.listeners.add(listener);
      return {
        frames: run,
        unsubscribe: () => {
          run.listeners.delete(listener);
          if (run.listeners.size > 0 || runs.get(sessionId) !== run) return;
          runs.delete(sessionId);
          run.stop();
        },
      };
    },

    /** Stored frames of a run after `afterSeq` up to `toSeq`, as a connection behind the window reads them. */
    readFrames: (sessionId: string, afterSeq: number, toSeq: number, limit = batchRows) => storedFrames(feed, sessionId, afterSeq, toSeq, limit),

    /** For tests and the benchmark: how many runs and listeners are live, and whether the feed watches. */
    stats() {
      let listeners = 0;
      for (const run of runs.values()) listeners += run.listeners.size;
      return { feeds: runs.size, listeners, watching: feed.watching?.() ?? false };
    },
  };
}
