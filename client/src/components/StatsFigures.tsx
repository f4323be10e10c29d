// The stats page's figures: cards for the totals and the runs by outcome, and the two charts, each
// with its numbers as text.
import { For, type JSX, Show } from 'solid-js';
import type { ShopStats } from '../../../src/domain/api.js';
import type { RunStatus } from '../../../src/domain/run.js';
import { formatDuration, formatNumber } from '../format.js';
import { ChartAccountBars } from './ChartAccountBars.js';
import { ChartDailyVolume } from './ChartDailyVolume.js';
import { statusLabel } from './StatusBadge.js';

const panel = 'min-w-0 rounded-xl bg-[#1e293b] p-4';
const card = 'min-w-0 rounded-xl bg-[#334155] p-4';
const cardLabel = 'text-xs font-semibold tracking-wide text-slate-400 uppercase';
const outcomes: { key: RunStatus; dot: string }[] = [
  { key: 'completed', dot: 'bg-green-400' },
  { key: 'failed', dot: 'bg-red-400' },
  { key: 'running', dot: 'bg-blue-400' },
];

function percent(rate: number): string {
  return `${(rate * 100).toFixed(rate === 0 || rate === 1 ? 0 : 1)}%`;
}

function StatCard(props: { name: string; label: string; value: string; detail?: JSX.Element }) {
  return (
    <div class={card} data-testid={`stat-${props.name}`}>
      <dt class={cardLabel}>{props.label}</dt>
      <dd class="mt-1 text-2xl font-semibold text-slate-50 tabular-nums">{props.value}</dd>
      <Show when={props.detail}>
        <dd class="mt-1 text-xs text-slate-300">{props.detail}</dd>
      </Show>
    </div>
  );
}

function RunsByOutcome(props: { runs: ShopStats['runs'] }) {
  return (
    <div class={`${card} col-span-2 lg:col-span-1`} data-testid="stat-runs">
      <dt class={cardLabel}>Runs by outcome</dt>
      <dd class="mt-1">
        <ul class="space-y-0.5 text-sm">
          <For each={outcomes}>
            {(row) => (
              <li class="flex items-center justify-between gap-2" data-key={row.key}>
                <span class="flex items-center gap-1.5 text-slate-300">
                  <span class={`inline-block h-2 w-2 rounded-full ${row.dot}`} aria-hidden="true" />
                  {statusLabel(row.key)}
                </span>
                <span class="font-semibold text-slate-50 tabular-nums">{formatNumber(props.runs[row.key])}</span>
              </li>
            )}
          </For>
        </ul>
      </dd>
    </div>
  );
}

function StatCards(props: { stats: ShopStats }) {
  const s = () => props.stats;
  const finished = () => s().transactions.completed + s().transactions.failed;
  return (
    <dl class="grid grid-cols-2 gap-3 lg:grid-cols-5">
      <StatCard
        name="success-rate"
        label="Success rate"
        value={s().successRate === null ? '—' : percent(s().successRate!)}
        detail={
          s().successRate === null
            ? 'No order finished in this range'
            : `${formatNumber(s().transactions.completed)} completed of ${formatNumber(finished())} finished orders`
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
      <RunsByOutcome runs={s().runs} />
    </dl>
  );
}

/** Whether nothing at all happened in the range: no order, no purchase, no run. */
const quiet = (s: ShopStats) => s.transactions.total === 0 && s.purchases.count === 0 && s.runs.running + s.runs.completed + s.runs.failed === 0;

export function StatsFigures(props: { stats: ShopStats; loading: boolean }) {
  return (
    <div class="space-y-4" aria-busy={props.loading}>
      <Show when={quiet(props.stats)}>
        <p class="rounded-xl bg-[#1e293b] p-4 text-sm text-slate-300" data-testid="stats-empty">
          Nothing happened in this range: pick a wider date range, or record orders and add a stock account to start a run.
        </p>
      </Show>
      <StatCards stats={props.stats} />
      <div class="grid grid-cols-1 gap-4 lg:grid-cols-5">
        <section class={`${panel} lg:col-span-2`} aria-labelledby="stats-per-account">
          <h2 id="stats-per-account" class="mb-3 font-semibold text-slate-100">
            Purchases and robux per account
          </h2>
          <ChartAccountBars accounts={props.stats.perAccount} label="Purchases and robux per account" />
        </section>
        <section class={`${panel} lg:col-span-3`} aria-labelledby="stats-per-day">
          <h2 id="stats-per-day" class="mb-3 font-semibold text-slate-100">
            Volume per day
          </h2>
          <ChartDailyVolume days={props.stats.perDay} from={props.stats.from} to={props.stats.to} />
        </section>
      </div>
    </div>
  );
}
