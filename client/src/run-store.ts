// A run in a Solid store, kept current by the shared fold (src/domain/fold.ts): each event is
// applied in place through `produce`, so a `transaction` event changes one row's fields, never the
// list, and only what reads those fields re-renders.
import { createSignal } from 'solid-js';
import { createStore, produce } from 'solid-js/store';
import { applyEvent, indexOf, type FoldIndex } from '../../src/domain/fold.js';
import { runEventTypes, type RunEventBody, type RunSnapshot } from '../../src/domain/run.js';
import { ApiError, api } from './api.js';

export type ConnectionState = 'connecting' | 'live' | 'reconnecting' | 'ended';

export function createRunStore() {
  const [state, setState] = createStore<{ run: RunSnapshot | undefined }>({ run: undefined });
  let index: FoldIndex = { transactions: new Map(), accounts: new Map() };
  return {
    state,
    /** Replaces the whole run (the stream's opening snapshot, or the stored one). */
    setSnapshot(snapshot: RunSnapshot) {
      index = indexOf(snapshot);
      setState('run', snapshot);
    },
    /** Folds one event into the run, in place. */
    apply(event: RunEventBody) {
      if (!state.run) return;
      setState(
        'run',
        produce((run) => applyEvent(run!, index, event)),
      );
    },
  };
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

/**
 * Opens a run: a finished one from its stored snapshot, without a stream; a running one from
 * the stream, whose EventSource resumes from its last id after a drop. No polling: when the
 * browser gives the stream up (an answer that is not a stream, e.g. a 502 from a proxy or the
 * 204 sent after `end`), it asks for the snapshot again and resumes from the last id it folded.
 */
export function followRun(sessionId: string, makeEventSource: (url: string) => EventSource = (url) => new EventSource(url)): RunFollower {
  const store = createRunStore();
  const [connection, setConnection] = createSignal<ConnectionState>('connecting');
  const [endedLive, setEndedLive] = createSignal(false);
  const path = `/api/auto-purchase/progress/${encodeURIComponent(sessionId)}`;
  let source: EventSource | undefined;
  let lastEventId = '';
  let retry: ReturnType<typeof setTimeout> | undefined;
  let closed = false;

  const retryLater = () => {
    if (!closed) retry = setTimeout(load, RETRY_MS);
  };

  const open = () => {
    source = makeEventSource(lastEventId ? `${path}/events?lastEventId=${encodeURIComponent(lastEventId)}` : `${path}/events`);
    const current = source;
    const remember = (message: Event) => {
      const id = (message as MessageEvent<string>).lastEventId;
      if (id) lastEventId = id;
    };
    current.addEventListener('open', () => setConnection('live'));
    current.addEventListener('error', () => {
      if (connection() === 'ended') return;
      setConnection('reconnecting');
      // The browser reconnects by itself (with Last-Event-ID) unless it gave up on this source.
      if (current.readyState === CLOSED) {
        current.close();
        retryLater();
      }
    });
    current.addEventListener('snapshot', (message) => {
      remember(message);
      const snapshot = JSON.parse((message as MessageEvent<string>).data) as RunSnapshot;
      store.setSnapshot(snapshot);
      setConnection(snapshot.status === 'running' ? 'live' : 'ended');
      if (snapshot.status !== 'running') current.close();
    });
    for (const type of runEventTypes) {
      current.addEventListener(type, (message) => {
        remember(message);
        const event = { type, data: JSON.parse((message as MessageEvent<string>).data) } as RunEventBody;
        store.apply(event);
        if (event.type === 'end') {
          setEndedLive(true);
          setConnection('ended');
          current.close();
        }
      });
    }
  };

  function load() {
    void api<RunSnapshot>('GET', path)
      .then((snapshot) => {
        if (closed) return;
        if (snapshot.status === 'running') open();
        else {
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
  load();

  return {
    store,
    connection,
    endedLive,
    close() {
      closed = true;
      clearTimeout(retry);
      source?.close();
    },
  };
}
