// The numbers of the stats page, computed in SQL over the stored transactions, attempts and runs.
import { and, avg, count, eq, gte, lte, sql, sum } from 'drizzle-orm';
import { purchaseAttempts, runs, transactions } from '../db/schema.js';
import type { Db } from '../db/types.js';

export interface StatsRange {
  from: number;
  to: number;
}

export function shopStats(db: Db, range: StatsRange) {
  return db.transaction(
    (tx) => {
      const inRange = (column: typeof transactions.createdAt | typeof purchaseAttempts.createdAt | typeof runs.createdAt) =>
        and(gte(column, range.from), lte(column, range.to));
      const byStatus = tx
        .select({ status: transactions.status, n: count() })
        .from(transactions)
        .where(inRange(transactions.createdAt))
        .groupBy(transactions.status)
        .all();
      const statusCount = (status: string) => byStatus.find((row) => row.status === status)?.n ?? 0;
      const bought = and(eq(purchaseAttempts.outcome, 'completed'), inRange(purchaseAttempts.createdAt));
      const totals = tx
        .select({
          purchases: count(),
          robux: sum(purchaseAttempts.price).mapWith(Number),
          meanMs: avg(sql`${purchaseAttempts.updatedAt} - ${purchaseAttempts.createdAt}`).mapWith(Number),
        })
        .from(purchaseAttempts)
        .where(bought)
        .get();
      const perAccount = tx
        .select({
          accountId: purchaseAttempts.accountId,
          username: purchaseAttempts.accountUsername,
          purchases: count(),
          robux: sum(purchaseAttempts.price).mapWith(Number),
        })
        .from(purchaseAttempts)
        .where(bought)
        .groupBy(purchaseAttempts.accountUsername, purchaseAttempts.accountId)
        .orderBy(sql`sum(${purchaseAttempts.price}) desc`)
        .all();
      const day = sql<string>`strftime('%Y-%m-%d', ${purchaseAttempts.createdAt} / 1000, 'unixepoch')`;
      const perDay = tx
        .select({ day, purchases: count(), robux: sum(purchaseAttempts.price).mapWith(Number) })
        .from(purchaseAttempts)
        .where(bought)
        .groupBy(day)
        .orderBy(day)
        .all();
      const runsByStatus = tx.select({ status: runs.status, n: count() }).from(runs).where(inRange(runs.createdAt)).groupBy(runs.status).all();
      const runCount = (status: string) => runsByStatus.find((row) => row.status === status)?.n ?? 0;
      const completed = statusCount('completed');
      const failed = statusCount('failed');
      return {
        from: new Date(range.from).toISOString(),
        to: new Date(range.to).toISOString(),
        transactions: {
          total: byStatus.reduce((total, row) => total + row.n, 0),
          pending: statusCount('pending'),
          processing: statusCount('processing'),
          completed,
          failed,
          unknown: statusCount('unknown'),
        },
        /** Completed among the orders that reached an end (completed or failed); null when none did. */
        successRate: completed + failed === 0 ? null : completed / (completed + failed),
        purchases: {
          count: totals?.purchases ?? 0,
          robux: totals?.robux ?? 0,
          /** Mean time from storing the attempt to the gateway's answer. */
          meanMs: totals?.meanMs == null ? null : Math.round(totals.meanMs),
        },
        perAccount: perAccount.map((row) => ({ ...row, robux: row.robux ?? 0 })),
        perDay: perDay.map((row) => ({ ...row, robux: row.robux ?? 0 })),
        runs: { running: runCount('running'), completed: runCount('completed'), failed: runCount('failed') },
      };
    },
    { behavior: 'deferred' },
  );
}
