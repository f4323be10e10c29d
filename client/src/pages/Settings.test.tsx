// Settings: API tokens (created with a scope, the token shown once and forgotten on close, revoked
// after a confirmation) and the audit log (entries, the action filter, cursor paging).
import { cleanup, fireEvent, render, screen, waitFor, within } from '@solidjs/testing-library';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ApiTokenView, AuditEntry } from '../../../src/domain/api.js';

const showToast = vi.fn();
vi.mock('../toasts.js', () => ({ showToast: (...args: unknown[]) => showToast(...args) }));

const { Settings } = await import('./Settings.js');
const { auditPageSize } = await import('../components/AuditLog.js');

// jsdom computes no animation-name, which Kobalte's presence reads as "still animating out".
document.head.append(Object.assign(document.createElement('style'), { textContent: '* { animation-name: none; }' }));

const secret = 'ap_abcd1234SECRETSECRETSECRETSECRET';

const tokenView = (id: number, name: string, extra: Partial<ApiTokenView> = {}): ApiTokenView => ({
  id,
  name,
  scope: 'read',
  prefix: `ap_${String(id).padStart(8, '0')}`,
  createdAt: '2024-05-01T10:00:00.000Z',
  lastUsedAt: null,
  expiresAt: null,
  ...extra,
});

const entry = (id: number, extra: Partial<AuditEntry> = {}): AuditEntry => ({
  id,
  at: '2024-05-03T10:00:00.000Z',
  actor: 'browser session',
  action: 'account.add',
  target: `account:a-${id}`,
  outcome: 'ok',
  note: null,
  ...extra,
});

function json(body: unknown, status = 200) {
  return new Response(status === 204 ? null : JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
}

interface Call {
  method: string;
  url: URL;
  body?: unknown;
}
let calls: Call[];
let tokens: ApiTokenView[];
let auditPages: Record<string, { entries: AuditEntry[]; nextCursor?: string }>;
/** What POST /api/tokens answers. */
let createAnswer: (body: { name: string; scope: ApiTokenView['scope']; expiresAt: string | null }) => Response;

beforeEach(() => {
  vi.spyOn(window, 'scrollTo').mockImplementation(() => {});
  calls = [];
  showToast.mockReset();
  tokens = [tokenView(1, 'nightly export', { scope: 'operate', lastUsedAt: '2024-05-02T08:00:00.000Z', expiresAt: '2099-01-01T00:00:00.000Z' })];
  auditPages = {
    '': { entries: [entry(3, { action: 'token.create', target: 'token:1', actor: 'admin token', note: 'nightly export' }), entry(2)], nextCursor: 'c-2' },
    'c-2': { entries: [entry(1, { action: 'auth.login', outcome: 'denied', target: 'session' })] },
  };
  createAnswer = (body) => {
    const created = tokenView(7, body.name, { scope: body.scope, expiresAt: body.expiresAt, prefix: 'ap_abcd1234' });
    tokens = [created, ...tokens];
    return json({ token: secret, apiToken: created }, 201);
  };
  vi.stubGlobal(
    'fetch',
    vi.fn(async (path: string, init: RequestInit) => {
      const method = init.method ?? 'GET';
      const url = new URL(path, 'http://localhost');
      const body = init.body ? JSON.parse(String(init.body)) : undefined;
      calls.push({ method, url, body });
      if (url.pathname === '/api/tokens' && method === 'GET') return json({ tokens });
      if (url.pathname === '/api/tokens' && method === 'POST') return createAnswer(body);
      const revoked = /^\/api\/tokens\/(\d+)$/.exec(url.pathname);
      if (revoked && method === 'DELETE') {
        tokens = tokens.filter((t) => t.id !== Number(revoked[1]));
        return json(null, 204);
      }
      if (url.pathname === '/api/audit') {
        const page = auditPages[url.searchParams.get('cursor') ?? ''] ?? { entries: [] };
        const action = url.searchParams.get('action');
        return json(action ? { entries: page.entries.filter((e) => e.action === action) } : page);
      }
      return json({ error: { code: 'not_found', message: 'no' } }, 404);
    }),
  );
});

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

const tokenTable = () => screen.findByRole('table', { name: 'API tokens' });
const auditCalls = () => calls.filter((call) => call.url.pathname === '/api/audit');

async function openCreate() {
  render(() => <Settings />);
  await within(await tokenTable()).findByText('nightly export');
  fireEvent.click(screen.getByRole('button', { name: 'Create token' }));
  return screen.findByRole('dialog', { name: 'Create API token' });
}

describe('API tokens', () => {
  it('lists each token by name, scope and prefix, with "never" for no use and no expiry', async () => {
    tokens.push(tokenView(2, 'read-only dashboard'));
    render(() => <Settings />);
    const table = await tokenTable();
    const row = (await within(table).findByText('read-only dashboard')).closest('tr')!;
    expect(row.textContent).toContain('Read');
    expect(row.textContent).toContain('ap_00000002…');
    expect(within(row).getAllByText('never')).toHaveLength(2);
    const used = within(table).getByText('nightly export').closest('tr')!;
    expect(used.textContent).toContain('Operate');
    expect(within(used).queryByText('never')).toBeNull();
    expect(within(used).getByRole('button', { name: 'Revoke nightly export' })).toBeTruthy();
  });

  it('creates a token with a scope, shows it once, and forgets it when the dialog closes', async () => {
    const dialog = await openCreate();
    fireEvent.input(within(dialog).getByLabelText('Name'), { target: { value: '  invoice importer ' } });
    const scope = within(dialog).getByLabelText('Scope') as HTMLSelectElement;
    expect([...scope.options].map((o) => o.value)).toEqual(['read', 'operate', 'admin']);
    // Each scope says what it allows, under the select.
    expect(within(dialog).getByText('Sees runs, orders, accounts and stats; changes nothing.')).toBeTruthy();
    fireEvent.change(scope, { target: { value: 'operate' } });
    expect(within(dialog).getByText('Also starts runs, adds orders, retries, reconciles and resolves them.')).toBeTruthy();
    fireEvent.click(within(dialog).getByRole('button', { name: 'Create' }));

    const shown = await screen.findByRole('dialog', { name: 'Token created' });
    const field = within(shown).getByLabelText('New token') as HTMLInputElement;
    expect(field.value).toBe(secret);
    expect(field.readOnly).toBe(true);
    expect(shown.textContent).toContain('it will not be shown again');
    expect(calls.filter((c) => c.method === 'POST')).toEqual([
      { method: 'POST', url: new URL('http://localhost/api/tokens'), body: { name: 'invoice importer', scope: 'operate', expiresAt: null } },
    ]);
    // The list behind the dialog already has the new row (its prefix, never the token).
    const table = await tokenTable();
    await within(table).findByText('invoice importer');
    expect(table.textContent).not.toContain(secret);

    fireEvent.click(within(shown).getByRole('button', { name: 'Done' }));
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    expect(document.body.innerHTML).not.toContain(secret);

    // Opened again: an empty form, not the last token.
    fireEvent.click(screen.getByRole('button', { name: 'Create token' }));
    const again = await screen.findByRole('dialog', { name: 'Create API token' });
    expect((within(again).getByLabelText('Name') as HTMLInputElement).value).toBe('');
    expect(document.body.innerHTML).not.toContain(secret);
  });

  it('copies the token with Copy, or selects it to copy by hand without a clipboard', async () => {
    const writeText = vi.fn(async () => {});
    Object.defineProperty(navigator, 'clipboard', { value: { writeText }, configurable: true });
    try {
      const dialog = await openCreate();
      fireEvent.input(within(dialog).getByLabelText('Name'), { target: { value: 'ci' } });
      fireEvent.click(within(dialog).getByRole('button', { name: 'Create' }));
      const shown = await screen.findByRole('dialog', { name: 'Token created' });
      fireEvent.click(within(shown).getByRole('button', { name: 'Copy' }));
      await waitFor(() => expect(showToast).toHaveBeenCalledWith('Token copied', 'success'));
      expect(writeText).toHaveBeenCalledWith(secret);

      Object.defineProperty(navigator, 'clipboard', { value: undefined, configurable: true });
      fireEvent.click(within(shown).getByRole('button', { name: 'Copy' }));
      expect(await within(shown).findByText(/copy it by hand/)).toBeTruthy();
      expect(showToast).toHaveBeenCalledTimes(1);
    } finally {
      Reflect.deleteProperty(navigator, 'clipboard');
    }
  });

  it('sends the expiry as the end of the chosen local day', async () => {
    const dialog = await openCreate();
    fireEvent.input(within(dialog).getByLabelText('Name'), { target: { value: 'short-lived' } });
    fireEvent.input(within(dialog).getByLabelText('Expires after (optional)'), { target: { value: '2099-03-04' } });
    fireEvent.click(within(dialog).getByRole('button', { name: 'Create' }));
    await screen.findByRole('dialog', { name: 'Token created' });
    expect(calls.find((c) => c.method === 'POST')!.body).toEqual({
      name: 'short-lived',
      scope: 'read',
      expiresAt: new Date(new Date(2099, 2, 5).getTime() - 1).toISOString(),
    });
  });

  it("shows the server's 400 next to the form and keeps it open", async () => {
    createAnswer = () => json({ error: { code: 'invalid_field', message: 'A token named "ci" already exists.' } }, 400);
    const dialog = await openCreate();
    fireEvent.input(within(dialog).getByLabelText('Name'), { target: { value: 'ci' } });
    fireEvent.click(within(dialog).getByRole('button', { name: 'Create' }));
    expect((await within(dialog).findByRole('alert')).textContent).toBe('A token named "ci" already exists.');
    expect(screen.getByRole('dialog', { name: 'Create API token' })).toBe(dialog);
  });

  it('asks for a name before sending anything (spaces are no name)', async () => {
    const dialog = await openCreate();
    fireEvent.input(within(dialog).getByLabelText('Name'), { target: { value: '   ' } });
    fireEvent.click(within(dialog).getByRole('button', { name: 'Create' }));
    expect((await within(dialog).findByRole('alert')).textContent).toContain('Give the token a name');
    expect(calls.filter((c) => c.method === 'POST')).toEqual([]);
  });

  it('revokes after a confirmation naming the token, and the row goes', async () => {
    render(() => <Settings />);
    const table = await tokenTable();
    fireEvent.click(await within(table).findByRole('button', { name: 'Revoke nightly export' }));
    const confirm = await screen.findByRole('dialog', { name: 'Revoke token?' });
    expect(within(confirm).getByText('nightly export')).toBeTruthy();
    expect(calls.filter((c) => c.method === 'DELETE')).toEqual([]);
    fireEvent.click(within(confirm).getByRole('button', { name: 'Revoke' }));
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    expect(calls.filter((c) => c.method === 'DELETE').map((c) => c.url.pathname)).toEqual(['/api/tokens/1']);
    await waitFor(() => expect(within(table).queryByText('nightly export')).toBeNull());
    expect(showToast).toHaveBeenCalledWith('Token nightly export revoked', 'success');
  });

  it('Cancel revokes nothing', async () => {
    render(() => <Settings />);
    fireEvent.click(await within(await tokenTable()).findByRole('button', { name: 'Revoke nightly export' }));
    const confirm = await screen.findByRole('dialog', { name: 'Revoke token?' });
    fireEvent.click(within(confirm).getByRole('button', { name: 'Cancel' }));
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    expect(calls.filter((c) => c.method === 'DELETE')).toEqual([]);
    expect(within(await tokenTable()).getByText('nightly export')).toBeTruthy();
  });
});

describe('Audit log', () => {
  const auditRows = async () => {
    const table = await screen.findByRole('table', { name: 'Audit log' });
    return [...table.querySelectorAll('tbody tr')].map((tr) => [...tr.querySelectorAll('td')].slice(1).map((td) => td.textContent));
  };

  it('shows time, actor, action, target, outcome and note, newest first', async () => {
    render(() => <Settings />);
    await waitFor(async () => expect(await auditRows()).toHaveLength(2));
    expect(await auditRows()).toEqual([
      ['admin token', 'token.create', 'token:1', 'ok', 'nightly export'],
      ['browser session', 'account.add', 'account:a-2', 'ok', '—'],
    ]);
    const table = screen.getByRole('table', { name: 'Audit log' });
    expect(table.querySelector('tbody tr time')!.getAttribute('datetime')).toBe('2024-05-03T10:00:00.000Z');
    expect(Object.fromEntries(auditCalls()[0]!.url.searchParams)).toEqual({ limit: String(auditPageSize) });
  });

  it('pages with the cursor, and back', async () => {
    render(() => <Settings />);
    const pager = await screen.findByRole('navigation', { name: 'Pages' });
    await waitFor(async () => expect(await auditRows()).toHaveLength(2));
    fireEvent.click(within(pager).getByRole('button', { name: 'Next page' }));
    await waitFor(async () => expect(await auditRows()).toEqual([['browser session', 'auth.login', 'session', 'denied', '—']]));
    expect(auditCalls().at(-1)!.url.searchParams.get('cursor')).toBe('c-2');
    expect(pager.textContent).toContain('Page 2');
    expect((within(pager).getByRole('button', { name: 'Next page' }) as HTMLButtonElement).disabled).toBe(true);
    fireEvent.click(within(pager).getByRole('button', { name: 'Previous page' }));
    await waitFor(async () => expect(await auditRows()).toHaveLength(2));
    expect(auditCalls().at(-1)!.url.searchParams.get('cursor')).toBeNull();
  });

  it('filters by action from the first page', async () => {
    render(() => <Settings />);
    const pager = await screen.findByRole('navigation', { name: 'Pages' });
    await waitFor(async () => expect(await auditRows()).toHaveLength(2));
    fireEvent.click(within(pager).getByRole('button', { name: 'Next page' }));
    await waitFor(() => expect(pager.textContent).toContain('Page 2'));
    const before = auditCalls().length;
    fireEvent.change(screen.getByLabelText('Action'), { target: { value: 'token.create' } });
    await waitFor(async () => expect(await auditRows()).toEqual([['admin token', 'token.create', 'token:1', 'ok', 'nightly export']]));
    // One request for the change: the action, and no cursor.
    expect(auditCalls()).toHaveLength(before + 1);
    expect(Object.fromEntries(auditCalls().at(-1)!.url.searchParams)).toEqual({ action: 'token.create', limit: String(auditPageSize) });
    expect(pager.textContent).toContain('Page 1');
  });
});
