// The progress modal (SPEC §8): one run, live from its stream through the shared fold. It only
// reads the store that `followRun` keeps; the pieces below neither fetch nor fold.
import { Dialog } from '@kobalte/core/dialog';
import { Pin, PinOff } from '../icons.js';
import { createEffect, createMemo, createSignal, For, onCleanup, Show } from 'solid-js';
import type { RunSnapshot, RunSummary } from '../../../src/domain/run.js';
import type { ConnectionState } from '../run/connection.js';
import { followRun, type RunFollower } from '../run/follow-run.js';
import type { ProcessingRow } from '../run/run-view-store.js';
import { StockAccountsTable, TransactionsTable } from './RunTables.js';
import { StatusBadge } from './StatusBadge.js';

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
              <RunHeader run={run()} />
            </div>
            <div class="flex min-h-0 flex-1 flex-col gap-4 overflow-x-hidden overflow-y-auto px-3 py-4 sm:px-5">
              <Show when={run()} fallback={<NotLoaded connection={connection()} />}>
                {(current) => <RunBody run={current()} processing={follower().store.processing()} />}
              </Show>
            </div>
            <ModalFooter
              connection={connection()}
              autoClosing={autoClosing()}
              pinned={pinned()}
              onPin={() => setPinned(!pinned())}
              closable={closable()}
              onClose={close}
            />
          </Dialog.Content>
        </div>
      </Dialog.Portal>
    </Dialog>
  );
}

/** The connection, the auto-close note, Pin and Close. */
function ModalFooter(props: {
  connection: ConnectionState;
  autoClosing: boolean;
  pinned: boolean;
  onPin: () => void;
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

function RunHeader(props: { run: RunSnapshot | undefined }) {
  return (
    <header class="flex flex-wrap items-start justify-between gap-2">
      <div class="min-w-0 flex-1">
        <Dialog.Title class="text-lg font-semibold text-slate-50">Auto-purchase progress</Dialog.Title>
        <p data-testid="current-step" class="mt-1 text-sm break-words text-slate-300">
          {props.run?.currentStep ?? ''}
        </p>
        <Show when={props.run?.triggeredBy}>
          {(trigger) => <p class="mt-0.5 text-xs text-slate-400">Triggered by {trigger().stockAccountName}</p>}
        </Show>
      </div>
      <Show when={props.run}>
        {(current) => (
          <div aria-live="polite">
            <StatusBadge data-testid="run-status" data-status={current().status} status={current().status} large />
          </div>
        )}
      </Show>
    </header>
  );
}

function RunBody(props: { run: RunSnapshot; processing: ProcessingRow | undefined }) {
  return (
    <>
      <SummaryCards summary={props.run.summary} />
      <Show when={props.run.error}>
        <p role="alert" class="rounded-lg border border-red-500/40 bg-red-500/10 px-3 py-2 text-sm break-words text-red-300">
          {props.run.error}
        </p>
      </Show>
      <section class="min-w-0 space-y-1.5">
        <h3 class="text-sm font-medium text-slate-300">Stock accounts</h3>
        <StockAccountsTable accounts={props.run.stockAccounts} />
      </section>
      <section class="min-w-0 space-y-1.5">
        <h3 class="text-sm font-medium text-slate-300">Transactions</h3>
        <TransactionsTable transactions={props.run.transactions} processing={props.processing} />
      </section>
    </>
  );
}

function NotLoaded(props: { connection: ConnectionState }) {
  return (
    <p class="py-6 text-center text-sm text-slate-400">
      {props.connection === 'ended' ? 'This run could not be loaded.' : 'Loading the run…'}
    </p>
  );
}

const cards: { name: string; label: string; tone: string; count: (summary: RunSummary) => number }[] = [
  { name: 'total', label: 'Total', tone: 'text-white', count: (s) => s.totalTransactions },
  { name: 'processed', label: 'Processed', tone: 'text-green-400', count: (s) => s.processedCount },
  { name: 'failed', label: 'Failed', tone: 'text-red-400', count: (s) => s.failedCount },
  { name: 'skipped', label: 'Skipped', tone: 'text-yellow-300', count: (s) => s.skippedCount },
  { name: 'unknown', label: 'Unknown', tone: 'text-orange-400', count: (s) => s.unknownCount },
];

function SummaryCards(props: { summary: RunSummary }) {
  const shown = () => cards.filter((card) => card.name !== 'unknown' || card.count(props.summary) > 0);
  return (
    <div class="grid grid-cols-2 gap-2 sm:grid-cols-[repeat(auto-fit,minmax(7rem,1fr))]">
      <For each={shown()}>
        {(card) => (
          <div data-testid={`card-${card.name}`} class="rounded-lg bg-[#334155] px-3 py-2">
            <div class="text-xs font-medium tracking-wide text-slate-300 uppercase">{card.label}</div>
            <div class={`text-2xl font-semibold tabular-nums ${card.tone}`}>{card.count(props.summary)}</div>
          </div>
        )}
      </For>
    </div>
  );
}

const connectionLooks: Record<ConnectionState, { text: string; dot: string }> = {
  connecting: { text: 'Connecting…', dot: 'bg-slate-400' },
  live: { text: 'Live', dot: 'bg-green-400 animate-pulse' },
  reconnecting: { text: 'Reconnecting…', dot: 'bg-amber-400' },
  ended: { text: 'Ended', dot: 'bg-slate-500' },
};

function ConnectionIndicator(props: { state: ConnectionState }) {
  return (
    <span class="inline-flex items-center gap-1.5 text-xs text-slate-300">
      <span aria-hidden="true" class={`h-2 w-2 rounded-full ${connectionLooks[props.state].dot}`} />
      <span data-testid="connection" role="status">
        {connectionLooks[props.state].text}
      </span>
    </span>
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
