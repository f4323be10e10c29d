// RunRows, the walk's mirror of its run's rows: its summary always equals summarize() of the rows,
// through publishes, row changes and the rollback of a commit that failed.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { RunTransactionStatus } from '../src/domain/run.js';
import { summarize } from '../src/domain/summary.js';
import { RunRows } from '../src/engine/run-rows.js';

const statuses: RunTransactionStatus[] = ['pending', 'processing', 'completed', 'failed', 'skipped', 'unknown'];
const status = fc.constantFrom(...statuses);
const invoice = fc.integer({ min: 0, max: 5 }).map((i) => `INV-${i}`);

const operation = fc.oneof(
  fc.record({ kind: fc.constant('set' as const), invoiceId: invoice, status }),
  fc.record({ kind: fc.constant('publish' as const), list: fc.uniqueArray(fc.record({ invoiceId: invoice, status }), { selector: (r) => r.invoiceId, minLength: 1, maxLength: 6 }) }),
  fc.record({ kind: fc.constant('commit' as const), failed: fc.boolean() }),
);

describe('RunRows', () => {
  it('its summary equals summarize() of the rows after any publishes, changes and rolled-back commits', () => {
    fc.assert(
      fc.property(fc.array(operation, { maxLength: 60 }), (operations) => {
        const rows = new RunRows();
        // The model: the rows as committed, and the rows as changed since the last commit began.
        let committed: { invoiceId: string; status: RunTransactionStatus }[] = [];
        let current = committed.map((r) => ({ ...r }));
        rows.begin();
        for (const op of operations) {
          if (op.kind === 'set') {
            rows.set(op.invoiceId, op.status);
            const row = current.find((r) => r.invoiceId === op.invoiceId);
            if (row) row.status = op.status;
          } else if (op.kind === 'publish') {
            rows.publish(op.list);
            current = op.list.map((r) => ({ ...r }));
          } else {
            if (op.failed) rows.rollback();
            if (op.failed) current = committed.map((r) => ({ ...r }));
            else committed = current.map((r) => ({ ...r }));
            rows.begin();
          }
          expect(rows.summary()).toEqual(summarize(current));
        }
      }),
      { numRuns: 300 },
    );
  });

  it('a rolled-back commit puts the rows and the summary back', () => {
    const rows = new RunRows();
    rows.begin();
    rows.publish([{ invoiceId: 'A', status: 'pending' }, { invoiceId: 'B', status: 'skipped' }]);
    rows.begin();
    rows.set('A', 'completed');
    rows.publish([{ invoiceId: 'B', status: 'pending' }]);
    rows.set('B', 'failed');
    rows.rollback();
    expect(rows.summary()).toEqual(summarize([{ status: 'pending' }, { status: 'skipped' }]));
    rows.set('A', 'unknown');
    expect(rows.summary()).toEqual(summarize([{ status: 'unknown' }, { status: 'skipped' }]));
    rows.rollback();
    expect(rows.summary()).toEqual(summarize([{ status: 'pending' }, { status: 'skipped' }]));
  });

  it('a row not in the published list changes nothing', () => {
    const rows = new RunRows();
    rows.publish([{ invoiceId: 'A', status: 'pending' }]);
    rows.set('B', 'completed');
    expect(rows.summary()).toEqual(summarize([{ status: 'pending' }]));
    rows.set('A', 'completed');
    expect(rows.summary()).toEqual(summarize([{ status: 'completed' }]));
  });
});
