// API tokens (SPEC §12, issue 12 point 1): made once, stored hashed, listed without the secret,
// scoped, expiring, revoked at once (their open streams close, their next request is a 401).
import { afterEach, describe, expect, it } from 'vitest';
import { hashApiToken } from '../src/domain/api-token.js';
import { tokenTouchIntervalMs } from '../src/services/tokens.js';
import { buildTestApp, testToken, type TestApp } from './support/test-app.js';

let t: TestApp | undefined;
afterEach(async () => {
  await t?.engine.stop(2_000);
  t?.close();
  t = undefined;
});

const asToken = (token: string, extra: Record<string, string> = {}) => ({ authorization: `Bearer ${token}`, ...extra });

async function makeToken(app: TestApp, body: Record<string, unknown>) {
  const res = await app.api('POST', '/api/tokens', body);
  expect(res.status, res.text).toBe(201);
  return res.json as { token: string; apiToken: { id: number; name: string; scope: string; prefix: string; lastUsedAt: string | null; expiresAt: string | null } };
}

describe('API tokens', () => {
  it('answers the token once, prefixed ap_; stores only its SHA-256; lists name, scope, prefix, dates, never the token', async () => {
    t = await buildTestApp();
    const { token, apiToken } = await makeToken(t, { name: 'ci reader', scope: 'read', expiresAt: '2027-01-01T00:00:00Z' });
    expect(token).toMatch(/^ap_[A-Za-z0-9_-]{43}$/);
    expect(apiToken).toMatchObject({ name: 'ci reader', scope: 'read', prefix: token.slice(0, 11), lastUsedAt: null, expiresAt: '2027-01-01T00:00:00.000Z' });

    const stored = t.sqlite.prepare('select * from api_tokens').all() as Record<string, unknown>[];
    expect(stored).toHaveLength(1);
    expect(stored[0]!.token_hash).toBe(await hashApiToken(token));
    expect(JSON.stringify(t.sqlite.prepare('select * from api_tokens').all())).not.toContain(token);
    expect(JSON.stringify(t.sqlite.prepare('select * from audit_log').all())).not.toContain(token);
    expect(t.log.join('\n')).not.toContain(token);

    const list = await t.api('GET', '/api/tokens');
    expect(list.status).toBe(200);
    expect(list.json.tokens).toEqual([apiToken]);
    expect(list.text).not.toContain(token);
  });

  it('lists newest first and refuses bad names, scopes and expiries with 400, storing nothing', async () => {
    t = await buildTestApp();
    await makeToken(t, { name: 'first', scope: 'read' });
    await makeToken(t, { name: 'second', scope: 'admin', expiresAt: null });
    expect((await t.api('GET', '/api/tokens')).json.tokens.map((x: { name: string }) => x.name)).toEqual(['second', 'first']);
    for (const body of [
      { name: '', scope: 'read' },
      { name: '   ', scope: 'read' },
      { name: 'x'.repeat(65), scope: 'read' },
      { name: 'bell\u0007', scope: 'read' },
      { name: 'ok', scope: 'root' },
      { name: 'ok' },
      { name: 'ok', scope: 'read', expiresAt: 'tomorrow' },
      { name: 'ok', scope: 'read', expiresAt: '2026-02-30T00:00:00Z' },
      { name: 'ok', scope: 'read', expiresAt: '2020-01-01T00:00:00Z' },
      { name: 'ok', scope: 'read', extra: 1 },
    ]) {
      const res = await t.api('POST', '/api/tokens', body);
      expect(res.status, JSON.stringify(body)).toBe(400);
    }
    expect(t.sqlite.prepare('select count(*) as n from api_tokens').get()).toEqual({ n: 2 });
  });

  it('a token works as a bearer within its scope, records when it was last used (not on every request), and stops at its expiry', async () => {
    t = await buildTestApp();
    const { token, apiToken } = await makeToken(t, { name: 'reader', scope: 'read', expiresAt: '2026-11-27T13:00:00Z' });
    expect((await t.api('GET', '/api/transactions', undefined, asToken(token))).status).toBe(200);
    const used = (await t.api('GET', '/api/tokens')).json.tokens[0];
    expect(used.lastUsedAt).toBe('2026-11-27T12:00:00.000Z');
    t.advance(tokenTouchIntervalMs / 2);
    expect((await t.api('GET', '/api/transactions', undefined, asToken(token))).status).toBe(200);
    expect((await t.api('GET', '/api/tokens')).json.tokens[0].lastUsedAt).toBe('2026-11-27T12:00:00.000Z');
    t.advance(tokenTouchIntervalMs);
    expect((await t.api('GET', '/api/transactions', undefined, asToken(token))).status).toBe(200);
    expect((await t.api('GET', '/api/tokens')).json.tokens[0].lastUsedAt).toBe(new Date(Date.parse('2026-11-27T12:00:00Z') + tokenTouchIntervalMs * 1.5).toISOString());

    // read: no changes.
    const order = { invoiceId: 'INV-1', gamepass: { id: 1, name: 'Pass', price: 5, sellerId: 2 } };
    const refused = await t.api('POST', '/api/transactions', order, asToken(token));
    expect(refused.status).toBe(403);
    expect(refused.json.error.code).toBe('forbidden');

    t.advance(60 * 60 * 1000);
    const expired = await t.api('GET', '/api/transactions', undefined, asToken(token));
    expect(expired.status).toBe(401);
    expect(apiToken.id).toBeGreaterThan(0);
  });

  it('operate may record orders and start runs but not touch accounts or tokens; admin may', async () => {
    t = await buildTestApp();
    const operate = (await makeToken(t, { name: 'shop backend', scope: 'operate' })).token;
    const admin = (await makeToken(t, { name: 'second admin', scope: 'admin' })).token;
    const order = { invoiceId: 'INV-1', gamepass: { id: 1, name: 'Pass', price: 5, sellerId: 2 } };
    expect((await t.api('POST', '/api/transactions', order, asToken(operate))).status).toBe(201);
    expect((await t.api('POST', '/api/auto-purchase', {}, asToken(operate))).status).toBe(202);
    expect((await t.api('POST', '/api/admin/stock-accounts', { robloxCookie: 'sandbox:alice:100' }, asToken(operate))).status).toBe(403);
    expect((await t.api('POST', '/api/tokens', { name: 'escalate', scope: 'admin' }, asToken(operate))).status).toBe(403);
    expect((await t.api('GET', '/api/tokens', undefined, asToken(operate))).status).toBe(403);
    expect((await t.api('POST', '/api/admin/stock-accounts', { robloxCookie: 'sandbox:alice:100' }, asToken(admin))).status).toBe(201);
    expect((await t.api('POST', '/api/tokens', { name: 'made by a token', scope: 'read' }, asToken(admin))).status).toBe(201);
  });

  it('revoking answers 204 (then 404), and the token’s next request is a 401', async () => {
    t = await buildTestApp();
    const { token, apiToken } = await makeToken(t, { name: 'to revoke', scope: 'read' });
    expect((await t.api('GET', '/api/transactions', undefined, asToken(token))).status).toBe(200);
    expect((await t.api('DELETE', `/api/tokens/${apiToken.id}`)).status).toBe(204);
    expect((await t.api('GET', '/api/transactions', undefined, asToken(token))).status).toBe(401);
    expect((await t.api('DELETE', `/api/tokens/${apiToken.id}`)).status).toBe(404);
    expect((await t.api('DELETE', '/api/tokens/abc')).status).toBe(404);
    expect((await t.api('GET', '/api/tokens')).json.tokens).toEqual([]);
  });

  it('a made-up, truncated or other-shaped bearer value is a 401 without any lookup result', async () => {
    t = await buildTestApp();
    const { token } = await makeToken(t, { name: 'real', scope: 'admin' });
    for (const bad of [`ap_${'A'.repeat(43)}`, token.slice(0, -1), `${token}x`, token.toUpperCase(), 'ap_', `${testToken}x`]) {
      expect((await t.api('GET', '/api/transactions', undefined, asToken(bad))).status, bad).toBe(401);
    }
  });

  it('creation and revocation are audited with the actor, never the token', async () => {
    t = await buildTestApp();
    const admin = (await makeToken(t, { name: 'deploy bot', scope: 'admin' })).token;
    const made = await t.api('POST', '/api/tokens', { name: 'made by the bot', scope: 'read' }, asToken(admin));
    expect((await t.api('DELETE', `/api/tokens/${made.json.apiToken.id}`, undefined, asToken(admin))).status).toBe(204);
    const rows = t.sqlite.prepare("select actor, action, target, outcome from audit_log where action like 'token.%' order by id").all();
    expect(rows).toEqual([
      { actor: 'admin token', action: 'token.create', target: 'token:1', outcome: 'ok' },
      { actor: 'token "deploy bot"', action: 'token.create', target: `token:${made.json.apiToken.id}`, outcome: 'ok' },
      { actor: 'token "deploy bot"', action: 'token.revoke', target: `token:${made.json.apiToken.id}`, outcome: 'ok' },
    ]);
    const all = JSON.stringify(t.sqlite.prepare('select * from audit_log').all());
    expect(all).not.toContain(admin);
    expect(all).not.toContain(made.json.token);
  });
});

describe('a revoked token’s open streams', () => {
  it('close at once (no heartbeat in between); a stream of another token stays open', async () => {
    t = await buildTestApp({ concurrent: true, engine: { purchaseDelayMs: 10_000 }, config: { heartbeatMs: 60_000 } });
    for (let i = 0; i < 3; i++) {
      await t.api('POST', '/api/transactions', { invoiceId: `HOLD-${i}`, gamepass: { id: 10 + i, name: 'Pass', price: 10, sellerId: 2 } });
    }
    const added = await t.api('POST', '/api/admin/stock-accounts', { robloxCookie: 'sandbox:holder:10000' });
    const sessionId = added.json.autoPurchase.sessionId as string;
    const revoked = await makeToken(t, { name: 'script', scope: 'read' });
    const kept = await makeToken(t, { name: 'other script', scope: 'read' });
    const open = async (token: string) => {
      const res = await t!.app.request(`/api/auto-purchase/progress/${sessionId}/events`, { headers: asToken(token) });
      expect(res.status).toBe(200);
      const reader = res.body!.getReader();
      await reader.read();
      return reader;
    };
    const doomed = [await open(revoked.token), await open(revoked.token)];
    const other = await open(kept.token);
    expect(t.hub.stats().listeners).toBe(3);

    expect((await t.api('DELETE', `/api/tokens/${revoked.apiToken.id}`)).status).toBe(204);
    for (const reader of doomed) {
      // Drain what was queued: the stream then ends (done), with no error.
      for (;;) {
        const { done } = await reader.read();
        if (done) break;
      }
    }
    expect(t.hub.stats().listeners).toBe(1);
    // The other token's stream is still open: whatever it reads for 300 ms, it does not end.
    const deadline = Date.now() + 300;
    let ended = false;
    while (!ended && Date.now() < deadline) {
      const next = await Promise.race([other.read(), new Promise<'open'>((resolve) => setTimeout(() => resolve('open'), Math.max(1, deadline - Date.now())))]);
      if (next === 'open') break;
      ended = next.done;
    }
    expect(ended).toBe(false);
    await other.cancel();
    // A reconnect of the revoked token is refused.
    const again = await t.app.request(`/api/auto-purchase/progress/${sessionId}/events`, { headers: asToken(revoked.token) });
    expect(again.status).toBe(401);
  });

  it('a stream whose token was revoked elsewhere (another process) or expired ends at its next heartbeat', async () => {
    t = await buildTestApp({ concurrent: true, engine: { purchaseDelayMs: 10_000 }, config: { heartbeatMs: 50 } });
    await t.api('POST', '/api/transactions', { invoiceId: 'HOLD-0', gamepass: { id: 10, name: 'Pass', price: 10, sellerId: 2 } });
    await t.api('POST', '/api/transactions', { invoiceId: 'HOLD-1', gamepass: { id: 11, name: 'Pass', price: 10, sellerId: 2 } });
    const added = await t.api('POST', '/api/admin/stock-accounts', { robloxCookie: 'sandbox:holder:10000' });
    const sessionId = added.json.autoPurchase.sessionId as string;
    const elsewhere = await makeToken(t, { name: 'elsewhere', scope: 'read' });
    const expiring = await makeToken(t, { name: 'expiring', scope: 'read', expiresAt: '2026-11-27T12:30:00Z' });
    const open = async (token: string) => (await t!.app.request(`/api/auto-purchase/progress/${sessionId}/events`, { headers: asToken(token) })).body!.getReader();
    const a = await open(elsewhere.token);
    const b = await open(expiring.token);
    // Another process deletes the row: this process's revocation signal never fires.
    t.sqlite.prepare('delete from api_tokens where id = ?').run(elsewhere.apiToken.id);
    t.advance(31 * 60 * 1000);
    const ends = (reader: ReadableStreamDefaultReader<Uint8Array>) =>
      (async () => {
        for (;;) if ((await reader.read()).done) return 'ended';
      })();
    const timeout = new Promise((resolve) => setTimeout(() => resolve('still open'), 3_000));
    expect(await Promise.race([ends(a), timeout])).toBe('ended');
    expect(await Promise.race([ends(b), timeout])).toBe('ended');
  });

  it('a browser session’s streams end at its log-out (at the next heartbeat); the admin token’s stay', async () => {
    t = await buildTestApp({ concurrent: true, engine: { purchaseDelayMs: 10_000 }, config: { heartbeatMs: 50 } });
    await t.api('POST', '/api/transactions', { invoiceId: 'HOLD-0', gamepass: { id: 10, name: 'Pass', price: 10, sellerId: 2 } });
    await t.api('POST', '/api/transactions', { invoiceId: 'HOLD-1', gamepass: { id: 11, name: 'Pass', price: 10, sellerId: 2 } });
    const added = await t.api('POST', '/api/admin/stock-accounts', { robloxCookie: 'sandbox:holder:10000' });
    const sessionId = added.json.autoPurchase.sessionId as string;
    const login = await t.app.request('/api/auth/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: testToken }) });
    const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
    const path = `/api/auto-purchase/progress/${sessionId}/events`;
    const browser = (await t.app.request(path, { headers: { cookie } })).body!.getReader();
    const script = (await t.app.request(path, { headers: asToken(testToken) })).body!.getReader();
    const logout = await t.app.request('/api/auth/logout', { method: 'POST', headers: { cookie, 'sec-fetch-site': 'same-origin' } });
    expect(logout.status).toBe(204);
    const ends = (reader: ReadableStreamDefaultReader<Uint8Array>) =>
      (async () => {
        for (;;) if ((await reader.read()).done) return 'ended';
      })();
    expect(await Promise.race([ends(browser), new Promise((resolve) => setTimeout(() => resolve('still open'), 3_000))])).toBe('ended');
    expect(await Promise.race([ends(script), new Promise((resolve) => setTimeout(() => resolve('still open'), 300))])).toBe('still open');
    await script.cancel();
  });
});
