// Every route × every kind of credential (SPEC §12), against the route table's scope column: each
// call the table allows answers 2xx, each it does not answers 403 (401 with no credential), so a
// new route cannot forget its scope. A second check pins the table to the SPEC's rules.
import { afterEach, describe, expect, it } from 'vitest';
import { apiRoutes, type ApiRoute, type RouteScope } from '../src/http/api-routes.js';
import { watchLinkSignerFor } from '../src/domain/watch-link.js';
import { base64ToBytes } from '../src/domain/credential-cipher.js';
import { scopeAllows, type TokenScope } from '../src/domain/scopes.js';
import { createPromMetrics } from '../src/node/metrics.js';
import { buildTestApp, testCredentialKey, testToken, type TestApp } from './support/test-app.js';

type Credential = 'none' | 'read token' | 'operate token' | 'admin token (API)' | 'ADMIN_TOKEN' | 'browser session' | 'watch link' | 'metrics token';
const credentials: Credential[] = ['none', 'read token', 'operate token', 'admin token (API)', 'ADMIN_TOKEN', 'browser session', 'watch link', 'metrics token'];
const metricsToken = 'metrics-scraper-token-0123456789';

/** The SPEC §12 rules, written out independently of the table. */
function specScope(route: ApiRoute): RouteScope {
  if (route.path === '/healthz' || route.path.startsWith('/api/auth/')) return 'public';
  if (route.path === '/metrics') return 'metrics';
  if (route.path.startsWith('/api/tokens')) return 'admin';
  if (route.path.startsWith('/api/admin/stock-accounts')) return route.method === 'GET' ? 'read' : 'admin';
  return route.method === 'GET' ? 'read' : 'operate';
}

function allowed(route: ApiRoute, credential: Credential): boolean {
  const held: Partial<Record<Credential, TokenScope>> = {
    'read token': 'read',
    'operate token': 'operate',
    'admin token (API)': 'admin',
    ADMIN_TOKEN: 'admin',
    'browser session': 'admin',
  };
  if (route.scope === 'public') return true;
  if (credential === 'metrics token') return route.scope === 'metrics';
  if (credential === 'watch link') return route.watchable === true;
  const scope = held[credential];
  if (!scope) return false;
  return scopeAllows(scope, route.scope === 'metrics' ? 'admin' : route.scope);
}

interface World {
  t: TestApp;
  accountId: string;
  failedId: number;
  unknownId: number;
  sessionId: string;
  victimTokenId: number;
  headers: Record<Credential, Record<string, string>>;
  query: Record<Credential, string>;
}

async function world(): Promise<World> {
  const t = await buildTestApp({ metrics: createPromMetrics(), config: { metricsToken } });
  const order = async (invoiceId: string, name: string) => {
    const res = await t.api('POST', '/api/transactions', { invoiceId, gamepass: { id: 1, name, price: 5, sellerId: 2 } });
    expect(res.status).toBe(201);
    return res.json.transaction.id as number;
  };
  const failedId = await order('INV-FAILED', 'Pass [NOT_FOR_SALE]');
  const unknownId = await order('INV-UNKNOWN', 'Pass [TIMEOUT]');
  const added = await t.api('POST', '/api/admin/stock-accounts', { robloxCookie: 'sandbox:alice:1000' });
  expect(added.status).toBe(201);
  const accountId = added.json.stockAccount.id as string;
  const sessionId = added.json.autoPurchase.sessionId as string;
  const byId = async (id: number) => (await t.api('GET', '/api/transactions?limit=100')).json.transactions.find((tx: { id: number }) => tx.id === id).status;
  expect(await byId(failedId)).toBe('failed');
  expect(await byId(unknownId)).toBe('unknown');

  const token = async (scope: TokenScope) => {
    const res = await t.api('POST', '/api/tokens', { name: `${scope} walker`, scope });
    expect(res.status).toBe(201);
    return res.json as { token: string; apiToken: { id: number } };
  };
  const [read, operate, admin, victim] = [await token('read'), await token('operate'), await token('admin'), await token('read')];
  const login = await t.app.request('/api/auth/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: testToken }) });
  expect(login.status).toBe(204);
  const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
  const signer = await watchLinkSignerFor(base64ToBytes(testCredentialKey), testToken);
  const link = await signer.sign({ sessionId, expiresAt: Date.parse('2026-11-28T12:00:00Z') });
  const bearer = (value: string) => ({ authorization: `Bearer ${value}` });
  return {
    t,
    accountId,
    failedId,
    unknownId,
    sessionId,
    victimTokenId: victim.apiToken.id,
    headers: {
      none: {},
      'read token': bearer(read.token),
      'operate token': bearer(operate.token),
      'admin token (API)': bearer(admin.token),
      ADMIN_TOKEN: bearer(testToken),
      'browser session': { cookie, 'sec-fetch-site': 'same-origin' },
      'watch link': {},
      'metrics token': bearer(metricsToken),
    },
    query: { ...Object.fromEntries(credentials.map((c) => [c, ''])), 'watch link': `?access_token=${encodeURIComponent(link)}` } as Record<Credential, string>,
  };
}

/** A call of the route that succeeds for a credential allowed to make it. */
function request(route: ApiRoute, w: World): { path: string; body?: unknown } {
  const path = route.path
    .replace(':sessionId', w.sessionId)
    .replace(/^\/api\/admin\/stock-accounts\/:id$/, `/api/admin/stock-accounts/${w.accountId}`)
    .replace(/^\/api\/tokens\/:id$/, `/api/tokens/${w.victimTokenId}`)
    .replace('/api/transactions/:id/retry', `/api/transactions/${w.failedId}/retry`)
    .replace(/\/api\/transactions\/:id\/(reconcile|resolve)/, `/api/transactions/${w.unknownId}/$1`);
  const bodies: Record<string, unknown> = {
    'POST /api/auth/login': { token: testToken },
    'POST /api/admin/stock-accounts': { robloxCookie: 'sandbox:bob:100' },
    'PUT /api/admin/stock-accounts/:id': { status: 'inactive' },
    'POST /api/transactions': { invoiceId: 'INV-NEW', gamepass: { id: 3, name: 'New pass', price: 5, sellerId: 2 } },
    'POST /api/transactions/:id/resolve': { outcome: 'completed', note: 'Paid by hand' },
    'POST /api/tokens': { name: 'made by the walk', scope: 'read' },
    'POST /api/auto-purchase': {},
    'POST /api/auto-purchase/progress/:sessionId/watch-links': {},
  };
  return { path, body: bodies[`${route.method} ${route.path}`] };
}

describe('every route × every credential', () => {
  let w: World | undefined;
  afterEach(() => w?.t.close());

  it('the table says what SPEC §12 says: admin for tokens and account changes, operate for other changes, read for reads', () => {
    const wrong = apiRoutes.filter((route) => route.scope !== specScope(route)).map((r) => `${r.method} ${r.path}: ${r.scope}, SPEC: ${specScope(r)}`);
    expect(wrong).toEqual([]);
    expect(apiRoutes.filter((r) => r.watchable).map((r) => r.path)).toEqual([
      '/api/auto-purchase/progress/:sessionId',
      '/api/auto-purchase/progress/:sessionId/events',
    ]);
  });

  const cases = apiRoutes.flatMap((route) => credentials.map((credential) => [`${route.method} ${route.path}`, credential, route] as const));
  it.each(cases)('%s with %s', async (_name, credential, route) => {
    w = await world();
    const { path, body } = request(route, w);
    const headers: Record<string, string> = { ...w.headers[credential] };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await w.t.app.request(path + w.query[credential], {
      method: route.method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    await w.t.engine.idle();
    // No credential, or one the API does not know (METRICS_TOKEN opens /metrics only): 401.
    const expected = allowed(route, credential) ? '2xx' : credential === 'none' || credential === 'metrics token' ? 401 : 403;
    const got = res.status >= 200 && res.status < 300 ? '2xx' : res.status;
    expect(got, `${route.method} ${path} with ${credential}: ${res.status} ${text.slice(0, 200)}`).toBe(expected);
  });

  // What the table does not list: HEAD of every GET (as its GET), an unlisted method of a listed
  // path (any credential, then 405), an unlisted path (admin only, then 404).
  const heads = apiRoutes.filter((r) => r.method === 'GET').flatMap((route) => credentials.map((credential) => [`HEAD ${route.path}`, credential, route] as const));
  it.each(heads)('%s with %s', async (_name, credential, route) => {
    w = await world();
    const { path } = request(route, w);
    const res = await w.t.app.request(path + w.query[credential], { method: 'HEAD', headers: w.headers[credential] });
    await res.arrayBuffer();
    const expected = allowed(route, credential) ? '2xx' : credential === 'none' || credential === 'metrics token' ? 401 : 403;
    expect(res.status >= 200 && res.status < 300 ? '2xx' : res.status, `HEAD ${path} with ${credential}`).toBe(expected);
  });

  it.each(credentials)('an unlisted method of a listed path, and an unlisted path, with %s', async (credential) => {
    w = await world();
    const send = (method: string, path: string) => w!.t.app.request(path + w!.query[credential], { method, headers: w!.headers[credential] });
    const unlistedMethod = await send('PATCH', '/api/tokens');
    const unlistedPath = await send('POST', '/api/tokens-export');
    const encoded = await send('GET', '/api/%74okens');
    if (credential === 'none' || credential === 'metrics token') {
      expect([unlistedMethod.status, unlistedPath.status]).toEqual([401, 401]);
    } else if (credential === 'watch link') {
      expect([unlistedMethod.status, unlistedPath.status]).toEqual([403, 403]);
    } else {
      // Any credential learns the method is not allowed; only an admin one learns a path does not exist.
      expect(unlistedMethod.status).toBe(405);
      const admin = ['admin token (API)', 'ADMIN_TOKEN', 'browser session'].includes(credential);
      expect(unlistedPath.status).toBe(admin ? 404 : 403);
    }
    // A percent-encoded path is the same route: GET /api/tokens needs admin.
    const admin = ['admin token (API)', 'ADMIN_TOKEN', 'browser session'].includes(credential);
    expect(encoded.status).toBe(admin ? 200 : credential === 'none' || credential === 'metrics token' ? 401 : 403);
  });
});
