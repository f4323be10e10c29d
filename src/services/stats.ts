// GET /api/stats: the shop's figures over a range of days (SPEC §4), the last 30 days by default.
import type { Clock } from '../clock.js';
import type { Db } from '../db/types.js';
import type { ShopStats } from '../domain/api.js';
import { badRequest } from '../domain/app-error.js';
import { readStats, type StatsRange, type StatsRows } from '../stores/stats.js';

const day = 86_400_000;
export const defaultStatsDays = 30;

export type StatsService = ReturnType<typeof createStatsService>;

export function createStatsService(deps: { db: Db; clock: Clock }) {
  return {
    /** A missing `to` is now, a missing `from` 30 days before `to`; 400 when `from` is after `to`. */
    forRange(range: Partial<StatsRange>): ShopStats {
      const to = range.to ?? deps.clock.now();
      const from = range.from ?? to - defaultStatsDays * day;
      if (from > to) throw badRequest('invalid_range', '"from" must not be after "to"');
      return shopStatsOf({ from, to }, readStats(deps.db, { from, to }));
    },
  };
}

/** The answer from the figures as read: every status counted (0 when absent), rates and means derived. */
export function shopStatsOf(range: StatsRange, rows: StatsRows): ShopStats {
  const orders = (status: string) => rows.ordersByStatus.find((row) => row.status === status)?.n ?? 0;
  const runs = (status: string) => rows.runsByStatus.find((row) => row.status === status)?.n ?? 0;
  const completed = orders('completed');
  const failed = orders('failed');
  const meanMs = rows.purchases?.meanMs;
  return {
    from: new Date(range.from).toISOString(),
    to: new Date(range.to).toISOString(),
    transactions: {
      total: rows.ordersByStatus.reduce((total, row) => total + row.n, 0),
      pending: orders('pending'),
      processing: orders('processing'),
      completed,
      failed,
      unknown: orders('unknown'),
    },
    // Completed among the orders that reached an end (completed or failed); null when none did.
    successRate: completed + failed === 0 ? null : completed / (completed + failed),
    purchases: { count: rows.purchases?.count ?? 0, robux: rows.purchases?.robux ?? 0, meanMs: meanMs == null ? null : Math.round(meanMs) },
    perAccount: rows.perAccount.map((row) => ({ ...row, robux: row.robux ?? 0 })),
    perDay: rows.perDay.map((row) => ({ ...row, robux: row.robux ?? 0 })),
    runs: { running: runs('running'), completed: runs('completed'), failed: runs('failed') },
  };
}
