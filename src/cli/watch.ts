// Follows a run's stream with the shared fold: EventSource resumes from its last id after a drop.
// Resolves with the exit code: 0 completed, 1 failed, 2 connection error.
import { EventSource } from 'eventsource';
import { controlSafeJson } from '../domain/escape-control.js';
import { applyEvent, indexOf, type FoldIndex } from '../domain/fold.js';
import { runEventTypes, type RunEventBody, type RunSnapshot } from '../domain/run.js';
import { linesFor, snapshotLines } from './draw.js';

export interface WatchOptions {
  url: string;
  token: string;
  sessionId: string;
  json: boolean;
  out: (line: string) => void;
  err: (line: string) => void;
  /** How long the stream may stay down before the watcher gives up. */
  giveUpAfterMs?: number;
}

export function watchRun(options: WatchOptions): Promise<number> {
  const streamUrl = `${options.url.replace(/\/$/, '')}/api/auto-purchase/progress/${encodeURIComponent(options.sessionId)}/events`;
  return new Promise((resolve) => {
    let snapshot: RunSnapshot | undefined;
    let index: FoldIndex | undefined;
    let downSince: number | undefined;
    let opened = false;
    let done = false;
    const source = new EventSource(streamUrl, {
      fetch: (input, init) => fetch(input, { ...init, headers: { ...init?.headers, Authorization: `Bearer ${options.token}` } }),
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
        options.err(`autopurchase: the stream stayed down; giving up`);
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
        options.err(`autopurchase: cannot follow run ${options.sessionId}: ${status ? `HTTP ${status}` : (event as { message?: string }).message ?? 'connection error'}`);
        finish(2);
        return;
      }
      downSince ??= Date.now();
      if (!options.json) options.err('… reconnecting');
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
