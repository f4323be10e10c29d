// A way out of `unknown` (SPEC §4, §11): POST /api/transactions/:id/resolve settles an unknown order
// by hand, its reservation with it, and records who, when and why in the audit log.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { addAccount, addOrder, dbAccount, dbTransaction, gamepass } from './support/run-fixtures.js';
import { buildTestApp, dataSnapshot, testToken, type TestApp } from './support/test-app.js';

/** An order the sandbox never answers about ([TIMEOUT]): bought by alice (1000) → unknown, 100 reserved. */
async function unknownOrder(t: TestApp, invoiceId = 'INV-1') {
  await addOrder(t, invoiceId, gamepass(100, 'VIP [TIMEOUT]'));
  if (!dbAccount(t, 'alice')) await addAccount(t, 'alice', 1000);
  else await t.api('POST', '/api/auto-purchase', {});
  const row = dbTransaction(t, invoiceId);
  expect(row.status).toBe('unknown');
  return row.id as number;
}

/** The resolve entries of the audit log (which also records the orders, accounts and runs the set-up makes). */
const auditRows = (t: TestApp) =>
  t.sqlite.prepare("select at, actor, action, target, outcome, note from audit_log where action = 'transaction.resolve' order by id").all();
const wholeAuditLog = (t: TestApp) => t.sqlite.prepare('select * from audit_log order by id').all();
const attemptsOf = (t: TestApp, transactionId: number) =>
  t.sqlite.prepare('select outcome, error, price from purchase_attempts where transaction_id = ? order by id').all(transactionId) as {
    outcome: string;
    error: string | null;
    price: number;
  }[];

describe('POST /api/transactions/:id/resolve', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await buildTestApp();
  });
  afterEach(() => t.close());

  const resolve = (id: number | string, body: unknown) => t.api('POST', `/api/transactions/${id}/resolve`, body);

  it('completed: the order completes by the attempt\'s account, the attempt too, the robux stay spent, audited with note, actor and time', async () => {
    const id = await unknownOrder(t);
    expect(dbAccount(t, 'alice').robux).toBe(900);
    t.advance(60_000);
    const res = await resolve(id, { outcome: 'completed', note: 'Seen in the Roblox transaction history' });
    expect(res.status).toBe(200);
    expect(res.json.transaction).toMatchObject({
      id,
      status: 'completed',
      usedAccount: 'alice',
      error: null,
      resolution: { outcome: 'completed', note: 'Seen in the Roblox transaction history', actor: 'admin token' },
    });
    expect(res.json.transaction.completedAt).toBe(res.json.transaction.resolution.at);
    const row = dbTransaction(t, 'INV-1');
    expect(row).toMatchObject({ status: 'completed', used_account: 'alice', error: null });
    expect(row.used_account_id).toBe(dbAccount(t, 'alice').id);
    expect(attemptsOf(t, id)).toEqual([{ outcome: 'completed', error: null, price: 100 }]);
    expect(dbAccount(t, 'alice').robux).toBe(900);
    expect(auditRows(t)).toEqual([
      {
        at: row.completed_at,
        actor: 'admin token',
        action: 'transaction.resolve',
        target: `transaction:${id}`,
        outcome: 'completed',
        note: 'Seen in the Roblox transaction history',
      },
    ]);
  });

  it('failed: the order fails "Resolved by hand: <note>", the attempt fails, the price goes back exactly once; again → 409, nothing changes but the refusals\' entries', async () => {
    const id = await unknownOrder(t);
    expect(dbAccount(t, 'alice').robux).toBe(900);
    const res = await resolve(id, { outcome: 'failed', note: '  Not in the history after 2 days  ' });
    expect(res.status).toBe(200);
    expect(res.json.transaction).toMatchObject({
      status: 'failed',
      usedAccount: null,
      error: 'Resolved by hand: Not in the history after 2 days',
      completedAt: null,
      resolution: { outcome: 'failed', note: 'Not in the history after 2 days', actor: 'admin token' },
    });
    expect(attemptsOf(t, id)).toEqual([{ outcome: 'failed', error: 'Resolved by hand: Not in the history after 2 days', price: 100 }]);
    expect(dbAccount(t, 'alice').robux).toBe(1000);
    expect(auditRows(t)).toHaveLength(1);

    const before = { ...dataSnapshot(t), audit: auditRows(t) };
    for (const outcome of ['failed', 'completed']) {
      const again = await resolve(id, { outcome, note: 'twice' });
      expect(again.status).toBe(409);
      expect(again.json.error.code).toBe('not_unknown');
    }
    // Each refusal is audited (outcome `conflict`, never the note it was sent with); nothing else changed.
    const refusal = { at: expect.any(Number), actor: 'admin token', action: 'transaction.resolve', target: `transaction:${id}`, outcome: 'conflict', note: 'not_unknown' };
    expect({ ...dataSnapshot(t), audit: auditRows(t) }).toEqual({ ...before, audit: [...before.audit, refusal, refusal] });
    expect(dbAccount(t, 'alice').robux).toBe(1000);
    // The order still shows the resolution that happened, not a refusal.
    const listed = await t.api('GET', '/api/transactions?status=failed');
    expect(listed.json.transactions[0].resolution).toMatchObject({ outcome: 'failed', note: 'Not in the history after 2 days' });
  });

  it('failed after the buying account was deleted: the order fails and no other account is credited', async () => {
    const id = await unknownOrder(t);
    const alice = dbAccount(t, 'alice');
    expect((await t.api('DELETE', `/api/admin/stock-accounts/${alice.id}`)).status).toBe(204);
    // The same platform user added again is a new row: the old attempt's reservation is not its.
    await addAccount(t, 'alice', 1000);
    expect(dbAccount(t, 'alice').id).not.toBe(alice.id);
    const res = await resolve(id, { outcome: 'failed', note: 'Account gone; refunded the customer' });
    expect(res.status).toBe(200);
    expect(res.json.transaction.status).toBe('failed');
    expect(attemptsOf(t, id).map((a) => a.outcome)).toEqual(['failed']);
    expect(dbAccount(t, 'alice').robux).toBe(1000);
  });

  it.each(['pending', 'completed', 'failed', 'processing'])('a %s order answers 409 not_unknown and changes nothing; the refusal alone is audited', async (status) => {
    await addOrder(t, 'INV-9', gamepass(100));
    t.sqlite.prepare('update transactions set status = ? where invoice_id = ?').run(status, 'INV-9');
    const id = dbTransaction(t, 'INV-9').id;
    const before = dataSnapshot(t);
    const res = await resolve(id, { outcome: 'failed', note: 'why not' });
    expect(res.status).toBe(409);
    expect(res.json.error).toEqual({ code: 'not_unknown', message: `Only an unknown transaction can be resolved; this one is ${status}` });
    expect(dataSnapshot(t)).toEqual(before);
    expect(auditRows(t)).toEqual([
      { at: expect.any(Number), actor: 'admin token', action: 'transaction.resolve', target: `transaction:${id}`, outcome: 'conflict', note: 'not_unknown' },
    ]);
  });

  it.each([
    ['no note', { outcome: 'failed' }, 'invalid_field', /"note" is required/],
    ['an empty note', { outcome: 'failed', note: '' }, 'invalid_field', /note/],
    ['a blank note', { outcome: 'failed', note: '   ' }, 'invalid_field', /note/],
    ['a note over 500 characters', { outcome: 'failed', note: 'x'.repeat(501) }, 'invalid_field', /500/],
    ['a note that is not a string', { outcome: 'failed', note: 5 }, 'invalid_field', /note/],
    ['no outcome', { note: 'why' }, 'invalid_field', /"outcome" is required/],
    ['another outcome', { outcome: 'pending', note: 'why' }, 'invalid_field', /completed, failed/],
    ['an unknown field', { outcome: 'failed', note: 'why', by: 'me' }, 'unknown_field', /by/],
    ['an array body', [{ outcome: 'failed', note: 'why' }], 'invalid_field', /body/],
    ['malformed JSON', '{"outcome":', 'malformed_json', /JSON/],
  ])('%s → 400 and nothing written', async (_name, body, code, message) => {
    const id = await unknownOrder(t);
    const before = { ...dataSnapshot(t), audit: wholeAuditLog(t) };
    const res = await resolve(id, body);
    expect(res.status).toBe(400);
    expect(res.json.error.code).toBe(code);
    expect(res.json.error.message).toMatch(message);
    expect({ ...dataSnapshot(t), audit: wholeAuditLog(t) }).toEqual(before);
    expect(auditRows(t)).toEqual([]);
  });

  it('an unknown id → 404, whatever the body', async () => {
    for (const id of ['99999', 'abc', '0']) {
      const res = await resolve(id, { outcome: 'failed', note: 'why' });
      expect(res.status).toBe(404);
      expect(res.json.error.code).toBe('not_found');
    }
    expect(auditRows(t)).toEqual([]);
  });

  it('names the browser session as the actor when the cookie made the request, never a secret', async () => {
    const id = await unknownOrder(t);
    const login = await t.app.request('http://localhost/api/auth/login', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token: testToken }),
    });
    const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
    const res = await t.app.request(`http://localhost/api/transactions/${id}/resolve`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie, origin: 'http://localhost', 'sec-fetch-site': 'same-origin' },
      body: JSON.stringify({ outcome: 'completed', note: 'checked by phone' }),
    });
    expect(res.status).toBe(200);
    const rows = auditRows(t) as Record<string, unknown>[];
    expect(rows.map((r) => r.actor)).toEqual(['browser session']);
    const stored = JSON.stringify(t.sqlite.prepare('select * from audit_log').all());
    expect(stored).not.toContain(testToken);
    expect(stored).not.toContain(cookie.split('=')[1]!);
  });
});

describe('GET /api/transactions shows the resolution beside the order', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await buildTestApp();
  });
  afterEach(() => t.close());

  it('each resolved order carries its latest resolution {outcome, note, at, actor}; the others none', async () => {
    const first = await unknownOrder(t, 'INV-1');
    const second = await unknownOrder(t, 'INV-2');
    await addOrder(t, 'INV-3', gamepass(100));
    t.advance(5_000);
    expect((await t.api('POST', `/api/transactions/${first}/resolve`, { outcome: 'completed', note: 'It went through' })).status).toBe(200);
    const resolvedAt = dbTransaction(t, 'INV-1').updated_at as number;
    const list = await t.api('GET', '/api/transactions?limit=100');
    expect(list.status).toBe(200);
    const byInvoice = Object.fromEntries(list.json.transactions.map((tx: any) => [tx.invoiceId, tx]));
    expect(byInvoice['INV-1'].resolution).toEqual({
      outcome: 'completed',
      note: 'It went through',
      at: new Date(resolvedAt).toISOString(),
      actor: 'admin token',
    });
    expect(byInvoice['INV-2'].status).toBe('unknown');
    expect(byInvoice['INV-2']).not.toHaveProperty('resolution');
    expect(byInvoice['INV-3']).not.toHaveProperty('resolution');
    expect(second).not.toBe(first);
    // On another page too (the resolutions are looked up for the page's rows).
    const page = await t.api('GET', '/api/transactions?limit=1&status=completed');
    expect(page.json.transactions[0].resolution.note).toBe('It went through');
  });
});
