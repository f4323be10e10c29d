// The audit log (SPEC §12): every state change and log-in/out recorded once, with the caller as actor,
// in the change's own transaction; refusals best effort; GET /api/audit filtered and paged; kept
// HISTORY_RETENTION; never a secret in it.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCleanup } from '../src/jobs/cleanup.js';
import type { AuditRow } from '../src/stores/audit.js';
import { addAccount, addOrder, dbAccount, dbTransaction, gamepass } from './support/run-fixtures.js';
import { buildTestApp, testToken, type TestApp } from './support/test-app.js';

const wholeLog = (t: TestApp) => t.sqlite.prepare('select * from audit_log order by id').all() as AuditRow[];
/** The entries of one action, oldest first, without their ids and times. */
const entriesOf = (t: TestApp, action: string) =>
  wholeLog(t)
    .filter((row) => row.action === action)
    .map(({ actor, target, outcome, note }) => ({ actor, target, outcome, note }));
const at = (iso: string) => Date.parse(iso);
const start = at('2026-11-27T12:00:00Z');

/** The browser's requests: same origin, the session cookie. */
const browser = (cookie: string) => ({ cookie, origin: 'http://localhost', 'sec-fetch-site': 'same-origin' });

async function logIn(t: TestApp, token = testToken) {
  const res = await t.app.request('http://localhost/api/auth/login', {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: 'http://localhost', 'sec-fetch-site': 'same-origin' },
    body: JSON.stringify({ token }),
  });
  return { status: res.status, cookie: res.headers.get('set-cookie')?.split(';')[0] };
}

/**
 * An order alice's run leaves `unknown` (the sandbox never answers about [TIMEOUT]) or `failed`
 * ([NOT_FOR_SALE] is refused); answers its id.
 */
async function orderEndingAs(t: TestApp, status: 'unknown' | 'failed', invoiceId: string) {
  await addOrder(t, invoiceId, gamepass(100, status === 'unknown' ? 'VIP [TIMEOUT]' : 'Gone [NOT_FOR_SALE]'));
  if (!dbAccount(t, 'alice')) await addAccount(t, 'alice', 1000);
  else await t.api('POST', '/api/auto-purchase', {});
  expect(dbTransaction(t, invoiceId).status).toBe(status);
  return dbTransaction(t, invoiceId).id as number;
}

/** Makes the commits `when` picks (default: all) fail as on a full disk, after their change ran; answers the undo. */
function failCommits(t: TestApp, when: () => boolean = () => true): () => void {
  const original = t.db.transaction.bind(t.db);
  (t.db as { transaction: unknown }).transaction = (change: (tx: unknown) => unknown, config?: unknown) =>
    original((tx) => {
      const result = change(tx);
      if (when()) throw Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });
      return result;
    }, config as never);
  return () => {
    (t.db as { transaction: unknown }).transaction = original;
  };
}

describe('each change is recorded once, with its actor', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await buildTestApp();
  });
  afterEach(() => t.close());

  it('account add, update and delete (admin token), each with the run it starts; never the cookie', async () => {
    const added = await t.api('POST', '/api/admin/stock-accounts', { robloxCookie: 'sandbox:alice:1000' });
    expect(added.status).toBe(201);
    const id = added.json.stockAccount.id as string;
    const firstRun = added.json.autoPurchase.sessionId as string;
    expect(entriesOf(t, 'account.add')).toEqual([{ actor: 'admin token', target: `account:${id}`, outcome: 'ok', note: 'alice' }]);

    // The same platform account again: an add that replaces the stored cookie.
    const again = await t.api('POST', '/api/admin/stock-accounts', { robloxCookie: 'sandbox:alice:1000' });
    expect(again.status).toBe(200);
    expect(entriesOf(t, 'account.add')[1]).toEqual({ actor: 'admin token', target: `account:${id}`, outcome: 'ok', note: 'alice (already stored: its cookie replaced)' });

    const updated = await t.api('PUT', `/api/admin/stock-accounts/${id}`, { status: 'inactive' });
    expect(updated.status).toBe(200);
    expect(entriesOf(t, 'account.update')).toEqual([
      { actor: 'admin token', target: `account:${id}`, outcome: 'ok', note: 'alice: status active → inactive, balance re-checked' },
    ]);
    const withCookie = await t.api('PUT', `/api/admin/stock-accounts/${id}`, { robloxCookie: 'sandbox:alice:1000', status: 'active' });
    expect(withCookie.status).toBe(200);
    expect(entriesOf(t, 'account.update')[1]!.note).toBe('alice: new cookie, status inactive → active, balance re-checked');

    expect((await t.api('DELETE', `/api/admin/stock-accounts/${id}`)).status).toBe(204);
    expect(entriesOf(t, 'account.delete')).toEqual([{ actor: 'admin token', target: `account:${id}`, outcome: 'ok', note: 'alice' }]);

    // Each add and update started (or joined) a run: one run.start each, saying why.
    const runs = entriesOf(t, 'run.start');
    expect(runs).toHaveLength(4);
    expect(runs[0]).toEqual({ actor: 'admin token', target: `run:${firstRun}`, outcome: 'ok', note: `after account.add account:${id}` });
    expect(runs.map((r) => r.note)).toEqual([
      `after account.add account:${id}`,
      `after account.add account:${id}`,
      `after account.update account:${id}`,
      `after account.update account:${id}`,
    ]);
    expect(wholeLog(t)).toHaveLength(9);
    expect(JSON.stringify(wholeLog(t))).not.toContain('sandbox:alice');
  });

  it('a refused account change is recorded with what refused it; one that is not found or malformed is not', async () => {
    expect((await t.api('POST', '/api/admin/stock-accounts', { robloxCookie: 'sandbox:invalid' })).status).toBe(422);
    t.gateway.faults.verifyTransient(1);
    expect((await t.api('POST', '/api/admin/stock-accounts', { robloxCookie: 'sandbox:bob:10' })).status).toBe(502);
    const { account } = await addAccount(t, 'alice', 100);
    expect((await t.api('PUT', `/api/admin/stock-accounts/${account.id}`, { robloxCookie: 'sandbox:carol:5' })).status).toBe(422);
    expect(entriesOf(t, 'account.add').filter((e) => e.outcome !== 'ok')).toEqual([
      { actor: 'admin token', target: 'account:new', outcome: 'rejected', note: 'invalid_credential' },
      { actor: 'admin token', target: 'account:new', outcome: 'gateway_error', note: 'gateway_unavailable' },
    ]);
    expect(entriesOf(t, 'account.update')).toEqual([{ actor: 'admin token', target: `account:${account.id}`, outcome: 'rejected', note: 'credential_mismatch' }]);

    const before = wholeLog(t);
    expect((await t.api('PUT', '/api/admin/stock-accounts/nope', { status: 'inactive' })).status).toBe(404);
    expect((await t.api('DELETE', '/api/admin/stock-accounts/nope')).status).toBe(404);
    expect((await t.api('POST', '/api/admin/stock-accounts', { robloxCookie: '' })).status).toBe(400);
    expect(wholeLog(t)).toEqual(before);
  });

  it('order.add once for a new order, nothing for the same invoice again', async () => {
    const first = await t.api('POST', '/api/transactions', { invoiceId: 'INV-1', gamepass: gamepass(100) });
    expect(first.status).toBe(201);
    expect((await t.api('POST', '/api/transactions', { invoiceId: 'INV-1', gamepass: gamepass(100) })).status).toBe(200);
    expect(wholeLog(t).map(({ actor, action, target, outcome, note }) => ({ actor, action, target, outcome, note }))).toEqual([
      { actor: 'admin token', action: 'order.add', target: `transaction:${first.json.transaction.id}`, outcome: 'ok', note: 'INV-1' },
    ]);
  });

  it('run.start by hand: the run it started, the account it names; joining the active run says so', async () => {
    const res = await t.api('POST', '/api/auto-purchase', {});
    expect(res.status).toBe(202);
    expect(entriesOf(t, 'run.start')).toEqual([{ actor: 'admin token', target: `run:${res.json.sessionId}`, outcome: 'ok', note: null }]);

    const concurrent = await buildTestApp({ concurrent: true });
    try {
      await addOrder(concurrent, 'INV-1', gamepass(100));
      concurrent.gateway.faults.hang({ invoiceId: 'INV-1' });
      const { account, sessionId } = await addAccount(concurrent, 'alice', 1000);
      const joined = await concurrent.api('POST', '/api/auto-purchase', { stockAccountId: account.id });
      expect(joined.json.sessionId).toBe(sessionId);
      expect(entriesOf(concurrent, 'run.start')[1]).toEqual({
        actor: 'admin token',
        target: `run:${sessionId}`,
        outcome: 'ok',
        note: `for account:${account.id} (alice); a run was active: it looks for pending orders again`,
      });
    } finally {
      await concurrent.engine.stop(200);
      concurrent.close();
    }
  });

  it('transaction.retry with its run; a retry refused (409) is recorded as a conflict', async () => {
    const id = await orderEndingAs(t, 'failed', 'INV-1');
    const res = await t.api('POST', `/api/transactions/${id}/retry`);
    expect(res.status).toBe(202);
    expect(entriesOf(t, 'transaction.retry')).toEqual([{ actor: 'admin token', target: `transaction:${id}`, outcome: 'ok', note: 'INV-1' }]);
    expect(entriesOf(t, 'run.start').at(-1)).toEqual({
      actor: 'admin token',
      target: `run:${res.json.autoPurchase.sessionId}`,
      outcome: 'ok',
      note: `after transaction.retry transaction:${id}`,
    });

    await addOrder(t, 'INV-2', gamepass(100));
    const pending = dbTransaction(t, 'INV-2').id;
    t.sqlite.prepare("update transactions set status = 'pending' where id = ?").run(pending);
    expect((await t.api('POST', `/api/transactions/${pending}/retry`)).status).toBe(409);
    expect(entriesOf(t, 'transaction.retry')[1]).toEqual({ actor: 'admin token', target: `transaction:${pending}`, outcome: 'conflict', note: 'not_failed' });
    expect(entriesOf(t, 'transaction.retry')).toHaveLength(2);
  });

  it('transaction.reconcile with what it came to; a reconcile refused (409) is recorded as a conflict', async () => {
    const id = await orderEndingAs(t, 'unknown', 'INV-1');
    const res = await t.api('POST', `/api/transactions/${id}/reconcile`);
    expect(res.status).toBe(200);
    const [entry] = entriesOf(t, 'transaction.reconcile');
    expect(entry).toMatchObject({ actor: 'admin token', target: `transaction:${id}`, outcome: 'ok' });
    const notes: Record<string, string> = {
      completed: 'the gateway says it went through: completed',
      pending: 'not bought: back to pending',
      unknown: 'the gateway still cannot say: unknown',
    };
    expect(entry!.note).toBe(notes[res.json.transaction.status]);
    expect(entriesOf(t, 'transaction.reconcile')).toHaveLength(1);

    const other = (await addOrder(t, 'INV-2', gamepass(100))).id;
    expect((await t.api('POST', `/api/transactions/${other}/reconcile`)).status).toBe(409);
    expect(entriesOf(t, 'transaction.reconcile')[1]).toEqual({ actor: 'admin token', target: `transaction:${other}`, outcome: 'conflict', note: 'not_unknown' });
  });

  it('log-in, a failed log-in and log-out, as "browser session"; the browser session is the actor of what it changes', async () => {
    const failed = await logIn(t, 'not-the-token-0123');
    expect(failed.status).toBe(401);
    const { status, cookie } = await logIn(t);
    expect(status).toBe(204);
    const order = await t.app.request('http://localhost/api/transactions', {
      method: 'POST',
      headers: { ...browser(cookie!), 'content-type': 'application/json' },
      body: JSON.stringify({ invoiceId: 'INV-1', gamepass: gamepass(100) }),
    });
    expect(order.status).toBe(201);
    const logout = await t.app.request('http://localhost/api/auth/logout', { method: 'POST', headers: browser(cookie!) });
    expect(logout.status).toBe(204);
    // Log-out without a cookie ends nothing: no entry.
    expect((await t.app.request('http://localhost/api/auth/logout', { method: 'POST' })).status).toBe(204);
    // Nor does a log-out with the ended session's cookie again, or with a made-up one: anyone could send those.
    expect((await t.app.request('http://localhost/api/auth/logout', { method: 'POST', headers: browser(cookie!) })).status).toBe(204);
    const madeUp = `ap_session=${'ab'.repeat(32)}`;
    expect((await t.app.request('http://localhost/api/auth/logout', { method: 'POST', headers: browser(madeUp) })).status).toBe(204);

    expect(wholeLog(t).map(({ actor, action, target, outcome }) => ({ actor, action, target, outcome }))).toEqual([
      { actor: 'browser session', action: 'auth.login', target: 'session', outcome: 'denied' },
      { actor: 'browser session', action: 'auth.login', target: 'session', outcome: 'ok' },
      { actor: 'browser session', action: 'order.add', target: expect.stringMatching(/^transaction:\d+$/), outcome: 'ok' },
      { actor: 'browser session', action: 'auth.logout', target: 'session', outcome: 'ok' },
    ]);
  });

  it('a change made with an API token names the token', async () => {
    const made = await t.api('POST', '/api/tokens', { name: 'shop backend', scope: 'operate' });
    expect(made.status).toBe(201);
    const res = await t.app.request('http://localhost/api/transactions', {
      method: 'POST',
      headers: { authorization: `Bearer ${made.json.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ invoiceId: 'INV-1', gamepass: gamepass(100) }),
    });
    expect(res.status).toBe(201);
    expect(entriesOf(t, 'order.add')).toEqual([{ actor: 'token "shop backend"', target: expect.stringMatching(/^transaction:/), outcome: 'ok', note: 'INV-1' }]);
  });

  it('a change and its entry commit together: when the commit holding the entry fails, the change is gone too', async () => {
    // Only the commit that holds an audit entry fails.
    const undo = failCommits(t, () => (t.sqlite.prepare('select count(*) as n from audit_log').get() as { n: number }).n > 0);
    expect((await t.api('POST', '/api/transactions', { invoiceId: 'INV-1', gamepass: gamepass(100) })).status).toBe(503);
    undo();
    expect(t.sqlite.prepare('select count(*) as n from transactions').get()).toEqual({ n: 0 });
    expect(wholeLog(t)).toEqual([]);
  });

  it('a refusal whose entry cannot be written still answers the refusal (never a 500 or 503)', async () => {
    await addOrder(t, 'INV-1', gamepass(100));
    const id = dbTransaction(t, 'INV-1').id;
    const undo = failCommits(t);
    const retry = await t.api('POST', `/api/transactions/${id}/retry`);
    const login = await logIn(t, 'wrong');
    undo();
    expect(retry.status).toBe(409);
    expect(retry.json.error.code).toBe('not_failed');
    expect(login.status).toBe(401);
    expect(wholeLog(t).map((row) => row.action)).toEqual(['order.add']);
  });
});

describe('never a secret in the audit log', () => {
  it('after cookies, the admin token, a wrong token, a session and an API token went through, no row holds any of them', async () => {
    const t = await buildTestApp();
    try {
      const cookies = ['sandbox:alice:1000', 'sandbox:alice:2000', 'sandbox:invalid', 'sandbox:mallory:not-a-number'];
      const added = await t.api('POST', '/api/admin/stock-accounts', { robloxCookie: cookies[0] });
      await t.api('PUT', `/api/admin/stock-accounts/${added.json.stockAccount.id}`, { robloxCookie: cookies[1] });
      expect((await t.api('POST', '/api/admin/stock-accounts', { robloxCookie: cookies[2] })).status).toBe(422);
      expect((await t.api('POST', '/api/admin/stock-accounts', { robloxCookie: cookies[3] })).status).toBe(422);
      const wrongToken = 'almost-the-admin-token-0123456789';
      expect((await logIn(t, wrongToken)).status).toBe(401);
      const { cookie } = await logIn(t);
      const sessionId = cookie!.split('=')[1]!;
      await t.app.request('http://localhost/api/auth/logout', { method: 'POST', headers: browser(cookie!) });
      const made = await t.api('POST', '/api/tokens', { name: 'ci', scope: 'admin' });
      const apiToken = made.json?.token as string | undefined;
      if (apiToken) {
        await t.app.request(`http://localhost/api/tokens/${made.json.apiToken.id}`, { method: 'DELETE', headers: { authorization: `Bearer ${apiToken}` } });
      }
      await t.api('DELETE', `/api/admin/stock-accounts/${added.json.stockAccount.id}`);

      const rows = wholeLog(t);
      expect(rows.length).toBeGreaterThanOrEqual(9);
      const stored = JSON.stringify(rows);
      for (const secret of [...cookies, testToken, wrongToken, sessionId, ...(apiToken ? [apiToken, apiToken.slice(3)] : [])]) {
        expect(stored).not.toContain(secret);
      }
      // What GET /api/audit answers is the same rows.
      const page = await t.api('GET', '/api/audit?limit=100');
      for (const secret of [...cookies, testToken, wrongToken, sessionId]) expect(page.text).not.toContain(secret);
    } finally {
      t.close();
    }
  });
});

describe('GET /api/audit', () => {
  let t: TestApp;
  /** Seven entries, a minute apart from 12:00, of several actions, actors and targets. */
  beforeEach(async () => {
    t = await buildTestApp();
    const insert = t.sqlite.prepare('insert into audit_log (at, actor, action, target, outcome, note) values (?, ?, ?, ?, ?, ?)');
    const minute = 60_000;
    insert.run(start, 'admin token', 'account.add', 'account:a', 'ok', 'alice');
    insert.run(start + minute, 'browser session', 'auth.login', 'session', 'ok', null);
    insert.run(start + 2 * minute, 'browser session', 'transaction.retry', 'transaction:1', 'ok', 'INV-1');
    insert.run(start + 2 * minute, 'token "ci"', 'transaction.retry', 'transaction:12', 'conflict', 'not_failed');
    insert.run(start + 3 * minute, 'token "ci"', 'account.update', 'account:a', 'ok', 'alice: balance re-checked');
    insert.run(start + 4 * minute, 'admin token', 'account_x.add', 'account:b', 'ok', null);
    insert.run(at('2026-11-28T09:00:00Z'), 'admin token', 'run.start', 'run:r1', 'ok', null);
  });
  afterEach(() => t.close());

  const ids = (res: { json: { entries: { id: number }[] } }) => res.json.entries.map((e) => e.id);

  it('answers every entry newest first, each {id, at, actor, action, target, outcome, note}', async () => {
    const res = await t.api('GET', '/api/audit');
    expect(res.status).toBe(200);
    expect(ids(res)).toEqual([7, 6, 5, 4, 3, 2, 1]);
    expect(res.json).not.toHaveProperty('nextCursor');
    expect(res.json.entries[2]).toEqual({
      id: 5,
      at: '2026-11-27T12:03:00.000Z',
      actor: 'token "ci"',
      action: 'account.update',
      target: 'account:a',
      outcome: 'ok',
      note: 'alice: balance re-checked',
    });
  });

  it.each([
    ['action=transaction.retry', [4, 3]],
    ['action=account.', [5, 1]],
    ['action=account', []],
    ['action=', [7, 6, 5, 4, 3, 2, 1]],
    ['actor=token%20%22ci%22', [5, 4]],
    ['actor=browser%20session&action=auth.login', [2]],
    ['target=account:a', [5, 1]],
    ['target=transaction:1', [3]],
    ['target=transaction:', [4, 3]],
    ['from=2026-11-27T12:02:00Z&to=2026-11-27T12:03:00Z', [5, 4, 3]],
    ['to=2026-11-27', [6, 5, 4, 3, 2, 1]],
    ['from=2026-11-28', [7]],
    ['action=account.&actor=admin%20token', [1]],
  ])('%s → the matching entries', async (query, expected) => {
    const res = await t.api('GET', `/api/audit?${query}`);
    expect(res.status).toBe(200);
    expect(ids(res)).toEqual(expected);
  });

  it('pages with an opaque cursor: the walk meets every entry once, newest first, entries of one millisecond included', async () => {
    for (const limit of [1, 2, 3]) {
      const seen: number[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const res = await t.api('GET', `/api/audit?limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
        expect(res.status).toBe(200);
        expect(res.json.entries.length).toBeLessThanOrEqual(limit);
        seen.push(...ids(res));
        cursor = res.json.nextCursor;
        pages++;
      } while (cursor && pages < 20);
      expect(seen).toEqual([7, 6, 5, 4, 3, 2, 1]);
    }
    // With a filter, the cursor keeps to it.
    const first = await t.api('GET', '/api/audit?action=account.&limit=1');
    const second = await t.api('GET', `/api/audit?action=account.&limit=1&cursor=${first.json.nextCursor}`);
    expect([...ids(first), ...ids(second)]).toEqual([5, 1]);
    expect(second.json).not.toHaveProperty('nextCursor');
  });

  it.each([
    ['sort=asc', 'unknown_field'],
    ['limit=0', 'invalid_field'],
    ['limit=101', 'invalid_field'],
    ['limit=ten', 'invalid_field'],
    ['from=2026-02-30', 'invalid_field'],
    ['to=yesterday', 'invalid_field'],
    ['from=2026-11-28&to=2026-11-27', 'invalid_range'],
    ['cursor=not-a-cursor', 'invalid_cursor'],
    [`action=${'a'.repeat(201)}`, 'invalid_field'],
  ])('%s → 400 %s', async (query, code) => {
    const res = await t.api('GET', `/api/audit?${query}`);
    expect(res.status).toBe(400);
    expect(res.json.error.code).toBe(code);
  });

  it('needs a credential', async () => {
    expect((await t.app.request('http://localhost/api/audit')).status).toBe(401);
  });
});

describe('retention', () => {
  it('entries older than HISTORY_RETENTION are deleted, a batch at a time; newer ones stay', async () => {
    const t = await buildTestApp();
    try {
      const insert = t.sqlite.prepare("insert into audit_log (at, actor, action, target, outcome) values (?, 'admin token', 'order.add', ?, 'ok')");
      const day = 86_400_000;
      for (let i = 0; i < 7; i++) insert.run(start - 40 * day + i, `transaction:${i}`);
      insert.run(start - 30 * day, 'transaction:edge');
      insert.run(start - 29 * day, 'transaction:kept');
      // A hand resolution is kept whatever its age: its transaction is kept for good and shows it.
      t.sqlite
        .prepare("insert into audit_log (at, actor, action, target, outcome, note) values (?, 'browser session', 'transaction.resolve', 'transaction:old', 'completed', 'paid by hand')")
        .run(start - 400 * day);
      let batches = 0;
      await runCleanup(t.db, start, { progressRetentionMs: 3_600_000, historyRetentionMs: 30 * day }, {
        batchRows: 2,
        sleep: async () => {
          batches++;
        },
      });
      expect(wholeLog(t).map((row) => row.target)).toEqual(['transaction:edge', 'transaction:kept', 'transaction:old']);
      // 7 old entries, 2 a transaction: at least 4 commits for them alone.
      expect(batches).toBeGreaterThanOrEqual(4);
    } finally {
      t.close();
    }
  });
});
