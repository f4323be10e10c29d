// One run followed live: its stream (connection.ts) feeds the frame batch (frame-batch.ts), which
// folds into the run's store (run-view-store.ts). What the progress modal reads.
import { createSignal } from 'solid-js';
import { type ConnectionState, connectRunStream, type RunAccess } from './connection.js';
import { createFrameBatch } from './frame-batch.js';
import { createRunViewStore, type RunViewStore } from './run-view-store.js';

export interface RunFollower {
  store: RunViewStore;
  connection: () => ConnectionState;
  /** The 4xx status that ended the connection (unknown run, expired watch link), if one did. */
  refusal: () => number | undefined;
  /** True when the end of the run arrived over the stream (not a run opened finished). */
  endedLive: () => boolean;
  close(): void;
}

export function followRun(
  sessionId: string,
  makeEventSource: (url: string) => EventSource = (url) => new EventSource(url),
  access: RunAccess = {},
): RunFollower {
  const store = createRunViewStore();
  const [endedLive, setEndedLive] = createSignal(false);
  const frames = createFrameBatch((events) => {
    store.apply(...events);
    if (events.at(-1)?.type !== 'end') return;
    setEndedLive(true);
    stream.ended();
  });
  const stream = connectRunStream(
    sessionId,
    {
      snapshot(snapshot) {
        // Whatever was queued is older than this snapshot, which already holds it.
        frames.drop();
        store.setSnapshot(snapshot);
      },
      event: frames.push,
    },
    makeEventSource,
    access,
  );
  return {
    store,
    connection: stream.state,
    refusal: stream.refusal,
    endedLive,
    close() {
      frames.close();
      stream.close();
    },
  };
}
