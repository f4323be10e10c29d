// The one place the tables are described. Times are integer milliseconds since the epoch; money
// (robux) and counts are integers.
import { sql } from 'drizzle-orm';
import { blob, check, index, integer, primaryKey, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';

import { accountStatuses, transactionStatuses } from '../domain/api.js';
import { runStatuses } from '../domain/run.js';
import { tokenScopes } from '../domain/scopes.js';

export { accountStatuses, transactionStatuses, type AccountStatus, type TransactionStatus } from '../domain/api.js';

export const attemptOutcomes = ['pending', 'completed', 'failed', 'unknown'] as const;
export type AttemptOutcome = (typeof attemptOutcomes)[number];

export const stockAccounts = sqliteTable(
  'stock_accounts',
  {
    id: text('id').primaryKey(),
    /** The platform's user id: adding a credential of an account already stored updates it. */
    userId: integer('user_id').notNull().unique(),
    username: text('username').notNull(),
    displayName: text('display_name').notNull(),
    robux: integer('robux').notNull(),
    status: text('status', { enum: accountStatuses }).notNull(),
    /** AES-GCM ciphertext of the credential (see credential-cipher.ts); never leaves the server. */
    credentialEnc: text('credential_enc').notNull(),
    lastChecked: integer('last_checked').notNull(),
    createdAt: integer('created_at').notNull(),
    updatedAt: integer('updated_at').notNull(),
  },
  (t) => [
    check('stock_accounts_robux_non_negative', sql`${t.robux} >= 0`),
    check('stock_accounts_status', sql`${t.status} in ('active', 'inactive', 'invalid')`),
  ],
);

export const transactions = sqliteTable(
  'transactions',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    invoiceId: text('invoice_id').notNull().unique(),
    // The gamepass may arrive incomplete: such an order fails later with "Missing gamepass data".
    gamepassId: integer('gamepass_id'),
    gamepassName: text('gamepass_name'),
    gamepassPrice: integer('gamepass_price'),
    gamepassSellerId: integer('gamepass_seller_id'),
    status: text('status', { enum: transactionStatuses }).notNull().default('pending'),
    usedAccountId: text('used_account_id'),
    /** The username of the account that bought it, kept after that account is deleted. */
    usedAccount: text('used_account'),
    error: text('error'),
    attempts: integer('attempts').notNull().default(0),
    createdAt: integer('created_at').notNull(),
    updatedAt: integer('updated_at').notNull(),
    completedAt: integer('completed_at'),
  },
  (t) => [
    index('transactions_status_id').on(t.status, t.id),
    check(
      'transactions_status',
      sql`${t.status} in ('pending', 'processing', 'completed', 'failed', 'unknown')`,
    ),
    check('transactions_price_positive', sql`${t.gamepassPrice} is null or ${t.gamepassPrice} > 0`),
    check('transactions_attempts_non_negative', sql`${t.attempts} >= 0`),
  ],
);

export const purchaseAttempts = sqliteTable(
  'purchase_attempts',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    /** Stored and committed before the gateway is called: the same key never buys twice. */
    idempotencyKey: text('idempotency_key').notNull().unique(),
    transactionId: integer('transaction_id')
      .notNull()
      .references(() => transactions.id, { onDelete: 'restrict' }),
    // An attempt outlives its account: reconciliation needs only the key.
    accountId: text('account_id').references(() => stockAccounts.id, { onDelete: 'set null' }),
    accountUsername: text('account_username').notNull(),
    price: integer('price').notNull(),
    outcome: text('outcome', { enum: attemptOutcomes }).notNull().default('pending'),
    error: text('error'),
    createdAt: integer('created_at').notNull(),
    updatedAt: integer('updated_at').notNull(),
  },
  (t) => [
    index('purchase_attempts_transaction').on(t.transactionId),
    index('purchase_attempts_account').on(t.accountId),
    check('purchase_attempts_outcome', sql`${t.outcome} in ('pending', 'completed', 'failed', 'unknown')`),
  ],
);

// ── Runs ────────────────────────────────────────────────────────────────────────────────────────
// A run's state is stored normalized (the run row, one row per account and per transaction in the
// run) and assembled into the SPEC §2 snapshot on read; `run_events` holds every change in order.

export { runStatuses } from '../domain/run.js';
export const runTransactionStatuses = ['pending', 'processing', 'completed', 'failed', 'skipped', 'unknown'] as const;

export const runs = sqliteTable(
  'runs',
  {
    sessionId: text('session_id').primaryKey(),
    status: text('status', { enum: runStatuses }).notNull(),
    currentStep: text('current_step').notNull(),
    triggeredByAccountId: text('triggered_by_account_id'),
    triggeredByAccountName: text('triggered_by_account_name'),
    totalTransactions: integer('total_transactions').notNull().default(0),
    processedCount: integer('processed_count').notNull().default(0),
    skippedCount: integer('skipped_count').notNull().default(0),
    failedCount: integer('failed_count').notNull().default(0),
    unknownCount: integer('unknown_count').notNull().default(0),
    startTime: integer('start_time').notNull(),
    endTime: integer('end_time'),
    error: text('error'),
    createdAt: integer('created_at').notNull(),
    /** The seq of the last event appended: the snapshot assembled from these rows is at this seq. */
    lastSeq: integer('last_seq').notNull().default(0),
  },
  (t) => [
    index('runs_created').on(t.createdAt, t.sessionId),
    index('runs_status').on(t.status),
    check('runs_status', sql`${t.status} in ('running', 'completed', 'failed')`),
  ],
);

export const runAccounts = sqliteTable(
  'run_accounts',
  {
    sessionId: text('session_id')
      .notNull()
      .references(() => runs.sessionId, { onDelete: 'cascade' }),
    position: integer('position').notNull(),
    accountId: text('account_id').notNull(),
    username: text('username').notNull(),
    robux: integer('robux').notNull(),
    status: text('status', { enum: accountStatuses }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.sessionId, t.position] }), uniqueIndex('run_accounts_account').on(t.sessionId, t.accountId)],
);

export const runTransactions = sqliteTable(
  'run_transactions',
  {
    sessionId: text('session_id')
      .notNull()
      .references(() => runs.sessionId, { onDelete: 'cascade' }),
    position: integer('position').notNull(),
    invoiceId: text('invoice_id').notNull(),
    gamepassName: text('gamepass_name'),
    gamepassPrice: integer('gamepass_price'),
    status: text('status', { enum: runTransactionStatuses }).notNull(),
    usedAccount: text('used_account'),
    error: text('error'),
    timestamp: integer('timestamp').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.sessionId, t.position] }),
    uniqueIndex('run_transactions_invoice').on(t.sessionId, t.invoiceId),
  ],
);

export const runEvents = sqliteTable(
  'run_events',
  {
    sessionId: text('session_id')
      .notNull()
      .references(() => runs.sessionId, { onDelete: 'cascade' }),
    seq: integer('seq').notNull(),
    type: text('type').notNull(),
    /** The event's data as JSON, exactly as the stream sends it. */
    data: text('data').notNull(),
    createdAt: integer('created_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.sessionId, t.seq] }), index('run_events_created').on(t.createdAt)],
);

/**
 * At most one row: the process walking the active run. Taken and released in the same SQLite
 * transactions that create and end the run, renewed while the walk goes on; a holder that stops
 * renewing loses it when it expires.
 */
export const runLease = sqliteTable(
  'run_lease',
  {
    id: integer('id').primaryKey(),
    sessionId: text('session_id')
      .notNull()
      .references(() => runs.sessionId, { onDelete: 'cascade' }),
    holder: text('holder').notNull(),
    expiresAt: integer('expires_at').notNull(),
    /** A trigger arrived during the run: before it ends, the run looks for pending orders again. */
    rerun: integer('rerun').notNull().default(0),
  },
  (t) => [check('run_lease_single', sql`${t.id} = 1`)],
);

// ── Access ──────────────────────────────────────────────────────────────────────────────────────

/**
 * Browser sessions (SPEC §11): the cookie carries a random id, only its SHA-256 is stored. A
 * session ends when idle too long, at its absolute expiry, at log-out, or when the admin token it
 * was opened with is no longer the server's (`tokenFingerprint` no longer matches).
 */
export const sessions = sqliteTable(
  'sessions',
  {
    idHash: text('id_hash').primaryKey(),
    tokenFingerprint: text('token_fingerprint').notNull(),
    createdAt: integer('created_at').notNull(),
    lastSeenAt: integer('last_seen_at').notNull(),
    expiresAt: integer('expires_at').notNull(),
  },
  (t) => [index('sessions_expires').on(t.expiresAt)],
);

/**
 * API tokens (SPEC §12): a token's SHA-256 (never the token), its name, scope and expiry. A revoked
 * token's row is deleted: the audit log keeps that it existed.
 */
export const apiTokens = sqliteTable(
  'api_tokens',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    name: text('name').notNull(),
    scope: text('scope', { enum: tokenScopes }).notNull(),
    /** Hex SHA-256 of the whole token. */
    tokenHash: text('token_hash').notNull().unique(),
    /** `ap_` and the token's first characters, to tell tokens apart in lists. */
    prefix: text('prefix').notNull(),
    createdAt: integer('created_at').notNull(),
    lastUsedAt: integer('last_used_at'),
    expiresAt: integer('expires_at'),
  },
  (t) => [check('api_tokens_scope', sql`${t.scope} in ('read', 'operate', 'admin')`)],
);

/**
 * The audit log: who changed what, when, and how it ended. Never a secret in any column. Written
 * by resolve now (SPEC §11); every state change later (SPEC §12).
 */
export const auditLog = sqliteTable(
  'audit_log',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    at: integer('at').notNull(),
    /** "admin token", "browser session", or a token's name. */
    actor: text('actor').notNull(),
    /** e.g. `transaction.resolve`. */
    action: text('action').notNull(),
    /** What it acted on, e.g. `transaction:42`. */
    target: text('target').notNull(),
    outcome: text('outcome').notNull(),
    note: text('note'),
  },
  (t) => [index('audit_log_at').on(t.at, t.id), index('audit_log_target').on(t.target, t.id)],
);

/**
 * One row that `/healthz` rewrites after a failed write, to learn whether the disk takes writes
 * again: with a 64 KB blob, so a disk with room for a page or two does not pass for writable.
 */
export const healthProbe = sqliteTable('health_probe', {
  id: integer('id').primaryKey(),
  checkedAt: integer('checked_at').notNull(),
  room: blob('room'),
});

// ── Webhook outbox ──────────────────────────────────────────────────────────────────────────────

export const webhookDeliveryStatuses = ['pending', 'delivered', 'failed'] as const;
export type WebhookDeliveryStatus = (typeof webhookDeliveryStatuses)[number];

/**
 * NOTIFY_WEBHOOK_URL deliveries (SPEC §10): a row is inserted in the transaction that ends a run,
 * so a restart never loses one; the worker (src/jobs/webhook-outbox.ts) sends it, retrying with
 * backoff until `failed` (given up). Its id is the `X-Autopurchase-Delivery` header. No foreign key
 * to the run: the body is stored whole, so the delivery does not depend on the run's rows.
 */
export const webhookOutbox = sqliteTable(
  'webhook_outbox',
  {
    id: text('id').primaryKey(),
    sessionId: text('session_id').notNull(),
    /** The JSON sent, fixed at enqueue time: every retry sends (and signs) the same bytes. */
    body: text('body').notNull(),
    status: text('status', { enum: webhookDeliveryStatuses }).notNull().default('pending'),
    attempts: integer('attempts').notNull().default(0),
    /** When a pending row is due; while an attempt is in flight, the end of its claim (the lease). */
    nextAttemptAt: integer('next_attempt_at').notNull(),
    /** The attempt in flight: only its sender may record its outcome. */
    claim: text('claim'),
    /** Why the last attempt failed: a status or an error kind, never the URL. */
    lastError: text('last_error'),
    createdAt: integer('created_at').notNull(),
    updatedAt: integer('updated_at').notNull(),
  },
  (t) => [
    index('webhook_outbox_due').on(t.status, t.nextAttemptAt),
    index('webhook_outbox_updated').on(t.updatedAt),
    check('webhook_outbox_status', sql`${t.status} in ('pending', 'delivered', 'failed')`),
    check('webhook_outbox_attempts_non_negative', sql`${t.attempts} >= 0`),
  ],
);
