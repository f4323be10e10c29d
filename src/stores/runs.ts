// The runs table: a run's header and counts, its overview, and the history's listing.
import { and, desc, eq, gte, lt, lte, or, type SQL } from 'drizzle-orm';
import { isoTime } from '../clock.js';
import { value } from '../db/placeholder.js';
import { preparedFor } from '../db/prepared.js';
import { runs } from '../db/schema.js';
import type { Db } from '../db/types.js';
import type { RunHeader, RunStatus, RunSummary } from '../domain/run.js';

export function insertRun(tx: Db, header: { sessionId: string; triggeredBy?: { stockAccountId: string; stockAccountName: string }; now: number }) {
  tx.insert(runs)
    .values({
      sessionId: header.sessionId,
      status: 'running',
      currentStep: '',
      triggeredByAccountId: header.triggeredBy?.stockAccountId ?? null,
      triggeredByAccountName: header.triggeredBy?.stockAccountName ?? null,
      startTime: header.now,
      createdAt: header.now,
    })
    .run();
}

type RunRow = typeof runs.$inferSelect;

export function headerOf(row: RunRow): RunHeader {
  return {
    sessionId: row.sessionId,
    ...(row.triggeredByAccountId
      ? { triggeredBy: { stockAccountId: row.triggeredByAccountId, stockAccountName: row.triggeredByAccountName ?? '' } }
      : {}),
    startTime: isoTime(row.startTime),
    createdAt: isoTime(row.createdAt),
  };
}

function summaryOf(row: RunRow): RunSummary {
  return {
    totalTransactions: row.totalTransactions,
    processedCount: row.processedCount,
    skippedCount: row.skippedCount,
    failedCount: row.failedCount,
    unknownCount: row.unknownCount,
  };
}

/** The run without its lists: what the history shows. */
export function runOverview(row: RunRow) {
  const header = headerOf(row);
  return {
    sessionId: row.sessionId,
    status: row.status,
    currentStep: row.currentStep,
    ...(header.triggeredBy ? { triggeredBy: header.triggeredBy } : {}),
    summary: summaryOf(row),
    startTime: header.startTime,
    ...(row.endTime != null ? { endTime: isoTime(row.endTime) } : {}),
    ...(row.error != null ? { error: row.error } : {}),
    createdAt: header.createdAt,
  };
}

const reader = preparedFor((db) => ({
  run: db.select().from(runs).where(eq(runs.sessionId, value('sessionId'))).prepare(),
}));

export function runRow(db: Db, sessionId: string): RunRow | undefined {
  return reader(db).run.get({ sessionId });
}

export interface RunListFilter {
  status?: RunStatus;
  from?: number;
  to?: number;
  stockAccountId?: string;
  /** Rows strictly older than this (createdAt, sessionId) position. */
  before?: [number, string];
  limit: number;
}

export function runsNewestFirst(db: Db, filter: RunListFilter): RunRow[] {
  const conditions: (SQL | undefined)[] = [];
  if (filter.status) conditions.push(eq(runs.status, filter.status));
  if (filter.from !== undefined) conditions.push(gte(runs.createdAt, filter.from));
  if (filter.to !== undefined) conditions.push(lte(runs.createdAt, filter.to));
  if (filter.stockAccountId) conditions.push(eq(runs.triggeredByAccountId, filter.stockAccountId));
  if (filter.before) {
    const [createdAt, sessionId] = filter.before;
    conditions.push(or(lt(runs.createdAt, createdAt), and(eq(runs.createdAt, createdAt), lt(runs.sessionId, sessionId))));
  }
  return db
    .select()
    .from(runs)
    .where(and(...conditions))
    .orderBy(desc(runs.createdAt), desc(runs.sessionId))
    .limit(filter.limit)
    .all();
}
