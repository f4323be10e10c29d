// A run's progress stream (SPEC §5) and its reconnect policy. The stream opens with the run's
// snapshot, so no GET comes first; the EventSource resumes from its last id after a drop. No
// polling: only when the browser gives the stream up does `GET …/progress/:id` say why.
import { createSignal } from 'solid-js';
import { runEventTypes, type RunEventType, type RunSnapshot } from '../../../src/domain/run.js';
import { ApiError, api, capabilityGet } from '../api.js';

export type ConnectionState = 'connecting' | 'live' | 'reconnecting' | 'ended';

export interface RunStreamHandlers {
  /** The whole run: the stream's opening snapshot, or the GET's once the stream was given up. */
  snapshot(snapshot: RunSnapshot): void;
  /** A live event, its data still as text (parsed when folded). */
  event(type: RunEventType, text: string): void;
}

export interface RunStream {
  state: () => ConnectionState;
  /** The 4xx status that ended it (a run that does not exist, a link that expired), if one did. */
  refusal: () => number | undefined;
  /** The `end` event was folded: nothing more will come. */
  ended(): void;
  close(): void;
}

/** How long to wait before asking again when the stream or the snapshot could not be had. */
const RETRY_MS = 3000;
/** EventSource.CLOSED, without needing the global (absent in Node and jsdom). */
const CLOSED = 2;

/** A watch link's capability: the token the snapshot and the stream are asked for with. */
export interface RunAccess {
  accessToken?: string;
}

/**
 * The run's snapshot and stream URLs. A watch link's token goes in the query: an EventSource
 * cannot send headers, and the one who watches has no session cookie.
 */
export function runStreamUrls(sessionId: string, access: RunAccess = {}) {
  const path = `/api/auto-purchase/progress/${encodeURIComponent(sessionId)}`;
  const withToken = (url: string, more: Record<string, string> = {}) => {
    const query = new URLSearchParams({ ...(access.accessToken ? { access_token: access.accessToken } : {}), ...more }).toString();
    return query ? `${url}?${query}` : url;
  };
  return {
    snapshot: withToken(path),
    events: (lastEventId: string) => withToken(`${path}/events`, lastEventId ? { lastEventId } : {}),
  };
}

export function connectRunStream(
  sessionId: string,
  handlers: RunStreamHandlers,
  makeEventSource: (url: string) => EventSource,
  access: RunAccess = {},
): RunStream {
  const [state, setState] = createSignal<ConnectionState>('connecting');
  const [refusal, setRefusal] = createSignal<number>();
  const urls = runStreamUrls(sessionId, access);
  // A watch link's GET must not log anyone out on a 401: it is the link that is refused.
  const get = access.accessToken ? capabilityGet<RunSnapshot> : (path: string) => api<RunSnapshot>('GET', path);
  const lastId = createLastEventId();
  let source: EventSource | undefined;
  let retry: ReturnType<typeof setTimeout> | undefined;
  let closed = false;
  // The first time the stream is given up, ask why at once (an unknown run fails fast); then wait.
  let askedWhy = false;

  const retryLater = () => {
    setState('reconnecting');
    if (!closed) retry = setTimeout(load, RETRY_MS);
  };

  function onGiveUp(current: EventSource) {
    if (state() === 'ended') return;
    if (lastId.read()) setState('reconnecting');
    // The browser reconnects by itself (with Last-Event-ID) unless it gave up on this source.
    if (current.readyState !== CLOSED) return;
    current.close();
    if (askedWhy) return retryLater();
    askedWhy = true;
    load();
  }

  function open() {
    const resumeFrom = lastId.read();
    const current = makeEventSource(urls.events(resumeFrom));
    source = current;
    listen(current, lastId, {
      // Live once the run is known to be running: on a reconnect (from the last id), or when the
      // opening snapshot says so (a finished run goes from Connecting… straight to Ended).
      open: () => {
        if (lastId.read() && state() !== 'ended') setState('live');
      },
      error: () => onGiveUp(current),
      snapshot(snapshot) {
        handlers.snapshot(snapshot);
        setState(snapshot.status === 'running' ? 'live' : 'ended');
        // A finished run's stream ends here: close it before the browser reconnects.
        if (snapshot.status !== 'running') current.close();
      },
      event(type, text) {
        handlers.event(type, text);
        // The server closes the stream after `end`: this side must not reconnect.
        if (type === 'end') current.close();
      },
    });
  }

  /** Asks for the stored snapshot: why the stream could not be had, and whether to stream again. */
  function load() {
    void get(urls.snapshot)
      .then((snapshot) => {
        if (closed) return;
        if (snapshot.status === 'running') return open();
        handlers.snapshot(snapshot);
        setState('ended');
      })
      .catch((error: unknown) => {
        if (closed) return;
        // A 4xx (unknown run, logged out) will not get better by asking again.
        if (error instanceof ApiError && error.status >= 400 && error.status < 500) {
          setRefusal(error.status);
          setState('ended');
        }
        else retryLater();
      });
  }

  open();
  return {
    state,
    refusal,
    ended: () => setState('ended'),
    close() {
      closed = true;
      clearTimeout(retry);
      source?.close();
    },
  };
}

/** The id of the last event received, read from its message only when needed (to resume). */
function createLastEventId() {
  let id = '';
  let last: MessageEvent<string> | undefined;
  return {
    remember: (message: Event) => {
      last = message as MessageEvent<string>;
    },
    read: () => {
      if (last) {
        id = last.lastEventId || id;
        last = undefined;
      }
      return id;
    },
  };
}

/** One EventSource's listeners: each message's id remembered, its data passed on. */
function listen(
  source: EventSource,
  lastId: ReturnType<typeof createLastEventId>,
  on: RunStreamHandlers & { open(): void; error(): void },
) {
  source.addEventListener('open', () => on.open());
  source.addEventListener('error', () => on.error());
  source.addEventListener('snapshot', (message) => {
    lastId.remember(message);
    on.snapshot(JSON.parse((message as MessageEvent<string>).data) as RunSnapshot);
  });
  for (const type of runEventTypes) {
    source.addEventListener(type, (message) => {
      lastId.remember(message);
      on.event(type, (message as MessageEvent<string>).data);
    });
  }
}
