// Transactions (the customers' orders): filter by status, page through them, Retry a failed one
// (it opens the progress modal on the run it starts), Reconcile an unknown one or Resolve it by
// hand. Unknown ones are listed apart at the top until they are settled.
import { CircleQuestionMark, Pencil, RotateCcw, SearchCheck } from '../icons.js';
import { batch, createEffect, createSignal, For, on, Show } from 'solid-js';
import { type Resolution, type Transaction, type TransactionStatus, transactionStatuses } from '../../../src/domain/api.js';
import { api } from '../api.js';
import { formatNumber } from '../format.js';
import { FormButton } from '../components/FormButton.js';
import { describeError } from '../components/FormErrors.js';
import { FormSelect } from '../components/FormField.js';
import { ResolveDialog } from '../components/ResolveDialog.js';
import { createTableData } from '../components/TableData.js';
import { createCursorPages, TablePager } from '../components/TablePager.js';
import { tableCellClass, tableRowClass, TableShell, TableTime } from '../components/TableShell.js';
import { StatusBadge, statusLabel } from '../components/StatusBadge.js';
import { showRun } from '../progress.js';
import { showToast } from '../toasts.js';

interface TransactionPage {
  transactions: Transaction[];
  nextCursor?: string;
}

const pageSize = 25;

type StatusFilter = '' | TransactionStatus;
const statusOptions: readonly { value: StatusFilter; label: string }[] = [
  { value: '', label: 'All' },
  ...transactionStatuses.map((value) => ({ value, label: statusLabel(value) })),
];

const columns = [
  { label: 'Invoice' },
  { label: 'Gamepass' },
  { label: 'Price', align: 'right' as const },
  { label: 'Status' },
  { label: 'Used account' },
  { label: 'Error' },
  { label: 'Created' },
  { label: 'Actions', hiddenLabel: true },
];

function listTransactions(status: StatusFilter, limit: number, cursor?: string): Promise<TransactionPage> {
  const query = new URLSearchParams({ limit: String(limit) });
  if (status) query.set('status', status);
  if (cursor) query.set('cursor', cursor);
  return api<TransactionPage>('GET', `/api/transactions?${query}`);
}

function gamepassName(t: Transaction): string {
  return t.gamepass.name ?? (t.gamepass.id != null ? `Gamepass ${t.gamepass.id}` : 'Missing gamepass data');
}

/** What a reconcile settled, for the toast. */
function reconcileOutcome(t: Transaction): { message: string; kind: 'success' | 'error' } {
  switch (t.status) {
    case 'completed':
      return { message: `${t.invoiceId}: the purchase went through; it is completed.`, kind: 'success' };
    case 'pending':
      return { message: `${t.invoiceId}: the purchase did not happen; it is pending again for the next run.`, kind: 'success' };
    case 'failed':
      return { message: `${t.invoiceId}: the purchase failed${t.error ? `: ${t.error}` : '.'}`, kind: 'error' };
    default:
      return { message: `${t.invoiceId}: the gateway still cannot say; it stays unknown.`, kind: 'error' };
  }
}

/** Retry, Reconcile and Resolve, with the ids whose call is in flight (their buttons wait). */
function createTransactionActions(refresh: () => void) {
  const [inFlight, setInFlight] = createSignal<ReadonlySet<number>>(new Set());
  const [resolving, setResolving] = createSignal<Transaction>();
  const mark = (id: number, on: boolean) =>
    setInFlight((ids) => {
      const next = new Set(ids);
      if (on) next.add(id);
      else next.delete(id);
      return next;
    });

  async function act(t: Transaction, call: () => Promise<void>) {
    mark(t.id, true);
    try {
      await call();
    } catch (failure) {
      showToast(`${t.invoiceId}: ${describeError(failure)}`, 'error');
      refresh();
    } finally {
      mark(t.id, false);
    }
  }

  return {
    busy: (t: Transaction) => inFlight().has(t.id),
    /** The transaction whose Resolve dialog is open. */
    resolving,
    resolve: (t: Transaction) => setResolving(t),
    closeResolve: () => setResolving(undefined),
    retry: (t: Transaction) =>
      act(t, async () => {
        const answer = await api<{ autoPurchase: { sessionId: string } }>('POST', `/api/transactions/${t.id}/retry`);
        refresh();
        showRun(answer.autoPurchase.sessionId, refresh);
      }),
    reconcile: (t: Transaction) =>
      act(t, async () => {
        const answer = await api<{ transaction: Transaction }>('POST', `/api/transactions/${t.id}/reconcile`);
        const outcome = reconcileOutcome(answer.transaction);
        showToast(outcome.message, outcome.kind);
        refresh();
      }),
  };
}

type Actions = ReturnType<typeof createTransactionActions>;

/**
 * Reconcile asks the gateway; Resolve… is the admin's way out when it never can say. `labelled`
 * names them for the invoice, where the row's own cells do not (the unknown panel).
 */
function UnknownActions(props: { transaction: Transaction; actions: Actions; labelled?: boolean }) {
  const t = () => props.transaction;
  const label = (action: string) => (props.labelled ? `${action} ${t().invoiceId}` : undefined);
  return (
    <div class="inline-flex flex-wrap justify-end gap-1.5">
      <FormButton
        variant="ghostWarning"
        small
        disabled={props.actions.busy(t())}
        aria-label={label('Reconcile')}
        onClick={() => void props.actions.reconcile(t())}
      >
        <SearchCheck size={14} aria-hidden="true" />
        Reconcile
      </FormButton>
      <FormButton variant="ghost" small disabled={props.actions.busy(t())} aria-label={label('Resolve')} onClick={() => props.actions.resolve(t())}>
        <Pencil size={14} aria-hidden="true" />
        Resolve…
      </FormButton>
    </div>
  );
}

function RowActions(props: { transaction: Transaction; actions: Actions }) {
  return (
    <Show
      when={props.transaction.status === 'failed'}
      fallback={
        <Show when={props.transaction.status === 'unknown'}>
          <UnknownActions transaction={props.transaction} actions={props.actions} />
        </Show>
      }
    >
      <FormButton
        variant="ghost"
        small
        disabled={props.actions.busy(props.transaction)}
        onClick={() => void props.actions.retry(props.transaction)}
      >
        <RotateCcw size={14} aria-hidden="true" />
        Retry
      </FormButton>
    </Show>
  );
}

function TransactionRow(props: { transaction: Transaction; actions: Actions }) {
  const t = () => props.transaction;
  return (
    <tr
      data-key={t().invoiceId}
      data-status={t().status}
      class={`${tableRowClass} ${t().status === 'unknown' ? 'shadow-[inset_3px_0_0_0_#f97316]' : ''}`}
    >
      <td class={`${tableCellClass} font-mono text-xs whitespace-nowrap text-slate-100`}>{t().invoiceId}</td>
      <td class={tableCellClass} title={gamepassName(t())}>
        <div class="max-w-[12rem] min-w-[8rem] truncate">{gamepassName(t())}</div>
      </td>
      <td class={`${tableCellClass} text-right tabular-nums`}>{t().gamepass.price != null ? formatNumber(t().gamepass.price!) : '—'}</td>
      <td class={tableCellClass}>
        <StatusBadge status={t().status} title={t().error ?? undefined} />
      </td>
      <td class={`${tableCellClass} whitespace-nowrap`}>{t().usedAccount ?? <span class="text-slate-500">—</span>}</td>
      <td class={tableCellClass} title={rowError(t())}>
        <Show when={rowError(t()) || !t().resolution}>
          <div class="line-clamp-2 min-w-[10rem] max-w-[14rem] text-xs text-red-300">{rowError(t()) ?? <span class="text-slate-500">—</span>}</div>
        </Show>
        <Show when={t().resolution}>{(resolution) => <ResolutionNote resolution={resolution()} />}</Show>
      </td>
      <td class={tableCellClass}>
        <TableTime iso={t().createdAt} />
      </td>
      <td class={`${tableCellClass} text-right whitespace-nowrap`}>
        <RowActions transaction={t()} actions={props.actions} />
      </td>
    </tr>
  );
}

/** The row's error, unless it only repeats the hand resolution shown below it. */
function rowError(t: Transaction): string | undefined {
  if (!t.error || (t.resolution && t.error === `Resolved by hand: ${t.resolution.note}`)) return undefined;
  return t.error;
}

/** The admin's hand resolution beside the order: the note, the outcome, when and by whom. */
function ResolutionNote(props: { resolution: Resolution }) {
  return (
    <div data-testid="resolution" class="min-w-[10rem] max-w-[14rem] text-xs" title={props.resolution.note}>
      <p class="line-clamp-2 text-slate-200">Resolved by hand: {props.resolution.note}</p>
      <p class="mt-0.5 text-slate-500">
        {props.resolution.outcome === 'completed' ? 'Completed' : 'Not bought'} · <TableTime iso={props.resolution.at} /> ·{' '}
        {props.resolution.actor}
      </p>
    </div>
  );
}

/** The unknown ones, flagged above the table whatever the filter, until each is settled. */
function UnknownPanel(props: { transactions: Transaction[]; actions: Actions }) {
  return (
    <section aria-labelledby="unknown-heading" class="rounded-xl border border-orange-500/50 bg-orange-500/10 p-4">
      <h2 id="unknown-heading" class="flex items-center gap-2 font-semibold text-orange-200">
        <CircleQuestionMark size={18} aria-hidden="true" />
        {props.transactions.length === 1 ? '1 purchase needs reconciling' : `${props.transactions.length} purchases need reconciling`}
      </h2>
      <p class="mt-1 text-sm text-orange-100/80">
        Unknown means the gateway never said whether the purchase went through: its robux stay reserved and it is never bought again
        until Reconcile (or the next run) asks the gateway and settles it, or you Resolve it by hand.
      </p>
      <ul class="mt-3 divide-y divide-orange-500/20">
        <For each={props.transactions}>
          {(t) => (
            <li class="flex flex-wrap items-center justify-between gap-2 py-2 text-sm">
              <div class="min-w-0">
                <span class="font-mono text-xs text-slate-100">{t.invoiceId}</span>
                <span class="text-slate-300">
                  {' '}
                  · {gamepassName(t)}
                  <Show when={t.gamepass.price != null}> · {formatNumber(t.gamepass.price!)} robux</Show>
                  <Show when={t.usedAccount}> · by {t.usedAccount}</Show>
                </span>
              </div>
              <UnknownActions transaction={t} actions={props.actions} labelled />
            </li>
          )}
        </For>
      </ul>
    </section>
  );
}

export function Transactions() {
  const [status, setStatus] = createSignal<StatusFilter>('');
  const pages = createCursorPages();
  const table = createTableData(() => listTransactions(status(), pageSize, pages.cursor()));
  const unknown = createTableData(() => listTransactions('unknown', 100).then((page) => page.transactions));
  const refresh = () => {
    void table.reload();
    void unknown.reload();
  };
  const actions = createTransactionActions(refresh);
  const rows = () => table.data()?.transactions ?? [];

  createEffect(on([status, pages.cursor], () => void table.reload()));
  void unknown.reload();

  const filter = (next: StatusFilter) =>
    batch(() => {
      pages.reset();
      setStatus(next);
    });

  return (
    <section class="space-y-4">
      <div class="flex flex-wrap items-end justify-between gap-3">
        <div>
          <h1 class="text-xl font-semibold text-slate-100">Transactions</h1>
          <p class="text-sm text-slate-400">The customers' orders, newest first.</p>
        </div>
        <div class="w-full sm:w-48">
          <FormSelect label="Status" value={status()} options={statusOptions} onChange={filter} />
        </div>
      </div>

      <Show when={(unknown.data()?.length ?? 0) > 0}>
        <UnknownPanel transactions={unknown.data()!} actions={actions} />
      </Show>

      <TableShell
        label="Transactions"
        columns={columns}
        minWidth="min-w-[60rem]"
        rowCount={rows().length}
        empty={status() ? `No ${status()} transactions.` : 'No transactions yet: paid orders appear here.'}
        loading={table.loading()}
        error={table.error()}
        onRetry={() => void table.reload()}
      >
        <For each={rows()}>{(t) => <TransactionRow transaction={t} actions={actions} />}</For>
      </TableShell>

      <ResolveDialog transaction={actions.resolving()} onClose={actions.closeResolve} onResolved={refresh} />

      <TablePager
        page={pages.page()}
        nextCursor={table.data()?.nextCursor}
        onPrevious={pages.previous}
        onNext={pages.next}
        disabled={table.loading()}
      />
    </section>
  );
}
