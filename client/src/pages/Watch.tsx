// The read-only live view (SPEC §12): `/watch/:sessionId?access_token=…`, opened by someone who is
// not logged in (a teammate, a customer). One run, followed as the progress modal follows it, with
// the watch link's token on the snapshot and stream URLs; nothing here changes anything, and a
// refused link says so (never a log-in form). The address keeps its token, so a reload works.
import { createMemo, onCleanup, onMount, Show } from 'solid-js';
import { ConnectionIndicator, NotLoaded, RunBody, RunHeader } from '../components/RunBody.js';
import { TriangleAlert } from '../icons.js';
import { followRun } from '../run/follow-run.js';

const prefix = '/watch/';

/** Whether this address is a watch page (App renders it outside the log-in gate). */
export function isWatchPath(pathname: string): boolean {
  return pathname.startsWith(prefix);
}

export interface WatchTarget {
  sessionId: string;
  /** The watch link's token; empty when the address has none. */
  accessToken: string;
}

/** The run and the token a `/watch/:sessionId?access_token=…` address carries. */
export function watchTarget(location: { pathname: string; search: string }): WatchTarget {
  const segment = location.pathname.slice(prefix.length).replace(/\/+$/, '');
  let sessionId = '';
  try {
    sessionId = decodeURIComponent(segment);
  } catch {
    // A malformed escape names no run: the page says the link is not valid.
  }
  return { sessionId, accessToken: new URLSearchParams(location.search).get('access_token') ?? '' };
}

/** The token is in the address: no request from this page may carry it away in a Referer. */
function withoutReferrer() {
  const meta = Object.assign(document.createElement('meta'), { name: 'referrer', content: 'no-referrer' });
  document.head.append(meta);
  onCleanup(() => meta.remove());
}

export function Watch(props: { target?: WatchTarget }) {
  const target = () => props.target ?? watchTarget(window.location);
  onMount(() => {
    withoutReferrer();
    document.title = 'Live view · Auto-purchase';
  });
  const usable = () => target().sessionId !== '' && target().accessToken !== '';

  return (
    <main class="mx-auto flex max-w-4xl min-w-0 flex-col gap-4 px-3 py-4 sm:px-6 sm:py-6">
      <Show when={usable()} fallback={<LinkRefused />}>
        <WatchedRun sessionId={target().sessionId} accessToken={target().accessToken} />
      </Show>
    </main>
  );
}

function WatchedRun(props: { sessionId: string; accessToken: string }) {
  const follower = createMemo(() => {
    const opened = followRun(props.sessionId, undefined, { accessToken: props.accessToken });
    onCleanup(() => opened.close());
    return opened;
  });
  const run = () => follower().store.state.run;
  const refused = () => {
    const status = follower().refusal();
    return status === 401 || status === 403;
  };

  return (
    <>
      <RunHeader
        run={run()}
        title={
          <h1 class="text-lg font-semibold break-words text-slate-50">
            Live view of run <span class="font-mono text-base">{props.sessionId}</span>
          </h1>
        }
      />
      <div class="flex flex-wrap items-center justify-between gap-2 text-xs text-slate-400">
        <ConnectionIndicator state={follower().connection()} />
        <span>Read-only: this page follows the run by itself.</span>
      </div>
      <Show when={refused()}>
        <LinkRefused />
      </Show>
      <Show when={run()} fallback={<Show when={!refused()}>{<NotLoaded connection={follower().connection()} />}</Show>}>
        {(current) => <RunBody run={current()} processing={follower().store.processing()} />}
      </Show>
    </>
  );
}

function LinkRefused() {
  return (
    <p role="alert" class="flex items-center gap-2 rounded-lg border border-amber-500/40 bg-amber-500/10 px-3 py-3 text-sm text-amber-200">
      <TriangleAlert size={18} aria-hidden="true" class="shrink-0" />
      This link has expired or is not valid. Ask whoever shared it for a new one.
    </p>
  );
}
