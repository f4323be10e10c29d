// Following a run: the stream's opening snapshot, live events folded once per frame, and what
// happens when the browser gives the stream up.
import { createRoot } from 'solid-js';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { followRun } from './follow-run.js';
import { countRuns, snapshot, transaction } from './run-fixtures.js';

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
