// Test factories for a run: rows, accounts, a 3-row running snapshot, and an effect counter.
import { createEffect } from 'solid-js';
import type { RunAccount, RunSnapshot, RunTransaction } from '../../../src/domain/run.js';

export const transaction = (n: number, extra: Partial<RunTransaction> = {}): RunTransaction => ({
  invoiceId: `INV-${n}`,
  gamepassName: `Pass ${n}`,
  gamepassPrice: 100 * n,
  status: 'pending',
  timestamp: '2024-05-01T10:00:00.000Z',
  ...extra,
});

export const account = (id: string, robux: number): RunAccount => ({ id, username: `user-${id}`, robux, status: 'active' });

export const snapshot = (extra: Partial<RunSnapshot> = {}): RunSnapshot => ({
  sessionId: 'run-1',
  status: 'running',
  currentStep: 'Processing transactions...',
  stockAccounts: [account('a1', 1000), account('a2', 500)],
  transactions: [transaction(1), transaction(2), transaction(3)],
  summary: { totalTransactions: 3, processedCount: 0, skippedCount: 0, failedCount: 0, unknownCount: 0 },
  startTime: '2024-05-01T10:00:00.000Z',
  createdAt: '2024-05-01T10:00:00.000Z',
  ...extra,
});

/** Counts how often an effect reading `read` runs (once at creation). */
export function countRuns(read: () => unknown) {
  const runs = { count: 0 };
  createEffect(() => {
    read();
    runs.count++;
  });
  return runs;
}
