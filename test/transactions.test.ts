import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildTestApp, dataSnapshot, type TestApp } from './support/test-app.js';

const order = (invoiceId: string, gamepass: Record<string, unknown> = { id: 1, name: 'VIP', price: 100, sellerId: 7 }) => ({
  invoiceId,
  gamepass,
});

describe('orders: POST /api/transactions', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await buildTestApp();
  });
  afterEach(() => t.close());

  it('records a paid order as a pending transaction (201)', async () => {
    const res = await t.api('POST', '/api/transactions', order('INV-1'));
    expect(res.status).toBe(201);
    expect(res.json.transaction).toMatchObject({
      invoiceId: 'INV-1',
      gamepass: { id: 1, name: 'VIP', price: 100, sellerId: 7 },
      status: 'pending',
      usedAccount: null,
      error: null,
      attempts: 0,
      completedAt: null,
    });
    expect(res.json.transaction.createdAt).toBe('2026-11-27T12:00:00.000Z');
    const rows = t.sqlite.prepare('select invoice_id, status, gamepass_price from transactions').all();
    expect(rows).toEqual([{ invoice_id: 'INV-1', status: 'pending', gamepass_price: 100 }]);
  });

  it('the same invoiceId again answers 200 with the stored one and writes nothing', async () => {
    const first = await t.api('POST', '/api/transactions', order('INV-1'));
    const before = dataSnapshot(t);
    t.advance(5000);
    const again = await t.api('POST', '/api/transactions', order('INV-1', { id: 2, name: 'Other', price: 5, sellerId: 1 }));
    expect(again.status).toBe(200);
    expect(again.json.transaction).toEqual(first.json.transaction);
    expect(dataSnapshot(t)).toEqual(before);
  });

  it('accepts a gamepass with missing fields (the run fails it later)', async () => {
    const res = await t.api('POST', '/api/transactions', order('INV-2', { name: 'Half' }));
    expect(res.status).toBe(201);
    expect(res.json.transaction.gamepass).toEqual({ id: null, name: 'Half', price: null, sellerId: null });
  });

  it.each([
    ['empty invoiceId', { invoiceId: '', gamepass: {} }, 'invalid_field', /invoiceId/],
    ['invoiceId too long', { invoiceId: 'x'.repeat(129), gamepass: {} }, 'invalid_field', /128/],
    ['invoiceId a number', { invoiceId: 5, gamepass: {} }, 'invalid_field', /invoiceId/],
    ['gamepass missing', { invoiceId: 'A' }, 'invalid_field', /"gamepass" is required/],
    ['gamepass not an object', { invoiceId: 'A', gamepass: 'vip' }, 'invalid_field', /gamepass/],
    ['gamepass an array', { invoiceId: 'A', gamepass: [] }, 'invalid_field', /gamepass/],
    ['gamepass null', { invoiceId: 'A', gamepass: null }, 'invalid_field', /gamepass/],
    ['price as a string', order('A', { price: '100' }), 'invalid_field', /gamepass\.price/],
    ['price zero', order('A', { price: 0 }), 'invalid_field', /gamepass\.price/],
    ['price fractional', order('A', { price: 1.5 }), 'invalid_field', /gamepass\.price/],
    ['name a number', order('A', { name: 3 }), 'invalid_field', /gamepass\.name/],
    ['unknown top-level field', { ...order('A'), extra: 1 }, 'unknown_field', /extra/],
    ['unknown gamepass field', order('A', { id: 1, colour: 'red' }), 'unknown_field', /gamepass\.colour/],
    ['an array body', [order('A')], 'invalid_field', /body/],
  ])('rejects %s with 400 and writes nothing', async (_name, body, code, message) => {
    const before = dataSnapshot(t);
    const res = await t.api('POST', '/api/transactions', body);
    expect(res.status).toBe(400);
    expect(res.json.error.code).toBe(code);
    expect(res.json.error.message).toMatch(message);
    expect(dataSnapshot(t)).toEqual(before);
  });
});

describe('orders: GET /api/transactions', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await buildTestApp();
    for (let i = 1; i <= 7; i++) {
      await t.api('POST', '/api/transactions', order(`INV-${i}`));
      t.advance(1000);
    }
    t.sqlite.prepare(`update transactions set status = 'failed' where invoice_id in ('INV-2', 'INV-5')`).run();
  });
  afterEach(() => t.close());

  it('lists newest first', async () => {
    const res = await t.api('GET', '/api/transactions');
    expect(res.status).toBe(200);
    expect(res.json.transactions.map((x: any) => x.invoiceId)).toEqual(['INV-7', 'INV-6', 'INV-5', 'INV-4', 'INV-3', 'INV-2', 'INV-1']);
    expect(res.json.nextCursor).toBeUndefined();
  });

  it('pages with an opaque cursor until the end, without gaps or repeats', async () => {
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const res = await t.api('GET', `/api/transactions?limit=3${cursor ? `&cursor=${cursor}` : ''}`);
      expect(res.status).toBe(200);
      seen.push(...res.json.transactions.map((x: any) => x.invoiceId));
      cursor = res.json.nextCursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen).toEqual(['INV-7', 'INV-6', 'INV-5', 'INV-4', 'INV-3', 'INV-2', 'INV-1']);
  });

  it('filters by status, and "" means all', async () => {
    const failed = await t.api('GET', '/api/transactions?status=failed');
    expect(failed.json.transactions.map((x: any) => x.invoiceId)).toEqual(['INV-5', 'INV-2']);
    const all = await t.api('GET', '/api/transactions?status=');
    expect(all.json.transactions).toHaveLength(7);
  });

  it.each([
    ['status=done', 'invalid_field'],
    ['limit=0', 'invalid_field'],
    ['limit=101', 'invalid_field'],
    ['limit=ten', 'invalid_field'],
    ['cursor=not-a-cursor', 'invalid_cursor'],
    ['sort=asc', 'unknown_field'],
  ])('answers 400 for %s', async (query, code) => {
    const res = await t.api('GET', `/api/transactions?${query}`);
    expect(res.status).toBe(400);
    expect(res.json.error.code).toBe(code);
  });
});
