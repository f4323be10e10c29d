// The progress modal's two tables. Both render straight from the run store: a row component reads
// its own row's fields, so a `transaction` or `account` event re-renders one row, never the table.
// Every row is ROW_PX tall, so where a row sits is known from its index: the window above
// ALL_ROWS_UP_TO and the following of the processing row never measure rows.
import { createVirtualizer } from '@tanstack/solid-virtual';
import { ArrowDown } from '../icons.js';
import { createEffect, createSignal, For, Index, type JSX, on, onCleanup, onMount, Show } from 'solid-js';
import type { RunAccount, RunTransaction } from '../../../src/domain/run.js';
import { cancelFrame, nextFrame } from '../animation-frame.js';
import type { ProcessingRow } from '../run/run-view-store.js';
import { StatusBadge, TransactionStatusBadge } from './StatusBadge.js';

/** Up to this many transactions every row is in the DOM; above it only a scrolled window is. */
export const ALL_ROWS_UP_TO = 1000;
/** How long a dropped balance stays marked. */
const DROP_MARK_MS = 2000;
/** After the admin scrolls the transactions table, it stops following the processed row this long. */
const USER_SCROLL_GRACE_MS = 4000;
/** Row and header height (`h-9`), fixed so the window's spacers add up. */
const ROW_PX = 36;
const HEADER_PX = 36;

const scrollBox = 'overflow-auto rounded-lg border border-slate-700 focus:outline-none focus-visible:ring-2 focus-visible:ring-blue-500';
const headCell = 'sticky top-0 z-10 whitespace-nowrap bg-slate-900 px-3 text-left text-xs font-semibold uppercase tracking-wide text-slate-400';
const cell = 'whitespace-nowrap px-3';
const stripe = (index: number) => (index % 2 === 1 ? 'bg-slate-900/40' : 'bg-transparent');

function Header(props: { columns: { label: string; right?: boolean }[] }) {
  return (
    <thead>
      <tr class="h-9">
        <For each={props.columns}>
          {(column) => (
            <th scope="col" class={`${headCell} ${column.right ? 'text-right' : ''}`}>
              {column.label}
            </th>
          )}
        </For>
      </tr>
    </thead>
  );
}

// ---------------------------------------------------------------------------------------------
// Stock accounts

/**
 * How much a balance just dropped (0 when it did not): set when the value goes down, cleared
 * after DROP_MARK_MS. `seen` remembers the last value per account across a list replacement.
 */
function createDropMark(id: string, robux: () => number, seen: Map<string, number>) {
  const [drop, setDrop] = createSignal(0);
  let timer: ReturnType<typeof setTimeout> | undefined;
  createEffect(
    on(robux, (now) => {
      const before = seen.get(id);
      seen.set(id, now);
      if (before === undefined || now >= before) return;
      setDrop(before - now);
      clearTimeout(timer);
      timer = setTimeout(() => setDrop(0), DROP_MARK_MS);
    }),
  );
  onCleanup(() => clearTimeout(timer));
  return drop;
}

function AccountRow(props: { account: RunAccount; index: number; seen: Map<string, number> }) {
  const drop = createDropMark(props.account.id, () => props.account.robux, props.seen);
  return (
    <tr data-key={props.account.id} data-status={props.account.status} class={`h-9 ${stripe(props.index)}`}>
      <td class={`${cell} text-slate-100`}>{props.account.username}</td>
      <td
        class={`${cell} text-right tabular-nums transition-colors ${drop() > 0 ? 'font-semibold text-red-400' : 'text-slate-100'}`}
        data-dropped={drop() > 0 ? '' : undefined}
        title={drop() > 0 ? `Down ${drop()} robux` : undefined}
      >
        <span class="inline-flex items-center justify-end gap-1">
          <Show when={drop() > 0}>
            <ArrowDown size={14} aria-hidden="true" />
          </Show>
          {props.account.robux}
        </span>
      </td>
      <td class={cell}>
        <StatusBadge status={props.account.status} />
      </td>
    </tr>
  );
}

export function StockAccountsTable(props: { accounts: RunAccount[] }) {
  const seen = new Map<string, number>();
  return (
    <div class={`max-h-[160px] ${scrollBox}`} tabIndex={0}>
      <table aria-label="Stock accounts" class="w-full border-collapse text-sm">
        <Header columns={[{ label: 'Username' }, { label: 'Robux', right: true }, { label: 'Status' }]} />
        <tbody>
          <For each={props.accounts} fallback={<EmptyRow columns={3} text="No stock accounts yet." />}>
            {(account, index) => <AccountRow account={account} index={index()} seen={seen} />}
          </For>
        </tbody>
      </table>
    </div>
  );
}

// ---------------------------------------------------------------------------------------------
// Transactions

function TransactionRow(props: { row: RunTransaction; index: number; ariaRowIndex?: number }) {
  return (
    <tr
      data-key={props.row.invoiceId}
      data-status={props.row.status}
      aria-rowindex={props.ariaRowIndex}
      class={`h-9 ${stripe(props.index)}`}
    >
      <td class={`${cell} font-mono text-xs text-slate-200`}>{props.row.invoiceId}</td>
      <td class={`${cell} max-w-[14rem] truncate text-slate-100`} title={props.row.gamepassName ?? undefined}>
        {props.row.gamepassName ?? '—'}
      </td>
      <td class={`${cell} text-right tabular-nums text-slate-100`}>{props.row.gamepassPrice ?? '—'}</td>
      <td class={`${cell} text-slate-300`}>{props.row.usedAccount ?? '—'}</td>
      <td class={cell}>
        <TransactionStatusBadge status={props.row.status} error={props.row.error} />
      </td>
    </tr>
  );
}

function EmptyRow(props: { columns: number; text: string }) {
  return (
    <tr>
      <td colSpan={props.columns} class="px-3 py-3 text-center text-slate-400">
        {props.text}
      </td>
    </tr>
  );
}

/** Above ALL_ROWS_UP_TO: only the rows in (and near) view, between two spacer rows. */
function WindowedRows(props: { rows: RunTransaction[]; scroller: HTMLElement }) {
  // The box goes to the virtualizer once in the page (else it listens on no window), at the next
  // frame: measured at once, it would force a layout of 10,000 rows just built inside this task.
  const [inPage, setInPage] = createSignal(false);
  let attach: number | undefined;
  onMount(() => {
    attach = nextFrame(() => {
      attach = undefined;
      setInPage(props.scroller.isConnected);
    });
  });
  onCleanup(() => {
    if (attach !== undefined) cancelFrame(attach);
  });
  // Rows are never measured: the window and its spacers come from the count and the scroll offset.
  const virtualizer = createVirtualizer({
    get count() {
      return props.rows.length;
    },
    get getScrollElement() {
      const box = inPage() ? props.scroller : null;
      return () => box;
    },
    estimateSize: () => ROW_PX,
    overscan: 6,
    // The rows start below the header.
    scrollMargin: HEADER_PX,
    initialRect: { width: 0, height: 384 },
  });
  const items = () => virtualizer.getVirtualItems();
  const above = () => (items()[0]?.start ?? HEADER_PX) - HEADER_PX;
  const below = () => virtualizer.getTotalSize() - ((items()[items().length - 1]?.end ?? HEADER_PX) - HEADER_PX);
  return (
    <>
      <Show when={above() > 0}>
        <tr aria-hidden="true" style={{ height: `${above()}px` }} />
      </Show>
      {/* By position, not by row: as the window moves, its row elements stay and show other rows
          (their texts and attributes change), rather than being torn down and built again. */}
      <Index each={items()}>
        {(item) => (
          <Show when={props.rows[item().index]}>
            {(row) => <TransactionRow row={row()} index={item().index} ariaRowIndex={item().index + 2} />}
          </Show>
        )}
      </Index>
      <Show when={below() > 0}>
        <tr aria-hidden="true" style={{ height: `${below()}px` }} />
      </Show>
    </>
  );
}

/** Remembers when the admin last moved a scroll box by hand (wheel, touch, keys, scrollbar). */
function createUserScrollClock() {
  let last = Number.NEGATIVE_INFINITY;
  const touched = () => {
    last = Date.now();
  };
  const handlers: JSX.HTMLAttributes<HTMLDivElement> = { onWheel: touched, onTouchMove: touched, onKeyDown: touched, onPointerDown: touched };
  return { handlers, recentlyScrolled: () => Date.now() - last < USER_SCROLL_GRACE_MS };
}

/**
 * Keeps a row (at index × ROW_PX) in view below the sticky header. The box is read right after a
 * frame is painted, when the layout is clean, never while an event is handled: reading costs nothing.
 */
function createRowFollower(box: () => HTMLElement | undefined, paused: () => boolean) {
  let wanted: number | undefined;
  let frame: number | undefined;
  let painted: ReturnType<typeof setTimeout> | undefined;
  const reveal = () => {
    painted = undefined;
    const index = wanted;
    wanted = undefined;
    const el = box();
    if (index === undefined || !el?.isConnected || paused()) return;
    const height = el.clientHeight;
    if (height <= HEADER_PX) return; // not laid out (hidden), or no room for a row
    const top = HEADER_PX + index * ROW_PX;
    const bottom = top + ROW_PX;
    const scrolled = el.scrollTop;
    if (top < scrolled + HEADER_PX) el.scrollTop = top - HEADER_PX;
    else if (bottom > scrolled + height) el.scrollTop = bottom - height;
  };
  onCleanup(() => {
    if (frame !== undefined) cancelFrame(frame);
    clearTimeout(painted);
  });
  return (index: number) => {
    wanted = index;
    if (frame !== undefined || painted !== undefined) return;
    frame = nextFrame(() => {
      frame = undefined;
      painted = setTimeout(reveal, 0);
    });
  };
}

export function TransactionsTable(props: { transactions: RunTransaction[]; processing?: ProcessingRow | undefined }) {
  const [scroller, setScroller] = createSignal<HTMLDivElement>();
  const windowed = () => props.transactions.length > ALL_ROWS_UP_TO;
  const clock = createUserScrollClock();
  const follow = createRowFollower(scroller, clock.recentlyScrolled);
  // The row being processed stays in view (unless the admin just scrolled the table): a new
  // `processing` object per row that turns processing, known by the store without a per-row watcher.
  createEffect(
    on(
      () => props.processing,
      (processing) => {
        if (processing) follow(processing.index);
      },
    ),
  );

  return (
    <div ref={setScroller} class={`max-h-[384px] ${scrollBox}`} tabIndex={0} {...clock.handlers}>
      <table aria-label="Transactions" aria-rowcount={windowed() ? props.transactions.length + 1 : undefined} class="w-full border-collapse text-sm">
        <Header
          columns={[{ label: 'Invoice' }, { label: 'Gamepass' }, { label: 'Price', right: true }, { label: 'Used account' }, { label: 'Status' }]}
        />
        <tbody>
          <Show
            when={windowed()}
            fallback={
              <For each={props.transactions} fallback={<EmptyRow columns={5} text="No pending transactions." />}>
                {(row, index) => <TransactionRow row={row} index={index()} />}
              </For>
            }
          >
            {/* Never every row first: the window waits for its scroll box instead. */}
            <Show when={scroller()}>{(box) => <WindowedRows rows={props.transactions} scroller={box()} />}</Show>
          </Show>
        </tbody>
      </table>
    </div>
  );
}
