// Runs as the API shows them: one run's progress snapshot, and the history, newest first.
import type { Db } from '../db/types.js';
import type { RunOverview } from '../domain/api.js';
import { notFound } from '../domain/app-error.js';
import type { Page } from '../domain/paging.js';
import type { RunStatus } from '../domain/run.js';
import { runOverview, runsNewestFirst } from '../stores/runs.js';
import type { EncodedSnapshot, SnapshotCache } from '../stream/snapshot-cache.js';
import { readPage, type PageRequest } from './paging.js';

export interface RunHistoryQuery extends PageRequest {
  status?: RunStatus;
  /** Created at or after / at or before (epoch ms). */
  from?: number;
  to?: number;
  /** Only runs this stock account triggered. */
  stockAccountId?: string;
}

export type RunService = ReturnType<typeof createRunService>;

export function createRunService(deps: { db: Db; snapshots: Pick<SnapshotCache, 'get'> }) {
  const { db, snapshots } = deps;
  return {
    /** The snapshot at the run's last event, encoded once for every reader (and the stream); 404 for an unknown run. */
    progress(sessionId: string): EncodedSnapshot {
      const snapshot = snapshots.get(sessionId);
      if (!snapshot) throw notFound('Run');
      return snapshot;
    },

    history(query: RunHistoryQuery): Page<RunOverview> {
      const { cursor, limit, ...filter } = query;
      const page = readPage(
        { cursor, limit },
        ['number', 'string'],
        (before: [number, string] | undefined, rows) => runsNewestFirst(db, { ...filter, before, limit: rows }),
        (row): [number, string] => [row.createdAt, row.sessionId],
      );
      return { ...page, items: page.items.map((row): RunOverview => runOverview(row)) };
    },
  };
}
