// The run (purchase session) as clients see it: the snapshot of SPEC §2 and the events of SPEC §5.
// Pure types, shared by the server, the admin client and the command-line watcher.

export const runStatuses = ['running', 'completed', 'failed'] as const;
export type RunStatus = (typeof runStatuses)[number];
export type RunTransactionStatus = 'pending' | 'processing' | 'completed' | 'failed' | 'skipped' | 'unknown';
export type RunAccountStatus = 'active' | 'inactive' | 'invalid';

export interface RunAccount {
  id: string;
  username: string;
  robux: number;
  status: RunAccountStatus;
}

export interface RunTransaction {
  invoiceId: string;
  gamepassName: string | null;
  gamepassPrice: number | null;
  status: RunTransactionStatus;
  usedAccount?: string;
  error?: string;
  /** When this row last changed (ISO-8601). */
  timestamp: string;
}

export interface RunSummary {
  totalTransactions: number;
  processedCount: number;
  skippedCount: number;
  failedCount: number;
  unknownCount: number;
}

export interface RunTrigger {
  stockAccountId: string;
  stockAccountName: string;
}

export interface RunSnapshot {
  sessionId: string;
  status: RunStatus;
  currentStep: string;
  triggeredBy?: RunTrigger;
  stockAccounts: RunAccount[];
  transactions: RunTransaction[];
  summary: RunSummary;
  startTime: string;
  endTime?: string;
  error?: string;
  createdAt: string;
}

/** What a run is created with, before any event: the header of its snapshot. */
export interface RunHeader {
  sessionId: string;
  triggeredBy?: RunTrigger;
  startTime: string;
  createdAt: string;
}

export interface RunEventData {
  step: { currentStep: string };
  accounts: { stockAccounts: RunAccount[] };
  account: { id: string; robux: number; status: RunAccountStatus };
  transactions: { transactions: RunTransaction[]; totalTransactions: number };
  transaction: { invoiceId: string; status: RunTransactionStatus; usedAccount?: string; error?: string; timestamp: string };
  summary: RunSummary;
  end: { status: Exclude<RunStatus, 'running'>; endTime: string; error?: string };
}

export type RunEventType = keyof RunEventData;
export const runEventTypes: readonly RunEventType[] = ['step', 'accounts', 'account', 'transactions', 'transaction', 'summary', 'end'];

/** One event body, before it has a sequence number. */
export type RunEventBody = { [K in RunEventType]: { type: K; data: RunEventData[K] } }[RunEventType];

/** A stored event: `seq` counts from 1 within its run, without gaps. */
export type RunEvent = RunEventBody & { seq: number };

export const emptySummary = (): RunSummary => ({
  totalTransactions: 0,
  processedCount: 0,
  skippedCount: 0,
  failedCount: 0,
  unknownCount: 0,
});
