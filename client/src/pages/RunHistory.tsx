// Run history (SPEC §8): the stored runs, newest first, filtered by status, date range and stock
// account, a page at a time; a click or Enter on a row opens that run in the progress modal.
import { createEffect, For, on } from 'solid-js';
import type { RunOverview } from '../../../src/domain/api.js';
import { api } from '../api.js';
import { dayEndIso, dayStartIso, rangeIsBackwards } from '../components/HistoryDates.js';
import { createHistoryFilters, HistoryFilterForm, type HistoryFilters } from '../components/HistoryFilters.js';
import { HistoryEmpty, HistoryRow, historyColumns } from '../components/HistoryRow.js';
import { PageHeader } from '../components/PageHeader.js';
import { createTableData } from '../components/TableData.js';
import { createCursorPages, TablePager } from '../components/TablePager.js';
import { TableShell } from '../components/TableShell.js';
import { showRun } from '../progress.js';

interface SessionsPage {
  sessions: RunOverview[];
  nextCursor?: string;
}

export const historyPageSize = 25;

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

export function RunHistory() {
  const pages = createCursorPages();
  const filters = createHistoryFilters(pages.reset);
  const backwards = () => rangeIsBackwards(filters.value().from, filters.value().to);
  // A backwards range matches no run: nothing to ask.
  const table = createTableData(() =>
    backwards() ? Promise.resolve<SessionsPage>({ sessions: [] }) : api<SessionsPage>('GET', sessionsPath(filters.value(), pages.cursor())),
  );
  const reload = () => void table.reload();
  createEffect(on([filters.value, pages.cursor], reload));
  const rows = () => table.data()?.sessions ?? [];

  return (
    <section class="min-w-0 space-y-4" aria-labelledby="run-history-title">
      <PageHeader id="run-history-title" title="Run history" loading={table.loading()} onRefresh={reload} />
      <HistoryFilterForm filters={filters} backwards={backwards()} />
      <TableShell
        label="Run history"
        columns={historyColumns}
        minWidth="min-w-[48rem]"
        rowCount={rows().length}
        empty={<HistoryEmpty filtered={filters.any() || pages.page() > 1} onClear={filters.clear} />}
        loading={table.loading()}
        error={table.error()}
        onRetry={reload}
      >
        <For each={rows()}>{(run) => <HistoryRow run={run} onOpen={(sessionId) => showRun(sessionId, reload)} />}</For>
      </TableShell>
      <TablePager page={pages.page()} nextCursor={table.data()?.nextCursor} onPrevious={pages.previous} onNext={pages.next} disabled={table.loading()} />
    </section>
  );
}
