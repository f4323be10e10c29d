// The frame every list page draws its table in: a named table that scrolls sideways inside its
// panel on a phone, its header row, and the loading / error / empty states under the rows.
import { For, type JSX, Match, Show, Switch } from 'solid-js';
import { FormButton } from './FormButton.js';

export interface TableColumn {
  label: string;
  align?: 'left' | 'right';
  /** Read by screen readers only (an actions column). */
  hiddenLabel?: boolean;
}

export interface TableShellProps {
  /** The table's accessible name. */
  label: string;
  columns: TableColumn[];
  /** How many rows there are now; 0 shows `empty` once loaded. */
  rowCount: number;
  /** A sentence, or what to do next (a link, a button). */
  empty: JSX.Element;
  loading: boolean;
  error?: string;
  onRetry?: () => void;
  /** A Tailwind min-width class: below it the table scrolls inside its panel. */
  minWidth?: string;
  children: JSX.Element;
}

export const tableRowClass = 'border-t border-slate-700/70 odd:bg-slate-800/30 hover:bg-slate-700/40';
export const tableCellClass = 'px-3 py-2.5 align-middle';

export function TableShell(props: TableShellProps) {
  return (
    <div class="relative max-w-full overflow-x-auto rounded-xl border border-slate-700 bg-[#1e293b] shadow-lg">
      <table aria-label={props.label} aria-busy={props.loading} class={`w-full text-left text-sm text-slate-200 ${props.minWidth ?? 'min-w-[44rem]'}`}>
        <thead class="bg-slate-900/40 text-xs tracking-wide text-slate-400 uppercase">
          <tr>
            <For each={props.columns}>
              {(column) => (
                <th scope="col" class={`px-3 py-2.5 font-medium whitespace-nowrap ${column.align === 'right' ? 'text-right' : ''}`}>
                  <span class={column.hiddenLabel ? 'sr-only' : undefined}>{column.label}</span>
                </th>
              )}
            </For>
          </tr>
        </thead>
        <tbody>{props.children}</tbody>
      </table>
      <Switch>
        <Match when={props.error}>
          {(message) => (
            <div role="alert" class="flex flex-wrap items-center gap-3 border-t border-slate-700 px-4 py-4 text-sm text-red-300">
              <span>{message()}</span>
              <Show when={props.onRetry}>
                <FormButton variant="ghost" small onClick={() => props.onRetry?.()}>
                  Try again
                </FormButton>
              </Show>
            </div>
          )}
        </Match>
        <Match when={props.rowCount === 0 && props.loading}>
          <p class="border-t border-slate-700 px-4 py-6 text-center text-sm text-slate-400">Loading…</p>
        </Match>
        <Match when={props.rowCount === 0}>
          <div class="border-t border-slate-700 px-4 py-6 text-center text-sm text-slate-400">{props.empty}</div>
        </Match>
      </Switch>
    </div>
  );
}

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

/** An ISO time as the admin's local date and time; a dash when there is none. */
export function TableTime(props: { iso: string | null | undefined }) {
  return (
    <Show when={props.iso} fallback={<span class="text-slate-500">—</span>}>
      {(iso) => (
        <time datetime={iso()} title={iso()} class="whitespace-nowrap">
          {dateTime.format(new Date(iso()))}
        </time>
      )}
    </Show>
  );
}
