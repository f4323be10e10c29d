// One per process: tells the run streams when new events are stored. An in-process signal when
// this process appends, and a watch of SQLite's data_version for appends by other processes on the
// same file. New rows are read once per process and run, encoded once, and kept in a bounded
// window of recent frames that every connection of the run shares; a connection behind the window
// catches up from the database by itself. No connection holds a queue of its own.
import { and, asc, eq, gt, lte, max, sql } from 'drizzle-orm';
import { runEvents } from '../db/schema.js';
import type { Db } from '../db/types.js';
import type { Logger } from '../logger.js';
import { concatFrames, eventFrame } from './frames.js';
import { errorText } from '../domain/error-text.js';

export interface HubOptions {
  /** How often another process's appends are looked for (SPEC: live within 250 ms). */
  watchMs?: number;
  /** Frames kept per run for connections that are (nearly) caught up. */
  windowFrames?: number;
  /** Rows read from the database per query. */
  batchRows?: number;
}

export interface Frame {
  seq: number;
  type: string;
  bytes: Uint8Array;
}

/** A reader of one run's frames: the hub calls `wake` after new frames of its run are stored. */
export interface FeedListener {
  wake(): void;
}

export interface RunFeed {
  readonly sessionId: string;
  /** The last seq this process has read of the run. */
  lastSeq(): number;
  /** Frames after `seq`, from the shared window, or undefined when `seq` is behind the window. */
  framesAfter(seq: number): Frame[] | undefined;
  /**
   * The same frames joined into one chunk, joined once for every connection at this cursor (most
   * connections of a run are at the same one).
   */
  bytesAfter(seq: number): { bytes: Uint8Array; lastSeq: number; ends: boolean } | undefined;
}

class Feed implements RunFeed {
  readonly listeners = new Set<FeedListener>();
  private window: Frame[] = [];
  private last: number;

  constructor(
    readonly sessionId: string,
    startSeq: number,
    private readonly capacity: number,
  ) {
    this.last = startSeq;
  }

  lastSeq() {
    return this.last;
  }

  framesAfter(seq: number): Frame[] | undefined {
    if (seq >= this.last) return [];
    const first = this.window[0];
    if (!first || seq + 1 < first.seq) return undefined;
    return this.window.slice(seq + 1 - first.seq);
  }

  private joined = new Map<number, { bytes: Uint8Array; lastSeq: number; ends: boolean }>();

  bytesAfter(seq: number) {
    let chunk = this.joined.get(seq);
    if (!chunk) {
      const frames = this.framesAfter(seq);
      if (!frames || frames.length === 0) return undefined;
      const last = frames[frames.length - 1]!;
      chunk = { bytes: concatFrames(frames.map((frame) => frame.bytes)), lastSeq: last.seq, ends: last.type === 'end' };
      this.joined.set(seq, chunk);
    }
    return chunk;
  }

  add(frames: Frame[]) {
    if (!frames.length) return;
    this.joined.clear();
    this.window.push(...frames);
    if (this.window.length > this.capacity) this.window = this.window.slice(this.window.length - this.capacity);
    this.last = frames[frames.length - 1]!.seq;
  }
}

export type RunHub = ReturnType<typeof createRunHub>;

export function createRunHub(db: Db, logger: Logger, options: HubOptions = {}) {
  const watchMs = options.watchMs ?? 100;
  const capacity = options.windowFrames ?? 1024;
  const batchRows = options.batchRows ?? 500;
  const feeds = new Map<string, Feed>();
  const dirty = new Set<string>();
  let flushScheduled = false;
  let watch: ReturnType<typeof setInterval> | undefined;
  let dataVersion: number | undefined;

  const readDataVersion = () => (db.get(sql`pragma data_version`) as { data_version: number } | undefined)?.data_version;
  const lastSeqOf = db
    .select({ seq: max(runEvents.seq) })
    .from(runEvents)
    .where(eq(runEvents.sessionId, sql.placeholder('sessionId')))
    .prepare();
  const newRows = db
    .select({ seq: runEvents.seq, type: runEvents.type, data: runEvents.data })
    .from(runEvents)
    .where(and(eq(runEvents.sessionId, sql.placeholder('sessionId')), gt(runEvents.seq, sql.placeholder('afterSeq'))))
    .orderBy(asc(runEvents.seq))
    .limit(batchRows)
    .prepare();
  const maxSeq = (sessionId: string) => lastSeqOf.get({ sessionId })?.seq ?? 0;

  /** Reads the new rows of every dirty feed (once, whatever the number of listeners) and wakes their listeners. */
  const flush = () => {
    flushScheduled = false;
    for (const sessionId of dirty) {
      dirty.delete(sessionId);
      const feed = feeds.get(sessionId);
      if (!feed) continue;
      try {
        for (;;) {
          const rows = newRows.all({ sessionId, afterSeq: feed.lastSeq() });
          feed.add(rows.map((row) => ({ seq: row.seq, type: row.type, bytes: eventFrame(row.seq, row.type, row.data) })));
          if (rows.length < batchRows) break;
        }
      } catch (error) {
        logger.error(`stream: reading run ${sessionId} failed: ${errorText(error)}`);
      }
      for (const listener of [...feed.listeners]) listener.wake();
    }
  };

  const scheduleFlush = () => {
    if (flushScheduled) return;
    flushScheduled = true;
    // On the next turn of the event loop, not in a microtask: the commits of a whole turn (a
    // fast gateway commits many) reach each connection as one write, and the walk is not held
    // up by the fan-out between two of its commits.
    if (typeof setImmediate === 'function') setImmediate(flush);
    else setTimeout(flush, 0);
  };

  /** Another process may have appended: look at data_version, cheap, and only while someone listens. */
  const checkOtherProcesses = () => {
    try {
      const version = readDataVersion();
      if (version === dataVersion) return;
      dataVersion = version;
      for (const feed of feeds.values()) {
        if (maxSeq(feed.sessionId) > feed.lastSeq()) dirty.add(feed.sessionId);
      }
      if (dirty.size) scheduleFlush();
    } catch (error) {
      logger.warn(`stream: data_version watch failed: ${errorText(error)}`);
    }
  };

  return {
    /** The engine calls this after each commit that appended events to a run. */
    notify(sessionId: string, seq: number) {
      const feed = feeds.get(sessionId);
      if (!feed || seq <= feed.lastSeq()) return;
      dirty.add(sessionId);
      scheduleFlush();
    },

    /**
     * Listens to a run from `fromSeq` on; answers the feed and a function that stops listening.
     * The feed starts at the run's current last seq, so nothing before it is read twice.
     */
    subscribe(sessionId: string, listener: FeedListener): { feed: RunFeed; unsubscribe: () => void } {
      // The data_version baseline is read before the feed's start, so a commit by another process
      // in between is seen by the next watch tick.
      if (!watch) {
        dataVersion = readDataVersion();
        watch = setInterval(checkOtherProcesses, watchMs);
      }
      let feed = feeds.get(sessionId);
      if (!feed) {
        feed = new Feed(sessionId, maxSeq(sessionId), capacity);
        feeds.set(sessionId, feed);
      }
      feed.listeners.add(listener);
      const owned = feed;
      return {
        feed: owned,
        unsubscribe: () => {
          owned.listeners.delete(listener);
          if (owned.listeners.size === 0 && feeds.get(sessionId) === owned) feeds.delete(sessionId);
          if (feeds.size === 0 && watch) {
            clearInterval(watch);
            watch = undefined;
          }
        },
      };
    },

    /** Stored frames of a run after `afterSeq` up to `toSeq`, for a connection behind the window. */
    readFrames(sessionId: string, afterSeq: number, toSeq: number, limit = batchRows): Frame[] {
      return db
        .select({ seq: runEvents.seq, type: runEvents.type, data: runEvents.data })
        .from(runEvents)
        .where(and(eq(runEvents.sessionId, sessionId), gt(runEvents.seq, afterSeq), lte(runEvents.seq, toSeq)))
        .orderBy(asc(runEvents.seq))
        .limit(limit)
        .all()
        .map((row) => ({ seq: row.seq, type: row.type, bytes: eventFrame(row.seq, row.type, row.data) }));
    },

    /** For tests and the benchmark: how many listeners and watch timers are live. */
    stats() {
      let listeners = 0;
      for (const feed of feeds.values()) listeners += feed.listeners.size;
      return { feeds: feeds.size, listeners, watching: watch !== undefined };
    },
  };
}
