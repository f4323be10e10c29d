// Properties of whole runs over random balances, prices, refusals and transient faults (fast-check).
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { emptyRun, foldEvents } from '../src/domain/fold.js';
import { refusalCodes } from '../src/gateway/gateway.js';
import { runEventsAfter, runSnapshot } from '../src/stores/run-events.js';
import { headerOf, runRow } from '../src/stores/runs.js';
import { buildTestApp } from './support/test-app.js';

const order = fc.record({
  price: fc.integer({ min: 1, max: 900 }),
  complete: fc.boolean().map((b) => b || Math.random() < 0.8),
  fault: fc.oneof(
    fc.constant({ kind: 'none' as const }),
    fc.constant({ kind: 'none' as const }),
    fc.record({ kind: fc.constant('refuse' as const), code: fc.constantFrom(...refusalCodes) }),
    fc.record({ kind: fc.constant('transient' as const), times: fc.integer({ min: 1, max: 5 }) }),
  ),
});

const scenario = fc.record({
  balances: fc.array(fc.integer({ min: 0, max: 2000 }), { minLength: 0, maxLength: 3 }),
  orders: fc.array(order, { minLength: 0, maxLength: 12 }),
  runs: fc.integer({ min: 1, max: 2 }),
});

describe('whole runs, whatever the balances and the gateway do', () => {
  it('never a negative balance, never bought twice, only allowed end states, counts = statuses, events fold to the snapshot at every commit', async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async ({ balances, orders, runs }) => {
        const foldMismatches: string[] = [];
        let t!: Awaited<ReturnType<typeof buildTestApp>>;
        // At every commit: the stored events, folded onto the empty run, equal the assembled snapshot.
        const onAppend = (sessionId: string, seq: number) => {
          const stored = runSnapshot(t.db, sessionId)!;
          if (stored.seq !== seq) foldMismatches.push(`seq ${stored.seq} != ${seq}`);
          const events = runEventsAfter(t.db, sessionId, 0, 1_000_000);
          const folded = foldEvents(emptyRun(headerOf(runRow(t.db, sessionId)!)), events);
          if (!isDeepStrictEqual(folded, stored.snapshot)) foldMismatches.push(`at seq ${seq}: ${JSON.stringify(folded)} != ${JSON.stringify(stored.snapshot)}`);
        };
        t = await buildTestApp({ onAppend, engine: { gatewayMaxAttempts: 3 } });
        try {
          for (const [i, o] of orders.entries()) {
            const invoiceId = `INV-${i}`;
            await t.api('POST', '/api/transactions', {
              invoiceId,
              gamepass: o.complete ? { id: i + 1, name: `Pass ${i}`, price: o.price, sellerId: 7 } : { name: `Pass ${i}`, price: o.price },
            });
            if (o.fault.kind === 'refuse') t.gateway.faults.refuse(o.fault.code, { invoiceId });
            if (o.fault.kind === 'transient') t.gateway.faults.transient(o.fault.times, { invoiceId });
            t.advance(10);
          }
          for (const [i, robux] of balances.entries()) {
            await t.api('POST', '/api/admin/stock-accounts', { robloxCookie: `sandbox:acct${i}:${robux}` });
          }
          for (let r = 0; r < runs; r++) await t.api('POST', '/api/auto-purchase', {});

          expect(foldMismatches).toEqual([]);
          const accounts = t.sqlite.prepare('select user_id, robux from stock_accounts').all() as { user_id: number; robux: number }[];
          for (const account of accounts) {
            expect(account.robux).toBeGreaterThanOrEqual(0);
            expect(t.gateway.balanceOf(account.user_id) ?? 0).toBeGreaterThanOrEqual(0);
          }
          for (let i = 0; i < orders.length; i++) expect(t.gateway.purchaseCount(`INV-${i}`)).toBeLessThanOrEqual(1);

          const rows = t.sqlite.prepare('select invoice_id, status from transactions').all() as { invoice_id: string; status: string }[];
          for (const row of rows) {
            expect(['pending', 'completed', 'failed', 'unknown']).toContain(row.status);
            if (t.gateway.purchaseCount(row.invoice_id) === 1) expect(['completed', 'unknown']).toContain(row.status);
          }
          const sessions = t.sqlite.prepare('select session_id from runs').all() as { session_id: string }[];
          for (const { session_id } of sessions) {
            const { snapshot } = runSnapshot(t.db, session_id)!;
            expect(snapshot.status).toBe('completed');
            const statuses = snapshot.transactions.map((x) => x.status);
            for (const status of statuses) expect(['completed', 'failed', 'skipped', 'unknown']).toContain(status);
            const countOf = (s: string) => statuses.filter((x) => x === s).length;
            expect(snapshot.summary).toEqual({
              totalTransactions: statuses.length,
              processedCount: countOf('completed'),
              skippedCount: countOf('skipped'),
              failedCount: countOf('failed'),
              unknownCount: countOf('unknown'),
            });
          }
        } finally {
          t.close();
        }
      }),
      { numRuns: 60 },
    );
  });
});
