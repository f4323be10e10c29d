// summarize(): a run's summary from its rows; afterRowMove(): the same answer, one row move at a time.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { RunTransactionStatus } from '../src/domain/run.js';
import { afterRowMove, summarize } from '../src/domain/summary.js';

const statuses: RunTransactionStatus[] = ['pending', 'processing', 'completed', 'failed', 'skipped', 'unknown'];
const rowsOf = (...list: RunTransactionStatus[]) => list.map((status) => ({ status }));

describe('summarize', () => {
  it('counts completed as processed, and skipped, failed, unknown; the total is every row', () => {
    expect(summarize(rowsOf('completed', 'completed', 'failed', 'skipped', 'unknown', 'unknown', 'unknown'))).toEqual({
      totalTransactions: 7,
      processedCount: 2,
      skippedCount: 1,
      failedCount: 1,
      unknownCount: 3,
    });
  });

  it('pending and processing rows count in the total only', () => {
    expect(summarize(rowsOf('pending', 'processing', 'pending'))).toEqual({ totalTransactions: 3, processedCount: 0, skippedCount: 0, failedCount: 0, unknownCount: 0 });
    expect(summarize([])).toEqual({ totalTransactions: 0, processedCount: 0, skippedCount: 0, failedCount: 0, unknownCount: 0 });
  });
});

describe('afterRowMove', () => {
  it('moves one row between counts: processing → completed, skipped → pending (a rerun), unknown → unknown', () => {
    const before = summarize(rowsOf('processing', 'skipped', 'unknown'));
    expect(afterRowMove(before, 'processing', 'completed')).toEqual(summarize(rowsOf('completed', 'skipped', 'unknown')));
    expect(afterRowMove(before, 'skipped', 'pending')).toEqual(summarize(rowsOf('processing', 'pending', 'unknown')));
    expect(afterRowMove(before, 'unknown', 'unknown')).toEqual(before);
    expect(before).toEqual(summarize(rowsOf('processing', 'skipped', 'unknown')));
  });

  it('after any sequence of moves, equals summarize of the rows', () => {
    const status = fc.constantFrom(...statuses);
    fc.assert(
      fc.property(fc.array(status, { minLength: 1, maxLength: 30 }), fc.array(fc.tuple(fc.nat(), status), { maxLength: 60 }), (initial, moves) => {
        const rows = rowsOf(...initial);
        let summary = summarize(rows);
        for (const [at, to] of moves) {
          const row = rows[at % rows.length]!;
          summary = afterRowMove(summary, row.status, to);
          row.status = to;
        }
        expect(summary).toEqual(summarize(rows));
      }),
    );
  });
});
