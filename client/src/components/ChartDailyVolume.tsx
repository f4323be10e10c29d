// Purchases (bars, left axis) and robux (line, right axis) per UTC day, drawn with uPlot, with the
// same numbers in a table under the chart.
import { createMemo, For, Show } from 'solid-js';
import uPlot from 'uplot';
import type { DayVolume } from '../../../src/domain/api.js';
import { ChartUPlot, type ChartOptions } from './ChartUPlot.js';
import { formatNumber } from '../format.js';
import { utcDaysBetween } from './HistoryDates.js';

const dayS = 86_400;
const axisColor = '#cbd5e1';
const gridColor = 'rgba(148, 163, 184, 0.15)';
const fromZero = (_u: uPlot, _min: number | null, max: number | null): uPlot.Range.MinMax => [0, Math.max(1, Math.ceil((max ?? 0) * 1.1))];
const integerTicks = (_u: uPlot, splits: number[]) => splits.map((v) => (Number.isInteger(v) ? formatNumber(v) : ''));

function chartOptions(): ChartOptions {
  const bars = uPlot.paths.bars?.({ size: [0.7, 48], align: 0 });
  return {
    tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'),
    cursor: { drag: { x: false, y: false } },
    legend: { show: true, live: true },
    scales: {
      x: { time: true, range: (_u, min, max) => [(min ?? 0) - dayS / 2, (max ?? 0) + dayS / 2] },
      purchases: { range: fromZero },
      robux: { range: fromZero },
    },
    series: [
      { label: 'Day (UTC)', value: (_u, ts) => (ts == null ? '—' : new Date(ts * 1000).toISOString().slice(0, 10)) },
      {
        label: 'Purchases',
        scale: 'purchases',
        stroke: '#60a5fa',
        fill: 'rgba(96, 165, 250, 0.55)',
        width: 1,
        paths: bars,
        points: { show: false },
        value: (_u, v) => (v == null ? '—' : formatNumber(v)),
      },
      {
        label: 'Robux',
        scale: 'robux',
        stroke: '#fbbf24',
        width: 2,
        points: { show: true, size: 5, fill: '#fbbf24' },
        value: (_u, v) => (v == null ? '—' : formatNumber(v)),
      },
    ],
    axes: [
      { stroke: axisColor, grid: { stroke: gridColor }, ticks: { stroke: gridColor } },
      { scale: 'purchases', stroke: '#93c5fd', grid: { stroke: gridColor }, ticks: { stroke: gridColor }, values: integerTicks, size: 44 },
      { scale: 'robux', side: 1, stroke: '#fcd34d', grid: { show: false }, ticks: { stroke: gridColor }, values: integerTicks, size: 56 },
    ],
  };
}

export function ChartDailyVolume(props: { days: DayVolume[]; from: string; to: string }) {
  const options = chartOptions();
  /** Every day of the range (zero where nothing was bought), or only the days with data for a very long range. */
  const series = createMemo(() => {
    const byDay = new Map(props.days.map((d) => [d.day, d]));
    const days = utcDaysBetween(props.from, props.to) ?? props.days.map((d) => d.day);
    for (const d of props.days) if (!days.includes(d.day)) days.push(d.day);
    days.sort();
    return {
      x: days.map((day) => Date.parse(`${day}T00:00:00Z`) / 1000),
      purchases: days.map((day) => byDay.get(day)?.purchases ?? 0),
      robux: days.map((day) => byDay.get(day)?.robux ?? 0),
    };
  });
  const data = createMemo<uPlot.AlignedData>(() => [series().x, series().purchases, series().robux]);
  const total = () => props.days.reduce((sum, d) => ({ purchases: sum.purchases + d.purchases, robux: sum.robux + d.robux }), { purchases: 0, robux: 0 });

  return (
    <Show
      when={props.days.length > 0}
      fallback={<p class="py-6 text-center text-sm text-slate-400">No purchases in this range: pick a wider date range.</p>}
    >
      <ChartUPlot options={options} data={data()} height={260} label={`Purchases and robux per day: ${formatNumber(total().purchases)} purchases, ${formatNumber(total().robux)} robux in all`} />
      <div class="mt-3 max-h-64 overflow-auto rounded-lg bg-[#334155]/40">
        <table class="w-full text-sm" aria-label="Purchases per day">
          <thead>
            <tr class="text-xs text-slate-400 uppercase">
              <th scope="col" class="sticky top-0 bg-[#1e293b] px-3 py-2 text-left font-semibold">
                Day (UTC)
              </th>
              <th scope="col" class="sticky top-0 bg-[#1e293b] px-3 py-2 text-right font-semibold">
                Purchases
              </th>
              <th scope="col" class="sticky top-0 bg-[#1e293b] px-3 py-2 text-right font-semibold">
                Robux
              </th>
            </tr>
          </thead>
          <tbody>
            <For each={props.days}>
              {(d) => (
                <tr class="border-t border-slate-700/70 text-slate-200" data-key={d.day}>
                  <th scope="row" class="px-3 py-1.5 text-left font-normal whitespace-nowrap">
                    {d.day}
                  </th>
                  <td class="px-3 py-1.5 text-right tabular-nums">{formatNumber(d.purchases)}</td>
                  <td class="px-3 py-1.5 text-right tabular-nums">{formatNumber(d.robux)}</td>
                </tr>
              )}
            </For>
          </tbody>
          <tfoot>
            <tr class="border-t border-slate-600 font-medium text-slate-100">
              <th scope="row" class="px-3 py-1.5 text-left">
                Total
              </th>
              <td class="px-3 py-1.5 text-right tabular-nums">{formatNumber(total().purchases)}</td>
              <td class="px-3 py-1.5 text-right tabular-nums">{formatNumber(total().robux)}</td>
            </tr>
          </tfoot>
        </table>
      </div>
    </Show>
  );
}
