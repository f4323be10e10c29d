// A run in a Solid store, kept current by the shared fold (src/domain/fold.ts): a `transaction`
// event changes one row's fields through a path setter, never the list, so only what reads those
// fields re-renders.
import { batch, createSignal } from 'solid-js';
import { $RAW, createStore, type SetStoreFunction, unwrap } from 'solid-js/store';
import { applyEvent, type FoldIndex, indexOf } from '../../../src/domain/fold.js';
import type { RunEventBody, RunSnapshot, RunTransaction } from '../../../src/domain/run.js';

/** The row being processed: a new object each time a row turns `processing`, so every turn counts. */
export interface ProcessingRow {
  index: number;
}

/** The (last) row of a list that is `processing`. */
function processingIn(rows: readonly RunTransaction[]): ProcessingRow | undefined {
  for (let i = rows.length - 1; i >= 0; i--) if (rows[i]!.status === 'processing') return { index: i };
  return undefined;
}

// Not Solid's `produce`: it unwraps (walks) every new list and keeps a proxy per row in a WeakMap. Chromium, 10,000
// orders (scripts/bench-browser.ts, 2 cores, 4–5 runs each): snapshot 64 → 95 ms, longest task 115 → 187 ms with produce.
/** Marks parsed JSON as its own raw state, so a store setter takes it as it is (Solid's `unwrap` stops there). */
function asRaw<T extends object>(parsed: T): T {
  if (!Object.prototype.hasOwnProperty.call(parsed, $RAW)) Object.defineProperty(parsed, $RAW, { value: parsed });
  return parsed;
}

/** What the fold writes into: the raw run read as it is, each set or delete made by the store's path setter. */
function draftOf<T extends object>(target: T, path: PropertyKey[], setState: SetStoreFunction<object>): T {
  const write = (key: PropertyKey, value: unknown) => (setState as unknown as (...pathAndValue: unknown[]) => void)(...path, key, value);
  return new Proxy(target, {
    get(object, key) {
      const value: unknown = Reflect.get(object, key);
      return value !== null && typeof value === 'object' ? draftOf(value, [...path, key], setState) : value;
    },
    set(_object, key, value: unknown) {
      write(key, Array.isArray(value) ? asRaw(value) : value);
      return true;
    },
    deleteProperty(_object, key) {
      write(key, undefined);
      return true;
    },
  });
}

export function createRunViewStore() {
  const [state, setState] = createStore<{ run: RunSnapshot | undefined }>({ run: undefined });
  // Known here at O(1) per event from the fold's index, so the table needs no watcher per row.
  const [processing, setProcessing] = createSignal<ProcessingRow | undefined>(undefined);
  let index: FoldIndex = { transactions: new Map(), accounts: new Map() };

  /** Whether this event turns a row `processing` that was not: a new turn, at that row. */
  const turnOf = (run: RunSnapshot, event: RunEventBody): ProcessingRow | undefined => {
    if (event.type !== 'transaction' || event.data.status !== 'processing') return undefined;
    const at = index.transactions.get(event.data.invoiceId);
    return at !== undefined && run.transactions[at]?.status !== 'processing' ? { index: at } : undefined;
  };

  return {
    state,
    /** The row that last turned `processing` (or was processing when its list arrived). */
    processing,
    /** Replaces the whole run (the stream's opening snapshot): a resent one keeps nothing of the last. */
    setSnapshot(snapshot: RunSnapshot) {
      index = indexOf(snapshot);
      batch(() => {
        setState({ run: asRaw(snapshot) });
        setProcessing(processingIn(snapshot.transactions));
      });
    },
    /** Folds events in order, in one batch: whatever reads a changed field re-runs once. */
    apply(...events: RunEventBody[]) {
      if (!state.run) return;
      const raw = unwrap(state.run);
      const draft = draftOf(raw, ['run'], setState as SetStoreFunction<object>);
      // null: the row being processed did not change.
      let turned: ProcessingRow | undefined | null = null;
      batch(() => {
        for (const event of events) {
          turned = turnOf(raw, event) ?? turned;
          applyEvent(draft, index, event);
          if (event.type === 'transactions') turned = processingIn(raw.transactions);
        }
        if (turned !== null) setProcessing(turned);
      });
    },
  };
}

export type RunViewStore = ReturnType<typeof createRunViewStore>;
