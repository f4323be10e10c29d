// The run-history filters: status, a From/To pair of local days and the stock account. Any change
// starts again from the first page, in the same update (one request).
import { batch, createSignal, For, onMount, Show } from 'solid-js';
import type { StockAccount } from '../../../src/domain/api.js';
import { runStatuses, type RunStatus } from '../../../src/domain/run.js';
import { api } from '../api.js';
import { fieldClass, HistoryDateRange } from './HistoryDates.js';
import { statusLabel } from './StatusBadge.js';

export interface HistoryFilters {
  status: '' | RunStatus;
  /** Local days, `YYYY-MM-DD`, or '' for no bound. */
  from: string;
  to: string;
  stockAccountId: string;
}

const noFilters: HistoryFilters = { status: '', from: '', to: '', stockAccountId: '' };
/** src/db/schema.ts's `runStatuses`, which the client cannot import (it is beside the tables). */

/** The filters, and `onChange` (the pager's reset) called in the same batch as each change. */
export function createHistoryFilters(onChange: () => void) {
  const [value, setValue] = createSignal<HistoryFilters>(noFilters);
  const change = (next: HistoryFilters) =>
    batch(() => {
      setValue(next);
      onChange();
    });
  return {
    value,
    /** Whether any filter is set. */
    any: () => Object.values(value()).some((set) => set !== ''),
    set: <K extends keyof HistoryFilters>(key: K, to: HistoryFilters[K]) => change({ ...value(), [key]: to }),
    clear: () => change(noFilters),
  };
}

type Filters = ReturnType<typeof createHistoryFilters>;

export function HistoryFilterForm(props: { filters: Filters; backwards: boolean }) {
  const [accounts, setAccounts] = createSignal<Pick<StockAccount, 'id' | 'username'>[]>([]);
  onMount(() => {
    api<{ stockAccounts: StockAccount[] }>('GET', '/api/admin/stock-accounts').then(
      (result) => setAccounts(result.stockAccounts),
      () => setAccounts([]),
    );
  });
  const filters = () => props.filters.value();
  return (
    <form class="grid grid-cols-1 gap-3 rounded-xl bg-[#1e293b] p-4 sm:grid-cols-2 lg:grid-cols-4" aria-label="Run filters" onSubmit={(e) => e.preventDefault()}>
      <label class="block min-w-0 space-y-1 text-sm">
        <span class="text-slate-300">Status</span>
        <select class={fieldClass} value={filters().status} onChange={(e) => props.filters.set('status', e.currentTarget.value as HistoryFilters['status'])}>
          <option value="">All</option>
          <For each={runStatuses}>{(status) => <option value={status}>{statusLabel(status)}</option>}</For>
        </select>
      </label>
      <HistoryDateRange
        from={filters().from}
        to={filters().to}
        onFrom={(day) => props.filters.set('from', day)}
        onTo={(day) => props.filters.set('to', day)}
      />
      <label class="block min-w-0 space-y-1 text-sm">
        <span class="text-slate-300">Stock account</span>
        <select class={fieldClass} value={filters().stockAccountId} onChange={(e) => props.filters.set('stockAccountId', e.currentTarget.value)}>
          <option value="">All accounts</option>
          <For each={accounts()}>{(account) => <option value={account.id}>{account.username}</option>}</For>
        </select>
      </label>
      <Show when={props.backwards}>
        <p role="alert" class="text-sm text-amber-300 sm:col-span-2 lg:col-span-4">
          "From" is after "To": pick a From date on or before the To date.
        </p>
      </Show>
    </form>
  );
}
