// The run store and the shared fold together: each event changes only the path it names, so
// Solid re-runs only what reads that path (one row per `transaction` event, not the table).
import { createEffect, createRoot } from 'solid-js';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { RunAccount, RunSnapshot, RunTransaction } from '../../src/domain/run.js';
import { createRunStore, followRun } from './run-store.js';

const transaction = (n: number, extra: Partial<RunTransaction> = {}): RunTransaction => ({
  invoiceId: `INV-${n}`,
  gamepassName: `Pass ${n}`,
  gamepassPrice: 100 * n,
  status: 'pending',
  timestamp: '2024-05-01T10:00:00.000Z',
  ...extra,
});

const account = (id: string, robux: number): RunAccount => ({ id, username: `user-${id}`, robux, status: 'active' });

const snapshot = (extra: Partial<RunSnapshot> = {}): RunSnapshot => ({
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
function countRuns(read: () => unknown) {
  const runs = { count: 0 };
  createEffect(() => {
    read();
    runs.count++;
  });
  return runs;
}

/** Creates the store with the 3-row snapshot and effects on the list and on single rows. */
function watchedStore() {
  return createRoot((dispose) => {
    const store = createRunStore();
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

  it('events before any snapshot are ignored', () => {
    const store = createRunStore();
    store.apply({ type: 'step', data: { currentStep: 'x' } });
    expect(store.state.run).toBeUndefined();
  });
});

/** A stream the test drives: `give up` is what a browser does on an answer that is not a stream. */
class FakeStream extends EventTarget {
  readyState = 1;
  constructor(readonly url: string) {
    super();
  }
  close() {
    this.readyState = 2;
  }
  emit(type: string, data: unknown, id: number) {
    this.dispatchEvent(new MessageEvent(type, { data: JSON.stringify(data), lastEventId: String(id) }));
  }
  giveUp() {
    this.readyState = 2;
    this.dispatchEvent(new Event('error'));
  }
}

describe('followRun', () => {
  afterEach(() => {
    vi.useRealTimers();
    vi.unstubAllGlobals();
  });

  const answer = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

  function follow(answers: (() => Response)[]) {
    const fetches = vi.fn(async () => (answers.length > 1 ? answers.shift()! : answers[0]!)());
    vi.stubGlobal('fetch', fetches);
    const streams: FakeStream[] = [];
    const follower = followRun('run-1', (url) => {
      const stream = new FakeStream(url);
      streams.push(stream);
      return stream as unknown as EventSource;
    });
    return { follower, streams, fetches };
  }

  it('when the browser gives the stream up, asks again and resumes from the last id it folded', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const { follower, streams, fetches } = follow([() => answer(200, snapshot())]);
    await vi.waitFor(() => expect(streams).toHaveLength(1));
    streams[0]!.emit('snapshot', snapshot(), 4);
    streams[0]!.emit('step', { currentStep: 'Buying INV-1' }, 5);
    streams[0]!.giveUp();
    expect(follower.connection()).toBe('reconnecting');

    await vi.advanceTimersByTimeAsync(3000);
    await vi.waitFor(() => expect(streams).toHaveLength(2));
    expect(fetches).toHaveBeenCalledTimes(2);
    expect(streams[1]!.url).toBe('/api/auto-purchase/progress/run-1/events?lastEventId=5');
    streams[1]!.emit('end', { status: 'completed', endTime: 't' }, 6);
    expect(follower.store.state.run).toMatchObject({ status: 'completed', currentStep: 'Buying INV-1' });
    expect(follower.connection()).toBe('ended');
    expect(follower.endedLive()).toBe(true);
    follower.close();
  });

  it('an unknown run ends without a stream or retries', async () => {
    const { follower, streams, fetches } = follow([() => answer(404, { error: { code: 'not_found', message: 'No such run' } })]);
    await vi.waitFor(() => expect(follower.connection()).toBe('ended'));
    expect(streams).toHaveLength(0);
    expect(fetches).toHaveBeenCalledTimes(1);
    expect(follower.store.state.run).toBeUndefined();
  });

  it('close() stops the stream and any pending retry', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const { follower, streams, fetches } = follow([() => answer(503, {}), () => answer(200, snapshot())]);
    await vi.waitFor(() => expect(follower.connection()).toBe('reconnecting'));
    follower.close();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(fetches).toHaveBeenCalledTimes(1);
    expect(streams).toHaveLength(0);
  });
});
