// The API's answers (SPEC §2, §4, §8), declared once: the server's presenters and services return
// these, the admin client reads them. Pure types and status lists, no runtime imports.
import type { RunStatus, RunSummary, RunTrigger } from './run.js';

export const accountStatuses = ['active', 'inactive', 'invalid'] as const;
export type AccountStatus = (typeof accountStatuses)[number];

/** A stored order's status (a run's `skipped` is never stored on the order). */
export const transactionStatuses = ['pending', 'processing', 'completed', 'failed', 'unknown'] as const;
export type TransactionStatus = (typeof transactionStatuses)[number];

export interface StockAccount {
  id: string;
  userId: number;
  username: string;
  displayName: string;
  robux: number;
  status: AccountStatus;
  lastChecked: string | null;
  createdAt: string;
  updatedAt: string;
}

/** The admin's hand resolution of an unknown order (the audit log's latest for it). */
export interface Resolution {
  outcome: 'completed' | 'failed';
  note: string;
  at: string;
  actor: string;
}

/** An order; its gamepass may be incomplete (the run fails it "Missing gamepass data"). */
export interface Transaction {
  id: number;
  invoiceId: string;
  gamepass: { id: number | null; name: string | null; price: number | null; sellerId: number | null };
  status: TransactionStatus;
  usedAccount: string | null;
  error: string | null;
  attempts: number;
  createdAt: string;
  updatedAt: string;
  completedAt: string | null;
  resolution?: Resolution;
}

/** A run without its lists: what the history shows. */
export interface RunOverview {
  sessionId: string;
  status: RunStatus;
  currentStep: string;
  triggeredBy?: RunTrigger;
  summary: RunSummary;
  startTime: string;
  endTime?: string;
  error?: string;
  createdAt: string;
}

export interface AccountVolume {
  accountId: string | null;
  username: string;
  purchases: number;
  robux: number;
}

export interface DayVolume {
  day: string;
  purchases: number;
  robux: number;
}

export interface ShopStats {
  from: string;
  to: string;
  transactions: Record<'total' | TransactionStatus, number>;
  successRate: number | null;
  purchases: { count: number; robux: number; meanMs: number | null };
  perAccount: AccountVolume[];
  perDay: DayVolume[];
  runs: Record<RunStatus, number>;
}
