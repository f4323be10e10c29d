// The frame batch's slicing rule, and its queue driven by fake frames.
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { RunEventBody, RunEventType } from '../../../src/domain/run.js';
import { createFrameBatch, nextSlice } from './frame-batch.js';

describe('nextSlice', () => {
  it('takes up to `size` row events and lets the frame go on', () => {
    const types: RunEventType[] = ['step', 'transaction', 'transaction', 'summary'];
    expect(nextSlice(types, 0, 2)).toEqual({ end: 2, last: false });
    expect(nextSlice(types, 2, 128)).toEqual({ end: 4, last: false });
  });

  it('stops before a list event that is not first in the frame, and after one that is', () => {
    const types: RunEventType[] = ['step', 'transactions', 'transaction'];
    expect(nextSlice(types, 0, 128)).toEqual({ end: 1, last: true });
    expect(nextSlice(['accounts', 'account'], 0, 128)).toEqual({ end: 1, last: true });
    expect(nextSlice(['step', 'step', 'accounts'], 1, 128)).toEqual({ end: 2, last: true });
  });

  it('ends the frame after `end`, leaving what follows it', () => {
    expect(nextSlice(['transaction', 'end', 'step'], 0, 128)).toEqual({ end: 2, last: true });
  });
});

describe('createFrameBatch', () => {
  afterEach(() => vi.useRealTimers());

  it('folds the queued events at the next frame, and nothing after `end`', () => {
    vi.useFakeTimers({ toFake: ['requestAnimationFrame', 'cancelAnimationFrame', 'setTimeout', 'clearTimeout'] });
    const folded: RunEventBody[][] = [];
    const frames = createFrameBatch((events) => folded.push(events));
    frames.push('step', JSON.stringify({ currentStep: 'a' }));
    frames.push('end', JSON.stringify({ status: 'completed', endTime: 't' }));
    frames.push('step', JSON.stringify({ currentStep: 'b' }));
    expect(folded).toEqual([]);
    vi.advanceTimersToNextFrame();
    expect(folded).toEqual([
      [
        { type: 'step', data: { currentStep: 'a' } },
        { type: 'end', data: { status: 'completed', endTime: 't' } },
      ],
    ]);
    vi.advanceTimersByTime(1000);
    expect(folded).toHaveLength(1);
  });

  it('close() drops the queue and schedules nothing more', () => {
    vi.useFakeTimers({ toFake: ['requestAnimationFrame', 'cancelAnimationFrame', 'setTimeout', 'clearTimeout'] });
    const folded: RunEventBody[][] = [];
    const frames = createFrameBatch((events) => folded.push(events));
    frames.push('step', JSON.stringify({ currentStep: 'a' }));
    frames.close();
    frames.push('step', JSON.stringify({ currentStep: 'b' }));
    vi.advanceTimersByTime(1000);
    expect(folded).toEqual([]);
  });
});
