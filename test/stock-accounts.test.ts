import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../src/db/open.js';
import { AppError } from '../src/domain/app-error.js';
import { createCredentialCipher, generateCredentialKey } from '../src/domain/credential-cipher.js';
import { createSandboxGateway } from '../src/gateway/sandbox.js';
import { createAccountService, type AccountRuns } from '../src/services/accounts.js';
import { buildTestApp, dataSnapshot, type TestApp } from './support/test-app.js';

const accountFields = ['id', 'userId', 'username', 'displayName', 'robux', 'status', 'lastChecked', 'createdAt', 'updatedAt'];

describe('stock accounts API', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await buildTestApp();
  });
  afterEach(() => t.close());

  const add = (cookie: unknown) => t.api('POST', '/api/admin/stock-accounts', { robloxCookie: cookie });

  it('adds an account verified by the gateway, with the fields of SPEC §2 and no credential', async () => {
    const res = await add('sandbox:alice:1500');
    expect(res.status).toBe(201);
    const account = res.json.stockAccount;
    expect(Object.keys(account).sort()).toEqual([...accountFields].sort());
    expect(account).toMatchObject({ username: 'alice', displayName: 'Alice', robux: 1500, status: 'active' });
    expect(account.lastChecked).toBe('2026-11-27T12:00:00.000Z');
    expect(res.text).not.toContain('sandbox:alice');
    const stored = t.sqlite.prepare('select credential_enc from stock_accounts').get() as { credential_enc: string };
    expect(stored.credential_enc).not.toContain('alice');
    expect(await t.cipher.decrypt(stored.credential_enc)).toBe('sandbox:alice:1500');
  });

  it('a rejected credential answers 422 with a clear message and stores nothing', async () => {
    const before = dataSnapshot(t);
    const res = await add('sandbox:invalid');
    expect(res.status).toBe(422);
    expect(res.json.error.code).toBe('invalid_credential');
    expect(res.json.error.message).toMatch(/rejected this Roblox cookie/);
    expect(dataSnapshot(t)).toEqual(before);
  });

  it('adding the same account again updates it under the same id', async () => {
    const first = await add('sandbox:alice:1500');
    t.advance(60_000);
    const again = await add('sandbox:alice:2000');
    expect(again.status).toBe(200);
    expect(again.json.stockAccount.id).toBe(first.json.stockAccount.id);
    expect(again.json.stockAccount.robux).toBe(2000);
    expect(again.json.stockAccount.createdAt).toBe(first.json.stockAccount.createdAt);
    expect(again.json.stockAccount.updatedAt).toBe('2026-11-27T12:01:00.000Z');
    const list = await t.api('GET', '/api/admin/stock-accounts');
    expect(list.json.stockAccounts).toHaveLength(1);
  });

  it('lists accounts oldest first', async () => {
    await add('sandbox:alice:10');
    t.advance(1000);
    await add('sandbox:bob:20');
    const res = await t.api('GET', '/api/admin/stock-accounts');
    expect(res.status).toBe(200);
    expect(res.json.stockAccounts.map((a: any) => a.username)).toEqual(['alice', 'bob']);
    expect(res.text).not.toMatch(/sandbox:|credential/i);
  });

  it('update with a new credential re-verifies it and keeps the id', async () => {
    const { json } = await add('sandbox:alice:100');
    const id = json.stockAccount.id;
    const res = await t.api('PUT', `/api/admin/stock-accounts/${id}`, { robloxCookie: 'sandbox:alice:900' });
    expect(res.status).toBe(200);
    expect(res.json.stockAccount).toMatchObject({ id, robux: 900, status: 'active' });
    const stored = t.sqlite.prepare('select credential_enc from stock_accounts').get() as { credential_enc: string };
    expect(await t.cipher.decrypt(stored.credential_enc)).toBe('sandbox:alice:900');
  });

  it('update with a rejected credential answers 422 and changes nothing', async () => {
    const { json } = await add('sandbox:alice:100');
    const before = dataSnapshot(t);
    const res = await t.api('PUT', `/api/admin/stock-accounts/${json.stockAccount.id}`, { robloxCookie: 'sandbox:invalid' });
    expect(res.status).toBe(422);
    expect(res.json.error.code).toBe('invalid_credential');
    expect(dataSnapshot(t)).toEqual(before);
  });

  it("update with another account's credential answers 422 and changes nothing", async () => {
    const { json } = await add('sandbox:alice:100');
    const before = dataSnapshot(t);
    const res = await t.api('PUT', `/api/admin/stock-accounts/${json.stockAccount.id}`, { robloxCookie: 'sandbox:bob:5' });
    expect(res.status).toBe(422);
    expect(res.json.error.code).toBe('credential_mismatch');
    expect(dataSnapshot(t)).toEqual(before);
  });

  it('update sets active/inactive and re-checks the balance with the stored credential', async () => {
    const { json } = await add('sandbox:alice:100');
    const id = json.stockAccount.id;
    const off = await t.api('PUT', `/api/admin/stock-accounts/${id}`, { status: 'inactive' });
    expect(off.status).toBe(200);
    expect(off.json.stockAccount.status).toBe('inactive');
    // A re-add of an account switched off keeps it off.
    expect((await add('sandbox:alice:100')).json.stockAccount.status).toBe('inactive');
    const on = await t.api('PUT', `/api/admin/stock-accounts/${id}`, { status: 'active' });
    expect(on.json.stockAccount.status).toBe('active');
  });

  it('a status change still applies when the gateway does not answer', async () => {
    const { json } = await add('sandbox:alice:100');
    t.gateway.faults.verifyTransient(1);
    const res = await t.api('PUT', `/api/admin/stock-accounts/${json.stockAccount.id}`, { status: 'inactive' });
    expect(res.status).toBe(200);
    expect(res.json.stockAccount.status).toBe('inactive');
  });

  it('a gateway that does not answer an add gives 502 and stores nothing', async () => {
    t.gateway.faults.verifyTransient(1);
    const before = dataSnapshot(t);
    const res = await add('sandbox:alice:100');
    expect(res.status).toBe(502);
    expect(res.json.error.code).toBe('gateway_unavailable');
    expect(dataSnapshot(t)).toEqual(before);
  });

  it('a gateway that refuses the server (wrong secret) gives 502 gateway_error, never a 500', async () => {
    t.gateway.verifyAccount = async () => {
      throw new Error('The gateway refused our x-internal-secret (HTTP 401)');
    };
    const before = dataSnapshot(t);
    const res = await add('sandbox:alice:100');
    expect(res.status).toBe(502);
    expect(res.json.error).toEqual({ code: 'gateway_error', message: expect.stringMatching(/x-internal-secret/) });
    expect(dataSnapshot(t)).toEqual(before);
  });

  it.each([
    ['status invalid', { status: 'invalid' }],
    ['status a number', { status: 1 }],
    ['empty cookie', { robloxCookie: '' }],
    ['unknown field', { username: 'x' }],
  ])('update rejects %s with 400 and changes nothing', async (_name, body) => {
    const { json } = await add('sandbox:alice:100');
    const before = dataSnapshot(t);
    const res = await t.api('PUT', `/api/admin/stock-accounts/${json.stockAccount.id}`, body);
    expect(res.status).toBe(400);
    expect(dataSnapshot(t)).toEqual(before);
  });

  it('update and delete of an unknown id answer 404', async () => {
    expect((await t.api('PUT', '/api/admin/stock-accounts/nope', { status: 'active' })).status).toBe(404);
    const del = await t.api('DELETE', '/api/admin/stock-accounts/nope');
    expect(del.status).toBe(404);
    expect(del.json.error.code).toBe('not_found');
  });

  it('delete answers 204 and removes the account', async () => {
    const { json } = await add('sandbox:alice:100');
    const res = await t.api('DELETE', `/api/admin/stock-accounts/${json.stockAccount.id}`);
    expect(res.status).toBe(204);
    expect(res.text).toBe('');
    expect((await t.api('GET', '/api/admin/stock-accounts')).json.stockAccounts).toEqual([]);
  });

  it.each([
    ['missing cookie', {}],
    ['cookie a number', { robloxCookie: 42 }],
    ['blank cookie', { robloxCookie: '   ' }],
    ['unknown field', { robloxCookie: 'sandbox:a:1', note: 'x' }],
  ])('add rejects %s with 400 and stores nothing', async (_name, body) => {
    const before = dataSnapshot(t);
    const res = await t.api('POST', '/api/admin/stock-accounts', body);
    expect(res.status).toBe(400);
    expect(res.json.error.code).toMatch(/^(invalid_field|unknown_field)$/);
    expect(dataSnapshot(t)).toEqual(before);
  });
});

describe('the account service and the runs it starts', () => {
  /** The service over a fresh database, with a stand-in for the engine that records what it was asked. */
  async function serviceWith(runs: Partial<AccountRuns> = {}) {
    const database = openDatabase(':memory:');
    const triggered: (string | undefined)[] = [];
    const accounts = createAccountService({
      db: database.db,
      gateway: createSandboxGateway(),
      cipher: await createCredentialCipher(generateCredentialKey()),
      clock: { now: () => Date.parse('2026-11-27T12:00:00Z') },
      gatewayTimeoutMs: 1000,
      runs: {
        assertAccepting: () => {},
        trigger: (input) => (triggered.push(input.stockAccountId), { sessionId: `run-${triggered.length}` }),
        isBuyingWith: () => false,
        ...runs,
      },
    });
    return { accounts, triggered, close: () => database.sqlite.close() };
  }

  it('an add or an update starts a run for that account and answers its sessionId', async () => {
    const s = await serviceWith();
    const added = await s.accounts.add('sandbox:alice:100', 'admin token');
    expect(added).toMatchObject({ created: true, sessionId: 'run-1' });
    const updated = await s.accounts.update(added.account.id, { status: 'inactive' }, 'admin token');
    expect(updated).toMatchObject({ account: { status: 'inactive' }, sessionId: 'run-2' });
    expect(s.triggered).toEqual([added.account.id, added.account.id]);
    s.close();
  });

  it('while the engine refuses new work, an add stores nothing and starts nothing', async () => {
    const s = await serviceWith({
      assertAccepting: () => {
        throw new AppError(503, 'shutting_down', 'stopping');
      },
    });
    await expect(s.accounts.add('sandbox:alice:100', 'admin token')).rejects.toMatchObject({ status: 503 });
    expect(s.accounts.list()).toEqual([]);
    expect(s.triggered).toEqual([]);
    s.close();
  });

  it('an account a run is buying with is not deleted: 409 account_in_use', async () => {
    const s = await serviceWith({ isBuyingWith: () => true });
    const { account } = await s.accounts.add('sandbox:alice:100', 'admin token');
    expect(() => s.accounts.remove(account.id, 'admin token')).toThrow(expect.objectContaining({ status: 409, code: 'account_in_use' }));
    expect(s.accounts.list().map((row) => row.id)).toEqual([account.id]);
    s.close();
  });
});
