// A run's events: every event appended here also updates the run's rows it describes, in the
// caller's SQLite transaction, so the assembled snapshot is always the fold of the stored events.
import { and, asc, eq, gt, sql } from 'drizzle-orm';
import { value } from '../db/placeholder.js';
import { preparedFor } from '../db/prepared.js';
import { isoTime } from '../clock.js';
import { runAccounts, runEvents, runs, runTransactions } from '../db/schema.js';
import type { Db } from '../db/types.js';
import type { RunEvent, RunEventBody, RunSnapshot, RunTransaction } from '../domain/run.js';
import { runOverview, runRow } from './runs.js';

const insertChunk = 500;

const writer = preparedFor((db) => ({
  lastSeq: db.select({ lastSeq: runs.lastSeq }).from(runs).where(eq(runs.sessionId, value('sessionId'))).prepare(),
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

/**
 * Appends events with the next sequence numbers and applies each to the run's rows. Call inside
 * the SQLite transaction that makes the domain change the events describe, with the root handle.
 * Answers the last seq.
 */
export function appendEvents(db: Db, sessionId: string, bodies: readonly RunEventBody[], now: number): number {
  const statements = writer(db);
  const run = statements.lastSeq.get({ sessionId });
  if (!run) throw new Error(`Run ${sessionId} does not exist`);
  let seq = run.lastSeq;
  for (const body of bodies) {
    seq += 1;
    applyToRows(db, sessionId, body);
    statements.insertEvent.run({ sessionId, seq, type: body.type, data: JSON.stringify(body.data), now });
  }
  statements.setLastSeq.run({ sessionId, seq });
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
      for (let i = 0; i < rows.length; i += insertChunk) db.insert(runAccounts).values(rows.slice(i, i + insertChunk)).run();
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
      for (let i = 0; i < rows.length; i += insertChunk) db.insert(runTransactions).values(rows.slice(i, i + insertChunk)).run();
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
    .select()
    .from(runEvents)
    .where(and(eq(runEvents.sessionId, value('sessionId')), gt(runEvents.seq, value('afterSeq'))))
    .orderBy(asc(runEvents.seq))
    .limit(sql.placeholder('limit'))
    .prepare(),
}));

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

/** Stored events after `afterSeq`, in order, at most `limit`. */
export function runEventsAfter(db: Db, sessionId: string, afterSeq: number, limit = 1000): RunEvent[] {
  return reader(db)
    .eventsAfter.all({ sessionId, afterSeq, limit })
    .map((row) => ({ seq: row.seq, type: row.type, data: JSON.parse(row.data) }) as RunEvent);
}

