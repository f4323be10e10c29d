// Stats (SPEC §8): success rate, purchases, robux spent, mean time per purchase and runs by outcome
// as cards; purchases and robux per account and per day as charts, each with its numbers as text.
import { createEffect, createSignal, on, Show } from 'solid-js';
import type { ShopStats } from '../../../src/domain/api.js';
import { api } from '../api.js';
import { FormButton } from '../components/FormButton.js';
import { dayEndIso, dayStartIso, HistoryDateRange, localDayAgo, rangeIsBackwards } from '../components/HistoryDates.js';
import { PageHeader } from '../components/PageHeader.js';
import { StatsFigures } from '../components/StatsFigures.js';
import { createTableData } from '../components/TableData.js';

/** The stats query for a From/To pair of local days: only the bounds that are set. */
export function statsPath(from: string, to: string): string {
  const params = new URLSearchParams();
  const start = dayStartIso(from);
  if (start) params.set('from', start);
  const end = dayEndIso(to);
  if (end) params.set('to', end);
  const query = params.toString();
  return query ? `/api/stats?${query}` : '/api/stats';
}

const panel = 'min-w-0 rounded-xl bg-[#1e293b] p-4';

export function Stats() {
  const [from, setFrom] = createSignal(localDayAgo(29));
  const [to, setTo] = createSignal(localDayAgo(0));
  const backwards = () => rangeIsBackwards(from(), to());
  // A backwards range asks nothing: the figures on screen stay.
  const stats = createTableData((): Promise<ShopStats | undefined> => (backwards() ? Promise.resolve(stats.data()) : api<ShopStats>('GET', statsPath(from(), to()))));
  const reload = () => void stats.reload();
  createEffect(on([from, to], reload));

  return (
    <section class="min-w-0 space-y-4" aria-labelledby="stats-title">
      <PageHeader id="stats-title" title="Stats" loading={stats.loading()} onRefresh={reload} />

      <form class={`grid grid-cols-1 gap-3 sm:grid-cols-2 lg:max-w-xl ${panel}`} aria-label="Date range" onSubmit={(e) => e.preventDefault()}>
        <HistoryDateRange from={from()} to={to()} onFrom={setFrom} onTo={setTo} />
        <Show when={backwards()}>
          <p role="alert" class="text-sm text-amber-300 sm:col-span-2">
            "From" is after "To": pick a From date on or before the To date.
          </p>
        </Show>
        <p class="text-xs text-slate-400 sm:col-span-2">An empty To means now; an empty From means 30 days before To.</p>
      </form>

      <Show when={stats.error()}>
        <div role="alert" class="flex flex-wrap items-center gap-3 rounded-xl bg-red-950/60 p-4 text-sm text-red-200">
          Could not load the stats: {stats.error()}
          <FormButton variant="ghostDanger" small onClick={reload}>
            Try again
          </FormButton>
        </div>
      </Show>
      <Show when={!stats.data() && stats.loading()}>
        <p class="p-6 text-center text-sm text-slate-400">Loading stats…</p>
      </Show>
      <Show when={stats.data()}>{(s) => <StatsFigures stats={s()} loading={stats.loading()} />}</Show>
    </section>
  );
}
