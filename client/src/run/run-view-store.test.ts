// The run store and the shared fold together: each event changes only the path it names, so
// Solid re-runs only what reads that path (one row per `transaction` event, not the table).
import { createEffect, createRoot } from 'solid-js';
import { describe, expect, it } from 'vitest';
import { account, countRuns, snapshot, transaction } from './run-fixtures.js';
import { createRunViewStore } from './run-view-store.js';

/** Creates the store with the 3-row snapshot and effects on the list and on single rows. */
function watchedStore() {
  return createRoot((dispose) => {
    const store = createRunViewStore();
    store.setSnapshot(snapshot());
    const run = () => store.state.run!;
    const runs = {
      list: countRuns(() => [run().transactions, run().transactions.length]),
      row1: countRuns(() => run().transactions[0]?.status),
      row2: countRuns(() => run().transactions[1]?.status),
      row3: countRuns(() => run().transactions[2]?.status),
      accounts: countRuns(() => run().stockAccounts),
      account1: countRuns(() => run().stockAccounts[0]?.robux),
      account2: countRuns(() => run().stockAccounts[1]?.robux),
    };
    return { store, run, runs, dispose };
  });
}

describe('run store', () => {
  it('a transaction event changes that row in place, and re-runs only what reads that row', async () => {
    const { store, run, runs, dispose } = watchedStore();
    const list = run().transactions;
    const [row1, row2, row3] = list;
    // Effects run once when created (after the root settles).
    await Promise.resolve();
    expect([runs.list.count, runs.row1.count, runs.row2.count, runs.row3.count]).toEqual([1, 1, 1, 1]);

    store.apply({
      type: 'transaction',
      data: { invoiceId: 'INV-2', status: 'failed', usedAccount: 'user-a1', error: 'Insufficient robux', timestamp: '2024-05-01T10:00:05.000Z' },
    });

    expect(run().transactions).toBe(list);
    expect(run().transactions[0]).toBe(row1);
    expect(run().transactions[1]).toBe(row2);
    expect(run().transactions[2]).toBe(row3);
    expect(run().transactions[1]).toMatchObject({ status: 'failed', usedAccount: 'user-a1', error: 'Insufficient robux', timestamp: '2024-05-01T10:00:05.000Z' });
    expect(run().transactions[0]?.status).toBe('pending');
    expect([runs.list.count, runs.row1.count, runs.row2.count, runs.row3.count]).toEqual([1, 1, 2, 1]);
    dispose();
  });

  it('a later transaction event clears the error and the used account it no longer carries', () => {
    const { store, run, dispose } = watchedStore();
    store.apply({ type: 'transaction', data: { invoiceId: 'INV-3', status: 'failed', error: 'Gateway down', timestamp: 't1' } });
    store.apply({ type: 'transaction', data: { invoiceId: 'INV-3', status: 'pending', timestamp: 't2' } });
    expect(run().transactions[2]).toEqual(transaction(3, { timestamp: 't2' }));
    dispose();
  });

  it('an account event changes that account only', () => {
    const { store, run, runs, dispose } = watchedStore();
    const accounts = run().stockAccounts;
    store.apply({ type: 'account', data: { id: 'a2', robux: 350, status: 'active' } });
    expect(run().stockAccounts).toBe(accounts);
    expect(run().stockAccounts[1]).toMatchObject({ id: 'a2', robux: 350 });
    expect([runs.accounts.count, runs.account1.count, runs.account2.count]).toEqual([1, 1, 2]);
    dispose();
  });

  it('a summary event replaces the counts and a step event the current step', () => {
    const { store, run, runs, dispose } = watchedStore();
    store.apply({ type: 'summary', data: { totalTransactions: 3, processedCount: 2, skippedCount: 0, failedCount: 1, unknownCount: 1 } });
    store.apply({ type: 'step', data: { currentStep: 'Purchasing INV-3' } });
    expect(run().summary).toEqual({ totalTransactions: 3, processedCount: 2, skippedCount: 0, failedCount: 1, unknownCount: 1 });
    expect(run().currentStep).toBe('Purchasing INV-3');
    expect(runs.row2.count).toBe(1);
    dispose();
  });

  it('an end event finishes the run with its end time and error', () => {
    const { store, run, dispose } = watchedStore();
    store.apply({ type: 'end', data: { status: 'failed', endTime: '2024-05-01T10:01:00.000Z', error: 'Gateway unreachable' } });
    expect(run()).toMatchObject({ status: 'failed', endTime: '2024-05-01T10:01:00.000Z', error: 'Gateway unreachable' });
    dispose();
  });

  it('a transactions event replaces the list, and later row events find the new rows', () => {
    const { store, run, runs, dispose } = watchedStore();
    const list = run().transactions;
    store.apply({ type: 'transactions', data: { transactions: [transaction(7), transaction(8)], totalTransactions: 2 } });
    expect(run().transactions).not.toBe(list);
    expect(run().transactions.map((row) => row.invoiceId)).toEqual(['INV-7', 'INV-8']);
    expect(run().summary.totalTransactions).toBe(2);
    expect(runs.list.count).toBe(2);

    store.apply({ type: 'transaction', data: { invoiceId: 'INV-8', status: 'completed', usedAccount: 'user-a2', timestamp: 't3' } });
    expect(run().transactions[1]).toMatchObject({ invoiceId: 'INV-8', status: 'completed', usedAccount: 'user-a2' });
    dispose();
  });

  it('an accounts event replaces the account list', () => {
    const { store, run, dispose } = watchedStore();
    store.apply({ type: 'accounts', data: { stockAccounts: [account('a9', 42)] } });
    expect(run().stockAccounts).toEqual([account('a9', 42)]);
    store.apply({ type: 'account', data: { id: 'a9', robux: 40, status: 'inactive' } });
    expect(run().stockAccounts[0]).toMatchObject({ robux: 40, status: 'inactive' });
    dispose();
  });

  it('a resent snapshot replaces the run: fields it no longer has are gone', () => {
    const { store, run, dispose } = watchedStore();
    store.apply({ type: 'end', data: { status: 'failed', endTime: 't', error: 'Gateway down' } });
    store.setSnapshot(snapshot({ transactions: [transaction(5)] }));
    expect(run().error).toBeUndefined();
    expect(run().endTime).toBeUndefined();
    expect(run().transactions.map((row) => row.invoiceId)).toEqual(['INV-5']);
    dispose();
  });

  it('knows the row being processed: from the snapshot, each row that turns processing, and a new list', () => {
    const { store, dispose } = createRoot((dispose) => ({ store: createRunViewStore(), dispose }));
    store.setSnapshot(snapshot({ transactions: [transaction(1, { status: 'completed' }), transaction(2, { status: 'processing' }), transaction(3)] }));
    expect(store.processing()).toEqual({ index: 1 });
    const turns: (number | undefined)[] = [];
    createRoot(() => createEffect(() => turns.push(store.processing()?.index)));
    turns.length = 0;

    store.apply({ type: 'transaction', data: { invoiceId: 'INV-2', status: 'completed', timestamp: 't' } });
    store.apply({ type: 'transaction', data: { invoiceId: 'INV-3', status: 'processing', timestamp: 't' } });
    // Already processing: not a new turn.
    store.apply({ type: 'transaction', data: { invoiceId: 'INV-3', status: 'processing', usedAccount: 'user-a1', timestamp: 't' } });
    // Processing again after going back to pending: a new turn of the same row.
    store.apply({ type: 'transaction', data: { invoiceId: 'INV-3', status: 'pending', timestamp: 't' } });
    store.apply({ type: 'transaction', data: { invoiceId: 'INV-3', status: 'processing', timestamp: 't' } });
    store.apply({ type: 'transactions', data: { transactions: [transaction(7), transaction(8, { status: 'processing' })], totalTransactions: 2 } });
    expect(turns).toEqual([2, 2, 1]);
    dispose();
  });

  it('applies a batch in order: a new list, then row events on it, each reader re-running once', async () => {
    const { store, run, runs, dispose } = watchedStore();
    await Promise.resolve();
    store.apply(
      { type: 'transaction', data: { invoiceId: 'INV-1', status: 'completed', timestamp: 't1' } },
      { type: 'accounts', data: { stockAccounts: [account('a9', 42)] } },
      { type: 'account', data: { id: 'a9', robux: 30, status: 'active' } },
      { type: 'transactions', data: { transactions: [transaction(7), transaction(8)], totalTransactions: 2 } },
      { type: 'transaction', data: { invoiceId: 'INV-8', status: 'failed', error: 'Not for sale', timestamp: 't2' } },
    );
    expect(run().stockAccounts).toEqual([account('a9', 30)]);
    expect(run().transactions).toEqual([transaction(7), transaction(8, { status: 'failed', error: 'Not for sale', timestamp: 't2' })]);
    expect(runs.list.count).toBe(2);
    expect(runs.row2.count).toBe(2);
    dispose();
  });

  it('events before any snapshot are ignored', () => {
    const store = createRunViewStore();
    store.apply({ type: 'step', data: { currentStep: 'x' } });
    expect(store.state.run).toBeUndefined();
  });
});
