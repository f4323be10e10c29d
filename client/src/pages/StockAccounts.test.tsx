// Stock accounts page: the table, the Add / Update / Delete forms, the server's refusals in words,
// the cookie never kept, and the progress modal opened on the run a save started.
import { cleanup, fireEvent, render, screen, waitFor, within } from '@solidjs/testing-library';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

const showRun = vi.fn();
const showToast = vi.fn();
vi.mock('../progress.js', () => ({ showRun: (...args: unknown[]) => showRun(...args) }));
vi.mock('../toasts.js', () => ({ showToast: (...args: unknown[]) => showToast(...args) }));

const { StockAccounts } = await import('./StockAccounts.js');

const account = (id: string, username: string, extra: Record<string, unknown> = {}) => ({
  id,
  userId: 1,
  username,
  displayName: username.toUpperCase(),
  robux: 12500,
  status: 'active',
  lastChecked: '2024-05-03T10:00:00.000Z',
  createdAt: '2024-05-01T10:00:00.000Z',
  updatedAt: '2024-05-03T10:00:00.000Z',
  ...extra,
});

function json(body: unknown, status = 200) {
  return new Response(status === 204 ? null : JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
}

interface Call {
  method: string;
  path: string;
  body?: unknown;
}
let calls: Call[];
let accounts: unknown[];
/** What the next write (POST, PUT, DELETE) answers. */
let answer: () => Response;

// jsdom computes no animation-name, which Kobalte's presence reads as "still animating out".
const noAnimations = Object.assign(document.createElement('style'), { textContent: '* { animation-name: none; }' });
document.head.append(noAnimations);

beforeEach(() => {
  vi.spyOn(window, 'scrollTo').mockImplementation(() => {});
  calls = [];
  accounts = [account('a-1', 'alice')];
  answer = () => json({}, 500);
  showRun.mockReset();
  showToast.mockReset();
  vi.stubGlobal(
    'fetch',
    vi.fn(async (path: string, init: RequestInit) => {
      const method = init.method ?? 'GET';
      calls.push({ method, path, body: init.body ? JSON.parse(String(init.body)) : undefined });
      if (method === 'GET') return json({ stockAccounts: accounts });
      return answer();
    }),
  );
});

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

const writes = () => calls.filter((call) => call.method !== 'GET');
const listCalls = () => calls.filter((call) => call.method === 'GET').length;

async function openAdd() {
  render(() => <StockAccounts />);
  await screen.findByText('alice');
  fireEvent.click(screen.getByRole('button', { name: 'Add stock account' }));
  const dialog = await screen.findByRole('dialog', { name: 'Add stock account' });
  const cookie = within(dialog).getByLabelText('Roblox cookie') as HTMLInputElement;
  return { dialog, cookie };
}

function save(dialog: HTMLElement, cookie: HTMLInputElement, value: string) {
  fireEvent.input(cookie, { target: { value } });
  fireEvent.click(within(dialog).getByRole('button', { name: 'Save' }));
}

describe('the table', () => {
  it('names the table, keys each row by account id and right-aligns robux', async () => {
    render(() => <StockAccounts />);
    const table = await screen.findByRole('table', { name: 'Stock accounts' });
    await within(table).findByText('alice');
    const row = table.querySelector('tr[data-key="a-1"]')!;
    expect(row).not.toBeNull();
    const robux = within(row as HTMLElement).getByText('12,500');
    expect(robux.className).toContain('text-right');
    expect(within(row as HTMLElement).getByRole('button', { name: 'Update' })).toBeTruthy();
    expect(within(row as HTMLElement).getByRole('button', { name: 'Delete' })).toBeTruthy();
  });

  it('says how to start when there is no account', async () => {
    accounts = [];
    render(() => <StockAccounts />);
    expect(await screen.findByText('No stock accounts yet: add one to start buying')).toBeTruthy();
  });
});

describe('Add stock account', () => {
  it('shows a rejected cookie in words, keeps the form open and empties the field', async () => {
    answer = () => json({ error: { code: 'invalid_credential', message: 'The gateway rejected this Roblox cookie: bad. Nothing was saved.' } }, 422);
    const { dialog, cookie } = await openAdd();
    save(dialog, cookie, 'secret-cookie');
    expect(await within(dialog).findByText('The gateway rejected this Roblox cookie. Check it and try again.')).toBeTruthy();
    expect(cookie.value).toBe('');
    expect(screen.getByRole('dialog', { name: 'Add stock account' }).getAttribute('aria-modal')).toBe('true');
    expect(writes()).toEqual([{ method: 'POST', path: '/api/admin/stock-accounts', body: { robloxCookie: 'secret-cookie' } }]);
    expect(showRun).not.toHaveBeenCalled();
  });

  it('says the gateway did not answer on a 502', async () => {
    answer = () => json({ error: { code: 'gateway_unavailable', message: 'x' } }, 502);
    const { dialog, cookie } = await openAdd();
    save(dialog, cookie, 'c');
    expect(await within(dialog).findByText('The purchase gateway did not answer. Nothing was saved; try again in a moment.')).toBeTruthy();
  });

  it('on 201 toasts, closes and opens the progress modal that refreshes the table when it closes', async () => {
    answer = () => json({ stockAccount: account('a-2', 'bob', { createdAt: 'T', updatedAt: 'T' }), autoPurchase: { sessionId: 's-9' } }, 201);
    const { dialog, cookie } = await openAdd();
    save(dialog, cookie, 'new-cookie');
    await waitFor(() => expect(showRun).toHaveBeenCalledWith('s-9', expect.any(Function)));
    expect(showToast).toHaveBeenCalledWith('Stock account created successfully', 'success');
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    const before = listCalls();
    showRun.mock.calls[0]![1]();
    expect(listCalls()).toBe(before + 1);
  });

  it('calls a re-add of a stored account an update', async () => {
    answer = () => json({ stockAccount: account('a-1', 'alice'), autoPurchase: { sessionId: 's-10' } });
    const { dialog, cookie } = await openAdd();
    save(dialog, cookie, 'same-account');
    await waitFor(() => expect(showToast).toHaveBeenCalledWith('Stock account updated successfully', 'success'));
    expect(showRun).toHaveBeenCalledWith('s-10', expect.any(Function));
  });

  it('empties the field when the form is cancelled', async () => {
    const { dialog, cookie } = await openAdd();
    fireEvent.input(cookie, { target: { value: 'typed' } });
    fireEvent.click(within(dialog).getByRole('button', { name: 'Cancel' }));
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    fireEvent.click(screen.getByRole('button', { name: 'Add stock account' }));
    const again = await screen.findByRole('dialog', { name: 'Add stock account' });
    expect((within(again).getByLabelText('Roblox cookie') as HTMLInputElement).value).toBe('');
  });
});

describe('Update stock account', () => {
  async function openUpdate() {
    render(() => <StockAccounts />);
    const row = (await screen.findByText('alice')).closest('tr')!;
    fireEvent.click(within(row).getByRole('button', { name: 'Update' }));
    return screen.findByRole('dialog', { name: 'Update stock account' });
  }

  it('sends only a status switch and opens the run it started', async () => {
    answer = () => json({ stockAccount: account('a-1', 'alice', { status: 'inactive' }), autoPurchase: { sessionId: 's-11' } });
    const dialog = await openUpdate();
    const status = within(dialog).getByLabelText('Status') as HTMLSelectElement;
    expect(status.value).toBe('active');
    expect([...status.options].map((o) => o.value)).toEqual(['active', 'inactive']);
    fireEvent.change(status, { target: { value: 'inactive' } });
    fireEvent.click(within(dialog).getByRole('button', { name: 'Save' }));
    await waitFor(() => expect(showRun).toHaveBeenCalledWith('s-11', expect.any(Function)));
    expect(writes()).toEqual([{ method: 'PUT', path: '/api/admin/stock-accounts/a-1', body: { status: 'inactive' } }]);
    expect(showToast).toHaveBeenCalledWith('Stock account updated successfully', 'success');
  });

  it("shows the server's words for a cookie of another account", async () => {
    const message = 'This Roblox cookie belongs to another account (bob); add it as a new stock account instead.';
    answer = () => json({ error: { code: 'credential_mismatch', message } }, 422);
    const dialog = await openUpdate();
    const cookie = within(dialog).getByLabelText('Roblox cookie') as HTMLInputElement;
    save(dialog, cookie, 'bobs-cookie');
    expect(await within(dialog).findByText(message)).toBeTruthy();
    expect(cookie.value).toBe('');
    expect(writes()[0]!.body).toEqual({ robloxCookie: 'bobs-cookie' });
  });
});

describe('Delete', () => {
  async function openDelete() {
    render(() => <StockAccounts />);
    const row = (await screen.findByText('alice')).closest('tr')!;
    fireEvent.click(within(row).getByRole('button', { name: 'Delete' }));
    return screen.findByRole('dialog', { name: 'Delete stock account?' });
  }

  it('asks first, naming the account, then deletes and refreshes', async () => {
    answer = () => json(null, 204);
    const dialog = await openDelete();
    expect(within(dialog).getByText('alice')).toBeTruthy();
    const before = listCalls();
    fireEvent.click(within(dialog).getByRole('button', { name: 'Delete' }));
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    expect(writes()).toEqual([{ method: 'DELETE', path: '/api/admin/stock-accounts/a-1', body: undefined }]);
    expect(listCalls()).toBe(before + 1);
  });

  it('explains a 409 while a purchase uses the account', async () => {
    answer = () => json({ error: { code: 'account_in_use', message: 'busy' } }, 409);
    const dialog = await openDelete();
    fireEvent.click(within(dialog).getByRole('button', { name: 'Delete' }));
    expect(await within(dialog).findByText('A purchase with this account is in progress; try again when it ends.')).toBeTruthy();
  });

  it('Cancel deletes nothing', async () => {
    const dialog = await openDelete();
    fireEvent.click(within(dialog).getByRole('button', { name: 'Cancel' }));
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    expect(writes()).toEqual([]);
  });
});
