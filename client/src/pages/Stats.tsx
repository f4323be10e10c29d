// Stats (SPEC §8): success rate, purchases, robux spent, mean time per purchase and runs by outcome
// as cards; purchases and robux per account and per day as charts, each with its numbers as text.
import { RefreshCw } from '../icons.js';
import { createEffect, createSignal, For, type JSX, Show } from 'solid-js';
import { api, ApiError } from '../api.js';
import { ChartAccountBars, type AccountVolume } from '../components/ChartAccountBars.js';
import { ChartDailyVolume, type DayVolume } from '../components/ChartDailyVolume.js';
import {
  dayEndIso,
  dayStartIso,
  formatDuration,
  formatNumber,
  HistoryDateRange,
  localDayAgo,
  rangeIsBackwards,
} from '../components/HistoryDates.js';

export interface StatsAnswer {
  from: string;
  to: string;
  transactions: { total: number; pending: number; processing: number; completed: number; failed: number; unknown: number };
  successRate: number | null;
  purchases: { count: number; robux: number; meanMs: number | null };
  perAccount: AccountVolume[];
  perDay: DayVolume[];
  runs: { running: number; completed: number; failed: number };
}

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

function percent(rate: number): string {
  return `${(rate * 100).toFixed(rate === 0 || rate === 1 ? 0 : 1)}%`;
}

function StatCard(props: { name: string; label: string; value: string; detail?: JSX.Element }) {
  return (
    <div class="min-w-0 rounded-xl bg-[#334155] p-4" data-testid={`stat-${props.name}`}>
      <dt class="text-xs font-semibold tracking-wide text-slate-400 uppercase">{props.label}</dt>
      <dd class="mt-1 text-2xl font-semibold text-slate-50 tabular-nums">{props.value}</dd>
      <Show when={props.detail}>
        <dd class="mt-1 text-xs text-slate-300">{props.detail}</dd>
      </Show>
    </div>
  );
}

export function Stats() {
  const [from, setFrom] = createSignal(localDayAgo(29));
  const [to, setTo] = createSignal(localDayAgo(0));
  const [stats, setStats] = createSignal<StatsAnswer>();
  const [loading, setLoading] = createSignal(false);
  const [error, setError] = createSignal<string>();
  const [reloads, setReloads] = createSignal(0);
  const backwards = () => rangeIsBackwards(from(), to());

  let request = 0;
  createEffect(() => {
    reloads();
    const path = statsPath(from(), to());
    if (backwards()) {
      request++;
      setLoading(false);
      return;
    }
    const id = ++request;
    setLoading(true);
    setError(undefined);
    api<StatsAnswer>('GET', path).then(
      (result) => {
        if (id !== request) return;
        setStats(result);
        setLoading(false);
      },
      (failure: unknown) => {
        if (id !== request) return;
        setError(failure instanceof ApiError ? failure.message : 'The server could not be reached.');
        setLoading(false);
      },
    );
  });

  const panel = 'min-w-0 rounded-xl bg-[#1e293b] p-4';

  return (
    <section class="min-w-0 space-y-4" aria-labelledby="stats-title">
      <div class="flex flex-wrap items-center justify-between gap-2">
        <h1 id="stats-title" class="text-xl font-semibold text-slate-100">
          Stats
        </h1>
        <button
          type="button"
          class="flex items-center gap-1 rounded-md border border-slate-600 px-3 py-1.5 text-sm text-slate-200 hover:bg-slate-700 disabled:opacity-60"
          onClick={() => setReloads((n) => n + 1)}
          disabled={loading()}
        >
          <RefreshCw size={14} aria-hidden="true" class={loading() ? 'animate-spin' : ''} /> Refresh
        </button>
      </div>

      <form class={`grid grid-cols-1 gap-3 sm:grid-cols-2 lg:max-w-xl ${panel}`} aria-label="Date range" onSubmit={(e) => e.preventDefault()}>
        <HistoryDateRange from={from()} to={to()} onFrom={setFrom} onTo={setTo} />
        <Show when={backwards()}>
          <p role="alert" class="text-sm text-amber-300 sm:col-span-2">
            "From" is after "To": pick a From date on or before the To date.
          </p>
        </Show>
        <p class="text-xs text-slate-400 sm:col-span-2">An empty To means now; an empty From means 30 days before To.</p>
      </form>

      <Show when={error()}>
        <div role="alert" class="flex flex-wrap items-center gap-3 rounded-xl bg-red-950/60 p-4 text-sm text-red-200">
          Could not load the stats: {error()}
          <button type="button" class="rounded-md border border-red-400/60 px-2 py-1 text-red-100 hover:bg-red-900/40" onClick={() => setReloads((n) => n + 1)}>
            Try again
          </button>
        </div>
      </Show>

      <Show when={!stats() && loading()}>
        <p class="p-6 text-center text-sm text-slate-400">Loading stats…</p>
      </Show>

      <Show when={stats()}>
        {(s) => (
          <div class="space-y-4" aria-busy={loading()}>
            <Show when={s().transactions.total === 0 && s().purchases.count === 0 && s().runs.running + s().runs.completed + s().runs.failed === 0}>
              <p class="rounded-xl bg-[#1e293b] p-4 text-sm text-slate-300" data-testid="stats-empty">
                Nothing happened in this range: pick a wider date range, or record orders and add a stock account to start a run.
              </p>
            </Show>
            <dl class="grid grid-cols-2 gap-3 lg:grid-cols-5">
              <StatCard
                name="success-rate"
                label="Success rate"
                value={s().successRate === null ? '—' : percent(s().successRate!)}
                detail={
                  s().successRate === null
                    ? 'No order finished in this range'
                    : `${formatNumber(s().transactions.completed)} completed of ${formatNumber(s().transactions.completed + s().transactions.failed)} finished orders`
                }
              />
              <StatCard name="purchases" label="Purchases" value={formatNumber(s().purchases.count)} detail={`${formatNumber(s().transactions.total)} orders recorded`} />
              <StatCard name="robux" label="Robux spent" value={formatNumber(s().purchases.robux)} />
              <StatCard
                name="mean-time"
                label="Mean time per purchase"
                value={s().purchases.meanMs === null ? '—' : formatDuration(s().purchases.meanMs!)}
                detail={s().purchases.meanMs === null ? 'No purchase in this range' : undefined}
              />
              <div class="min-w-0 rounded-xl bg-[#334155] p-4 col-span-2 lg:col-span-1" data-testid="stat-runs">
                <dt class="text-xs font-semibold tracking-wide text-slate-400 uppercase">Runs by outcome</dt>
                <dd class="mt-1">
                  <ul class="space-y-0.5 text-sm">
                    <For
                      each={[
                        { key: 'completed', label: 'Completed', dot: 'bg-green-400' },
                        { key: 'failed', label: 'Failed', dot: 'bg-red-400' },
                        { key: 'running', label: 'Running', dot: 'bg-blue-400' },
                      ] as const}
                    >
                      {(row) => (
                        <li class="flex items-center justify-between gap-2" data-key={row.key}>
                          <span class="flex items-center gap-1.5 text-slate-300">
                            <span class={`inline-block h-2 w-2 rounded-full ${row.dot}`} aria-hidden="true" />
                            {row.label}
                          </span>
                          <span class="font-semibold text-slate-50 tabular-nums">{formatNumber(s().runs[row.key])}</span>
                        </li>
                      )}
                    </For>
                  </ul>
                </dd>
              </div>
            </dl>

            <div class="grid grid-cols-1 gap-4 lg:grid-cols-5">
              <section class={`${panel} lg:col-span-2`} aria-labelledby="stats-per-account">
                <h2 id="stats-per-account" class="mb-3 font-semibold text-slate-100">
                  Purchases and robux per account
                </h2>
                <ChartAccountBars accounts={s().perAccount} label="Purchases and robux per account" />
              </section>
              <section class={`${panel} lg:col-span-3`} aria-labelledby="stats-per-day">
                <h2 id="stats-per-day" class="mb-3 font-semibold text-slate-100">
                  Volume per day
                </h2>
                <ChartDailyVolume days={s().perDay} from={s().from} to={s().to} />
              </section>
            </div>
          </div>
        )}
      </Show>
    </section>
  );
}
