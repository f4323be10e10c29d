// Follows a run's stream with the shared fold: EventSource resumes from its last id after a drop.
// Resolves with the exit code: 0 completed, 1 failed, 2 connection error.
import { EventSource } from 'eventsource';
import { controlSafeJson } from '../domain/escape-control.js';
import { applyEvent, indexOf, type FoldIndex } from '../domain/fold.js';
import { runEventTypes, type RunEventBody, type RunSnapshot } from '../domain/run.js';
import { linesFor, snapshotLines } from './draw.js';
import type { WatchTarget } from './watch-target.js';

export interface WatchOptions {
  /** The run's stream: a session id on a server, or a watch link (src/cli/watch-target.ts). */
  target: WatchTarget;
  /** Sent as a bearer token for a session-id target only; never with a watch link. */
  token?: string;
  json: boolean;
  out: (line: string) => void;
  err: (line: string) => void;
  /** How long the stream may stay down before the watcher gives up. */
  giveUpAfterMs?: number;
}

export function watchRun(options: WatchOptions): Promise<number> {
  const { target, token } = options;
  const { sessionId } = target;
  // A watch link is a credential: no message may show it, whatever text an error carries.
  const err = target.accessToken ? (line: string) => options.err(line.replaceAll(target.accessToken!, '…')) : options.err;
  // The admin token only ever goes to the server of a session-id target (from --url/AUTOPURCHASE_URL),
  // never with a watch link, whose URL names a host of its own.
  const authorization: Record<string, string> = target.accessToken === undefined && token ? { Authorization: `Bearer ${token}` } : {};
  return new Promise((resolve) => {
    let snapshot: RunSnapshot | undefined;
    let index: FoldIndex | undefined;
    let downSince: number | undefined;
    let opened = false;
    let done = false;
    const source = new EventSource(target.streamUrl, {
      fetch: (input, init) => fetch(input, { ...init, headers: { ...init?.headers, ...authorization } }),
    });
    const finish = (code: number) => {
      if (done) return;
      done = true;
      clearInterval(watchdog);
      source.close();
      resolve(code);
    };
    const watchdog = setInterval(() => {
      if (downSince !== undefined && Date.now() - downSince > (options.giveUpAfterMs ?? 60_000)) {
        err(`autopurchase: the stream stayed down; giving up`);
        finish(2);
      }
    }, 500);

    source.addEventListener('open', () => {
      opened = true;
      downSince = undefined;
    });
    source.addEventListener('error', (event) => {
      const status = (event as { code?: number }).code;
      if (!opened || (status !== undefined && status >= 400)) {
        err(`autopurchase: cannot follow run ${sessionId} at ${target.shown}: ${status ? `HTTP ${status}${refusal(status, target)}` : (event as { message?: string }).message ?? 'connection error'}`);
        finish(2);
        return;
      }
      downSince ??= Date.now();
      if (!options.json) err('… reconnecting');
    });

    source.addEventListener('snapshot', (message) => {
      snapshot = JSON.parse(message.data) as RunSnapshot;
      index = indexOf(snapshot);
      if (options.json) options.out(controlSafeJson({ seq: Number(message.lastEventId), type: 'snapshot', snapshot }));
      else for (const line of snapshotLines(snapshot)) options.out(line);
      if (snapshot.status !== 'running') finish(snapshot.status === 'completed' ? 0 : 1);
    });

    for (const type of runEventTypes) {
      source.addEventListener(type, (message) => {
        if (!snapshot || !index) return;
        const event = { type, data: JSON.parse(message.data) } as RunEventBody;
        applyEvent(snapshot, index, event);
        if (options.json) {
          options.out(controlSafeJson({ seq: Number(message.lastEventId), type, data: event.data, status: snapshot.status, currentStep: snapshot.currentStep, summary: snapshot.summary }));
        } else {
          for (const line of linesFor(event, snapshot)) options.out(line);
        }
        if (event.type === 'end') finish(event.data.status === 'completed' ? 0 : 1);
      });
    }
  });
}

/** What a refusal means for a watch link: it has expired or was made under another admin token, or is for another run. */
function refusal(status: number, target: WatchTarget): string {
  if (!target.accessToken) return '';
  if (status === 401) return ' (the watch link is not valid: expired, changed, or made before ADMIN_TOKEN changed)';
  if (status === 403) return ' (the watch link does not open this run)';
  return '';
}
