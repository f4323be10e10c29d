// A run in a Solid store, kept current by the shared fold (src/domain/fold.ts): each event is
// applied in place, every write going through the store's setter, so a `transaction` event changes
// one row's fields, never the list, and only what reads those fields re-renders. Live events are
// folded once per animation frame, in a batch (see `followRun`).
import { batch, createSignal } from 'solid-js';
import { $RAW, createStore, unwrap } from 'solid-js/store';
import { applyEvent, type FoldIndex } from '../../src/domain/fold.js';
import { runEventTypes, type RunEventBody, type RunSnapshot, type RunTransaction } from '../../src/domain/run.js';
import { ApiError, api } from './api.js';

export type ConnectionState = 'connecting' | 'live' | 'reconnecting' | 'ended';

/** The row being processed: a new object each time a row turns `processing`, so every turn counts. */
export interface ProcessingRow {
  index: number;
}

/** The (last) row of a list that is `processing`: one plain loop over the raw rows, no signals. */
function processingIn(rows: readonly RunTransaction[]): ProcessingRow | undefined {
  for (let i = rows.length - 1; i >= 0; i--) if (rows[i]!.status === 'processing') return { index: i };
  return undefined;
}

/** The fold's index of a snapshot (as `indexOf` builds it), in plain loops. */
function indexOfSnapshot(snapshot: RunSnapshot): FoldIndex {
  const transactions = new Map<string, number>();
  const accounts = new Map<string, number>();
  const rows = snapshot.transactions;
  for (let i = 0; i < rows.length; i++) transactions.set(rows[i]!.invoiceId, i);
  const stock = snapshot.stockAccounts;
  for (let i = 0; i < stock.length; i++) accounts.set(stock[i]!.id, i);
  return { transactions, accounts };
}

/**
 * Marks an object just parsed from JSON as its own raw state, so that a store setter takes it as it
 * is. Setting a value, Solid's store first `unwrap`s it: a walk over every nested object (each
 * row, with `getOwnPropertyDescriptors`) to swap store proxies for their raw objects, some 30 ms for
 * 10,000 rows. Parsed JSON holds no proxies: `unwrap` stops at once on an object whose `$RAW` is set.
 */
function asRaw<T extends object>(parsed: T): T {
  if (!Object.prototype.hasOwnProperty.call(parsed, $RAW)) Object.defineProperty(parsed, $RAW, { value: parsed });
  return parsed;
}

export function createRunStore() {
  const [state, setState] = createStore<{ run: RunSnapshot | undefined }>({ run: undefined });
  // Which row is being processed, known here at O(1) per event from the fold's index, so the table
  // needs no watcher per row to notice it.
  const [processing, setProcessing] = createSignal<ProcessingRow | undefined>(undefined);
  let index: FoldIndex = { transactions: new Map(), accounts: new Map() };
  return {
    state,
    /** The row that last turned `processing` (or was processing when its list arrived). */
    processing,
    /**
     * Replaces the whole run (the stream's opening snapshot). The parsed snapshot becomes the
     * store's raw state as it is: rows get proxies and signals only when something reads them (the
     * rows on screen), not one per row and field up front.
     */
    setSnapshot(snapshot: RunSnapshot) {
      index = indexOfSnapshot(snapshot);
      asRaw(snapshot);
      batch(() => {
        // At the top level, so the run is replaced, not merged into the one before (a resent
        // snapshot must not keep the fields it no longer has).
        setState({ run: snapshot });
        setProcessing(processingIn(snapshot.transactions));
      });
    },
    /**
     * Folds events into the run, in order, in one batch, through the shared fold: each
     * `transaction` or `account` event changes its row's fields in place, so only what reads them
     * re-runs, once for the whole batch.
     */
    apply(...events: RunEventBody[]) {
      const run = state.run;
      if (!run) return;
      const raw = unwrap(run);
      const draft = draftOf(raw, ['run']);
      // null: the row being processed did not change.
      let turned: ProcessingRow | undefined | null = null;
      batch(() => {
        for (const event of events) {
          if (event.type === 'transaction' && event.data.status === 'processing') {
            const at = index.transactions.get(event.data.invoiceId);
            if (at !== undefined && raw.transactions[at]?.status !== 'processing') turned = { index: at };
          }
          applyEvent(draft, index, event);
          if (event.type === 'transactions') turned = processingIn(raw.transactions);
        }
        if (turned !== null) setProcessing(turned);
      });
    },
  };

  /**
   * What the shared fold writes into: the run's raw objects, read as they are, each write (a set or
   * a delete, at any depth) made through the store's path setter, so Solid notifies just the fields
   * that changed. A list the fold puts in (built by it, from parsed JSON) goes in as it is (see
   * `asRaw`). Solid's `produce` would do the same, but it keeps a proxy for every object it ever
   * touched in a WeakMap: one per row of a 10,000-row run, for the garbage collector to trace at
   * each major collection. These proxies live for one event.
   */
  function draftOf<T extends object>(target: T, path: PropertyKey[]): T {
    return new Proxy(target, {
      get(object, key) {
        const value: unknown = Reflect.get(object, key);
        return value !== null && typeof value === 'object' ? draftOf(value, [...path, key]) : value;
      },
      set(_object, key, value: unknown) {
        write([...path, key], Array.isArray(value) ? asRaw(value) : value);
        return true;
      },
      deleteProperty(_object, key) {
        write([...path, key], undefined);
        return true;
      },
    });
  }
  function write(path: PropertyKey[], value: unknown) {
    (setState as unknown as (...pathAndValue: unknown[]) => void)(...path, value);
  }
}

export type RunStore = ReturnType<typeof createRunStore>;

export interface RunFollower {
  store: RunStore;
  connection: () => ConnectionState;
  /** True when the end of the run arrived over the stream (not a run opened finished). */
  endedLive: () => boolean;
  close(): void;
}

/** How long to wait before asking again when the stream or the snapshot could not be had. */
const RETRY_MS = 3000;
/** EventSource.CLOSED, without needing the global (absent in Node and jsdom). */
const CLOSED = 2;
/** The most one frame spends folding queued events; the rest waits for the next frame. */
const FOLD_BUDGET_MS = 8;
/** Events folded between two looks at the clock. */
const FOLD_SLICE = 128;
/** When frames do not come (a hidden tab), queued events are folded this often anyway. */
const FOLD_FALLBACK_MS = 250;

const now = () => (typeof performance === 'undefined' ? Date.now() : performance.now());
const nextFrame: (run: () => void) => number =
  typeof requestAnimationFrame === 'function' ? (run) => requestAnimationFrame(run) : (run) => setTimeout(run, 16) as unknown as number;
const cancelFrame: (id: number) => void = typeof cancelAnimationFrame === 'function' ? (id) => cancelAnimationFrame(id) : (id) => clearTimeout(id);

/**
 * Opens a run from its stream, without asking for the snapshot first: the stream opens with the
 * run's stored snapshot, and that one download says everything. A running run goes on live from
 * there; a finished one gets its snapshot and nothing more (the server closes that stream at once,
 * and so does this side, before the browser could reconnect), so it is shown Ended, with no live
 * stream and no auto-close. The EventSource resumes from its last id after a drop.
 *
 * Live events are folded once per frame, in order, in one batch: a listener only queues its
 * message, so a burst of thousands of events (the stream catching up) neither blocks the page in
 * one long task nor writes the same card or row to the DOM thousands of times; Solid updates
 * each changed row (and each card) once per frame, with the last value.
 *
 * No polling. When the browser gives the stream up (an answer that is not a stream: a 404 for an
 * unknown run, a 401, a 502 from a proxy), `GET …/progress/:id` says why: a 4xx ends it, a finished
 * run is shown from that snapshot, a running one is streamed again from the last id folded (at
 * once the first time, so an unknown run fails fast; after RETRY_MS later on).
 */
export function followRun(sessionId: string, makeEventSource: (url: string) => EventSource = (url) => new EventSource(url)): RunFollower {
  const store = createRunStore();
  const [connection, setConnection] = createSignal<ConnectionState>('connecting');
  const [endedLive, setEndedLive] = createSignal(false);
  const path = `/api/auto-purchase/progress/${encodeURIComponent(sessionId)}`;
  let source: EventSource | undefined;
  // The last event received: its id is read only when needed (to resume), not for every event.
  let lastEventId = '';
  let lastMessage: MessageEvent<string> | undefined;
  const lastId = () => {
    if (lastMessage) {
      lastEventId = lastMessage.lastEventId || lastEventId;
      lastMessage = undefined;
    }
    return lastEventId;
  };
  let retry: ReturnType<typeof setTimeout> | undefined;
  let closed = false;
  /** Whether the stream was given up before and `load` asked why: the next time, wait first. */
  let askedWhy = false;

  // Live events received and not folded yet, oldest first, still as text (two arrays: no object
  // per event).
  let types: RunEventBody['type'][] = [];
  let texts: string[] = [];
  let head = 0;
  let frame: number | undefined;
  let fallback: ReturnType<typeof setTimeout> | undefined;
  const unschedule = () => {
    if (frame !== undefined) cancelFrame(frame);
    clearTimeout(fallback);
    frame = fallback = undefined;
  };
  const drop = () => {
    unschedule();
    types = [];
    texts = [];
    head = 0;
  };
  /**
   * Folds what is queued, oldest first, in slices, until the queue is empty or the frame's budget
   * is spent. A list event (the whole transaction list, thousands of rows) gets a frame of its own.
   */
  const fold = () => {
    unschedule();
    const started = now();
    let ended = false;
    let full = false;
    batch(() => {
      while (head < types.length && !ended && !full) {
        const end = Math.min(types.length, head + FOLD_SLICE);
        const events: RunEventBody[] = [];
        for (; head < end; head++) {
          const type = types[head]!;
          const list = type === 'transactions' || type === 'accounts';
          if (list && (events.length > 0 || head > 0)) {
            full = true; // the list event waits for the next frame, where it comes first
            break;
          }
          events.push({ type, data: JSON.parse(texts[head]!) } as RunEventBody);
          if (list || type === 'end') {
            ended = type === 'end';
            full = list;
            head++;
            break;
          }
        }
        store.apply(...events);
        if (now() - started > FOLD_BUDGET_MS) break;
      }
      if (ended) {
        setEndedLive(true);
        setConnection('ended');
      }
    });
    if (ended || head >= types.length) drop();
    else {
      // Forget what was folded, so a list event left for the next frame finds itself first.
      types = types.slice(head);
      texts = texts.slice(head);
      head = 0;
      schedule();
    }
  };
  function schedule() {
    if (closed) return;
    frame ??= nextFrame(fold);
    fallback ??= setTimeout(fold, FOLD_FALLBACK_MS);
  }

  const retryLater = () => {
    if (!closed) retry = setTimeout(load, RETRY_MS);
  };

  const open = () => {
    const resumeFrom = lastId();
    source = makeEventSource(resumeFrom ? `${path}/events?lastEventId=${encodeURIComponent(resumeFrom)}` : `${path}/events`);
    const current = source;
    const remember = (message: Event) => {
      lastMessage = message as MessageEvent<string>;
    };
    // Live once the run is known to be running: on a reconnect (from the last id), or when the
    // opening snapshot says so (a finished run goes from Connecting… straight to Ended).
    current.addEventListener('open', () => {
      if (lastId() && connection() !== 'ended') setConnection('live');
    });
    current.addEventListener('error', () => {
      if (connection() === 'ended') return;
      if (lastId()) setConnection('reconnecting');
      // The browser reconnects by itself (with Last-Event-ID) unless it gave up on this source.
      if (current.readyState === CLOSED) {
        current.close();
        if (!askedWhy) {
          askedWhy = true;
          load();
        } else {
          setConnection('reconnecting');
          retryLater();
        }
      }
    });
    current.addEventListener('snapshot', (message) => {
      remember(message);
      const snapshot = JSON.parse((message as MessageEvent<string>).data) as RunSnapshot;
      // Whatever was queued is older than this snapshot, which already holds it.
      drop();
      store.setSnapshot(snapshot);
      setConnection(snapshot.status === 'running' ? 'live' : 'ended');
      if (snapshot.status !== 'running') current.close();
    });
    for (const type of runEventTypes) {
      current.addEventListener(type, (message) => {
        remember(message);
        types.push(type);
        texts.push((message as MessageEvent<string>).data);
        schedule();
        // The last event: the server closes the stream; this side must not reconnect.
        if (type === 'end') current.close();
      });
    }
  };

  /** Asks for the stored snapshot: why the stream could not be had, and whether to stream again. */
  function load() {
    void api<RunSnapshot>('GET', path)
      .then((snapshot) => {
        if (closed) return;
        if (snapshot.status === 'running') open();
        else {
          // It holds every event still queued.
          drop();
          store.setSnapshot(snapshot);
          setConnection('ended');
        }
      })
      .catch((error: unknown) => {
        if (closed) return;
        // A 4xx (unknown run, logged out) will not get better by asking again.
        if (error instanceof ApiError && error.status >= 400 && error.status < 500) setConnection('ended');
        else {
          setConnection('reconnecting');
          retryLater();
        }
      });
  }
  open();

  return {
    store,
    connection,
    endedLive,
    close() {
      closed = true;
      clearTimeout(retry);
      drop();
      source?.close();
    },
  };
}
