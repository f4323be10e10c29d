// watchCors (SPEC §12): CORS on a run's snapshot and stream for the origins in WATCH_ORIGINS only,
// answered before any credential is asked for; never `*`, never credentials.
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { watchCors } from '../src/http/watch-cors.js';

const shop = 'https://shop.example';

/** watchCors in front of routes that answer 401 without a bearer token, as the access check does. */
function appWith(origins: readonly string[]) {
  const app = new Hono();
  app.use(watchCors(origins));
  app.use('/api/*', async (c, next) => (c.req.header('authorization') ? next() : c.json({ error: { code: 'unauthorized' } }, 401)));
  app.get('/api/auto-purchase/progress/:sessionId', (c) => c.json({ sessionId: c.req.param('sessionId') }));
  app.get('/api/auto-purchase/progress/:sessionId/events', (c) => c.body('retry: 3000\n\n', 200, { 'Content-Type': 'text/event-stream' }));
  app.get('/api/transactions', (c) => c.json({ transactions: [] }));
  app.post('/api/auto-purchase/progress/:sessionId/watch-links', (c) => c.json({}, 201));
  return app;
}

const preflight = (origin: string, headers: Record<string, string> = {}) => ({
  method: 'OPTIONS',
  headers: { origin, 'access-control-request-method': 'GET', 'access-control-request-headers': 'last-event-id', ...headers },
});

describe('watchCors', () => {
  const app = appWith([shop, 'http://localhost:5173']);

  it.each(['/api/auto-purchase/progress/run-1', '/api/auto-purchase/progress/run-1/events'])(
    'answers a listed origin’s preflight for %s itself: 204, GET and HEAD, Last-Event-ID, 10 minutes, before any credential',
    async (path) => {
      const res = await app.request(path, preflight(shop));
      expect(res.status).toBe(204);
      expect(res.headers.get('access-control-allow-origin')).toBe(shop);
      expect(res.headers.get('access-control-allow-methods')).toBe('GET, HEAD');
      expect(res.headers.get('access-control-allow-headers')).toBe('Last-Event-ID, Cache-Control');
      expect(res.headers.get('access-control-max-age')).toBe('600');
      expect(res.headers.get('access-control-allow-credentials')).toBeNull();
      expect(res.headers.get('vary')).toMatch(/\bOrigin\b/);
    },
  );

  it('adds the listed origin (never *) and Vary: Origin to the snapshot, the stream and their errors, without credentials', async () => {
    for (const path of ['/api/auto-purchase/progress/run-1', '/api/auto-purchase/progress/run-1/events']) {
      const res = await app.request(`${path}?access_token=wl1.x.y`, { headers: { origin: shop, authorization: 'Bearer t' } });
      expect(res.status).toBe(200);
      expect(res.headers.get('access-control-allow-origin')).toBe(shop);
      expect(res.headers.get('access-control-allow-credentials')).toBeNull();
      expect(res.headers.get('vary')).toMatch(/\bOrigin\b/);
    }
    const head = await app.request('/api/auto-purchase/progress/run-1', { method: 'HEAD', headers: { origin: shop, authorization: 'Bearer t' } });
    expect(head.headers.get('access-control-allow-origin')).toBe(shop);
    // A refused link's 401 is readable by the page too, so it can tell "expired" from "down".
    const refused = await app.request('/api/auto-purchase/progress/run-1', { headers: { origin: 'http://localhost:5173' } });
    expect(refused.status).toBe(401);
    expect(refused.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
  });

  it('gives an unlisted origin nothing: its preflight is a bare 204, its requests carry no grant', async () => {
    for (const origin of ['https://evil.example', 'https://shop.example.evil.example', 'https://SHOP.example', 'null', `${shop}/`]) {
      const pre = await app.request('/api/auto-purchase/progress/run-1/events', preflight(origin));
      expect(pre.status).toBe(204);
      expect([...pre.headers.keys()].filter((name) => name.startsWith('access-control-'))).toEqual([]);
      const get = await app.request('/api/auto-purchase/progress/run-1', { headers: { origin, authorization: 'Bearer t' } });
      expect(get.headers.get('access-control-allow-origin')).toBeNull();
    }
  });

  it('leaves every other route alone, even for a listed origin', async () => {
    for (const [method, path] of [
      ['GET', '/api/transactions'],
      ['POST', '/api/auto-purchase/progress/run-1/watch-links'],
      ['GET', '/api/auto-purchase/progress/run-1/events/more'],
      ['GET', '/api/auto-purchase/progress/a/b'],
      ['POST', '/api/auto-purchase/progress/run-1'],
    ] as const) {
      const res = await app.request(path, { method, headers: { origin: shop, authorization: 'Bearer t' } });
      expect(res.headers.get('access-control-allow-origin'), `${method} ${path}`).toBeNull();
    }
    const pre = await app.request('/api/transactions', preflight(shop));
    expect(pre.status).toBe(401);
    expect(pre.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('grants nothing when WATCH_ORIGINS is empty (the default)', async () => {
    const closed = appWith([]);
    const pre = await closed.request('/api/auto-purchase/progress/run-1/events', preflight(shop));
    expect(pre.status).toBe(401);
    const get = await closed.request('/api/auto-purchase/progress/run-1', { headers: { origin: shop, authorization: 'Bearer t' } });
    expect(get.headers.get('access-control-allow-origin')).toBeNull();
  });
});
