// Watch links (SPEC §12): POST …/progress/:sessionId/watch-links makes a signed, expiring link that
// opens that one run's snapshot and stream, with no other credential, and nothing else; the link
// never reaches a log line.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { WatchLink } from '../src/domain/api.js';
import { defaultWatchLinkMs, maxWatchLinkMs } from '../src/domain/watch-link.js';
import { buildTestApp, testToken, type TestApp } from './support/test-app.js';

const linksPath = (sessionId: string) => `/api/auto-purchase/progress/${sessionId}/watch-links`;

/** A finished run (no stock account: it ends at once). */
async function finishedRun(t: TestApp): Promise<string> {
  const res = await t.api('POST', '/api/auto-purchase');
  expect(res.status).toBe(202);
  return res.json.sessionId as string;
}

async function makeLink(t: TestApp, sessionId: string, body?: unknown): Promise<WatchLink> {
  const res = await t.api('POST', linksPath(sessionId), body);
  expect(res.status, res.text).toBe(201);
  return res.json as WatchLink;
}

const tokenOf = (link: string) => new URL(link).searchParams.get('access_token')!;
/** The link's path and query as a request to the app (no Authorization header). */
const open = (t: TestApp, link: string, headers: Record<string, string> = {}) => t.app.request(link, { headers });

describe('POST /api/auto-purchase/progress/:sessionId/watch-links', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await buildTestApp();
  });
  afterEach(() => t.close());

  it('answers 201 {url, eventsUrl, expiresAt}: the page and the stream with the same link, 24 h by default, not cached', async () => {
    const sessionId = await finishedRun(t);
    const res = await t.api('POST', linksPath(sessionId));
    expect(res.status).toBe(201);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const link = res.json as WatchLink;
    expect(Object.keys(link).sort()).toEqual(['eventsUrl', 'expiresAt', 'url']);
    expect(link.url).toMatch(new RegExp(`^http://localhost/watch/${sessionId}\\?access_token=wl1\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]{43}$`));
    expect(link.eventsUrl).toBe(`http://localhost/api/auto-purchase/progress/${sessionId}/events?access_token=${tokenOf(link.url)}`);
    expect(link.expiresAt).toBe(new Date(Date.parse('2026-11-27T12:00:00Z') + defaultWatchLinkMs).toISOString());
    // An empty JSON body is the same as none.
    expect((await makeLink(t, sessionId, {})).expiresAt).toBe(link.expiresAt);
  });

  it.each([
    ['15m', 15 * 60_000],
    ['1h', 3_600_000],
    ['7d', 7 * 86_400_000],
    ['720h', maxWatchLinkMs],
    ['30d', maxWatchLinkMs],
  ])('expiresIn %s lives %i ms', async (expiresIn, ms) => {
    const sessionId = await finishedRun(t);
    const link = await makeLink(t, sessionId, { expiresIn });
    expect(Date.parse(link.expiresAt)).toBe(Date.parse('2026-11-27T12:00:00Z') + ms);
  });

  it.each<[string, unknown, string]>([
    ['over 30 days', { expiresIn: '31d' }, 'invalid_expiry'],
    ['a millisecond over 30 days', { expiresIn: `${maxWatchLinkMs + 1}ms` }, 'invalid_expiry'],
    ['zero', { expiresIn: '0s' }, 'invalid_expiry'],
    ['no unit', { expiresIn: '3600' }, 'invalid_field'],
    ['a negative duration', { expiresIn: '-1h' }, 'invalid_field'],
    ['words', { expiresIn: 'tomorrow' }, 'invalid_field'],
    ['an empty string', { expiresIn: '' }, 'invalid_field'],
    ['a number', { expiresIn: 3600 }, 'invalid_field'],
    ['an unknown field', { expiresIn: '1h', scope: 'admin' }, 'unknown_field'],
    ['an array', [], 'invalid_field'],
    ['malformed JSON', '{"expiresIn":', 'malformed_json'],
  ])('refuses %s with 400 %s', async (_, body, code) => {
    const sessionId = await finishedRun(t);
    const res = await t.api('POST', linksPath(sessionId), body);
    expect(res.status).toBe(400);
    expect(res.json.error.code).toBe(code);
    expect(res.json.error.message).not.toMatch(/wl1/);
  });

  it('answers 404 for a run that does not exist, and signs nothing', async () => {
    const res = await t.api('POST', linksPath('no-such-run'), { expiresIn: '1h' });
    expect(res.status).toBe(404);
    expect(res.json.error.code).toBe('not_found');
    expect(res.text).not.toMatch(/wl1/);
  });

  it('builds the links on the origin the caller reached: X-Forwarded-Proto / X-Forwarded-Host first, odd values ignored', async () => {
    const sessionId = await finishedRun(t);
    const proxied = await t.api('POST', linksPath(sessionId), undefined, { 'x-forwarded-proto': 'https, http', 'x-forwarded-host': 'ap.example.com, inner' });
    expect(proxied.json.url).toMatch(new RegExp(`^https://ap\\.example\\.com/watch/${sessionId}\\?access_token=wl1\\.`));
    expect(proxied.json.eventsUrl).toMatch(/^https:\/\/ap\.example\.com\/api\/auto-purchase\/progress\//);
    const odd = await t.api('POST', linksPath(sessionId), undefined, { 'x-forwarded-proto': 'javascript', 'x-forwarded-host': 'evil.example/path?x=' });
    expect(odd.json.url).toMatch(/^http:\/\/localhost\/watch\//);
    const direct = await t.app.request(`https://shop.example:8443${linksPath(sessionId)}`, { method: 'POST', headers: { authorization: `Bearer ${testToken}` } });
    expect(((await direct.json()) as WatchLink).url).toMatch(/^https:\/\/shop\.example:8443\/watch\//);
  });
});

describe('a watch link, end to end', () => {
  let t: TestApp;
  let runA: string;
  let runB: string;
  let link: WatchLink;
  beforeEach(async () => {
    t = await buildTestApp();
    runA = await finishedRun(t);
    runB = await finishedRun(t);
    link = await makeLink(t, runA, { expiresIn: '1h' });
  });
  afterEach(() => t.close());

  const login = async () => {
    const res = await t.app.request('/api/auth/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: testToken }) });
    expect(res.status).toBe(204);
    return res.headers.get('set-cookie')!.split(';')[0]!;
  };

  it('opens its run’s snapshot and event stream with no other credential, cookie or not', async () => {
    const stored = await t.api('GET', `/api/auto-purchase/progress/${runA}`);
    for (const headers of [{}, { cookie: await login() }, { cookie: 'ap_session=forged' }] as Record<string, string>[]) {
      const snapshot = await open(t, link.eventsUrl.replace('/events?', '?'), headers);
      expect(snapshot.status).toBe(200);
      expect(await snapshot.json()).toEqual(stored.json);
      const events = await open(t, link.eventsUrl, headers);
      expect(events.status).toBe(200);
      expect(events.headers.get('content-type')).toMatch(/^text\/event-stream/);
      const text = await events.text();
      expect(text).toMatch(/^event: snapshot$/m);
      expect(text).toContain(`"sessionId":"${runA}"`);
    }
    const head = await t.app.request(link.eventsUrl, { method: 'HEAD' });
    expect(head.status).toBe(200);
  });

  it('opens nothing of another run (403), even beside a valid session cookie', async () => {
    const token = encodeURIComponent(tokenOf(link.url));
    const cookie = await login();
    for (const path of [`/api/auto-purchase/progress/${runB}`, `/api/auto-purchase/progress/${runB}/events`]) {
      for (const headers of [{}, { cookie }] as Record<string, string>[]) {
        const res = await open(t, `${path}?access_token=${token}`, headers);
        expect(res.status, `${path} ${JSON.stringify(headers)}`).toBe(403);
        expect(await res.text()).not.toContain(runA);
      }
    }
  });

  it('opens no other route (403): not the history, the orders, the API, nor another watch link', async () => {
    const token = encodeURIComponent(tokenOf(link.url));
    for (const [method, path] of [
      ['GET', '/api/transactions'],
      ['GET', '/api/auto-purchase/sessions'],
      ['GET', '/api/admin/stock-accounts'],
      ['GET', '/api/openapi.json'],
      ['GET', '/api/tokens'],
      ['POST', '/api/auto-purchase'],
      ['POST', linksPath(runA)],
    ] as const) {
      const res = await t.app.request(`${path}?access_token=${token}`, { method });
      expect(res.status, `${method} ${path}`).toBe(403);
    }
  });

  it('refuses a tampered link, a link signed under another admin token, and an empty one (401)', async () => {
    const token = tokenOf(link.url);
    const [version, payload, mac] = token.split('.') as [string, string, string];
    const forgedPayload = Buffer.from(JSON.stringify({ s: runB, e: Date.parse(link.expiresAt) })).toString('base64url');
    const flipped = `${mac.slice(0, 10)}${mac[10] === 'A' ? 'B' : 'A'}${mac.slice(11)}`;
    const other = await buildTestApp({ adminToken: 'another-admin-token-0123456789' });
    const foreign = tokenOf((await makeLink(other, await finishedRun(other))).url);
    other.close();
    for (const bad of [`${version}.${payload}.${flipped}`, `${version}.${forgedPayload}.${mac}`, `wl2.${payload}.${mac}`, foreign, '', 'wl1..']) {
      const res = await open(t, `/api/auto-purchase/progress/${runA}/events?access_token=${encodeURIComponent(bad)}`);
      expect(res.status, bad).toBe(401);
    }
  });

  it('stops opening anything once it expires', async () => {
    const snapshot = link.eventsUrl.replace('/events?', '?');
    t.advance(60 * 60_000 - 1);
    expect((await open(t, snapshot)).status).toBe(200);
    t.advance(1);
    expect((await open(t, snapshot)).status).toBe(401);
    expect((await open(t, link.eventsUrl)).status).toBe(401);
  });

  it('never reaches the request log, nor does any query string, refused or not', async () => {
    const token = tokenOf(link.url);
    const tampered = `${token.slice(0, -2)}xx`;
    await open(t, link.eventsUrl);
    await open(t, link.eventsUrl.replace('/events?', '?'));
    await open(t, `/api/auto-purchase/progress/${runA}?access_token=${tampered}`);
    await open(t, `/api/auto-purchase/progress/${runB}?access_token=${token}`);
    await open(t, `/api/transactions?access_token=${token}&lastEventId=secret-query-value`);
    await open(t, `/no/such/route?access_token=${token}`);
    expect(t.log.filter((line) => line.includes(`/progress/${runA}`)).length).toBeGreaterThan(0);
    const all = t.log.join('\n');
    for (const secret of [token, token.split('.')[1]!, token.split('.')[2]!, tampered, 'access_token', 'secret-query-value', 'wl1.']) {
      expect(all).not.toContain(secret);
    }
  });
});

describe('a watch link from another site’s page (WATCH_ORIGINS)', () => {
  const shop = 'https://shop.example';
  let t: TestApp;
  beforeEach(async () => {
    t = await buildTestApp({ config: { watchOrigins: [shop] } });
  });
  afterEach(() => t.close());

  it('a listed origin’s preflight is answered before any credential, and its page reads the snapshot and the stream', async () => {
    const sessionId = await finishedRun(t);
    const link = await makeLink(t, sessionId);
    const preflight = await t.app.request(`/api/auto-purchase/progress/${sessionId}/events`, {
      method: 'OPTIONS',
      headers: { origin: shop, 'access-control-request-method': 'GET', 'access-control-request-headers': 'last-event-id' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe(shop);
    for (const url of [link.eventsUrl, link.eventsUrl.replace('/events?', '?')]) {
      const res = await open(t, url, { origin: shop, 'accept-encoding': 'gzip' });
      expect(res.status).toBe(200);
      expect(res.headers.get('access-control-allow-origin')).toBe(shop);
      expect(res.headers.get('access-control-allow-credentials')).toBeNull();
      await res.arrayBuffer();
    }
  });

  it('an unlisted origin, and every other route, get no grant', async () => {
    const sessionId = await finishedRun(t);
    const link = await makeLink(t, sessionId);
    const other = await open(t, link.eventsUrl, { origin: 'https://evil.example' });
    expect(other.status).toBe(200);
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
    await other.arrayBuffer();
    const created = await t.api('POST', linksPath(sessionId), undefined, { origin: shop });
    expect(created.headers.get('access-control-allow-origin')).toBeNull();
    const transactions = await t.api('GET', '/api/transactions', undefined, { origin: shop });
    expect(transactions.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('sharing a watch link', () => {
  let t: TestApp;
  afterEach(async () => {
    await t.engine.stop(2_000);
    t.close();
  });

  it('is audited: who handed out a link to which run, until when (never the link)', async () => {
    t = await buildTestApp();
    const sessionId = await finishedRun(t);
    const link = await makeLink(t, sessionId, { expiresIn: '1h' });
    const rows = t.sqlite.prepare("select actor, action, target, outcome, note from audit_log where action = 'watch_link.create'").all();
    expect(rows).toEqual([{ actor: 'admin token', action: 'watch_link.create', target: `run:${sessionId}`, outcome: 'ok', note: `expires ${link.expiresAt}` }]);
    expect(JSON.stringify(t.sqlite.prepare('select * from audit_log').all())).not.toContain(tokenOf(link.url));
  });

  it('the watch page is served with Referrer-Policy: no-referrer (its address holds the link); other pages keep same-origin', async () => {
    t = await buildTestApp();
    const sessionId = await finishedRun(t);
    const link = await makeLink(t, sessionId);
    expect((await t.app.request(new URL(link.url).pathname + new URL(link.url).search)).headers.get('referrer-policy')).toBe('no-referrer');
    expect((await t.app.request('/accounts')).headers.get('referrer-policy')).toBe('same-origin');
  });

  it('an open stream of a link ends when the link expires (at its next heartbeat); one opened with a link still valid stays open', async () => {
    t = await buildTestApp({ concurrent: true, engine: { purchaseDelayMs: 10_000 }, config: { heartbeatMs: 50 } });
    await t.api('POST', '/api/transactions', { invoiceId: 'HOLD-0', gamepass: { id: 10, name: 'Pass', price: 10, sellerId: 2 } });
    await t.api('POST', '/api/transactions', { invoiceId: 'HOLD-1', gamepass: { id: 11, name: 'Pass', price: 10, sellerId: 2 } });
    const added = await t.api('POST', '/api/admin/stock-accounts', { robloxCookie: 'sandbox:holder:10000' });
    const sessionId = added.json.autoPurchase.sessionId as string;
    const hour = await makeLink(t, sessionId, { expiresIn: '1h' });
    const day = await makeLink(t, sessionId, { expiresIn: '24h' });
    const openStream = async (link: WatchLink) => {
      const res = await open(t, link.eventsUrl);
      expect(res.status).toBe(200);
      return res.body!.getReader();
    };
    const expiring = await openStream(hour);
    const lasting = await openStream(day);
    const ends = (reader: ReadableStreamDefaultReader<Uint8Array>) =>
      (async () => {
        for (;;) if ((await reader.read()).done) return 'ended';
      })();
    const after = (ms: number) => new Promise((resolve) => setTimeout(() => resolve('still open'), ms));
    // Before the hour is up both stay open through several heartbeats.
    t.advance(59 * 60_000);
    const expiringEnd = ends(expiring);
    const lastingEnd = ends(lasting);
    expect(await Promise.race([expiringEnd, after(300)])).toBe('still open');
    t.advance(2 * 60_000);
    expect(await Promise.race([expiringEnd, after(3_000)])).toBe('ended');
    expect(await Promise.race([lastingEnd, after(300)])).toBe('still open');
    await lasting.cancel();
  });

  it('one link shared with many viewers: its streams are counted per client address, not all against one credential', async () => {
    t = await buildTestApp({
      concurrent: true,
      engine: { purchaseDelayMs: 10_000 },
      config: { maxStreamsPerClient: 2, heartbeatMs: 60_000 },
      clientAddress: (c) => c.req.header('x-test-address') ?? 'unknown',
    });
    await t.api('POST', '/api/transactions', { invoiceId: 'HOLD-0', gamepass: { id: 1, name: 'Pass', price: 10, sellerId: 2 } });
    await t.api('POST', '/api/transactions', { invoiceId: 'HOLD-1', gamepass: { id: 2, name: 'Pass', price: 10, sellerId: 2 } });
    const added = await t.api('POST', '/api/admin/stock-accounts', { robloxCookie: 'sandbox:holder:10000' });
    const sessionId = added.json.autoPurchase.sessionId as string;
    const link = await makeLink(t, sessionId);
    const events = new URL(link.eventsUrl);
    const openFrom = (address: string) => t.app.request(events.pathname + events.search, { headers: { 'x-test-address': address } });
    const opened = [await openFrom('10.0.0.1'), await openFrom('10.0.0.1'), await openFrom('10.0.0.2'), await openFrom('10.0.0.3')];
    expect(opened.map((res) => res.status)).toEqual([200, 200, 200, 200]);
    // The same viewer's third stream is over the cap.
    const third = await openFrom('10.0.0.1');
    expect(third.status).toBe(429);
    await Promise.all(opened.map((res) => res.body!.cancel()));
  });
});
