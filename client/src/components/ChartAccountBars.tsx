// Purchases and robux per stock account as plain HTML bars: every number is text beside its bar.
import { For, Show } from 'solid-js';
import type { AccountVolume } from '../../../src/domain/api.js';
import { formatNumber } from '../format.js';

export function ChartAccountBars(props: { accounts: AccountVolume[]; label: string }) {
  const maxRobux = () => Math.max(1, ...props.accounts.map((a) => a.robux));
  const maxPurchases = () => Math.max(1, ...props.accounts.map((a) => a.purchases));
  const pct = (value: number, max: number) => `${Math.max(value > 0 ? 1 : 0, Math.round((value / max) * 100))}%`;
  return (
    <Show
      when={props.accounts.length > 0}
      fallback={<p class="py-6 text-center text-sm text-slate-400">No purchases in this range: pick a wider date range.</p>}
    >
      <div class="mb-3 flex flex-wrap gap-4 text-xs text-slate-300" aria-hidden="true">
        <span class="flex items-center gap-1">
          <span class="inline-block h-2.5 w-2.5 rounded-sm bg-amber-400" /> Robux
        </span>
        <span class="flex items-center gap-1">
          <span class="inline-block h-2.5 w-2.5 rounded-sm bg-blue-400" /> Purchases
        </span>
      </div>
      <ul class="space-y-3" aria-label={props.label}>
        <For each={props.accounts}>
          {(account) => (
            <li class="min-w-0 rounded-lg bg-[#334155] p-3" data-key={account.accountId ?? account.username}>
              <div class="flex flex-wrap items-baseline justify-between gap-x-3 gap-y-1 text-sm">
                <span class="min-w-0 truncate font-medium text-slate-100">{account.username}</span>
                <span class="text-slate-300 tabular-nums">
                  {formatNumber(account.purchases)} {account.purchases === 1 ? 'purchase' : 'purchases'} · {formatNumber(account.robux)} robux
                </span>
              </div>
              <div class="mt-2 space-y-1" aria-hidden="true">
                <div class="h-2.5 rounded-sm bg-slate-900/60">
                  <div class="h-full rounded-sm bg-amber-400" style={{ width: pct(account.robux, maxRobux()) }} />
                </div>
                <div class="h-2.5 rounded-sm bg-slate-900/60">
                  <div class="h-full rounded-sm bg-blue-400" style={{ width: pct(account.purchases, maxPurchases()) }} />
                </div>
              </div>
            </li>
          )}
        </For>
      </ul>
    </Show>
  );
}
