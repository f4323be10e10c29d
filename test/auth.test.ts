import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { constantTimeEqual } from '../src/http/admin-auth.js';
import { buildTestApp, testToken, type TestApp } from './support/test-app.js';

describe('admin auth', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await buildTestApp();
  });
  afterEach(() => t.close());

  const get = (headers: Record<string, string> = {}, url = 'http://localhost/api/admin/stock-accounts') =>
    t.app.request(url, { headers });
  const login = (token: unknown, url = 'http://localhost/api/auth/login', headers: Record<string, string> = {}) =>
    t.app.request(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ token }),
    });
  const cookieOf = (res: Response) => res.headers.get('set-cookie')!.split(';')[0]!;

  it.each([
    ['no credentials', {}],
    ['a wrong bearer token', { authorization: 'Bearer wrong-token' }],
    ['a prefix of the token', { authorization: `Bearer ${testToken.slice(0, -1)}` }],
    ['the token with another scheme', { authorization: `Basic ${testToken}` }],
    ['a forged cookie', { cookie: 'ap_session=abc' }],
    ['the raw token as cookie', { cookie: `ap_session=${testToken}` }],
  ])('answers 401 JSON for %s', async (_name, headers) => {
    const res = await get(headers);
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ error: { code: 'unauthorized', message: expect.any(String) } });
  });

  it('protects every /api path, even unknown ones', async () => {
    for (const path of ['/api/transactions', '/api/nothing-here', '/api/admin/stock-accounts/x']) {
      expect((await t.app.request(path)).status).toBe(401);
    }
    expect((await t.app.request('/api/transactions', { method: 'POST' })).status).toBe(401);
  });

  it('accepts the bearer token', async () => {
    expect((await get({ authorization: `Bearer ${testToken}` })).status).toBe(200);
  });

  it('log-in sets an HttpOnly, SameSite=Strict cookie on / that authenticates', async () => {
    const res = await login(testToken);
    expect(res.status).toBe(204);
    const header = res.headers.get('set-cookie')!;
    expect(header).toMatch(/^ap_session=[0-9a-f]{64};/);
    expect(header).toMatch(/HttpOnly/);
    expect(header).toMatch(/SameSite=Strict/);
    expect(header).toMatch(/Path=\//);
    expect(header).not.toMatch(/Secure/);
    expect(header).not.toContain(testToken);
    expect((await get({ cookie: cookieOf(res) })).status).toBe(200);
  });

  it('the cookie is Secure when the request came over https', async () => {
    expect((await login(testToken, 'https://shop.example/api/auth/login')).headers.get('set-cookie')).toMatch(/Secure/);
    const proxied = await login(testToken, 'http://localhost/api/auth/login', { 'x-forwarded-proto': 'https' });
    expect(proxied.headers.get('set-cookie')).toMatch(/Secure/);
  });

  it('a wrong token does not log in', async () => {
    const res = await login('not-the-token');
    expect(res.status).toBe(401);
    expect(res.headers.get('set-cookie')).toBeNull();
    expect((await res.json()).error.message).toBe('Invalid token');
    expect((await login(42)).status).toBe(400);
  });

  it('log-out clears the cookie', async () => {
    const res = await t.app.request('/api/auth/logout', { method: 'POST' });
    expect(res.status).toBe(204);
    expect(res.headers.get('set-cookie')).toMatch(/^ap_session=;.*Max-Age=0/);
  });

  it('the session survives a restart: it is stored in the database, which a restarted app reads', async () => {
    const cookie = cookieOf(await login(testToken));
    const restarted = await buildTestApp({ database: t.database });
    try {
      expect((await restarted.app.request('/api/admin/stock-accounts', { headers: { cookie } })).status).toBe(200);
    } finally {
      restarted.close();
    }
  });

  it('compares secrets correctly whatever their lengths', async () => {
    expect(await constantTimeEqual('abc', 'abc')).toBe(true);
    expect(await constantTimeEqual('abc', 'abd')).toBe(false);
    expect(await constantTimeEqual('abc', 'abcd')).toBe(false);
    expect(await constantTimeEqual('', 'a')).toBe(false);
  });
});
