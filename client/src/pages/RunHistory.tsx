// Run history (SPEC §8): the stored runs, newest first, filtered by status, date range and stock
// account, a page at a time; a click or Enter on a row opens that run in the progress modal.
import { A } from '@solidjs/router';
import { ChevronLeft, ChevronRight, RefreshCw } from '../icons.js';
import { batch, createEffect, createMemo, createSignal, For, onMount, Show } from 'solid-js';
import type { RunStatus, RunSummary, RunTrigger } from '../../../src/domain/run.js';
import { api, ApiError } from '../api.js';
import {
  dayEndIso,
  dayStartIso,
  fieldClass,
  formatDateTime,
  formatDuration,
  formatNumber,
  HistoryDateRange,
  rangeIsBackwards,
} from '../components/HistoryDates.js';
import { RunStatusBadge } from '../components/StatusBadge.js';
import { showRun } from '../progress.js';

export interface RunOverview {
  sessionId: string;
  status: RunStatus;
  currentStep: string;
  triggeredBy?: RunTrigger;
  summary: RunSummary;
  startTime: string;
  endTime?: string;
  error?: string;
  createdAt: string;
}

interface SessionsPage {
  sessions: RunOverview[];
  nextCursor?: string;
}

interface AccountOption {
  id: string;
  username: string;
}

export const historyPageSize = 25;

export interface HistoryFilters {
  status: string;
  from: string;
  to: string;
  stockAccountId: string;
}

/** The sessions query for these filters and page cursor: only the parameters that are set. */
export function sessionsPath(filters: HistoryFilters, cursor?: string, limit = historyPageSize): string {
  const params = new URLSearchParams();
  if (filters.status) params.set('status', filters.status);
  const from = dayStartIso(filters.from);
  if (from) params.set('from', from);
  const to = dayEndIso(filters.to);
  if (to) params.set('to', to);
  if (filters.stockAccountId) params.set('stockAccountId', filters.stockAccountId);
  params.set('limit', String(limit));
  if (cursor) params.set('cursor', cursor);
  return `/api/auto-purchase/sessions?${params.toString()}`;
}

function messageOf(failure: unknown): string {
  return failure instanceof ApiError ? failure.message : 'The server could not be reached.';
}

function duration(run: RunOverview): string {
  const start = Date.parse(run.startTime);
  if (run.endTime) return formatDuration(Date.parse(run.endTime) - start);
  return run.status === 'running' ? 'Running…' : '—';
}

export function RunHistory() {
  /** Cursors of the pages after the first, up to the current one: the current page's cursor is the last. */
  const [cursors, setCursors] = createSignal<string[]>([]);
  // A change of any filter starts again from the first page, in the same update (one request).
  const filterSignal = () => {
    const [get, set] = createSignal('');
    const change = (value: string) =>
      batch(() => {
        set(value);
        setCursors([]);
      });
    return [get, change] as const;
  };
  const [status, setStatus] = filterSignal();
  const [from, setFrom] = filterSignal();
  const [to, setTo] = filterSignal();
  const [stockAccountId, setStockAccountId] = filterSignal();
  const [accounts, setAccounts] = createSignal<AccountOption[]>([]);
  const [page, setPage] = createSignal<SessionsPage>();
  const [loading, setLoading] = createSignal(false);
  const [error, setError] = createSignal<string>();
  const [reloads, setReloads] = createSignal(0);

  const filters = createMemo<HistoryFilters>(() => ({ status: status(), from: from(), to: to(), stockAccountId: stockAccountId() }));
  const filtered = () => Object.values(filters()).some((value) => value !== '');
  const backwards = () => rangeIsBackwards(from(), to());
  const pageNumber = () => cursors().length + 1;

  let request = 0;
  createEffect(() => {
    reloads();
    if (backwards()) {
      request++;
      setPage({ sessions: [] });
      setLoading(false);
      return;
    }
    const path = sessionsPath(filters(), cursors().at(-1));
    const id = ++request;
    setLoading(true);
    setError(undefined);
    api<SessionsPage>('GET', path).then(
      (result) => {
        if (id !== request) return;
        setPage(result);
        setLoading(false);
      },
      (failure: unknown) => {
        if (id !== request) return;
        setError(messageOf(failure));
        setLoading(false);
      },
    );
  });

  onMount(() => {
    api<{ stockAccounts: AccountOption[] }>('GET', '/api/admin/stock-accounts').then(
      (result) => setAccounts(result.stockAccounts.map(({ id, username }) => ({ id, username }))),
      () => setAccounts([]),
    );
  });

  const reload = () => setReloads((n) => n + 1);
  const open = (sessionId: string) => showRun(sessionId, reload);
  const clearFilters = () =>
    batch(() => {
      setStatus('');
      setFrom('');
      setTo('');
      setStockAccountId('');
    });
  const nextPage = () => {
    const next = page()?.nextCursor;
    if (next) setCursors([...cursors(), next]);
  };
  const previousPage = () => setCursors(cursors().slice(0, -1));

  const sessions = () => page()?.sessions ?? [];
  const th = 'sticky top-0 bg-[#1e293b] px-3 py-2 text-left text-xs font-semibold tracking-wide text-slate-400 uppercase whitespace-nowrap';
  const num = 'px-3 py-2 text-right tabular-nums whitespace-nowrap';

  return (
    <section class="min-w-0 space-y-4" aria-labelledby="run-history-title">
      <div class="flex flex-wrap items-center justify-between gap-2">
        <h1 id="run-history-title" class="text-xl font-semibold text-slate-100">
          Run history
        </h1>
        <button
          type="button"
          class="flex items-center gap-1 rounded-md border border-slate-600 px-3 py-1.5 text-sm text-slate-200 hover:bg-slate-700 disabled:opacity-60"
          onClick={reload}
          disabled={loading()}
        >
          <RefreshCw size={14} aria-hidden="true" class={loading() ? 'animate-spin' : ''} /> Refresh
        </button>
      </div>

      <form
        class="grid grid-cols-1 gap-3 rounded-xl bg-[#1e293b] p-4 sm:grid-cols-2 lg:grid-cols-4"
        aria-label="Run filters"
        onSubmit={(e) => e.preventDefault()}
      >
        <label class="block min-w-0 space-y-1 text-sm">
          <span class="text-slate-300">Status</span>
          <select class={fieldClass} value={status()} onChange={(e) => setStatus(e.currentTarget.value)}>
            <option value="">All</option>
            <option value="running">Running</option>
            <option value="completed">Completed</option>
            <option value="failed">Failed</option>
          </select>
        </label>
        <HistoryDateRange from={from()} to={to()} onFrom={setFrom} onTo={setTo} />
        <label class="block min-w-0 space-y-1 text-sm">
          <span class="text-slate-300">Stock account</span>
          <select class={fieldClass} value={stockAccountId()} onChange={(e) => setStockAccountId(e.currentTarget.value)}>
            <option value="">All accounts</option>
            <For each={accounts()}>{(account) => <option value={account.id}>{account.username}</option>}</For>
          </select>
        </label>
        <Show when={backwards()}>
          <p role="alert" class="text-sm text-amber-300 sm:col-span-2 lg:col-span-4">
            "From" is after "To": pick a From date on or before the To date.
          </p>
        </Show>
      </form>

      <div class="rounded-xl bg-[#1e293b]">
        <Show when={error()}>
          <div role="alert" class="flex flex-wrap items-center gap-3 border-b border-slate-700 p-4 text-sm text-red-300">
            Could not load the runs: {error()}
            <button type="button" class="rounded-md border border-red-400/60 px-2 py-1 text-red-100 hover:bg-red-900/40" onClick={reload}>
              Try again
            </button>
          </div>
        </Show>
        <div class="max-h-[70vh] overflow-auto" aria-busy={loading()}>
          <table class="w-full min-w-[760px] border-collapse text-sm" aria-label="Run history">
            <thead>
              <tr>
                <th scope="col" class={th}>
                  Started
                </th>
                <th scope="col" class={th}>
                  Trigger
                </th>
                <th scope="col" class={th}>
                  Status
                </th>
                <th scope="col" class={`${th} text-right`}>
                  Processed / Total
                </th>
                <th scope="col" class={`${th} text-right`}>
                  Failed
                </th>
                <th scope="col" class={`${th} text-right`}>
                  Skipped
                </th>
                <th scope="col" class={`${th} text-right`}>
                  Unknown
                </th>
                <th scope="col" class={`${th} text-right`}>
                  Duration
                </th>
              </tr>
            </thead>
            <tbody>
              <For each={sessions()}>
                {(run) => (
                  <tr
                    data-key={run.sessionId}
                    data-status={run.status}
                    tabindex="0"
                    title="Open this run"
                    class="cursor-pointer border-t border-slate-700/70 text-slate-200 even:bg-slate-800/40 hover:bg-[#334155] focus:bg-[#334155] focus:outline-2 focus:-outline-offset-2 focus:outline-blue-500"
                    onClick={() => open(run.sessionId)}
                    onKeyDown={(e) => {
                      if (e.key === 'Enter' || e.key === ' ') {
                        e.preventDefault();
                        open(run.sessionId);
                      }
                    }}
                  >
                    <td class="px-3 py-2 whitespace-nowrap">
                      <time datetime={run.startTime}>{formatDateTime(run.startTime)}</time>
                    </td>
                    <td class="max-w-[12rem] truncate px-3 py-2">{run.triggeredBy?.stockAccountName ?? 'Manual'}</td>
                    <td class="px-3 py-2">
                      <RunStatusBadge status={run.status} title={run.error} compact />
                    </td>
                    <td class={num}>
                      {formatNumber(run.summary.processedCount)} / {formatNumber(run.summary.totalTransactions)}
                    </td>
                    <td class={`${num} ${run.summary.failedCount > 0 ? 'text-red-300' : ''}`}>{formatNumber(run.summary.failedCount)}</td>
                    <td class={`${num} ${run.summary.skippedCount > 0 ? 'text-yellow-200' : ''}`}>{formatNumber(run.summary.skippedCount)}</td>
                    <td class={`${num} ${run.summary.unknownCount > 0 ? 'text-orange-300' : ''}`}>{formatNumber(run.summary.unknownCount)}</td>
                    <td class={num}>{duration(run)}</td>
                  </tr>
                )}
              </For>
            </tbody>
          </table>
        </div>

        <Show when={page() !== undefined && sessions().length === 0 && !error()}>
          <div class="space-y-2 border-t border-slate-700 p-6 text-center text-sm text-slate-300" data-testid="history-empty">
            <Show
              when={filtered() || pageNumber() > 1}
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
              <button type="button" class="rounded-md border border-slate-600 px-3 py-1.5 text-slate-200 hover:bg-slate-700" onClick={clearFilters}>
                Clear filters
              </button>
            </Show>
          </div>
        </Show>
        <Show when={page() === undefined && loading()}>
          <p class="border-t border-slate-700 p-6 text-center text-sm text-slate-400">Loading runs…</p>
        </Show>

        <nav class="flex flex-wrap items-center justify-between gap-2 border-t border-slate-700 p-3" aria-label="Run history pages">
          <button
            type="button"
            class="flex items-center gap-1 rounded-md border border-slate-600 px-3 py-1.5 text-sm text-slate-200 hover:bg-slate-700 disabled:cursor-not-allowed disabled:opacity-50"
            disabled={cursors().length === 0 || loading()}
            onClick={previousPage}
          >
            <ChevronLeft size={16} aria-hidden="true" /> Previous page
          </button>
          <span class="text-sm text-slate-400" aria-live="polite">
            Page {pageNumber()}
          </span>
          <button
            type="button"
            class="flex items-center gap-1 rounded-md border border-slate-600 px-3 py-1.5 text-sm text-slate-200 hover:bg-slate-700 disabled:cursor-not-allowed disabled:opacity-50"
            disabled={!page()?.nextCursor || loading()}
            onClick={nextPage}
          >
            Next page <ChevronRight size={16} aria-hidden="true" />
          </button>
        </nav>
      </div>
    </section>
  );
}
