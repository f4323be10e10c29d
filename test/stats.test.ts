import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildTestApp, dataSnapshot, type TestApp } from './support/test-app.js';
import { shopStatsOf } from '../src/services/stats.js';

const at = (iso: string) => Date.parse(iso);

/** A known data set: two accounts, six orders, four attempts, three runs, over two days. */
function seed(t: TestApp) {
  const q = (sql: string, ...args: unknown[]) => t.sqlite.prepare(sql).run(...args);
  for (const [id, name] of [['a1', 'alice'], ['a2', 'bob']]) {
    q("insert into stock_accounts values (?, ?, ?, ?, 100, 'active', 'x', 0, 0, 0)", id, id === 'a1' ? 1 : 2, name, name);
  }
  const orders: [string, string, string][] = [
    ['I1', 'completed', '2026-11-01T10:00:00Z'],
    ['I2', 'completed', '2026-11-01T11:00:00Z'],
    ['I3', 'completed', '2026-11-02T09:00:00Z'],
    ['I4', 'failed', '2026-11-02T10:00:00Z'],
    ['I5', 'pending', '2026-11-02T11:00:00Z'],
    ['I6', 'unknown', '2026-11-03T11:00:00Z'],
  ];
  orders.forEach(([invoice, status, created], i) =>
    q('insert into transactions (id, invoice_id, status, created_at, updated_at) values (?, ?, ?, ?, ?)', i + 1, invoice, status, at(created), at(created)),
  );
  const attempts: [number, string, string, number, string, string, number][] = [
    [1, 'a1', 'alice', 100, 'completed', '2026-11-01T10:00:01Z', 200],
    [2, 'a1', 'alice', 50, 'completed', '2026-11-01T11:00:01Z', 400],
    [3, 'a2', 'bob', 300, 'completed', '2026-11-02T09:00:01Z', 600],
    [4, 'a2', 'bob', 70, 'failed', '2026-11-02T10:00:01Z', 100],
  ];
  attempts.forEach(([tx, account, username, price, outcome, created, took]) =>
    q(
      'insert into purchase_attempts (idempotency_key, transaction_id, account_id, account_username, price, outcome, created_at, updated_at) values (?, ?, ?, ?, ?, ?, ?, ?)',
      `k${tx}`,
      tx,
      account,
      username,
      price,
      outcome,
      at(created),
      at(created) + took,
    ),
  );
  for (const [id, status, created] of [['r1', 'completed', '2026-11-01T09:00:00Z'], ['r2', 'completed', '2026-11-02T08:00:00Z'], ['r3', 'failed', '2026-11-02T12:00:00Z']]) {
    q("insert into runs (session_id, status, current_step, start_time, created_at) values (?, ?, 'x', ?, ?)", id, status, at(created!), at(created!));
  }
}

describe('GET /api/stats', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await buildTestApp({ now: at('2026-11-05T00:00:00Z') });
    seed(t);
  });
  afterEach(() => t.close());

  it('computes success rate, purchases and robux per account and per day, mean time, runs by outcome', async () => {
    const res = await t.api('GET', '/api/stats?from=2026-11-01&to=2026-11-03');
    expect(res.status).toBe(200);
    expect(res.json).toEqual({
      from: '2026-11-01T00:00:00.000Z',
      to: '2026-11-03T23:59:59.999Z',
      transactions: { total: 6, pending: 1, processing: 0, completed: 3, failed: 1, unknown: 1 },
      successRate: 0.75,
      purchases: { count: 3, robux: 450, meanMs: 400 },
      perAccount: [
        { accountId: 'a2', username: 'bob', purchases: 1, robux: 300 },
        { accountId: 'a1', username: 'alice', purchases: 2, robux: 150 },
      ],
      perDay: [
        { day: '2026-11-01', purchases: 2, robux: 150 },
        { day: '2026-11-02', purchases: 1, robux: 300 },
      ],
      runs: { running: 0, completed: 2, failed: 1 },
    });
  });

  it('narrows to the range', async () => {
    const res = await t.api('GET', '/api/stats?from=2026-11-02T00:00:00Z&to=2026-11-02T09:30:00Z');
    expect(res.json.transactions.total).toBe(1);
    expect(res.json.purchases).toEqual({ count: 1, robux: 300, meanMs: 600 });
    expect(res.json.runs).toEqual({ running: 0, completed: 1, failed: 0 });
  });

  it('defaults to the last 30 days, and answers nulls where nothing happened', async () => {
    const empty = await t.api('GET', '/api/stats?from=2020-01-01&to=2020-01-02');
    expect(empty.json.successRate).toBeNull();
    expect(empty.json.purchases).toEqual({ count: 0, robux: 0, meanMs: null });
    const recent = await t.api('GET', '/api/stats');
    expect(recent.json.from).toBe('2026-10-06T00:00:00.000Z');
    expect(recent.json.purchases.count).toBe(3);
  });

  it.each(['from=yesterday', 'to=2026-02-30x', 'from=2026-11-05&to=2026-11-01', 'colour=red'])('answers 400 for %s and writes nothing', async (query) => {
    const before = dataSnapshot(t);
    const res = await t.api('GET', `/api/stats?${query}`);
    expect(res.status).toBe(400);
    expect(dataSnapshot(t)).toEqual(before);
  });
});

describe('shopStatsOf (the answer from the figures as read)', () => {
  const range = { from: at('2026-11-01T00:00:00Z'), to: at('2026-11-02T00:00:00Z') };
  const none = { ordersByStatus: [], purchases: undefined, perAccount: [], perDay: [], runsByStatus: [] };

  it('counts every status, 0 where none was read, and derives the success rate from completed and failed only', () => {
    const stats = shopStatsOf(range, {
      ...none,
      ordersByStatus: [
        { status: 'completed', n: 3 },
        { status: 'failed', n: 1 },
        { status: 'unknown', n: 2 },
      ],
      runsByStatus: [{ status: 'failed', n: 4 }],
    });
    expect(stats.transactions).toEqual({ total: 6, pending: 0, processing: 0, completed: 3, failed: 1, unknown: 2 });
    expect(stats.successRate).toBe(0.75);
    expect(stats.runs).toEqual({ running: 0, completed: 0, failed: 4 });
    expect([stats.from, stats.to]).toEqual(['2026-11-01T00:00:00.000Z', '2026-11-02T00:00:00.000Z']);
  });

  it('answers nulls and zeros where nothing happened, rounds the mean, and counts a null sum as 0 robux', () => {
    const empty = shopStatsOf(range, none);
    expect(empty.successRate).toBeNull();
    expect(empty.purchases).toEqual({ count: 0, robux: 0, meanMs: null });
    const some = shopStatsOf(range, {
      ...none,
      purchases: { count: 2, robux: 150, meanMs: 400.6 },
      perAccount: [{ accountId: null, username: 'gone', purchases: 1, robux: null }],
      perDay: [{ day: '2026-11-01', purchases: 1, robux: null }],
    });
    expect(some.purchases).toEqual({ count: 2, robux: 150, meanMs: 401 });
    expect(some.perAccount).toEqual([{ accountId: null, username: 'gone', purchases: 1, robux: 0 }]);
    expect(some.perDay).toEqual([{ day: '2026-11-01', purchases: 1, robux: 0 }]);
  });
});
