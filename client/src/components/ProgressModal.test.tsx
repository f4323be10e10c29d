// The progress modal against a fake stream: the names and attributes browser checks rely on
// (SPEC §8), closing rules, auto-close, and one row re-rendering per `transaction` event.
import { cleanup, fireEvent, render, screen, within } from '@solidjs/testing-library';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { RunSnapshot, RunTransaction } from '../../../src/domain/run.js';
import { followRun } from '../run/follow-run.js';
import { ProgressModal } from './ProgressModal.js';

/** Just enough of EventSource: listeners, readyState, close(), and ways to drive it. */
class FakeEventSource extends EventTarget {
  static readonly CLOSED = 2;
  readyState = 0;
  constructor(readonly url: string) {
    super();
  }
  close() {
    this.readyState = 2;
  }
  open() {
    this.readyState = 1;
    this.dispatchEvent(new Event('open'));
  }
  /** An event arrives (the modal folds it at the next frame). */
  send(type: string, data: unknown, id: number) {
    this.dispatchEvent(new MessageEvent(type, { data: JSON.stringify(data), lastEventId: String(id) }));
  }
  /** An event arrives, and a frame passes: what it changed is on screen. */
  emit(type: string, data: unknown, id: number) {
    this.send(type, data, id);
    vi.advanceTimersToNextFrame();
  }
  drop() {
    this.readyState = 0;
    this.dispatchEvent(new Event('error'));
  }
}

const row = (n: number, extra: Partial<RunTransaction> = {}): RunTransaction => ({
  invoiceId: `INV-${n}`,
  gamepassName: `Pass ${n}`,
  gamepassPrice: 10 * n,
  status: 'pending',
  timestamp: '2024-05-01T10:00:00.000Z',
  ...extra,
});

const snapshotOf = (extra: Partial<RunSnapshot> = {}): RunSnapshot => ({
  sessionId: 'run-1',
  status: 'running',
  currentStep: 'Processing 3 transactions',
  stockAccounts: [
    { id: 'acc-1', username: 'alice', robux: 1000, status: 'active' },
    { id: 'acc-2', username: 'bob', robux: 20, status: 'inactive' },
  ],
  transactions: [row(1, { status: 'completed', usedAccount: 'alice' }), row(2, { status: 'processing', usedAccount: 'alice' }), row(3)],
  summary: { totalTransactions: 3, processedCount: 1, skippedCount: 0, failedCount: 0, unknownCount: 0 },
  startTime: '2024-05-01T10:00:00.000Z',
  createdAt: '2024-05-01T10:00:00.000Z',
  ...extra,
});

let sources: FakeEventSource[];
let stored: RunSnapshot;

/**
 * Animation frames are the test's to give (the stream's events are folded once per frame, and the
 * processing row followed once per frame); these timers are faked along with them.
 */
const fakeTimers = (...more: ('setTimeout' | 'clearTimeout' | 'Date')[]) =>
  vi.useFakeTimers({ toFake: ['requestAnimationFrame', 'cancelAnimationFrame', ...more] });
/** A frame passes, and the task right after it (where the table reads its scroll position). */
const frame = () => {
  vi.advanceTimersToNextFrame();
  vi.advanceTimersByTime(1);
};

beforeEach(() => {
  fakeTimers();
  sources = [];
  stored = snapshotOf();
  vi.stubGlobal('EventSource', FakeEventSource);
  // The dialog locks and restores the page scroll, which jsdom does not implement.
  vi.spyOn(window, 'scrollTo').mockImplementation(() => {});
  // GET /api/auto-purchase/progress/:id answers the stored snapshot.
  vi.stubGlobal(
    'fetch',
    vi.fn(async () => new Response(JSON.stringify(stored), { status: 200, headers: { 'content-type': 'application/json' } })),
  );
});

afterEach(() => {
  cleanup();
  vi.useRealTimers();
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

const follow = (sessionId: string) =>
  followRun(sessionId, (url) => {
    const source = new FakeEventSource(url);
    sources.push(source);
    return source as unknown as EventSource;
  });

/** Renders the modal on a running run and feeds the stream its opening snapshot. */
async function openRunning(snapshot = snapshotOf()) {
  const onClose = vi.fn();
  render(() => <ProgressModal sessionId={snapshot.sessionId} onClose={onClose} follow={follow} />);
  await vi.waitFor(() => expect(sources).toHaveLength(1));
  const source = sources[0]!;
  source.open();
  source.emit('snapshot', snapshot, 4);
  const dialog = screen.getByRole('dialog', { name: 'Auto-purchase progress' });
  return { onClose, source, dialog };
}

const rowOf = (dialog: HTMLElement, table: string, key: string) =>
  within(dialog)
    .getByRole('table', { name: table })
    .querySelector<HTMLTableRowElement>(`tr[data-key="${key}"]`)!;

/** A click on the backdrop around the dialog (the dialog listens for outside pointers after a tick). */
async function clickOutside(dialog: HTMLElement) {
  await new Promise((resolve) => setTimeout(resolve, 10));
  const backdrop = dialog.parentElement!;
  fireEvent.pointerDown(backdrop, { button: 0, pointerType: 'mouse' });
  fireEvent.pointerUp(backdrop, { button: 0, pointerType: 'mouse' });
  fireEvent.click(backdrop);
}

const cardText = (name: string) => screen.getByTestId(`card-${name}`).textContent ?? '';

const end = (source: FakeEventSource, status: 'completed' | 'failed' = 'completed', error?: string) =>
  source.emit('end', { status, endTime: '2024-05-01T10:05:00.000Z', ...(error ? { error } : {}) }, 99);

describe('ProgressModal', () => {
  it('shows a running run: dialog name, status badge, step, cards and table rows', async () => {
    const { dialog, source } = await openRunning();
    expect(source.url).toBe('/api/auto-purchase/progress/run-1/events');
    // The stream's opening snapshot is the run: it is not also asked for with a GET.
    expect(fetch).not.toHaveBeenCalled();

    const badge = screen.getByTestId('run-status');
    expect(badge.dataset.status).toBe('running');
    expect(badge.textContent).toBe('Running');
    expect(screen.getByTestId('current-step').textContent).toBe('Processing 3 transactions');

    expect(cardText('total')).toContain('3');
    expect(cardText('processed')).toContain('1');
    expect(cardText('failed')).toContain('0');
    expect(cardText('skipped')).toContain('0');
    expect(screen.queryByTestId('card-unknown')).toBeNull();

    const accounts = within(dialog).getByRole('table', { name: 'Stock accounts' });
    expect([...accounts.querySelectorAll('tbody tr')].map((tr) => [tr.getAttribute('data-key'), tr.getAttribute('data-status')])).toEqual([
      ['acc-1', 'active'],
      ['acc-2', 'inactive'],
    ]);
    const transactions = within(dialog).getByRole('table', { name: 'Transactions' });
    expect([...transactions.querySelectorAll('tbody tr')].map((tr) => [tr.getAttribute('data-key'), tr.getAttribute('data-status')])).toEqual([
      ['INV-1', 'completed'],
      ['INV-2', 'processing'],
      ['INV-3', 'pending'],
    ]);
    expect(screen.getByTestId('connection').textContent).toBe('Live');
  });

  it('says it is modal (WAI-ARIA dialog pattern): aria-modal="true" on the named dialog', async () => {
    const { dialog } = await openRunning();
    expect(dialog.getAttribute('aria-modal')).toBe('true');
  });

  it('a transaction event changes that one row in place, leaving the other rows alone', async () => {
    const { dialog, source } = await openRunning();
    const first = rowOf(dialog, 'Transactions', 'INV-1');
    const second = rowOf(dialog, 'Transactions', 'INV-2');
    const firstHtml = first.outerHTML;

    source.emit('transaction', { invoiceId: 'INV-2', status: 'completed', usedAccount: 'alice', timestamp: '2024-05-01T10:00:09.000Z' }, 5);

    expect(rowOf(dialog, 'Transactions', 'INV-1')).toBe(first);
    expect(rowOf(dialog, 'Transactions', 'INV-2')).toBe(second);
    expect(second.dataset.status).toBe('completed');
    expect(first.outerHTML).toBe(firstHtml);
  });

  it("a failed row's badge carries its error as title and in a tooltip", async () => {
    const { dialog, source } = await openRunning();
    source.emit('transaction', { invoiceId: 'INV-3', status: 'failed', usedAccount: 'bob', error: 'Insufficient robux', timestamp: 't' }, 5);

    const failed = rowOf(dialog, 'Transactions', 'INV-3');
    expect(failed.dataset.status).toBe('failed');
    const badge = failed.cells[4]!.querySelector<HTMLElement>('[title]')!;
    expect(badge.title).toBe('Insufficient robux');
    expect(badge.textContent).toBe('Failed');

    fireEvent.focus(badge.parentElement!);
    expect((await screen.findByRole('tooltip')).textContent).toContain('Insufficient robux');
  });

  it('shows the Unknown card only when some transactions are unknown', async () => {
    const { source } = await openRunning();
    expect(screen.queryByTestId('card-unknown')).toBeNull();
    source.emit('summary', { totalTransactions: 3, processedCount: 1, skippedCount: 1, failedCount: 0, unknownCount: 2 }, 5);
    expect(cardText('unknown')).toContain('2');
    expect(cardText('skipped')).toContain('1');
  });

  it('marks a balance that just dropped, for a moment', async () => {
    fakeTimers('setTimeout', 'clearTimeout');
    const { dialog, source } = await openRunning();
    source.emit('account', { id: 'acc-1', robux: 900, status: 'active' }, 5);
    const robux = rowOf(dialog, 'Stock accounts', 'acc-1').cells[1]!;
    expect(robux.textContent).toBe('900');
    expect(robux.hasAttribute('data-dropped')).toBe(true);
    vi.advanceTimersByTime(2100);
    expect(robux.hasAttribute('data-dropped')).toBe(false);
    source.emit('account', { id: 'acc-1', robux: 950, status: 'active' }, 6);
    expect(robux.hasAttribute('data-dropped')).toBe(false);
  });

  it('keeps Close disabled and ignores Esc while running; both close it after the end', async () => {
    const { dialog, source, onClose } = await openRunning();
    const close = within(dialog).getByRole('button', { name: 'Close' }) as HTMLButtonElement;
    expect(close.disabled).toBe(true);
    fireEvent.keyDown(dialog, { key: 'Escape' });
    await clickOutside(dialog);
    expect(onClose).not.toHaveBeenCalled();

    within(dialog).getByRole('button', { name: 'Pin' }).click(); // pinned: no auto-close during this test
    end(source);
    expect(screen.getByTestId('run-status').dataset.status).toBe('completed');
    expect(screen.getByTestId('run-status').textContent).toBe('Completed');
    expect(close.disabled).toBe(false);
    fireEvent.keyDown(dialog, { key: 'Escape' });
    expect(onClose).toHaveBeenCalledTimes(1);
    await clickOutside(dialog);
    expect(onClose).toHaveBeenCalledTimes(2);
    close.click();
    expect(onClose).toHaveBeenCalledTimes(3);
  });

  it('shows the run error when it failed', async () => {
    const { dialog, source } = await openRunning();
    end(source, 'failed', 'Gateway unreachable');
    expect(screen.getByTestId('run-status').dataset.status).toBe('failed');
    expect(screen.getByTestId('run-status').textContent).toBe('Failed');
    expect(within(dialog).getByRole('alert').textContent).toBe('Gateway unreachable');
  });

  it('toggles Pin with aria-pressed, keeping its name', async () => {
    const { dialog } = await openRunning();
    const pin = within(dialog).getByRole('button', { name: 'Pin' });
    expect(pin.getAttribute('aria-pressed')).toBe('false');
    pin.click();
    expect(within(dialog).getByRole('button', { name: 'Pin' })).toBe(pin);
    expect(pin.getAttribute('aria-pressed')).toBe('true');
    pin.click();
    expect(pin.getAttribute('aria-pressed')).toBe('false');
  });

  it('closes by itself 3 s after an end seen live', async () => {
    const { source, onClose } = await openRunning();
    fakeTimers('setTimeout', 'clearTimeout');
    end(source);
    vi.advanceTimersByTime(2900);
    expect(onClose).not.toHaveBeenCalled();
    vi.advanceTimersByTime(200);
    expect(onClose).toHaveBeenCalledTimes(1);
  });

  it('stays open after the end when pinned', async () => {
    const { dialog, source, onClose } = await openRunning();
    fakeTimers('setTimeout', 'clearTimeout');
    within(dialog).getByRole('button', { name: 'Pin' }).click();
    end(source);
    vi.advanceTimersByTime(10_000);
    expect(onClose).not.toHaveBeenCalled();
  });

  it('shows the connection: Live, Reconnecting… while down, Ended after the end', async () => {
    const { source } = await openRunning();
    const connection = screen.getByTestId('connection');
    expect(connection.textContent).toBe('Live');
    source.drop();
    expect(connection.textContent).toBe('Reconnecting…');
    source.open();
    expect(connection.textContent).toBe('Live');
    end(source);
    expect(connection.textContent).toBe('Ended');
    expect(source.readyState).toBe(2);
  });

  it('opens a finished run from its stored snapshot: one download, no live stream, Ended, no auto-close', async () => {
    const finished = snapshotOf({ status: 'completed', endTime: '2024-05-01T10:05:00.000Z' });
    const onClose = vi.fn();
    render(() => <ProgressModal sessionId="run-1" onClose={onClose} follow={follow} />);
    await vi.waitFor(() => expect(sources).toHaveLength(1));
    const source = sources[0]!;
    source.open();
    // Not Live: a stream that has not said the run is running is still connecting.
    expect(screen.getByTestId('connection').textContent).toBe('Connecting…');
    // The server sends a finished run's stored snapshot and closes; this side closes too, at once.
    source.emit('snapshot', finished, 12);
    expect(screen.getByTestId('connection').textContent).toBe('Ended');
    expect(source.readyState).toBe(2);
    fakeTimers('setTimeout', 'clearTimeout');
    expect(screen.getByTestId('run-status').dataset.status).toBe('completed');
    expect((screen.getByRole('button', { name: 'Close' }) as HTMLButtonElement).disabled).toBe(false);
    vi.advanceTimersByTime(10_000);
    expect(onClose).not.toHaveBeenCalled();
    expect(sources).toHaveLength(1);
    expect(fetch).not.toHaveBeenCalled();
  });

  it('an unknown run: the stream is refused, the GET says why, and it ends without retrying', async () => {
    vi.stubGlobal(
      'fetch',
      vi.fn(async () => new Response(JSON.stringify({ error: { code: 'not_found', message: 'No such run' } }), { status: 404, headers: { 'content-type': 'application/json' } })),
    );
    render(() => <ProgressModal sessionId="nope" onClose={() => {}} follow={follow} />);
    await vi.waitFor(() => expect(sources).toHaveLength(1));
    sources[0]!.readyState = 2;
    sources[0]!.dispatchEvent(new Event('error'));
    await vi.waitFor(() => expect(screen.getByTestId('connection').textContent).toBe('Ended'));
    expect(screen.getByText('This run could not be loaded.')).toBeTruthy();
    expect(fetch).toHaveBeenCalledTimes(1);
    expect(sources).toHaveLength(1);
  });

  it('closes its stream when it unmounts', async () => {
    const { source } = await openRunning();
    cleanup();
    expect(source.readyState).toBe(2);
  });

  it('keeps the processing row in view once per frame, from its index, unless the admin just scrolled the table', async () => {
    fakeTimers('Date', 'setTimeout', 'clearTimeout');
    const { dialog, source } = await openRunning(snapshotOf({ transactions: Array.from({ length: 40 }, (_, i) => row(i + 1)) }));
    const table = within(dialog).getByRole('table', { name: 'Transactions' });
    const scroller = table.parentElement!;
    // A 384-px box with a 36-px header over 36-px rows: INV-n's bottom is (n + 1) * 36 in the box.
    const clientHeight = vi.spyOn(HTMLElement.prototype, 'clientHeight', 'get').mockReturnValue(384);
    // No row is measured: its place comes from its index.
    const measured = vi.spyOn(HTMLElement.prototype, 'getBoundingClientRect');
    const processing = (n: number, seq: number) =>
      source.send('transaction', { invoiceId: `INV-${n}`, status: 'processing', usedAccount: 'alice', timestamp: 't' }, seq);
    const done = (n: number, seq: number) =>
      source.send('transaction', { invoiceId: `INV-${n}`, status: 'completed', usedAccount: 'alice', timestamp: 't' }, seq);

    // Nothing is read or scrolled while the events are handled; then once, after the frame, to
    // the latest row that turned processing.
    clientHeight.mockClear();
    processing(10, 5);
    done(10, 6);
    processing(20, 7);
    expect(scroller.scrollTop).toBe(0);
    expect(clientHeight).not.toHaveBeenCalled();
    frame(); // folds the events
    frame(); // follows the row
    expect(scroller.scrollTop).toBe(20 * 36 + 36 - 384);
    expect(clientHeight).toHaveBeenCalledTimes(1);
    expect(rowOf(dialog, 'Transactions', 'INV-20').dataset.status).toBe('processing');

    // Already in view: left where it is.
    processing(15, 8);
    frame();
    frame();
    expect(scroller.scrollTop).toBe(20 * 36 + 36 - 384);
    // Above the view: scrolled up to just below the sticky header.
    processing(2, 9);
    frame();
    frame();
    expect(scroller.scrollTop).toBe(36);

    // The admin scrolled the table: it stays where they put it for a while.
    fireEvent.wheel(scroller);
    processing(30, 10);
    frame();
    frame();
    expect(scroller.scrollTop).toBe(36);

    vi.advanceTimersByTime(5000);
    processing(31, 11);
    frame();
    frame();
    expect(scroller.scrollTop).toBe(31 * 36 + 36 - 384);
    expect(measured.mock.contexts.filter((el) => (el as HTMLElement).dataset?.key)).toEqual([]);
  });

  it('brings a row that is processing when the snapshot arrives into view', async () => {
    fakeTimers('setTimeout', 'clearTimeout');
    vi.spyOn(HTMLElement.prototype, 'clientHeight', 'get').mockReturnValue(384);
    const transactions = Array.from({ length: 40 }, (_, i) => row(i + 1, i < 24 ? { status: 'completed' } : i === 24 ? { status: 'processing' } : {}));
    const { dialog } = await openRunning(snapshotOf({ transactions }));
    const scroller = within(dialog).getByRole('table', { name: 'Transactions' }).parentElement!;
    frame();
    expect(scroller.scrollTop).toBe(25 * 36 + 36 - 384);
  });

  it('folds a burst of events once per frame: each changed row and card is written once', async () => {
    const { dialog, source } = await openRunning(snapshotOf({ transactions: Array.from({ length: 40 }, (_, i) => row(i + 1)) }));
    const processed = screen.getByTestId('card-processed').lastElementChild!;
    const second = rowOf(dialog, 'Transactions', 'INV-2');
    const writes: MutationRecord[] = [];
    new MutationObserver((records) => writes.push(...records)).observe(dialog, {
      subtree: true,
      childList: true,
      characterData: true,
      attributes: true,
    });
    let seq = 5;
    for (let n = 1; n <= 20; n++) {
      source.send('transaction', { invoiceId: `INV-${n}`, status: 'processing', usedAccount: 'alice', timestamp: 't' }, seq++);
      source.send('transaction', { invoiceId: `INV-${n}`, status: 'completed', usedAccount: 'alice', timestamp: 't' }, seq++);
      source.send('summary', { totalTransactions: 40, processedCount: n, skippedCount: 0, failedCount: 0, unknownCount: 0 }, seq++);
    }
    // Not folded yet: the DOM is as it was.
    await Promise.resolve();
    expect(writes).toEqual([]);
    expect(processed.textContent).toBe('1');

    vi.advanceTimersToNextFrame();
    await Promise.resolve();
    expect(processed.textContent).toBe('20');
    expect(rowOf(dialog, 'Transactions', 'INV-2')).toBe(second);
    expect(second.dataset.status).toBe('completed');
    expect(rowOf(dialog, 'Transactions', 'INV-20').dataset.status).toBe('completed');
    expect(rowOf(dialog, 'Transactions', 'INV-21').dataset.status).toBe('pending');
    // Written once each, with the last value: the card's number, the row's status attribute.
    expect(writes.filter((r) => processed.contains(r.target))).toHaveLength(1);
    expect(writes.filter((r) => r.target === second && r.attributeName === 'data-status')).toHaveLength(1);
  });

  it('renders every row up to 1,000 transactions, and a window above that', async () => {
    const many = (count: number) => Array.from({ length: count }, (_, i) => row(i + 1));
    // jsdom lays nothing out: give the scroll box its 384 px so the window has rows to show.
    vi.spyOn(HTMLElement.prototype, 'clientHeight', 'get').mockReturnValue(384);
    vi.spyOn(HTMLElement.prototype, 'scrollHeight', 'get').mockReturnValue(36 + 5000 * 36);
    const { dialog, source } = await openRunning(snapshotOf({ transactions: many(1000) }));
    const table = within(dialog).getByRole('table', { name: 'Transactions' });
    expect(table.querySelectorAll('tr[data-key]')).toHaveLength(1000);

    source.emit('transactions', { transactions: many(5000), totalTransactions: 5000 }, 5);
    const windowRows = table.querySelectorAll<HTMLTableRowElement>('tr[data-key]');
    expect(windowRows.length).toBeGreaterThan(0);
    expect(windowRows.length).toBeLessThan(200);
    expect(windowRows[0]!.dataset.key).toBe('INV-1');
    expect(windowRows[0]!.dataset.status).toBe('pending');
    frame(); // the window takes its scroll box

    source.emit('transaction', { invoiceId: 'INV-1', status: 'processing', usedAccount: 'alice', timestamp: 't' }, 6);
    expect(table.querySelector<HTMLElement>('tr[data-key="INV-1"]')!.dataset.status).toBe('processing');

    // A row far below turning `processing` brings the window to it, after the next frame.
    const scroller = table.parentElement!;
    source.emit('transaction', { invoiceId: 'INV-3000', status: 'processing', usedAccount: 'alice', timestamp: 't' }, 7);
    expect(scroller.scrollTop).toBe(0);
    frame();
    await vi.waitFor(() => expect(scroller.scrollTop).toBe(3000 * 36 + 36 - 384));
    scroller.dispatchEvent(new Event('scroll'));
    await vi.waitFor(() => expect(table.querySelector<HTMLElement>('tr[data-key="INV-3000"]')?.dataset.status).toBe('processing'));
    // The spacer above the window stands for the rows not rendered: the row sits at its index × 36 px.
    const spacer = table.querySelector<HTMLElement>('tbody tr[aria-hidden="true"]')!;
    const first = Number(table.querySelector<HTMLElement>('tr[data-key]')!.dataset.key!.slice('INV-'.length)) - 1;
    expect(spacer.style.height).toBe(`${first * 36}px`);
  }, 30_000); // jsdom takes seconds to build 1,000 rows; a browser takes milliseconds
});
