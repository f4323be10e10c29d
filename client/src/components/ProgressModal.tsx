// The progress modal (SPEC §8): one run, live from its stream through the shared fold. It only
// reads the store that `followRun` keeps; the pieces below neither fetch nor fold.
import { Dialog } from '@kobalte/core/dialog';
import { Pin, PinOff } from '../icons.js';
import { createEffect, createMemo, createSignal, onCleanup, Show } from 'solid-js';
import type { ConnectionState } from '../run/connection.js';
import { followRun, type RunFollower } from '../run/follow-run.js';
import { ConnectionIndicator, NotLoaded, RunBody, RunHeader } from './RunBody.js';
import { ShareLiveView } from './ShareLiveView.js';

/** After an end seen live, the modal closes by itself this long after, unless pinned. */
export const AUTO_CLOSE_MS = 3000;

export interface ProgressModalProps {
  sessionId: string;
  onClose: () => void;
  /** How to follow a run; tests pass one with a fake EventSource. */
  follow?: (sessionId: string) => RunFollower;
}

export function ProgressModal(props: ProgressModalProps) {
  // One follower (one EventSource) per open run, closed when the modal goes or the run changes.
  const follower = createMemo(() => {
    const follow = props.follow ?? followRun;
    const opened = follow(props.sessionId);
    onCleanup(() => opened.close());
    return opened;
  });
  const run = () => follower().store.state.run;
  const connection = () => follower().connection();
  /** Closable once the run ended, or when it could not be loaded at all (not while first loading). */
  const closable = () => {
    const current = run();
    return current ? current.status !== 'running' : connection() !== 'connecting';
  };
  const [pinned, setPinned] = createSignal(false);
  const autoClosing = () => follower().endedLive() && !pinned();

  createEffect(() => {
    if (!autoClosing()) return;
    const timer = setTimeout(() => props.onClose(), AUTO_CLOSE_MS);
    onCleanup(() => clearTimeout(timer));
  });

  const close = () => {
    if (closable()) props.onClose();
  };
  // Esc and a click outside do nothing while the run is going.
  const holdWhileRunning = (event: Event) => {
    if (!closable()) event.preventDefault();
  };
  let content: HTMLDivElement | undefined;

  return (
    <Dialog open modal onOpenChange={(open) => !open && close()}>
      <Dialog.Portal>
        {/* No backdrop blur: a blurred full-window backdrop is redrawn with every frame of a live
            run, and without a GPU that alone held the page to ~20 fps. */}
        <Dialog.Overlay class="fixed inset-0 z-50 bg-black/60" />
        {/* The bottom 5rem stay clear: toasts show there (bottom right, over everything), and must
            not cover Pin or Close when the modal opens with one (the account was saved). */}
        <div class="fixed inset-0 z-50 flex items-center justify-center px-2 pt-2 pb-20 sm:px-4 sm:pt-4">
          {/* At most the height left in the window, so the header and the footer (connection, Pin,
              Close) are always on screen; the part between them scrolls when it does not fit. */}
          {/* Kobalte hides the page from assistive tech but does not say so: aria-modal does (WAI-ARIA dialog). */}
          <Dialog.Content
            ref={content}
            aria-modal="true"
            class="flex max-h-full w-full max-w-4xl min-w-0 flex-col overflow-hidden rounded-xl border border-slate-700 bg-[#1e293b] text-slate-100 shadow-2xl outline-none"
            onEscapeKeyDown={holdWhileRunning}
            onInteractOutside={holdWhileRunning}
            onOpenAutoFocus={(event) => {
              // Focus the dialog itself (its name is read out), not the first scrollable table.
              event.preventDefault();
              content?.focus();
            }}
          >
            <div class="shrink-0 px-3 pt-3 sm:px-5 sm:pt-5">
              <RunHeader run={run()} title={<Dialog.Title class="text-lg font-semibold text-slate-50">Auto-purchase progress</Dialog.Title>} />
            </div>
            <div class="flex min-h-0 flex-1 flex-col gap-4 overflow-x-hidden overflow-y-auto px-3 py-4 sm:px-5">
              <Show when={run()} fallback={<NotLoaded connection={connection()} />}>
                {(current) => <RunBody run={current()} processing={follower().store.processing()} />}
              </Show>
            </div>
            <ModalFooter
              sessionId={props.sessionId}
              connection={connection()}
              autoClosing={autoClosing()}
              pinned={pinned()}
              onPin={() => setPinned(!pinned())}
              // The link to copy by hand must not vanish with an auto-close.
              onShareShown={() => setPinned(true)}
              closable={closable()}
              onClose={close}
            />
          </Dialog.Content>
        </div>
      </Dialog.Portal>
    </Dialog>
  );
}

/** The connection, the auto-close note, Share live view, Pin and Close. */
function ModalFooter(props: {
  sessionId: string;
  connection: ConnectionState;
  autoClosing: boolean;
  pinned: boolean;
  onPin: () => void;
  onShareShown: () => void;
  closable: boolean;
  onClose: () => void;
}) {
  return (
    <footer class="flex shrink-0 flex-wrap items-center justify-between gap-2 border-t border-slate-700 px-3 py-3 sm:px-5 sm:pb-5">
      <div class="flex flex-wrap items-center gap-3">
        <ConnectionIndicator state={props.connection} />
        <Show when={props.autoClosing}>
          <span class="text-xs text-slate-400">Closes in {AUTO_CLOSE_MS / 1000} s unless pinned</span>
        </Show>
      </div>
      <ShareLiveView sessionId={props.sessionId} onShown={() => props.onShareShown()} />
      <div class="flex gap-2">
        <PinToggle pinned={props.pinned} onToggle={() => props.onPin()} />
        <button
          type="button"
          class="rounded-md bg-slate-600 px-4 py-1.5 text-sm font-medium text-white hover:bg-slate-500 disabled:cursor-not-allowed disabled:opacity-50"
          disabled={!props.closable}
          title={props.closable ? undefined : 'Available once the run has ended'}
          onClick={() => props.onClose()}
        >
          Close
        </button>
      </div>
    </footer>
  );
}

function PinToggle(props: { pinned: boolean; onToggle: () => void }) {
  return (
    <button
      type="button"
      aria-pressed={props.pinned}
      title={props.pinned ? 'Pinned open: it will not close by itself' : 'Keep this open after the run ends'}
      class={`inline-flex items-center gap-1.5 rounded-md border px-3 py-1.5 text-sm font-medium ${
        props.pinned ? 'border-blue-400 bg-blue-500/20 text-blue-200' : 'border-slate-600 text-slate-200 hover:bg-slate-700'
      }`}
      onClick={() => props.onToggle()}
    >
      {props.pinned ? <Pin size={16} aria-hidden="true" /> : <PinOff size={16} aria-hidden="true" />}
      Pin
    </button>
  );
}
