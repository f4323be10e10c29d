// The one function that turns a run's events into its snapshot (SPEC §5). The server's tests, the
// admin client and the command-line watcher all fold with it. O(1) per event, except the two list
// events, which replace a whole list.
import { emptySummary, type RunEvent, type RunEventBody, type RunHeader, type RunSnapshot } from './run.js';

/** Where each row sits in the snapshot's lists, so one changed row is found without a scan. */
export interface FoldIndex {
  transactions: Map<string, number>;
  accounts: Map<string, number>;
}

/** The run as it is created, before its first event. */
export function emptyRun(header: RunHeader): RunSnapshot {
  return {
    sessionId: header.sessionId,
    status: 'running',
    currentStep: '',
    ...(header.triggeredBy ? { triggeredBy: { ...header.triggeredBy } } : {}),
    stockAccounts: [],
    transactions: [],
    summary: emptySummary(),
    startTime: header.startTime,
    createdAt: header.createdAt,
  };
}

export function indexOf(snapshot: RunSnapshot): FoldIndex {
  return {
    transactions: new Map(snapshot.transactions.map((row, i) => [row.invoiceId, i])),
    accounts: new Map(snapshot.stockAccounts.map((row, i) => [row.id, i])),
  };
}

/**
 * Applies one event to the snapshot in place (so a Solid store's `produce` draft works as well as a
 * plain object) and keeps the index in step.
 */
export function applyEvent(snapshot: RunSnapshot, index: FoldIndex, event: RunEventBody): void {
  switch (event.type) {
    case 'step':
      snapshot.currentStep = event.data.currentStep;
      return;
    case 'accounts':
      snapshot.stockAccounts = event.data.stockAccounts.map((row) => ({ ...row }));
      index.accounts = new Map(snapshot.stockAccounts.map((row, i) => [row.id, i]));
      return;
    case 'account': {
      const at = index.accounts.get(event.data.id);
      const row = at === undefined ? undefined : snapshot.stockAccounts[at];
      if (row) {
        row.robux = event.data.robux;
        row.status = event.data.status;
      }
      return;
    }
    case 'transactions':
      snapshot.transactions = event.data.transactions.map((row) => ({ ...row }));
      snapshot.summary.totalTransactions = event.data.totalTransactions;
      index.transactions = new Map(snapshot.transactions.map((row, i) => [row.invoiceId, i]));
      return;
    case 'transaction': {
      const at = index.transactions.get(event.data.invoiceId);
      const row = at === undefined ? undefined : snapshot.transactions[at];
      if (!row) return;
      row.status = event.data.status;
      row.timestamp = event.data.timestamp;
      if (event.data.usedAccount === undefined) delete row.usedAccount;
      else row.usedAccount = event.data.usedAccount;
      if (event.data.error === undefined) delete row.error;
      else row.error = event.data.error;
      return;
    }
    case 'summary':
      snapshot.summary = { ...event.data };
      return;
    case 'end':
      snapshot.status = event.data.status;
      snapshot.endTime = event.data.endTime;
      if (event.data.error === undefined) delete snapshot.error;
      else snapshot.error = event.data.error;
      return;
  }
}

/** Folds events in order onto a snapshot (a copy: the input is left alone). */
export function foldEvents(start: RunSnapshot, events: Iterable<RunEvent | RunEventBody>): RunSnapshot {
  const snapshot = structuredClone(start);
  const index = indexOf(snapshot);
  for (const event of events) applyEvent(snapshot, index, event);
  return snapshot;
}
