// What the stream needs of a runtime's storage (like Mercure's Transport): a notifier and three
// reads. SQLite on Node implements it in sqlite-feed.ts; another runtime brings its own.
import type { RunSnapshot } from '../domain/run.js';

/** An event as stored: its data is JSON text, framed without being parsed. */
export interface FeedEvent {
  seq: number;
  type: string;
  data: string;
}

/** Where a run stands: its last seq and whether it has ended. */
export interface RunHead {
  lastSeq: number;
  ended: boolean;
}

export interface RunFeed {
  /**
   * Calls `stored` whenever new events of the run may have been stored (by this process or
   * another); answers the function that stops it.
   */
  subscribe(sessionId: string, stored: () => void): () => void;
  /** Stored events after `afterSeq`, in order, up to `toSeq` when given, at most `limit`. */
  eventsAfter(sessionId: string, afterSeq: number, range?: { toSeq?: number; limit?: number }): FeedEvent[];
  /** Undefined when there is no such run. */
  head(sessionId: string): RunHead | undefined;
  /** The run's snapshot with the seq it stands at (the last seq folded into it). */
  snapshot(sessionId: string): { snapshot: RunSnapshot; seq: number } | undefined;
  /** For tests and the benchmark: whether the notifier holds a live timer. */
  watching?(): boolean;
}
