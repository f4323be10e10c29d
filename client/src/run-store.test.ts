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
    const { store, dispose } = createRoot((dispose) => ({ store: createRunStore(), dispose }));
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

  it('opens the stream at once (no GET): its opening snapshot is the run, Live once it says running', async () => {
    const { follower, streams, fetches } = follow([() => answer(200, snapshot())]);
    expect(streams).toHaveLength(1);
    expect(streams[0]!.url).toBe('/api/auto-purchase/progress/run-1/events');
    streams[0]!.dispatchEvent(new Event('open'));
    expect(follower.connection()).toBe('connecting');
    streams[0]!.emit('snapshot', snapshot(), 4);
    expect(follower.connection()).toBe('live');
    expect(follower.store.state.run?.status).toBe('running');
    expect(fetches).not.toHaveBeenCalled();
    follower.close();
  });

  it('queues live events and folds them in order at the next frame, in one batch', async () => {
    vi.useFakeTimers({ toFake: ['requestAnimationFrame', 'cancelAnimationFrame', 'setTimeout', 'clearTimeout'] });
    const { follower, streams } = follow([() => answer(200, snapshot())]);
    streams[0]!.emit('snapshot', snapshot(), 4);
    const run = () => follower.store.state.run!;
    const { runs, dispose } = createRoot((dispose) => ({ runs: { step: countRuns(() => run().currentStep), row2: countRuns(() => run().transactions[1]?.status) }, dispose }));
    await Promise.resolve();
    streams[0]!.emit('transaction', { invoiceId: 'INV-2', status: 'processing', timestamp: 't1' }, 5);
    streams[0]!.emit('step', { currentStep: 'Buying INV-2' }, 6);
    streams[0]!.emit('transaction', { invoiceId: 'INV-2', status: 'completed', usedAccount: 'user-a1', timestamp: 't2' }, 7);
    streams[0]!.emit('step', { currentStep: 'Buying INV-3' }, 8);
    expect(run().currentStep).toBe('Processing transactions...');
    expect(follower.store.processing()).toBeUndefined();

    vi.advanceTimersToNextFrame();
    expect(run().currentStep).toBe('Buying INV-3');
    expect(run().transactions[1]).toMatchObject({ status: 'completed', usedAccount: 'user-a1', timestamp: 't2' });
    // The row turned processing during the batch: followed, though already done by its end.
    expect(follower.store.processing()).toEqual({ index: 1 });
    // Each reader re-ran once for the whole batch.
    expect([runs.step.count, runs.row2.count]).toEqual([2, 2]);

    // Where frames do not come (a hidden tab), a timer folds them anyway.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    streams[0]!.emit('step', { currentStep: 'Buying INV-4' }, 9);
    vi.advanceTimersByTime(300);
    expect(run().currentStep).toBe('Buying INV-4');
    dispose();
    follower.close();
  });

  it('a list event gets a frame of its own, and the events after it find its rows', () => {
    vi.useFakeTimers({ toFake: ['requestAnimationFrame', 'cancelAnimationFrame', 'setTimeout', 'clearTimeout'] });
    const { follower, streams } = follow([() => answer(200, snapshot())]);
    streams[0]!.emit('snapshot', snapshot(), 4);
    const run = () => follower.store.state.run!;
    streams[0]!.emit('step', { currentStep: 'Fetching pending transactions...' }, 5);
    streams[0]!.emit('transactions', { transactions: [transaction(7), transaction(8)], totalTransactions: 2 }, 6);
    streams[0]!.emit('transaction', { invoiceId: 'INV-8', status: 'processing', timestamp: 't' }, 7);
    vi.advanceTimersToNextFrame();
    expect(run().currentStep).toBe('Fetching pending transactions...');
    expect(run().transactions.map((row) => row.invoiceId)).toEqual(['INV-1', 'INV-2', 'INV-3']);
    vi.advanceTimersToNextFrame();
    expect(run().transactions.map((row) => [row.invoiceId, row.status])).toEqual([
      ['INV-7', 'pending'],
      ['INV-8', 'pending'],
    ]);
    expect(run().summary.totalTransactions).toBe(2);
    vi.advanceTimersToNextFrame();
    expect(run().transactions[1]?.status).toBe('processing');
    expect(follower.store.processing()).toEqual({ index: 1 });
    follower.close();
  });

  it('a snapshot replaces what was queued before it; close() drops the queue', () => {
    vi.useFakeTimers({ toFake: ['requestAnimationFrame', 'cancelAnimationFrame', 'setTimeout', 'clearTimeout'] });
    const { follower, streams } = follow([() => answer(200, snapshot())]);
    streams[0]!.emit('snapshot', snapshot(), 4);
    streams[0]!.emit('step', { currentStep: 'stale' }, 5);
    streams[0]!.emit('snapshot', snapshot({ currentStep: 'Resent' }), 9);
    vi.advanceTimersToNextFrame();
    expect(follower.store.state.run?.currentStep).toBe('Resent');
    streams[0]!.emit('step', { currentStep: 'after close' }, 10);
    follower.close();
    vi.advanceTimersByTime(1000);
    expect(follower.store.state.run?.currentStep).toBe('Resent');
  });

  it('a finished run: its stored snapshot from the stream, which closes at once; Ended, not live', async () => {
    const { follower, streams, fetches } = follow([() => answer(200, snapshot())]);
    streams[0]!.emit('snapshot', snapshot({ status: 'completed', endTime: 't' }), 9);
    expect(follower.connection()).toBe('ended');
    expect(follower.endedLive()).toBe(false);
    expect(streams[0]!.readyState).toBe(2);
    expect(follower.store.state.run).toMatchObject({ status: 'completed', endTime: 't' });
    expect(streams).toHaveLength(1);
    expect(fetches).not.toHaveBeenCalled();
  });

  it('when the browser gives the stream up, asks again and resumes from the last id it folded', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'requestAnimationFrame', 'cancelAnimationFrame'] });
    const { follower, streams, fetches } = follow([() => answer(200, snapshot())]);
    streams[0]!.emit('snapshot', snapshot(), 4);
    streams[0]!.emit('step', { currentStep: 'Buying INV-1' }, 5);
    vi.advanceTimersToNextFrame();
    expect(follower.store.state.run?.currentStep).toBe('Buying INV-1');
    streams[0]!.giveUp();
    expect(follower.connection()).toBe('reconnecting');

    // The first time, the GET asks why at once: the run is still going, so stream again from id 5.
    await vi.waitFor(() => expect(streams).toHaveLength(2));
    expect(fetches).toHaveBeenCalledTimes(1);
    expect(streams[1]!.url).toBe('/api/auto-purchase/progress/run-1/events?lastEventId=5');
    // Given up again: this time it waits before asking.
    streams[1]!.giveUp();
    await vi.advanceTimersByTimeAsync(2900);
    expect(fetches).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(100);
    await vi.waitFor(() => expect(streams).toHaveLength(3));
    expect(fetches).toHaveBeenCalledTimes(2);
    expect(streams[2]!.url).toBe('/api/auto-purchase/progress/run-1/events?lastEventId=5');
    streams[2]!.dispatchEvent(new Event('open'));
    expect(follower.connection()).toBe('live');
    streams[2]!.emit('end', { status: 'completed', endTime: 't' }, 6);
    // Closed at once (no reconnect after the last event); shown at the next frame.
    expect(streams[2]!.readyState).toBe(2);
    expect(follower.connection()).toBe('live');
    vi.advanceTimersToNextFrame();
    expect(follower.store.state.run).toMatchObject({ status: 'completed', currentStep: 'Buying INV-1' });
    expect(follower.connection()).toBe('ended');
    expect(follower.endedLive()).toBe(true);
    follower.close();
  });

  it('a run that ended while the stream was given up is shown from the GET snapshot', async () => {
    const { follower, streams, fetches } = follow([() => answer(200, snapshot({ status: 'failed', endTime: 't', error: 'Gateway down' }))]);
    streams[0]!.emit('snapshot', snapshot(), 4);
    streams[0]!.giveUp();
    await vi.waitFor(() => expect(follower.connection()).toBe('ended'));
    expect(fetches).toHaveBeenCalledTimes(1);
    expect(streams).toHaveLength(1);
    expect(follower.store.state.run).toMatchObject({ status: 'failed', error: 'Gateway down' });
    expect(follower.endedLive()).toBe(false);
  });

  it('an unknown run: the stream is refused, the GET answers 404, and it ends without retries', async () => {
    const { follower, streams, fetches } = follow([() => answer(404, { error: { code: 'not_found', message: 'No such run' } })]);
    streams[0]!.giveUp();
    await vi.waitFor(() => expect(follower.connection()).toBe('ended'));
    expect(streams).toHaveLength(1);
    expect(fetches).toHaveBeenCalledTimes(1);
    expect(follower.store.state.run).toBeUndefined();
  });

  it('close() stops the stream and any pending retry', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const { follower, streams, fetches } = follow([() => answer(503, {}), () => answer(200, snapshot())]);
    streams[0]!.giveUp();
    await vi.waitFor(() => expect(follower.connection()).toBe('reconnecting'));
    follower.close();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(fetches).toHaveBeenCalledTimes(1);
    expect(streams).toHaveLength(1);
  });
});
