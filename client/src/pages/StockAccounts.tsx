// Stock accounts: the table, and the Add / Update / Delete forms. A save opens the progress
// modal on the run it started; the table refreshes when that modal closes.
import { Pencil, Plus, Trash2 } from '../icons.js';
import { createSignal, For, onMount } from 'solid-js';
import { api } from '../api.js';
import { formatNumber } from '../format.js';
import { AccountDeleteDialog } from '../components/AccountDeleteDialog.js';
import type { StockAccount } from '../../../src/domain/api.js';
import { AddAccountDialog, UpdateAccountDialog } from '../components/AccountDialog.js';
import { FormButton } from '../components/FormButton.js';
import { createTableData } from '../components/TableData.js';
import { tableCellClass, tableRowClass, TableShell, TableTime } from '../components/TableShell.js';
import { StatusBadge } from '../components/StatusBadge.js';

const columns = [
  { label: 'Username' },
  { label: 'Display name' },
  { label: 'Robux', align: 'right' as const },
  { label: 'Status' },
  { label: 'Last checked' },
  { label: 'Actions', hiddenLabel: true },
];

export function StockAccounts() {
  const table = createTableData(() => api<{ stockAccounts: StockAccount[] }>('GET', '/api/admin/stock-accounts').then((r) => r.stockAccounts));
  const accounts = () => table.data() ?? [];
  const refresh = () => void table.reload();
  onMount(refresh);

  const [adding, setAdding] = createSignal(false);
  const [updating, setUpdating] = createSignal<StockAccount>();
  const [deleting, setDeleting] = createSignal<StockAccount>();

  return (
    <section class="space-y-4">
      <div class="flex flex-wrap items-center justify-between gap-3">
        <div>
          <h1 class="text-xl font-semibold text-slate-100">Stock accounts</h1>
          <p class="text-sm text-slate-400">The accounts whose robux buy the customers' gamepasses.</p>
        </div>
        <FormButton onClick={() => setAdding(true)}>
          <Plus size={16} aria-hidden="true" />
          Add stock account
        </FormButton>
      </div>

      <TableShell
        label="Stock accounts"
        columns={columns}
        rowCount={accounts().length}
        empty="No stock accounts yet: add one to start buying"
        loading={table.loading()}
        error={table.error()}
        onRetry={refresh}
      >
        <For each={accounts()}>
          {(account) => (
            <tr data-key={account.id} data-status={account.status} class={tableRowClass}>
              <td class={`${tableCellClass} font-medium text-slate-100`}>{account.username}</td>
              <td class={tableCellClass}>{account.displayName}</td>
              <td class={`${tableCellClass} text-right tabular-nums`}>{formatNumber(account.robux)}</td>
              <td class={tableCellClass}>
                <StatusBadge
                  status={account.status}
                  title={account.status === 'invalid' ? 'The gateway rejected the stored cookie' : undefined}
                />
              </td>
              <td class={tableCellClass}>
                <TableTime iso={account.lastChecked} />
              </td>
              <td class={`${tableCellClass} text-right`}>
                <div class="inline-flex gap-2">
                  <FormButton variant="ghost" small onClick={() => setUpdating(account)}>
                    <Pencil size={14} aria-hidden="true" />
                    Update
                  </FormButton>
                  <FormButton variant="ghostDanger" small onClick={() => setDeleting(account)}>
                    <Trash2 size={14} aria-hidden="true" />
                    Delete
                  </FormButton>
                </div>
              </td>
            </tr>
          )}
        </For>
      </TableShell>

      <AddAccountDialog open={adding()} onClose={() => setAdding(false)} knownIds={accounts().map((a) => a.id)} onSaved={refresh} />
      <UpdateAccountDialog account={updating()} onClose={() => setUpdating(undefined)} onSaved={refresh} />
      <AccountDeleteDialog account={deleting()} onClose={() => setDeleting(undefined)} onDeleted={refresh} />
    </section>
  );
}
