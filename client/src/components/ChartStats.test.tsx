// The stats page: the date range builds the query, the numbers are on the page as text, and each
// chart has an empty state. uPlot itself is stubbed (no canvas in jsdom).
import { cleanup, fireEvent, render, screen, waitFor, within } from '@solidjs/testing-library';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { dayEndIso, dayStartIso, localDayAgo, utcDaysBetween } from './HistoryDates.js';

// uPlot reads the pixel ratio through matchMedia when it loads; jsdom has none.
vi.hoisted(() => {
  window.matchMedia ??= ((query: string) => ({
    matches: false,
    media: query,
    onchange: null,
    addListener() {},
    removeListener() {},
    addEventListener() {},
    removeEventListener() {},
    dispatchEvent: () => false,
  })) as typeof window.matchMedia;
});

const charts: { data: unknown; label: string }[] = [];
vi.mock('./ChartUPlot.js', () => ({
  ChartUPlot: (props: { data: unknown; label: string }) => {
    charts.push(props);
    return <div role="img" aria-label={props.label} />;
  },
}));

const { Stats, statsPath } = await import('../pages/Stats.js');

const full = {
  from: '2024-05-01T00:00:00.000Z',
  to: '2024-05-03T23:59:59.999Z',
  transactions: { total: 10, pending: 1, processing: 0, completed: 6, failed: 2, unknown: 1 },
  successRate: 0.75,
  purchases: { count: 6, robux: 1234, meanMs: 850 },
  perAccount: [
    { accountId: 'a-1', username: 'alice', purchases: 4, robux: 1000 },
    { accountId: 'a-2', username: 'bob', purchases: 2, robux: 234 },
  ],
  perDay: [
    { day: '2024-05-01', purchases: 4, robux: 1000 },
    { day: '2024-05-03', purchases: 2, robux: 234 },
  ],
  runs: { running: 1, completed: 3, failed: 2 },
};
const empty = {
  ...full,
  transactions: { total: 0, pending: 0, processing: 0, completed: 0, failed: 0, unknown: 0 },
  successRate: null,
  purchases: { count: 0, robux: 0, meanMs: null },
  perAccount: [],
  perDay: [],
  runs: { running: 0, completed: 0, failed: 0 },
};

let answer: unknown;
const calls: URL[] = [];

beforeEach(() => {
  calls.length = 0;
  charts.length = 0;
  answer = full;
  vi.stubGlobal(
    'fetch',
    vi.fn(async (input: string) => {
      calls.push(new URL(input, 'http://localhost'));
      return new Response(JSON.stringify(answer), { status: 200, headers: { 'content-type': 'application/json' } });
    }),
  );
});

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

describe('statsPath', () => {
  it('sends the local day bounds that are set', () => {
    expect(statsPath('', '')).toBe('/api/stats');
    expect(Object.fromEntries(new URL(statsPath('2024-05-01', '2024-05-03'), 'http://x').searchParams)).toEqual({
      from: dayStartIso('2024-05-01'),
      to: dayEndIso('2024-05-03'),
    });
  });
});

describe('utcDaysBetween', () => {
  it('lists every day of a range, and gives up on a very long one', () => {
    expect(utcDaysBetween('2024-05-01T00:00:00Z', '2024-05-03T23:59:59.999Z')).toEqual(['2024-05-01', '2024-05-02', '2024-05-03']);
    expect(utcDaysBetween('2000-01-01T00:00:00Z', '2024-01-01T00:00:00Z')).toBeUndefined();
  });
});

describe('Stats', () => {
  it('asks for the last 30 days, then for the chosen range', async () => {
    render(() => <Stats />);
    await waitFor(() => expect(calls).toHaveLength(1));
    expect(Object.fromEntries(calls[0]!.searchParams)).toEqual({ from: dayStartIso(localDayAgo(29)), to: dayEndIso(localDayAgo(0)) });
    fireEvent.change(screen.getByLabelText('From'), { target: { value: '2024-05-01' } });
    await waitFor(() => expect(calls.at(-1)!.searchParams.get('from')).toBe(dayStartIso('2024-05-01')));
    fireEvent.change(screen.getByLabelText('To'), { target: { value: '2024-04-01' } });
    expect((await screen.findByRole('alert')).textContent).toContain('"From" is after "To"');
    expect(calls.at(-1)!.searchParams.get('to')).not.toBe(dayEndIso('2024-04-01'));
  });

  it('shows the numbers as text', async () => {
    render(() => <Stats />);
    await waitFor(() => expect(screen.getByTestId('stat-success-rate').textContent).toContain('75.0%'));
    expect(screen.getByTestId('stat-purchases').textContent).toContain('6');
    expect(screen.getByTestId('stat-robux').textContent).toContain((1234).toLocaleString());
    expect(screen.getByTestId('stat-mean-time').textContent).toContain('850 ms');
    const runs = screen.getByTestId('stat-runs');
    expect(runs.querySelector('[data-key="completed"]')!.textContent).toContain('3');
    expect(runs.querySelector('[data-key="failed"]')!.textContent).toContain('2');
    expect(runs.querySelector('[data-key="running"]')!.textContent).toContain('1');

    const perAccount = screen.getByRole('list', { name: 'Purchases and robux per account' });
    expect(within(perAccount).getAllByRole('listitem')).toHaveLength(2);
    expect(perAccount.querySelector('[data-key="a-1"]')!.textContent).toContain('4 purchases');

    const perDay = screen.getByRole('table', { name: 'Purchases per day' });
    expect(perDay.querySelector('[data-key="2024-05-03"]')!.textContent).toContain('234');
    // The chart gets every day of the range, zero where nothing was bought.
    expect(charts.at(-1)!.data).toEqual([
      [Date.parse('2024-05-01T00:00:00Z') / 1000, Date.parse('2024-05-02T00:00:00Z') / 1000, Date.parse('2024-05-03T00:00:00Z') / 1000],
      [4, 0, 2],
      [1000, 0, 234],
    ]);
  });

  it('has empty states when nothing happened', async () => {
    answer = empty;
    render(() => <Stats />);
    expect(await screen.findByTestId('stats-empty')).toBeTruthy();
    expect(screen.getByTestId('stat-success-rate').textContent).toContain('—');
    expect(screen.getAllByText('No purchases in this range: pick a wider date range.')).toHaveLength(2);
    expect(charts).toHaveLength(0);
  });
});
