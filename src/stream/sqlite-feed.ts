// The run feed over SQLite: the engine's in-process notify and, where other processes may write
// the same file (Node), a watch of SQLite's data_version for their appends (SPEC §5: live within
// 250 ms). The driver-specific read of data_version comes from the Node adapter (src/db/open.ts).
import type { Db } from '../db/types.js';
import { errorText } from '../domain/error-text.js';
import type { Logger } from '../logger.js';
import { runHead, runSnapshot, storedEventsAfter } from '../stores/run-events.js';
import type { RunFeed } from './run-feed.js';

export interface SqliteFeedOptions {
  /** How often another process's appends are looked for. */
  watchMs?: number;
  /**
   * Reads SQLite's data_version (the Node adapter's `OpenDatabase.dataVersion`): another process's
   * commits change it. Without it (a Durable Object: one writer, every append told through
   * notify()) nothing is watched.
   */
  dataVersion?: () => number | undefined;
}

/** One watched run: who to tell, and the last seq told of (so a data_version change about another run tells nobody). */
interface Watched {
  listeners: Set<() => void>;
  seen: number;
}

export type SqliteFeed = ReturnType<typeof createSqliteFeed>;

export function createSqliteFeed(db: Db, logger: Logger, options: SqliteFeedOptions = {}) {
  const watchMs = options.watchMs ?? 100;
  const readDataVersion = options.dataVersion;
  const watched = new Map<string, Watched>();
  let timer: ReturnType<typeof setInterval> | undefined;
  let dataVersion: number | undefined;

  const lastSeq = (sessionId: string) => runHead(db, sessionId)?.lastSeq ?? 0;
  const tell = (run: Watched) => {
    for (const listener of [...run.listeners]) listener();
  };

  /** Another process may have appended: data_version is cheap, and read only while someone listens. */
  const checkOtherProcesses = () => {
    try {
      const version = readDataVersion?.();
      if (version === dataVersion) return;
      dataVersion = version;
      for (const [sessionId, run] of watched) {
        const seq = lastSeq(sessionId);
        if (seq <= run.seen) continue;
        run.seen = seq;
        tell(run);
      }
    } catch (error) {
      logger.warn(`stream: data_version watch failed: ${errorText(error)}`);
    }
  };

  const feed = {
    /** The engine calls this after each commit that appended events to a run. */
    notify(sessionId: string, seq: number) {
      const run = watched.get(sessionId);
      if (!run || seq <= run.seen) return;
      run.seen = seq;
      tell(run);
    },

    subscribe(sessionId: string, stored: () => void) {
      // The data_version baseline is read before the run's last seq (here and by the caller), so
      // another process's commit in between is seen by the next watch tick.
      if (!timer && readDataVersion) {
        dataVersion = readDataVersion();
        timer = setInterval(checkOtherProcesses, watchMs);
      }
      let run = watched.get(sessionId);
      if (!run) {
        run = { listeners: new Set(), seen: lastSeq(sessionId) };
        watched.set(sessionId, run);
      }
      run.listeners.add(stored);
      const owned = run;
      return () => {
        owned.listeners.delete(stored);
        if (owned.listeners.size === 0 && watched.get(sessionId) === owned) watched.delete(sessionId);
        if (watched.size === 0 && timer) {
          clearInterval(timer);
          timer = undefined;
        }
      };
    },

    eventsAfter: (sessionId: string, afterSeq: number, range?: { toSeq?: number; limit?: number }) => storedEventsAfter(db, sessionId, afterSeq, range),
    head: (sessionId: string) => runHead(db, sessionId),
    snapshot: (sessionId: string) => runSnapshot(db, sessionId),
    watching: () => timer !== undefined,
  } satisfies RunFeed & { notify(sessionId: string, seq: number): void };
  return feed;
}
