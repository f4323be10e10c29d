// A run's events, the one module that reads or writes run_events: append (which also updates the
// run's rows in the caller's transaction, so the snapshot is always the fold of the stored events),
// events after a seq, the run's last seq, and its snapshot at that seq.
import { and, asc, eq, getTableColumns, gt, lte, sql } from 'drizzle-orm';
import { value } from '../db/placeholder.js';
import { preparedFor } from '../db/prepared.js';
import { isoTime } from '../clock.js';
import { runAccounts, runEvents, runs, runTransactions } from '../db/schema.js';
import type { Db } from '../db/types.js';
import type { RunEvent, RunEventBody, RunSnapshot, RunTransaction } from '../domain/run.js';
import { runOverview, runRow } from './runs.js';
import { enqueueDelivery } from './webhook-outbox.js';
import { rowsPerStatement } from '../db/limits.js';

/** Rows per multi-row INSERT: 500, or fewer where a statement's parameters are capped (src/db/limits.ts). */
const insertChunk = (columns: number) => rowsPerStatement(columns, 500);
/** Every column of a row is a bound parameter of a multi-row INSERT (drizzle binds defaults too). */
const columnCount = (table: Parameters<typeof getTableColumns>[0]) => Object.keys(getTableColumns(table)).length;

const writer = preparedFor((db) => ({
  setLastSeq: db.update(runs).set({ lastSeq: value('seq') }).where(eq(runs.sessionId, value('sessionId'))).prepare(),
  insertEvent: db
    .insert(runEvents)
    .values({ sessionId: value('sessionId'), seq: value('seq'), type: value('type'), data: value('data'), createdAt: value('now') })
    .prepare(),
  step: db.update(runs).set({ currentStep: value('currentStep') }).where(eq(runs.sessionId, value('sessionId'))).prepare(),
  account: db
    .update(runAccounts)
    .set({ robux: value('robux'), status: value('status') })
    .where(and(eq(runAccounts.sessionId, value('sessionId')), eq(runAccounts.accountId, value('id'))))
    .prepare(),
  transaction: db
    .update(runTransactions)
    .set({ status: value('status'), usedAccount: value('usedAccount'), error: value('error'), timestamp: value('timestamp') })
    .where(and(eq(runTransactions.sessionId, value('sessionId')), eq(runTransactions.invoiceId, value('invoiceId'))))
    .prepare(),
  summary: db
    .update(runs)
    .set({
      totalTransactions: value('totalTransactions'),
      processedCount: value('processedCount'),
      skippedCount: value('skippedCount'),
      failedCount: value('failedCount'),
      unknownCount: value('unknownCount'),
    })
    .where(eq(runs.sessionId, value('sessionId')))
    .prepare(),
}));

export interface AppendOptions {
  /** NOTIFY_WEBHOOK_URL is set: an `end` also enqueues the run's overview in the webhook outbox. */
  notify?: boolean;
}

/**
 * Appends events with the next sequence numbers and applies each to the run's rows. Call inside
 * the SQLite transaction that makes the domain change the events describe, with the root handle.
 * Every end of a run (walk, failure, recovery, shutdown) comes through here, so with `notify` its
 * webhook delivery is written in the very transaction that ends it. Answers the last seq.
 */
export function appendEvents(db: Db, sessionId: string, bodies: readonly RunEventBody[], now: number, options: AppendOptions = {}): number {
  const statements = writer(db);
  const head = runHead(db, sessionId);
  if (!head) throw new Error(`Run ${sessionId} does not exist`);
  let seq = head.lastSeq;
  for (const body of bodies) {
    seq += 1;
    applyToRows(db, sessionId, body);
    statements.insertEvent.run({ sessionId, seq, type: body.type, data: JSON.stringify(body.data), now });
  }
  statements.setLastSeq.run({ sessionId, seq });
  if (options.notify && bodies.some((body) => body.type === 'end')) {
    enqueueDelivery(db, { sessionId, body: JSON.stringify(runOverview(runRow(db, sessionId)!)), now });
  }
  return seq;
}

function applyToRows(db: Db, sessionId: string, event: RunEventBody): void {
  const statements = writer(db);
  const ofRun = eq(runs.sessionId, sessionId);
  switch (event.type) {
    case 'step':
      statements.step.run({ sessionId, currentStep: event.data.currentStep });
      return;
    case 'accounts': {
      db.delete(runAccounts).where(eq(runAccounts.sessionId, sessionId)).run();
      const rows = event.data.stockAccounts.map((a, position) => ({ sessionId, position, accountId: a.id, username: a.username, robux: a.robux, status: a.status }));
      for (let i = 0, n = insertChunk(columnCount(runAccounts)); i < rows.length; i += n) db.insert(runAccounts).values(rows.slice(i, i + n)).run();
      return;
    }
    case 'account':
      statements.account.run({ sessionId, id: event.data.id, robux: event.data.robux, status: event.data.status });
      return;
    case 'transactions': {
      db.delete(runTransactions).where(eq(runTransactions.sessionId, sessionId)).run();
      const rows = event.data.transactions.map((t, position) => ({
        sessionId,
        position,
        invoiceId: t.invoiceId,
        gamepassName: t.gamepassName,
        gamepassPrice: t.gamepassPrice,
        status: t.status,
        usedAccount: t.usedAccount ?? null,
        error: t.error ?? null,
        timestamp: Date.parse(t.timestamp),
      }));
      for (let i = 0, n = insertChunk(columnCount(runTransactions)); i < rows.length; i += n) db.insert(runTransactions).values(rows.slice(i, i + n)).run();
      db.update(runs).set({ totalTransactions: event.data.totalTransactions }).where(ofRun).run();
      return;
    }
    case 'transaction':
      statements.transaction.run({
        sessionId,
        invoiceId: event.data.invoiceId,
        status: event.data.status,
        usedAccount: event.data.usedAccount ?? null,
        error: event.data.error ?? null,
        timestamp: Date.parse(event.data.timestamp),
      });
      return;
    case 'summary':
      statements.summary.run({ sessionId, ...event.data });
      return;
    case 'end':
      db.update(runs)
        .set({ status: event.data.status, endTime: Date.parse(event.data.endTime), error: event.data.error ?? null })
        .where(ofRun)
        .run();
      return;
  }
}

const reader = preparedFor((db) => ({
  eventsAfter: db
    .select({ seq: runEvents.seq, type: runEvents.type, data: runEvents.data })
    .from(runEvents)
    .where(and(eq(runEvents.sessionId, value('sessionId')), gt(runEvents.seq, value('afterSeq')), lte(runEvents.seq, value('toSeq'))))
    .orderBy(asc(runEvents.seq))
    .limit(sql.placeholder('limit'))
    .prepare(),
  head: db.select({ lastSeq: runs.lastSeq, status: runs.status }).from(runs).where(eq(runs.sessionId, value('sessionId'))).prepare(),
}));

/** An event as stored: its data is the JSON text, so a stream frames it without parsing it. */
export interface StoredEvent {
  seq: number;
  type: string;
  data: string;
}

/** Which stored events to read: those up to `toSeq` (default: all), at most `limit` (default 1000). */
export interface EventRange {
  toSeq?: number;
  limit?: number;
}

/** Stored events after `afterSeq`, in order: the one read of run_events, for streams and tests alike. */
export function storedEventsAfter(db: Db, sessionId: string, afterSeq: number, range: EventRange = {}): StoredEvent[] {
  return reader(db).eventsAfter.all({ sessionId, afterSeq, toSeq: range.toSeq ?? Number.MAX_SAFE_INTEGER, limit: range.limit ?? 1000 });
}

/** The same events, parsed. */
export function runEventsAfter(db: Db, sessionId: string, afterSeq: number, limit = 1000): RunEvent[] {
  return storedEventsAfter(db, sessionId, afterSeq, { limit }).map((row) => ({ seq: row.seq, type: row.type, data: JSON.parse(row.data) }) as RunEvent);
}

/** Where a run stands: its last seq (runs.last_seq, set by every append) and whether it has ended. */
export function runHead(db: Db, sessionId: string): { lastSeq: number; ended: boolean } | undefined {
  const row = reader(db).head.get({ sessionId });
  return row && { lastSeq: row.lastSeq, ended: row.status !== 'running' };
}

/** The SPEC §2 snapshot assembled from the run's rows, with the seq it stands at: one read transaction. */
export function runSnapshot(db: Db, sessionId: string): { snapshot: RunSnapshot; seq: number } | undefined {
  return db.transaction(
    (tx) => {
      const row = runRow(tx, sessionId);
      if (!row) return undefined;
      const overview = runOverview(row);
      const stockAccounts = tx
        .select({ id: runAccounts.accountId, username: runAccounts.username, robux: runAccounts.robux, status: runAccounts.status })
        .from(runAccounts)
        .where(eq(runAccounts.sessionId, sessionId))
        .orderBy(asc(runAccounts.position))
        .all();
      const transactions = runTransactionList(tx, sessionId);
      const snapshot: RunSnapshot = {
        sessionId: overview.sessionId,
        status: overview.status,
        currentStep: overview.currentStep,
        ...(overview.triggeredBy ? { triggeredBy: overview.triggeredBy } : {}),
        stockAccounts,
        transactions,
        summary: overview.summary,
        startTime: overview.startTime,
        ...(overview.endTime ? { endTime: overview.endTime } : {}),
        ...(overview.error !== undefined ? { error: overview.error } : {}),
        createdAt: overview.createdAt,
      };
      return { snapshot, seq: row.lastSeq };
    },
    { behavior: 'deferred' },
  );
}

/** The run's transactions as the snapshot lists them. */
export function runTransactionList(db: Db, sessionId: string): RunTransaction[] {
  return db
    .select()
    .from(runTransactions)
    .where(eq(runTransactions.sessionId, sessionId))
    .orderBy(asc(runTransactions.position))
    .all()
    .map(
      (t): RunTransaction => ({
        invoiceId: t.invoiceId,
        gamepassName: t.gamepassName,
        gamepassPrice: t.gamepassPrice,
        status: t.status,
        ...(t.usedAccount != null ? { usedAccount: t.usedAccount } : {}),
        ...(t.error != null ? { error: t.error } : {}),
        timestamp: isoTime(t.timestamp),
      }),
    );
}
