// The figures behind the stats page, counted in SQL over the stored transactions, attempts and runs.
import { and, avg, count, eq, gte, lte, sql, sum, type Column } from 'drizzle-orm';
import { purchaseAttempts, runs, transactions, type TransactionStatus } from '../db/schema.js';
import type { Db } from '../db/types.js';
import type { RunStatus } from '../domain/run.js';

/** Created at or after `from`, at or before `to` (epoch ms). */
export interface StatsRange {
  from: number;
  to: number;
}

/** The figures as read; a sum over no rows is null. */
export interface StatsRows {
  ordersByStatus: { status: TransactionStatus; n: number }[];
  purchases: { count: number; robux: number | null; meanMs: number | null } | undefined;
  perAccount: { accountId: string | null; username: string; purchases: number; robux: number | null }[];
  perDay: { day: string; purchases: number; robux: number | null }[];
  runsByStatus: { status: RunStatus; n: number }[];
}

/** Every figure read in one read transaction, so they all count the same rows. */
export function readStats(db: Db, range: StatsRange): StatsRows {
  return db.transaction(
    (tx) => ({
      ordersByStatus: ordersByStatus(tx, range),
      purchases: purchaseTotals(tx, range),
      perAccount: purchasesPerAccount(tx, range),
      perDay: purchasesPerDay(tx, range),
      runsByStatus: runsByStatus(tx, range),
    }),
    { behavior: 'deferred' },
  );
}

const inRange = (column: Column, range: StatsRange) => and(gte(column, range.from), lte(column, range.to));

/** The gateway's purchases: completed attempts, dated by when they were tried. */
const bought = (range: StatsRange) => and(eq(purchaseAttempts.outcome, 'completed'), inRange(purchaseAttempts.createdAt, range));

const robuxSpent = () => sum(purchaseAttempts.price).mapWith(Number);

function ordersByStatus(db: Db, range: StatsRange) {
  return db
    .select({ status: transactions.status, n: count() })
    .from(transactions)
    .where(inRange(transactions.createdAt, range))
    .groupBy(transactions.status)
    .all();
}

function purchaseTotals(db: Db, range: StatsRange) {
  return db
    .select({
      count: count(),
      robux: robuxSpent(),
      // From storing the attempt to the gateway's answer.
      meanMs: avg(sql`${purchaseAttempts.updatedAt} - ${purchaseAttempts.createdAt}`).mapWith(Number),
    })
    .from(purchaseAttempts)
    .where(bought(range))
    .get();
}

/** Biggest spender first. */
function purchasesPerAccount(db: Db, range: StatsRange) {
  return db
    .select({ accountId: purchaseAttempts.accountId, username: purchaseAttempts.accountUsername, purchases: count(), robux: robuxSpent() })
    .from(purchaseAttempts)
    .where(bought(range))
    .groupBy(purchaseAttempts.accountUsername, purchaseAttempts.accountId)
    .orderBy(sql`sum(${purchaseAttempts.price}) desc`)
    .all();
}

/** By UTC calendar day, oldest first. */
function purchasesPerDay(db: Db, range: StatsRange) {
  const day = sql<string>`strftime('%Y-%m-%d', ${purchaseAttempts.createdAt} / 1000, 'unixepoch')`;
  return db
    .select({ day, purchases: count(), robux: robuxSpent() })
    .from(purchaseAttempts)
    .where(bought(range))
    .groupBy(day)
    .orderBy(day)
    .all();
}

function runsByStatus(db: Db, range: StatsRange) {
  return db.select({ status: runs.status, n: count() }).from(runs).where(inRange(runs.createdAt, range)).groupBy(runs.status).all();
}
