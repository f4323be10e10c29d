// Run history: the filters build the sessions query, paging walks the cursor stack, and a click or
// Enter on a row opens that run in the progress modal.
import { cleanup, fireEvent, render, screen, waitFor } from '@solidjs/testing-library';
import { MemoryRouter, Route } from '@solidjs/router';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { dayEndIso, dayStartIso } from '../components/HistoryDates.js';

const showRun = vi.fn();
vi.mock('../progress.js', () => ({ showRun: (...args: unknown[]) => showRun(...args) }));

const { RunHistory, sessionsPath } = await import('./RunHistory.js');

const run = (sessionId: string, status: 'running' | 'completed' | 'failed', extra: Record<string, unknown> = {}) => ({
  sessionId,
  status,
  currentStep: 'Done',
  summary: { totalTransactions: 4, processedCount: 3, skippedCount: 1, failedCount: 0, unknownCount: 0 },
  startTime: '2024-05-03T10:00:00.000Z',
  endTime: '2024-05-03T10:00:12.000Z',
  createdAt: '2024-05-03T10:00:00.000Z',
  ...extra,
});

function show() {
  return render(() => (
    <MemoryRouter>
      <Route path="*" component={RunHistory} />
    </MemoryRouter>
  ));
}

let sessionPages: Record<string, unknown>;
const calls: URL[] = [];

function json(body: unknown, status = 200) {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
}

beforeEach(() => {
  calls.length = 0;
  showRun.mockReset();
  sessionPages = { '': { sessions: [run('s-1', 'completed', { triggeredBy: { stockAccountId: 'a-1', stockAccountName: 'alice' } }), run('s-2', 'failed', { error: 'boom' })], nextCursor: 'c-2' } };
  vi.stubGlobal(
    'fetch',
    vi.fn(async (input: string) => {
      const url = new URL(input, 'http://localhost');
      calls.push(url);
      if (url.pathname === '/api/admin/stock-accounts') return json({ stockAccounts: [{ id: 'a-1', username: 'alice' }, { id: 'a-2', username: 'bob' }] });
      if (url.pathname === '/api/auto-purchase/sessions') return json(sessionPages[url.searchParams.get('cursor') ?? ''] ?? { sessions: [] });
      return json({ error: { code: 'not_found', message: 'no' } }, 404);
    }),
  );
});

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

const sessionCalls = () => calls.filter((url) => url.pathname === '/api/auto-purchase/sessions');
const lastQuery = () => Object.fromEntries(sessionCalls().at(-1)!.searchParams);

describe('sessionsPath', () => {
  it('sends only the filters that are set, with local day bounds', () => {
    expect(sessionsPath({ status: '', from: '', to: '', stockAccountId: '' })).toBe('/api/auto-purchase/sessions?limit=25');
    const path = sessionsPath({ status: 'failed', from: '2024-05-01', to: '2024-05-03', stockAccountId: 'a-1' }, 'c-9');
    const params = new URL(path, 'http://x').searchParams;
    expect(Object.fromEntries(params)).toEqual({
      status: 'failed',
      from: new Date(2024, 4, 1).toISOString(),
      to: new Date(new Date(2024, 4, 4).getTime() - 1).toISOString(),
      stockAccountId: 'a-1',
      limit: '25',
      cursor: 'c-9',
    });
  });
});

describe('RunHistory', () => {
  it('lists the runs in a table named "Run history"', async () => {
    show();
    const table = await screen.findByRole('table', { name: 'Run history' });
    await waitFor(() => expect(table.querySelectorAll('tbody tr')).toHaveLength(2));
    const first = table.querySelector('tr[data-key="s-1"]')!;
    expect(first.getAttribute('data-status')).toBe('completed');
    expect(first.getAttribute('tabindex')).toBe('0');
    expect(first.textContent).toContain('alice');
    expect(first.textContent).toContain('3 / 4');
    expect(first.textContent).toContain('12 s');
    const second = table.querySelector('tr[data-key="s-2"]')!;
    expect(second.textContent).toContain('Manual');
    expect(second.querySelector('[title="boom"]')?.textContent).toContain('Failed');
  });

  it('turns the filters into the query string and starts again from the first page', async () => {
    show();
    await screen.findByText('alice', { selector: 'td' });
    expect(lastQuery()).toEqual({ limit: '25' });

    fireEvent.click(screen.getByRole('button', { name: 'Next page' }));
    await waitFor(() => expect(lastQuery()).toEqual({ limit: '25', cursor: 'c-2' }));

    fireEvent.change(screen.getByLabelText('Status'), { target: { value: 'failed' } });
    await waitFor(() => expect(lastQuery()).toEqual({ status: 'failed', limit: '25' }));

    fireEvent.change(screen.getByLabelText('From'), { target: { value: '2024-05-01' } });
    fireEvent.change(screen.getByLabelText('To'), { target: { value: '2024-05-03' } });
    await waitFor(() => expect(lastQuery()).toMatchObject({ from: dayStartIso('2024-05-01'), to: dayEndIso('2024-05-03') }));

    await waitFor(() => expect(screen.getByRole('option', { name: 'bob' })).toBeTruthy());
    const before = sessionCalls().length;
    fireEvent.change(screen.getByLabelText('Stock account'), { target: { value: 'a-2' } });
    await waitFor(() =>
      expect(lastQuery()).toEqual({ status: 'failed', from: dayStartIso('2024-05-01'), to: dayEndIso('2024-05-03'), stockAccountId: 'a-2', limit: '25' }),
    );
    // One filter change, one request.
    expect(sessionCalls().length).toBe(before + 1);
  });

  it('pages forward and back with the cursor stack', async () => {
    sessionPages['c-2'] = { sessions: [run('s-3', 'completed')], nextCursor: 'c-3' };
    sessionPages['c-3'] = { sessions: [run('s-4', 'running', { endTime: undefined })] };
    show();
    const next = await screen.findByRole('button', { name: 'Next page' });
    const previous = screen.getByRole('button', { name: 'Previous page' }) as HTMLButtonElement;
    await waitFor(() => expect((next as HTMLButtonElement).disabled).toBe(false));
    expect(previous.disabled).toBe(true);

    fireEvent.click(next);
    await waitFor(() => expect(document.querySelector('tr[data-key="s-3"]')).toBeTruthy());
    await waitFor(() => expect((next as HTMLButtonElement).disabled).toBe(false));
    fireEvent.click(next);
    await waitFor(() => expect(document.querySelector('tr[data-key="s-4"]')?.textContent).toContain('Running…'));
    expect((next as HTMLButtonElement).disabled).toBe(true);

    fireEvent.click(previous);
    await waitFor(() => expect(document.querySelector('tr[data-key="s-3"]')).toBeTruthy());
    expect(lastQuery()).toEqual({ limit: '25', cursor: 'c-2' });
    fireEvent.click(previous);
    await waitFor(() => expect(document.querySelector('tr[data-key="s-1"]')).toBeTruthy());
    expect(lastQuery()).toEqual({ limit: '25' });
  });

  it('opens a run on a click or Enter', async () => {
    show();
    await screen.findByText('alice', { selector: 'td' });
    const row = document.querySelector<HTMLElement>('tr[data-key="s-1"]')!;
    fireEvent.click(row);
    expect(showRun).toHaveBeenLastCalledWith('s-1', expect.any(Function));
    const other = document.querySelector<HTMLElement>('tr[data-key="s-2"]')!;
    other.focus();
    fireEvent.keyDown(other, { key: 'Enter' });
    expect(showRun).toHaveBeenLastCalledWith('s-2', expect.any(Function));
    expect(showRun).toHaveBeenCalledTimes(2);
  });

  it('says what to do next when there is no run yet', async () => {
    sessionPages[''] = { sessions: [] };
    show();
    expect(await screen.findByText('No runs yet: add or update a stock account to start one.')).toBeTruthy();
    expect(screen.getByRole('link', { name: 'Go to Stock accounts' }).getAttribute('href')).toBe('/accounts');
  });

  it('offers to clear the filters when they match nothing', async () => {
    show();
    await screen.findByText('alice', { selector: 'td' });
    sessionPages[''] = { sessions: [] };
    fireEvent.change(screen.getByLabelText('Status'), { target: { value: 'running' } });
    expect(await screen.findByText(/No runs match these filters/)).toBeTruthy();
    fireEvent.click(screen.getByRole('button', { name: 'Clear filters' }));
    await waitFor(() => expect(lastQuery()).toEqual({ limit: '25' }));
  });
});
