// Browser sessions that end (SPEC §11): random ids stored hashed, idle and absolute expiry, log-out
// and a new ADMIN_TOKEN end them; failed log-ins throttled per address; cookie-authenticated
// changes only from the app's own origin.
import { createHash } from 'node:crypto';
import { request } from 'node:http';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLoginThrottle } from '../src/http/login-throttle.js';
import { startCleanupJob } from '../src/jobs/cleanup.js';
import { addOrder, gamepass } from './support/run-fixtures.js';
import { cleanUp, makeTempDir, startServer } from './support/server-process.js';
import { buildTestApp, dataSnapshot, testToken, type TestApp, type TestAppOptions } from './support/test-app.js';

const minute = 60_000;
const hour = 60 * minute;
const day = 24 * hour;

/** In these tests the client's address comes from a header the test sets; the Node entry uses the socket's. */
const byTestHeader: TestAppOptions['clientAddress'] = (c) => c.req.header('x-test-client') ?? 'unknown';
/** What a browser sends with a fetch() from the app's own page at http://localhost. */
const ownPage = { origin: 'http://localhost', 'sec-fetch-site': 'same-origin' };

const apps: TestApp[] = [];
async function app(options: TestAppOptions = {}): Promise<TestApp> {
  const t = await buildTestApp({ clientAddress: byTestHeader, ...options });
  apps.push(t);
  return t;
}

function login(t: TestApp, token: string, headers: Record<string, string> = {}) {
  return t.app.request('http://localhost/api/auth/login', {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...ownPage, ...headers },
    body: JSON.stringify({ token }),
  });
}

async function loggedIn(t: TestApp): Promise<string> {
  const res = await login(t, testToken);
  expect(res.status).toBe(204);
  return res.headers.get('set-cookie')!.split(';')[0]!;
}

const listAccounts = (t: TestApp, cookie: string) => t.app.request('http://localhost/api/admin/stock-accounts', { headers: { cookie } });
const sessionRows = (t: TestApp) => t.sqlite.prepare('select * from sessions').all() as Record<string, string | number>[];
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const runCount = (t: TestApp) => (t.sqlite.prepare('select count(*) as n from runs').get() as { n: number }).n;

afterEach(async () => {
  for (const t of apps.splice(0).reverse()) t.close();
});

describe('browser sessions end', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await app();
  });

  it('an old cookie answers 401 after log-out, whose row is deleted', async () => {
    const cookie = await loggedIn(t);
    expect((await listAccounts(t, cookie)).status).toBe(200);
    expect(sessionRows(t)).toHaveLength(1);

    const out = await t.app.request('http://localhost/api/auth/logout', { method: 'POST', headers: { cookie, ...ownPage } });
    expect(out.status).toBe(204);
    expect(out.headers.get('set-cookie')).toMatch(/^ap_session=;.*Max-Age=0/);
    expect(sessionRows(t)).toHaveLength(0);
    const again = await listAccounts(t, cookie);
    expect(again.status).toBe(401);
    expect((await again.json()).error.code).toBe('unauthorized');
  });

  it('each log-in gets its own random id; logging one out leaves the other', async () => {
    const first = await loggedIn(t);
    const second = await loggedIn(t);
    expect(first).not.toBe(second);
    await t.app.request('http://localhost/api/auth/logout', { method: 'POST', headers: { cookie: first, ...ownPage } });
    expect((await listAccounts(t, first)).status).toBe(401);
    expect((await listAccounts(t, second)).status).toBe(200);
  });

  it('a session unused for 12 hours ends; one in use stays', async () => {
    const cookie = await loggedIn(t);
    t.advance(11 * hour + 59 * minute);
    expect((await listAccounts(t, cookie)).status).toBe(200);
    // Counted from the last use, not from the log-in.
    t.advance(11 * hour + 59 * minute);
    expect((await listAccounts(t, cookie)).status).toBe(200);
    t.advance(12 * hour);
    expect((await listAccounts(t, cookie)).status).toBe(401);
  });

  it('a session ends 7 days after log-in, however busy', async () => {
    const cookie = await loggedIn(t);
    for (let elapsed = 6 * hour; elapsed < 7 * day; elapsed += 6 * hour) {
      t.advance(6 * hour);
      expect((await listAccounts(t, cookie)).status, `after ${elapsed / hour} h`).toBe(200);
    }
    t.advance(6 * hour);
    expect((await listAccounts(t, cookie)).status).toBe(401);
  });

  it('records the last use at most once a minute, not on every request', async () => {
    const cookie = await loggedIn(t);
    const loggedInAt = sessionRows(t)[0]!.last_seen_at;
    t.advance(30_000);
    await listAccounts(t, cookie);
    expect(sessionRows(t)[0]!.last_seen_at).toBe(loggedInAt);
    t.advance(31_000);
    await listAccounts(t, cookie);
    expect(sessionRows(t)[0]!.last_seen_at).toBe((loggedInAt as number) + 61_000);
  });

  it('a new ADMIN_TOKEN ends every session; the same token keeps them across a restart', async () => {
    const cookie = await loggedIn(t);
    const restarted = await app({ database: t.database });
    expect((await listAccounts(restarted, cookie)).status).toBe(200);
    const rotated = await app({ database: t.database, adminToken: 'another-admin-token-fedcba9876543210' });
    expect((await listAccounts(rotated, cookie)).status).toBe(401);
  });

  it('the stored row holds the SHA-256 of the id, never the id nor the token', async () => {
    const cookie = await loggedIn(t);
    const id = cookie.slice('ap_session='.length);
    expect(id).toMatch(/^[0-9a-f]{64}$/);
    const [row] = sessionRows(t);
    expect(row!.id_hash).toBe(sha256(id));
    const stored = JSON.stringify(row);
    expect(stored).not.toContain(id);
    expect(stored).not.toContain(testToken);
    expect(stored).not.toContain(sha256(testToken));
    expect(row).toMatchObject({ created_at: Date.parse('2026-11-27T12:00:00Z'), expires_at: Date.parse('2026-11-27T12:00:00Z') + 7 * day });
  });

  it('the cookie is HttpOnly, SameSite=Strict, on / and kept by the browser for the 7 days', async () => {
    const header = (await login(t, testToken)).headers.get('set-cookie')!;
    expect(header).toMatch(/HttpOnly/);
    expect(header).toMatch(/SameSite=Strict/);
    expect(header).toMatch(/Path=\//);
    expect(header).toMatch(/Max-Age=604800/);
  });

  it('the cleanup job deletes sessions ended by time and keeps the live ones', async () => {
    const cookie = await loggedIn(t);
    const now = Date.parse('2026-11-27T12:00:00Z') + minute;
    const insert = t.sqlite.prepare('insert into sessions values (?, ?, ?, ?, ?)');
    insert.run('idle-12h', 'f', now - day, now - 12 * hour, now + day);
    insert.run('past-7-days', 'f', now - 7 * day, now - minute, now);
    insert.run('used-a-minute-ago', 'f', now - day, now - minute, now + day);
    const stop = startCleanupJob({
      db: t.db,
      clock: { now: () => now },
      logger: { debug() {}, info() {}, warn() {}, error() {} },
      intervalMs: 20,
      policy: { progressRetentionMs: hour, historyRetentionMs: 30 * day },
    });
    try {
      const deadline = Date.now() + 2000;
      while (sessionRows(t).length > 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    } finally {
      stop();
    }
    const kept = sessionRows(t).map((row) => row.id_hash);
    expect(kept.sort()).toEqual([sha256(cookie.slice('ap_session='.length)), 'used-a-minute-ago'].sort());
    expect((await listAccounts(t, cookie)).status).toBe(200);
  });
});

describe('failed log-ins are throttled per client address', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await app();
  });
  const from = (address: string) => ({ 'x-test-client': address });

  it('5 wrong tokens, then 429 with Retry-After even for the right one; other addresses log in; after the window it works', async () => {
    for (let i = 0; i < 5; i++) expect((await login(t, `wrong-${i}`, from('203.0.113.7'))).status).toBe(401);
    const refused = await login(t, testToken, from('203.0.113.7'));
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('60');
    expect(refused.headers.get('set-cookie')).toBeNull();
    expect(await refused.json()).toEqual({ error: { code: 'too_many_attempts', message: expect.any(String) } });

    expect((await login(t, testToken, from('198.51.100.2'))).status).toBe(204);

    t.advance(45_000);
    expect((await login(t, testToken, from('203.0.113.7'))).headers.get('retry-after')).toBe('15');
    t.advance(15_000);
    expect((await login(t, testToken, from('203.0.113.7'))).status).toBe(204);
  });

  it('a good log-in clears the count: failures spread over successes never lock the admin out', async () => {
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 4; i++) expect((await login(t, 'wrong', from('192.0.2.1'))).status).toBe(401);
      expect((await login(t, testToken, from('192.0.2.1'))).status).toBe(204);
    }
  });

  it('remembers a bounded number of addresses, forgetting the oldest first', () => {
    let now = 0;
    const throttle = createLoginThrottle({ now: () => now, maxFailures: 2, windowMs: minute, maxAddresses: 2 });
    throttle.failed('a');
    throttle.failed('a');
    expect(() => throttle.assertAllowed('a')).toThrow(/Too many/);
    throttle.failed('b');
    expect(() => throttle.assertAllowed('a')).toThrow(/Too many/);
    throttle.failed('c'); // a third address: the oldest, 'a', is forgotten
    expect(() => throttle.assertAllowed('a')).not.toThrow();
    throttle.failed('b');
    expect(() => throttle.assertAllowed('b')).toThrow(/Too many/);
    now += minute;
    expect(() => throttle.assertAllowed('b')).not.toThrow();
  });
});

describe('a change made with the cookie must come from the app’s own origin', () => {
  let t: TestApp;
  let cookie: string;
  beforeEach(async () => {
    t = await app();
    await addOrder(t, 'INV-1', gamepass(100));
    cookie = await loggedIn(t);
  });

  const trigger = (headers: Record<string, string>) =>
    t.app.request('http://localhost:3000/api/auto-purchase', {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: '{}',
    });

  it.each([
    ['a page of the same site on another port', { 'sec-fetch-site': 'same-site', origin: 'http://localhost:5173' }],
    ['another site', { 'sec-fetch-site': 'cross-site', origin: 'https://evil.example' }],
    ['another port, Origin only', { origin: 'http://localhost:5173' }],
    ['another host, Origin only', { origin: 'http://evil.example:3000' }],
    ['an opaque origin', { origin: 'null' }],
    ['neither Origin nor Sec-Fetch-Site', {}],
    ['Sec-Fetch-Site same-site even with a matching Origin', { 'sec-fetch-site': 'same-site', origin: 'http://localhost:3000' }],
  ])('refuses %s with 403 and changes nothing', async (_name, headers) => {
    const before = dataSnapshot(t);
    const res = await trigger({ cookie, ...headers });
    expect(res.status).toBe(403);
    expect(await res.json()).toEqual({ error: { code: 'cross_origin', message: expect.any(String) } });
    await t.engine.idle();
    expect(runCount(t)).toBe(0);
    expect(dataSnapshot(t)).toEqual(before);
  });

  it('refuses a cross-origin DELETE and a cross-origin log-out', async () => {
    const added = await t.api('POST', '/api/admin/stock-accounts', { robloxCookie: 'sandbox:alice:5000' });
    await t.engine.idle();
    const id = added.json.stockAccount.id;
    const cross = { cookie, 'sec-fetch-site': 'same-site', origin: 'http://localhost:5173' };
    const removal = await t.app.request(`http://localhost:3000/api/admin/stock-accounts/${id}`, { method: 'DELETE', headers: cross });
    expect(removal.status).toBe(403);
    const listed = (await t.api('GET', '/api/admin/stock-accounts')).json.stockAccounts;
    expect(listed.map((a: { id: string }) => a.id)).toEqual([id]);
    expect((await t.app.request('http://localhost:3000/api/auth/logout', { method: 'POST', headers: cross })).status).toBe(403);
    expect((await listAccounts(t, cookie)).status).toBe(200);
  });

  it.each([
    ['Sec-Fetch-Site same-origin', { 'sec-fetch-site': 'same-origin', origin: 'http://localhost:3000' }],
    ['an Origin of the same host and port (no Sec-Fetch-Site: plain http on a LAN)', { origin: 'http://localhost:3000' }],
    ['behind a proxy: the Origin of X-Forwarded-Host', { origin: 'https://shop.example', 'x-forwarded-host': 'shop.example' }],
  ])('accepts %s', async (_name, headers) => {
    const res = await trigger({ cookie, ...headers });
    expect(res.status).toBe(202);
    await t.engine.idle();
    expect(runCount(t)).toBe(1);
  });

  it('a bearer-token request needs no Origin, and reads with the cookie need none either', async () => {
    const res = await trigger({ authorization: `Bearer ${testToken}`, 'sec-fetch-site': 'cross-site' });
    expect(res.status).toBe(202);
    await t.engine.idle();
    expect(runCount(t)).toBe(1);
    const read = await t.app.request('http://localhost:3000/api/transactions', { headers: { cookie, 'sec-fetch-site': 'cross-site' } });
    expect(read.status).toBe(200);
  });
});

describe('the Node entry, over a real socket', () => {
  afterEach(() => cleanUp());

  it('counts failed log-ins against the socket address and checks Origin against the Host header', async () => {
    const server = await startServer({ dataDir: makeTempDir(), env: { ADMIN_TOKEN: testToken, LOG_LEVEL: 'warn' }, readyBy: 'healthz' });
    const post = (path: string, headers: Record<string, string>, body?: unknown) =>
      fetch(`${server.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify(body ?? {}),
      });

    const loginRes = await post('/api/auth/login', { origin: server.url }, { token: testToken });
    expect(loginRes.status).toBe(204);
    const cookie = loginRes.headers.get('set-cookie')!.split(';')[0]!;
    expect((await post('/api/auto-purchase', { cookie, origin: `http://127.0.0.1:${server.port + 1}` })).status).toBe(403);
    expect((await post('/api/auto-purchase', { cookie, origin: server.url })).status).toBe(202);

    for (let i = 0; i < 5; i++) expect((await post('/api/auth/login', {}, { token: 'wrong' })).status).toBe(401);
    const refused = await post('/api/auth/login', {}, { token: testToken });
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    // Another client (another loopback address) still logs in.
    expect(await loginFrom('127.0.0.2', server.port, testToken)).toBe(204);
  });
});

/** A log-in over a socket bound to `localAddress` (any 127.x address is this machine on Linux). */
function loginFrom(localAddress: string, port: number, token: string): Promise<number | undefined> {
  return new Promise((resolve, reject) => {
    const options = { host: '127.0.0.1', port, localAddress, method: 'POST', path: '/api/auth/login', timeout: 5_000 };
    const req = request({ ...options, headers: { 'content-type': 'application/json' } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
    });
    req.on('timeout', () => req.destroy(new Error('no answer in 5 s')));
    req.on('error', reject);
    req.end(JSON.stringify({ token }));
  });
}
