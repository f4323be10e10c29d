// One stored run in the history table, opened by a click or Enter / Space, and the table's empty
// state, which says what to do next.
import { A } from '@solidjs/router';
import { Show } from 'solid-js';
import type { RunOverview } from '../../../src/domain/api.js';
import { formatDateTime, formatDuration, formatNumber } from '../format.js';
import { FormButton } from './FormButton.js';
import { StatusBadge } from './StatusBadge.js';
import { tableCellClass, tableRowClass } from './TableShell.js';

export const historyColumns = [
  { label: 'Started' },
  { label: 'Trigger' },
  { label: 'Status' },
  { label: 'Processed / Total', align: 'right' as const },
  { label: 'Failed', align: 'right' as const },
  { label: 'Skipped', align: 'right' as const },
  { label: 'Unknown', align: 'right' as const },
  { label: 'Duration', align: 'right' as const },
];

function duration(run: RunOverview): string {
  if (run.endTime) return formatDuration(Date.parse(run.endTime) - Date.parse(run.startTime));
  return run.status === 'running' ? 'Running…' : '—';
}

const number = `${tableCellClass} text-right tabular-nums whitespace-nowrap`;
/** A count, coloured when it is not zero. */
function CountCell(props: { n: number; tone: string }) {
  return <td class={`${number} ${props.n > 0 ? props.tone : ''}`}>{formatNumber(props.n)}</td>;
}

export function HistoryRow(props: { run: RunOverview; onOpen: (sessionId: string) => void }) {
  const run = () => props.run;
  const open = () => props.onOpen(run().sessionId);
  return (
    <tr
      data-key={run().sessionId}
      data-status={run().status}
      tabindex="0"
      title="Open this run"
      class={`${tableRowClass} cursor-pointer focus:bg-slate-700/40 focus:outline-2 focus:-outline-offset-2 focus:outline-blue-500`}
      onClick={open}
      onKeyDown={(e) => {
        if (e.key !== 'Enter' && e.key !== ' ') return;
        e.preventDefault();
        open();
      }}
    >
      <td class={`${tableCellClass} whitespace-nowrap`}>
        <time datetime={run().startTime}>{formatDateTime(run().startTime)}</time>
      </td>
      <td class={`${tableCellClass} max-w-[12rem] truncate`}>{run().triggeredBy?.stockAccountName ?? 'Manual'}</td>
      <td class={tableCellClass}>
        <StatusBadge status={run().status} title={run().error} />
      </td>
      <td class={number}>
        {formatNumber(run().summary.processedCount)} / {formatNumber(run().summary.totalTransactions)}
      </td>
      <CountCell n={run().summary.failedCount} tone="text-red-300" />
      <CountCell n={run().summary.skippedCount} tone="text-yellow-200" />
      <CountCell n={run().summary.unknownCount} tone="text-orange-300" />
      <td class={number}>{duration(run())}</td>
    </tr>
  );
}

/** No run at all (go and add an account), or none matching the filters (clear them). */
export function HistoryEmpty(props: { filtered: boolean; onClear: () => void }) {
  return (
    <div class="space-y-2 text-slate-300" data-testid="history-empty">
      <Show
        when={props.filtered}
        fallback={
          <>
            <p>No runs yet: add or update a stock account to start one.</p>
            <A href="/accounts" class="inline-block text-blue-300 underline hover:text-blue-200">
              Go to Stock accounts
            </A>
          </>
        }
      >
        <p>No runs match these filters: widen the date range or choose another status or stock account.</p>
        <FormButton variant="ghost" small onClick={() => props.onClear()}>
          Clear filters
        </FormButton>
      </Show>
    </div>
  );
}
