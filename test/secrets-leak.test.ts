// A whole scripted admin session: no answer (body or header) and no log line holds a credential
// or the admin token.
import { describe, expect, it } from 'vitest';
import { buildTestApp, testToken } from './support/test-app.js';

describe('secrets never leave', () => {
  it('through answers or logs, across add, update, list, orders and failures', async () => {
    const t = await buildTestApp();
    const credentials = [
      '_|WARNING:-DO-NOT-SHARE-THIS.--|_AliceCookieValue0001',
      '_|WARNING:-DO-NOT-SHARE-THIS.--|_AliceCookieValue0002',
      'sandbox:bob:5000',
      'sandbox:invalid',
      '_|WARNING:-DO-NOT-SHARE-THIS.--|_NeverAnsweredCookie',
    ];
    const transcript: string[] = [];
    const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
      const res = await t.api(method, path, body, headers);
      transcript.push(`${res.status} ${JSON.stringify([...res.headers])} ${res.text}`);
      return res;
    };

    await call('POST', '/api/auth/login', { token: 'wrong' }, { authorization: '' });
    await call('POST', '/api/auth/login', { token: testToken });
    const alice = await call('POST', '/api/admin/stock-accounts', { robloxCookie: credentials[0] });
    expect(alice.status).toBe(201);
    const id = alice.json.stockAccount.id;
    await call('POST', '/api/admin/stock-accounts', { robloxCookie: credentials[2] });
    expect((await call('POST', '/api/admin/stock-accounts', { robloxCookie: credentials[3] })).status).toBe(422);
    t.gateway.faults.verifyTransient(1);
    expect((await call('POST', '/api/admin/stock-accounts', { robloxCookie: credentials[4] })).status).toBe(502);
    expect((await call('PUT', `/api/admin/stock-accounts/${id}`, { robloxCookie: credentials[1] })).status).toBe(422);
    expect((await call('PUT', `/api/admin/stock-accounts/${id}`, { robloxCookie: credentials[3] })).status).toBe(422);
    await call('PUT', `/api/admin/stock-accounts/${id}`, { status: 'inactive' });
    await call('PUT', `/api/admin/stock-accounts/${id}`, { robloxCookie: credentials[0], status: 'active', extra: 1 });
    await call('POST', '/api/admin/stock-accounts', `{"robloxCookie": "${credentials[0]}"`);
    await call('GET', '/api/admin/stock-accounts');
    await call('POST', '/api/transactions', { invoiceId: 'INV-1', gamepass: { id: 1, name: 'A', price: 10, sellerId: 2 } });
    await call('GET', '/api/transactions');
    await call('GET', `/api/admin/stock-accounts?token=${testToken}`, undefined, { authorization: `Bearer ${testToken}x` });
    await call('DELETE', `/api/admin/stock-accounts/${id}`);
    await call('POST', '/api/auth/logout');

    // The session really went through the gateway and the store.
    expect(transcript).toHaveLength(17);
    const stored = t.sqlite.prepare('select credential_enc from stock_accounts').all() as { credential_enc: string }[];
    expect(stored).toHaveLength(1);
    expect(t.log.length).toBeGreaterThanOrEqual(17);

    // Every event of the runs the session started, as the stream would send them.
    const events = t.sqlite.prepare('select type, data from run_events').all() as { type: string; data: string }[];
    expect(events.length).toBeGreaterThan(10);
    transcript.push(...events.map((e) => `${e.type} ${e.data}`));
    const everything = [...transcript, ...t.log].join('\n');
    for (const secret of [...credentials, testToken]) {
      expect(everything).not.toContain(secret);
    }
    expect(everything).not.toContain('AliceCookieValue');
    expect(everything).not.toContain('NeverAnsweredCookie');
    for (const row of stored) expect(everything).not.toContain(row.credential_enc);
    t.close();
  });
});
