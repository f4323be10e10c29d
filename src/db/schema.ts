// The one place the tables are described. Times are integer milliseconds since the epoch; money
// (robux) and counts are integers.
import { sql } from 'drizzle-orm';
import { check, index, integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';

export const accountStatuses = ['active', 'inactive', 'invalid'] as const;
export type AccountStatus = (typeof accountStatuses)[number];

export const transactionStatuses = ['pending', 'processing', 'completed', 'failed', 'unknown'] as const;
export type TransactionStatus = (typeof transactionStatuses)[number];

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
