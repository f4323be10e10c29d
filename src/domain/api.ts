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

/** An API token as lists show it (SPEC §12): never the token itself, only its first characters. */
export interface ApiTokenView {
  id: number;
  name: string;
  scope: 'read' | 'operate' | 'admin';
  /** `ap_` and the token's first characters. */
  prefix: string;
  createdAt: string;
  lastUsedAt: string | null;
  expiresAt: string | null;
}

/** `POST /api/tokens`'s answer: the token, shown this once. */
export interface CreatedApiToken {
  token: string;
  apiToken: ApiTokenView;
}

/** One audit-log entry (SPEC §12). */
export interface AuditEntry {
  id: number;
  at: string;
  /** `token "<name>"`, "admin token", "browser session" or "watch link". */
  actor: string;
  /** e.g. `account.add`, `run.start`, `transaction.retry`, `token.create`, `auth.login`. */
  action: string;
  /** e.g. `account:<id>`, `transaction:42`, `run:<sessionId>`, `token:3`. */
  target: string;
  /** `ok`, or what refused it (e.g. `denied`, `conflict`). */
  outcome: string;
  note: string | null;
}

export interface AuditPage {
  entries: AuditEntry[];
  nextCursor?: string;
}

/** `POST …/progress/:sessionId/watch-links`'s answer. */
export interface WatchLink {
  /** The read-only live page: `<origin>/watch/<sessionId>?access_token=wl1…`. */
  url: string;
  /** The run's event stream with the same capability, for `new EventSource(eventsUrl)`. */
  eventsUrl: string;
  expiresAt: string;
}
