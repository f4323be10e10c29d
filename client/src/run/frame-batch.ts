// Live events queued as they arrive and folded once per animation frame, in order, in one Solid
// batch: a burst of thousands (the stream catching up) neither blocks the page in one long task nor
// writes the same row to the DOM thousands of times.
import { batch } from 'solid-js';
import type { RunEventBody, RunEventType } from '../../../src/domain/run.js';
import { cancelFrame, nextFrame } from '../animation-frame.js';

/** The most one frame spends folding queued events; the rest waits for the next frame. */
const FOLD_BUDGET_MS = 8;
/** Events folded between two looks at the clock. */
const FOLD_SLICE = 128;
/** When frames do not come (a hidden tab), queued events are folded this often anyway. */
const FOLD_FALLBACK_MS = 250;

const now = () => (typeof performance === 'undefined' ? Date.now() : performance.now());

const isList = (type: RunEventType) => type === 'transactions' || type === 'accounts';

/**
 * Where the next slice of the queue (from `head`, at most `size` events) ends, and whether the
 * frame stops after it. A list event (thousands of rows) is folded first in a frame of its own;
 * `end` is the last event of all.
 */
export function nextSlice(types: readonly RunEventType[], head: number, size: number): { end: number; last: boolean } {
  const stop = Math.min(types.length, head + size);
  for (let i = head; i < stop; i++) {
    if (isList(types[i]!) && i > 0) return { end: i, last: true };
    if (isList(types[i]!) || types[i] === 'end') return { end: i + 1, last: true };
  }
  return { end: stop, last: false };
}

export interface FrameBatch {
  push(type: RunEventType, text: string): void;
  /** Forgets what is queued (a snapshot that holds it arrived). */
  drop(): void;
  close(): void;
}

/** `fold` gets the events of each slice, parsed, inside the frame's batch. */
export function createFrameBatch(fold: (events: RunEventBody[]) => void): FrameBatch {
  // Oldest first, still as text, in two arrays: no object per queued event.
  let types: RunEventType[] = [];
  let texts: string[] = [];
  let frame: number | undefined;
  let fallback: ReturnType<typeof setTimeout> | undefined;
  let closed = false;

  const unschedule = () => {
    if (frame !== undefined) cancelFrame(frame);
    clearTimeout(fallback);
    frame = fallback = undefined;
  };
  const drop = () => {
    unschedule();
    types = [];
    texts = [];
  };
  const schedule = () => {
    if (closed) return;
    frame ??= nextFrame(foldFrame);
    fallback ??= setTimeout(foldFrame, FOLD_FALLBACK_MS);
  };

  function foldFrame() {
    unschedule();
    const started = now();
    let head = 0;
    let last = false;
    batch(() => {
      while (head < types.length && !last && (head === 0 || now() - started <= FOLD_BUDGET_MS)) {
        const slice = nextSlice(types, head, FOLD_SLICE);
        const events: RunEventBody[] = [];
        for (let i = head; i < slice.end; i++) events.push({ type: types[i]!, data: JSON.parse(texts[i]!) } as RunEventBody);
        head = slice.end;
        last = slice.last;
        if (events.length > 0) fold(events);
      }
    });
    if (types[head - 1] === 'end' || head >= types.length) return drop();
    // Forget what was folded, so a list event left for the next frame comes first there.
    types = types.slice(head);
    texts = texts.slice(head);
    schedule();
  }

  return {
    push(type, text) {
      types.push(type);
      texts.push(text);
      schedule();
    },
    drop,
    close() {
      closed = true;
      drop();
    },
  };
}
