// What a run looks like, live: its header, summary cards, error and tables, and the connection
// indicator. The progress modal and the read-only watch page (pages/Watch.tsx) both draw it; it has
// no control that changes anything (no retry, no resolve), so the watch page shows it as it is.
import { For, type JSX, Show } from 'solid-js';
import type { RunSnapshot, RunSummary } from '../../../src/domain/run.js';
import type { ConnectionState } from '../run/connection.js';
import type { ProcessingRow } from '../run/run-view-store.js';
import { StockAccountsTable, TransactionsTable } from './RunTables.js';
import { StatusBadge } from './StatusBadge.js';

/** The title (the modal's Dialog.Title, the watch page's heading), the current step and the status badge. */
export function RunHeader(props: { run: RunSnapshot | undefined; title: JSX.Element }) {
  return (
    <header class="flex flex-wrap items-start justify-between gap-2">
      <div class="min-w-0 flex-1">
        {props.title}
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

/** The summary cards, the run error and the two tables. */
export function RunBody(props: { run: RunSnapshot; processing: ProcessingRow | undefined }) {
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

export function NotLoaded(props: { connection: ConnectionState }) {
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

export function ConnectionIndicator(props: { state: ConnectionState }) {
  return (
    <span class="inline-flex items-center gap-1.5 text-xs text-slate-300">
      <span aria-hidden="true" class={`h-2 w-2 rounded-full ${connectionLooks[props.state].dot}`} />
      <span data-testid="connection" role="status">
        {connectionLooks[props.state].text}
      </span>
    </span>
  );
}
