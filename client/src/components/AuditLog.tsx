// The audit log section of Settings (SPEC §12): every state change and log-in/out, newest first,
// filtered by action, a page at a time (the API's cursor).
import { batch, createEffect, createSignal, For, on, Show } from 'solid-js';
import type { AuditEntry } from '../../../src/domain/api.js';
import { listAudit } from '../api.js';
import { RefreshCw, ScrollText } from '../icons.js';
import { FormButton } from './FormButton.js';
import { SettingsSection } from './SettingsSection.js';
import { fieldClass } from './HistoryDates.js';
import { createTableData } from './TableData.js';
import { createCursorPages, TablePager } from './TablePager.js';
import { tableCellClass, tableRowClass, TableShell, TableTime } from './TableShell.js';

export const auditPageSize = 50;

/** The actions the server records (SPEC §12), as the filter lists them. */
export const auditActions = [
  'account.add',
  'account.update',
  'account.delete',
  'order.add',
  'run.start',
  'transaction.retry',
  'transaction.reconcile',
  'transaction.resolve',
  'token.create',
  'token.revoke',
  'watch_link.create',
  'auth.login',
  'auth.logout',
] as const;

const columns = [{ label: 'Time' }, { label: 'Actor' }, { label: 'Action' }, { label: 'Target' }, { label: 'Outcome' }, { label: 'Note' }];

export function AuditLog() {
  const pages = createCursorPages();
  const [action, setAction] = createSignal('');
  const table = createTableData(() => listAudit({ action: action(), limit: auditPageSize, cursor: pages.cursor() }));
  const reload = () => void table.reload();
  createEffect(on([action, pages.cursor], reload));
  const entries = () => table.data()?.entries ?? [];
  // A new filter starts from the first page, in the same update (one request).
  const filter = (next: string) =>
    batch(() => {
      setAction(next);
      pages.reset();
    });

  return (
    <SettingsSection
      id="audit-log-title"
      title="Audit log"
      icon={<ScrollText size={18} aria-hidden="true" />}
      description="Who changed what, and every log-in and log-out. Never a secret."
      action={
        <FormButton variant="ghost" small onClick={reload} disabled={table.loading()}>
          <RefreshCw size={14} aria-hidden="true" class={table.loading() ? 'animate-spin' : ''} />
          Refresh
        </FormButton>
      }
    >
      <label class="block max-w-xs space-y-1 text-sm">
        <span class="text-slate-300">Action</span>
        <select class={fieldClass} value={action()} onChange={(event) => filter(event.currentTarget.value)}>
          <option value="">All actions</option>
          <For each={auditActions}>{(name) => <option value={name}>{name}</option>}</For>
        </select>
      </label>
      <TableShell
        label="Audit log"
        columns={columns}
        minWidth="min-w-[52rem]"
        rowCount={entries().length}
        empty={action() || pages.page() > 1 ? 'No entries match this filter' : 'Nothing recorded yet'}
        loading={table.loading()}
        error={table.error()}
        onRetry={reload}
      >
        <For each={entries()}>{(entry) => <AuditRow entry={entry} />}</For>
      </TableShell>
      <TablePager page={pages.page()} nextCursor={table.data()?.nextCursor} onPrevious={pages.previous} onNext={pages.next} disabled={table.loading()} />
    </SettingsSection>
  );
}

function AuditRow(props: { entry: AuditEntry }) {
  const ok = () => props.entry.outcome === 'ok';
  return (
    <tr data-key={props.entry.id} data-outcome={props.entry.outcome} class={tableRowClass}>
      <td class={tableCellClass}>
        <TableTime iso={props.entry.at} />
      </td>
      <td class={`${tableCellClass} break-words`}>{props.entry.actor}</td>
      <td class={`${tableCellClass} font-mono text-xs whitespace-nowrap`}>{props.entry.action}</td>
      <td class={`${tableCellClass} font-mono text-xs break-all text-slate-300`}>{props.entry.target}</td>
      <td class={tableCellClass}>
        <span class={`text-xs font-medium ${ok() ? 'text-green-300' : 'text-red-300'}`}>{props.entry.outcome}</span>
      </td>
      <td class={`${tableCellClass} break-words text-slate-300`}>
        <Show when={props.entry.note} fallback={<span class="text-slate-500">—</span>}>
          {props.entry.note}
        </Show>
      </td>
    </tr>
  );
}
