// The Worker (SPEC §13): the admin client from the Worker's static assets, everything else to the
// shop's Durable Object, which composes the same app as the Node entry. One object per shop, by name.
import { Hono } from 'hono';
import { securityHeaders } from '../http/security-headers.js';
import { durableObjectSqlVariableLimit, setSqlVariableLimit } from '../db/limits.js';
import type { EdgeEnv } from './cloudflare.js';

export { Shop } from './shop.js';

// A Durable Object's SQLite binds at most 100 parameters per statement: every multi-row statement fits.
setSqlVariableLimit(durableObjectSqlVariableLimit);

/** Paths the object answers; any other GET is the admin client (a file, or index.html for a page). */
const servedByObject = (path: string) => path === '/api' || path.startsWith('/api/') || path === '/healthz' || path === '/metrics';

/** The shop a request is for: SHOP_NAME, else "main" (one deployment per shop; see the README). */
export function shopName(env: EdgeEnv): string {
  return typeof env.SHOP_NAME === 'string' && env.SHOP_NAME !== '' ? env.SHOP_NAME : 'main';
}

const assets = new Hono<{ Bindings: EdgeEnv }>();
// The same headers (CSP, no framing, the watch page's no-referrer) as the Node server's pages.
assets.use(securityHeaders());
assets.all('*', async (c) => {
  if (!c.env.ASSETS) return c.json({ error: { code: 'not_found', message: 'The admin client is not deployed with this Worker' } }, 404);
  const answer = await c.env.ASSETS.fetch(c.req.raw);
  // A fresh Response: the one from the binding has immutable headers.
  return new Response(answer.body, answer);
});

export default {
  async fetch(request: Request, env: EdgeEnv, ctx: unknown): Promise<Response> {
    const path = new URL(request.url).pathname;
    // The tests' hooks (EDGE_TEST_HOOKS=1 only) reach the object; otherwise they are any unknown path.
    const testHook = env.EDGE_TEST_HOOKS === '1' && path.startsWith('/__test/');
    if (!servedByObject(path) && !testHook) return assets.fetch(request, env, ctx as never);
    const stub = env.SHOP.get(env.SHOP.idFromName(shopName(env)));
    return stub.fetch(request);
  },
};
