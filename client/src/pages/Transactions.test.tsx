// Transactions page: the status filter's real option values, the rows' keys and statuses, Retry
// opening the run it started, Reconcile toasting what it settled, Resolve… settling an unknown one
// by hand, the unknown ones flagged at the top, and paging by cursor.
import { cleanup, fireEvent, render, screen, waitFor, within } from '@solidjs/testing-library';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

const showRun = vi.fn();
const showToast = vi.fn();
vi.mock('../progress.js', () => ({ showRun: (...args: unknown[]) => showRun(...args) }));
vi.mock('../toasts.js', () => ({ showToast: (...args: unknown[]) => showToast(...args) }));

const { Transactions } = await import('./Transactions.js');

const order = (id: number, status: string, extra: Record<string, unknown> = {}) => ({
  id,
  invoiceId: `INV-${id}`,
  gamepass: { id: 100 + id, name: `Pass ${id}`, price: 50 * id, sellerId: 7 },
  status,
  usedAccount: status === 'pending' ? null : 'alice',
  error: status === 'failed' ? 'Not for sale' : null,
  attempts: 1,
  createdAt: '2024-05-03T10:00:00.000Z',
  updatedAt: '2024-05-03T10:00:00.000Z',
  completedAt: null,
  ...extra,
});

function json(body: unknown, status = 200) {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
}

let lists: URL[];
let posts: string[];
let postBodies: unknown[];
let orders: ReturnType<typeof order>[];
let postAnswer: (path: string) => Response;

// jsdom computes no animation-name, which Kobalte's presence reads as "still animating out".
const noAnimations = Object.assign(document.createElement('style'), { textContent: '* { animation-name: none; }' });
document.head.append(noAnimations);

beforeEach(() => {
  vi.spyOn(window, 'scrollTo').mockImplementation(() => {});
  lists = [];
  posts = [];
  postBodies = [];
  orders = [order(1, 'failed'), order(2, 'unknown'), order(3, 'completed')];
  postAnswer = () => json({}, 500);
  showRun.mockReset();
  showToast.mockReset();
  vi.stubGlobal(
    'fetch',
    vi.fn(async (path: string, init: RequestInit) => {
      const url = new URL(path, 'http://localhost');
      if (init.method !== 'GET') {
        posts.push(url.pathname);
        postBodies.push(init.body === undefined ? undefined : JSON.parse(String(init.body)));
        return postAnswer(url.pathname);
      }
      lists.push(url);
      const status = url.searchParams.get('status');
      const matching = orders.filter((o) => !status || o.status === status);
      if (url.searchParams.get('cursor') === 'c-2') return json({ transactions: [order(9, 'pending')] });
      return json({ transactions: matching, ...(status ? {} : { nextCursor: 'c-2' }) });
    }),
  );
});

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

const table = () => screen.findByRole('table', { name: 'Transactions' });
const row = async (invoiceId: string) => {
  const found = await waitFor(() => {
    const tr = screen.getByRole('table', { name: 'Transactions' }).querySelector(`tr[data-key="${invoiceId}"]`);
    if (!tr) throw new Error(`no row ${invoiceId}`);
    return tr as HTMLElement;
  });
  return found;
};
const mainLists = () => lists.filter((url) => url.searchParams.get('limit') !== '100');

describe('Transactions', () => {
  it('offers every status as a real option value, "" for all, and filters by it', async () => {
    render(() => <Transactions />);
    const select = screen.getByLabelText('Status') as HTMLSelectElement;
    expect([...select.options].map((o) => o.value)).toEqual(['', 'pending', 'processing', 'completed', 'failed', 'unknown']);
    await row('INV-1');
    fireEvent.change(select, { target: { value: 'failed' } });
    await waitFor(() => expect(mainLists().at(-1)!.searchParams.get('status')).toBe('failed'));
    await waitFor(async () => expect((await table()).querySelectorAll('tbody tr').length).toBe(1));
  });

  it('keys rows by invoice with their status, and puts Retry / Reconcile where they apply', async () => {
    render(() => <Transactions />);
    const failed = await row('INV-1');
    expect(failed.dataset.status).toBe('failed');
    expect(within(failed).getByRole('button', { name: 'Retry' })).toBeTruthy();
    expect(within(failed).getByText('Failed').closest('span')!.title).toBe('Not for sale');
    const unknown = await row('INV-2');
    expect(within(unknown).getByRole('button', { name: 'Reconcile' })).toBeTruthy();
    const completed = await row('INV-3');
    expect(within(completed).queryByRole('button')).toBeNull();
  });

  it('Retry opens the progress modal on the run it started', async () => {
    postAnswer = () => json({ transaction: order(1, 'pending'), autoPurchase: { sessionId: 's-7' } }, 202);
    render(() => <Transactions />);
    fireEvent.click(within(await row('INV-1')).getByRole('button', { name: 'Retry' }));
    await waitFor(() => expect(showRun).toHaveBeenCalledWith('s-7', expect.any(Function)));
    expect(posts).toEqual(['/api/transactions/1/retry']);
  });

  it('Reconcile toasts what the gateway settled and refreshes', async () => {
    postAnswer = () => json({ transaction: order(2, 'completed') });
    render(() => <Transactions />);
    fireEvent.click(within(await row('INV-2')).getByRole('button', { name: 'Reconcile' }));
    await waitFor(() => expect(showToast).toHaveBeenCalledWith('INV-2: the purchase went through; it is completed.', 'success'));
    expect(posts).toEqual(['/api/transactions/2/reconcile']);
  });

  it('a refused Retry is toasted in words', async () => {
    postAnswer = () => json({ error: { code: 'conflict', message: 'Only a failed transaction can be retried' } }, 409);
    render(() => <Transactions />);
    fireEvent.click(within(await row('INV-1')).getByRole('button', { name: 'Retry' }));
    await waitFor(() => expect(showToast).toHaveBeenCalledWith('INV-1: Only a failed transaction can be retried', 'error'));
    expect(showRun).not.toHaveBeenCalled();
  });

  it('flags the unknown ones at the top, from their own query', async () => {
    render(() => <Transactions />);
    const panel = await screen.findByRole('region', { name: '1 purchase needs reconciling' });
    expect(within(panel).getByText('INV-2')).toBeTruthy();
    expect(within(panel).getByRole('button', { name: 'Reconcile INV-2' })).toBeTruthy();
    expect(lists.some((url) => url.searchParams.get('status') === 'unknown' && url.searchParams.get('limit') === '100')).toBe(true);
  });

  it('Resolve… on an unknown row opens "Resolve transaction"; Save sends the outcome and note, toasts, closes and refreshes', async () => {
    const resolution = { outcome: 'failed', note: 'Not in the Roblox history', at: '2024-05-03T11:00:00.000Z', actor: 'browser session' };
    postAnswer = () => {
      // The server settled it: the next lists show it failed, with its resolution.
      orders = orders.map((o) => (o.id === 2 ? order(2, 'failed', { error: 'Resolved by hand: Not in the Roblox history', resolution }) : o));
      return json({ transaction: orders[1] });
    };
    render(() => <Transactions />);
    const unknown = await row('INV-2');
    expect(within(unknown).queryByText(/Resolved by hand/)).toBeNull();
    fireEvent.click(within(unknown).getByRole('button', { name: 'Resolve…' }));
    const dialog = await screen.findByRole('dialog', { name: 'Resolve transaction' });
    const outcome = within(dialog).getByLabelText('Outcome') as HTMLSelectElement;
    expect([...outcome.options].map((o) => [o.value, o.text])).toEqual([
      ['', 'Choose…'],
      ['completed', 'Completed'],
      ['failed', 'Failed — not bought'],
    ]);
    fireEvent.change(outcome, { target: { value: 'failed' } });
    fireEvent.input(within(dialog).getByLabelText('Note'), { target: { value: '  Not in the Roblox history ' } });
    const listsBefore = lists.length;
    fireEvent.click(within(dialog).getByRole('button', { name: 'Save' }));
    await waitFor(() => expect(posts).toEqual(['/api/transactions/2/resolve']));
    expect(postBodies).toEqual([{ outcome: 'failed', note: 'Not in the Roblox history' }]);
    await waitFor(() =>
      expect(showToast).toHaveBeenCalledWith('INV-2: resolved as not bought; it is failed and its robux went back to the account.', 'success'),
    );
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    await waitFor(() => expect(lists.length).toBeGreaterThan(listsBefore));
    // The row now shows the resolution beside it, with its time and who, and no Resolve… any more.
    await waitFor(async () => expect((await row('INV-2')).dataset.status).toBe('failed'));
    const resolved = await row('INV-2');
    const note = within(resolved).getByTestId('resolution');
    expect(note.textContent).toContain('Resolved by hand: Not in the Roblox history');
    expect(note.textContent).toContain('browser session');
    expect(note.querySelector('time')!.getAttribute('datetime')).toBe('2024-05-03T11:00:00.000Z');
    expect(within(resolved).queryByRole('button', { name: 'Resolve…' })).toBeNull();
  });

  it('the unknown panel offers Resolve… too, named for its invoice', async () => {
    render(() => <Transactions />);
    const panel = await screen.findByRole('region', { name: '1 purchase needs reconciling' });
    fireEvent.click(within(panel).getByRole('button', { name: 'Resolve INV-2' }));
    const dialog = await screen.findByRole('dialog', { name: 'Resolve transaction' });
    expect(within(dialog).getByText('INV-2')).toBeTruthy();
  });

  it('Save without an outcome or a note says what is missing and sends nothing', async () => {
    render(() => <Transactions />);
    fireEvent.click(within(await row('INV-2')).getByRole('button', { name: 'Resolve…' }));
    const dialog = await screen.findByRole('dialog', { name: 'Resolve transaction' });
    fireEvent.input(within(dialog).getByLabelText('Note'), { target: { value: 'checked' } });
    fireEvent.submit(dialog.querySelector('form')!);
    expect(await within(dialog).findByText('Choose whether the purchase went through.')).toBeTruthy();
    fireEvent.change(within(dialog).getByLabelText('Outcome'), { target: { value: 'completed' } });
    fireEvent.input(within(dialog).getByLabelText('Note'), { target: { value: '   ' } });
    fireEvent.submit(dialog.querySelector('form')!);
    expect(await within(dialog).findByText('Write a note: what you checked, and why.')).toBeTruthy();
    expect(posts).toEqual([]);
  });

  it('a refused resolve keeps the dialog open with the server\'s words', async () => {
    postAnswer = () => json({ error: { code: 'not_unknown', message: 'Only an unknown transaction can be resolved; this one is completed' } }, 409);
    render(() => <Transactions />);
    fireEvent.click(within(await row('INV-2')).getByRole('button', { name: 'Resolve…' }));
    const dialog = await screen.findByRole('dialog', { name: 'Resolve transaction' });
    fireEvent.change(within(dialog).getByLabelText('Outcome'), { target: { value: 'completed' } });
    fireEvent.input(within(dialog).getByLabelText('Note'), { target: { value: 'seen it' } });
    fireEvent.click(within(dialog).getByRole('button', { name: 'Save' }));
    expect(await within(dialog).findByText('Only an unknown transaction can be resolved; this one is completed')).toBeTruthy();
    expect(screen.getByRole('dialog', { name: 'Resolve transaction' })).toBeTruthy();
    expect(showToast).not.toHaveBeenCalled();
  });

  it('pages forward by nextCursor and back by the stack', async () => {
    render(() => <Transactions />);
    await row('INV-1');
    fireEvent.click(screen.getByRole('button', { name: 'Next page' }));
    await row('INV-9');
    expect(mainLists().at(-1)!.searchParams.get('cursor')).toBe('c-2');
    expect((screen.getByRole('button', { name: 'Next page' }) as HTMLButtonElement).disabled).toBe(true);
    fireEvent.click(screen.getByRole('button', { name: 'Previous page' }));
    await row('INV-1');
    expect(mainLists().at(-1)!.searchParams.has('cursor')).toBe(false);
  });
});
