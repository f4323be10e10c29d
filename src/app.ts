// createApp(deps) → the Hono app. Web-standard only: no node:* imports, no driver, no port.
import { Hono, type Context, type MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { Clock } from './clock.js';
import type { Config } from './config.js';
import type { Db } from './db/types.js';
import type { CredentialCipher } from './domain/credential-cipher.js';
import type { Gateway } from './gateway/gateway.js';
import { createAdminAuth, requireAdmin } from './http/admin-auth.js';
import { AppError } from './http/app-error.js';
import { requestLog } from './http/request-log.js';
import type { Logger } from './logger.js';
import { createAutoPurchase, type AutoPurchase, type EngineOptions } from './engine/auto-purchase.js';
import { authRoutes } from './routes/auth.js';
import { autoPurchaseRoutes } from './routes/auto-purchase.js';
import { runEventsRoutes } from './routes/run-events.js';
import { statsRoutes } from './routes/stats.js';
import { createRunHub, type RunHub } from './stream/run-hub.js';
import { createStreamTicker } from './stream/stream-ticker.js';
import { healthRoutes } from './routes/health.js';
import { stockAccountRoutes } from './routes/stock-accounts.js';
import { transactionRoutes } from './routes/transactions.js';
import { createAccountService } from './services/accounts.js';
import { createOrderService } from './services/orders.js';

export interface AppDeps {
  db: Db;
  gateway: Gateway;
  clock: Clock;
  config: Config;
  logger: Logger;
  cipher: CredentialCipher;
  /** The resolved admin token (from ADMIN_TOKEN or the data folder). */
  adminToken: string;
  /** The stream hub, whose `notify` the engine calls after each append; built when not given. */
  hub?: RunHub;
  /** The auto-purchase engine; built from the other dependencies when not given. */
  engine?: AutoPurchase;
  /**
   * For a request, a function that closes its connection at once (a stalled stream); the Node
   * entry supplies it. It captures only what it needs, not the request's context.
   */
  connectionCloser?: (c: Context) => (() => void) | undefined;
  /** Serves the built admin client for every non-API GET (the runtime's static files). */
  clientAssets?: MiddlewareHandler;
}

export function engineOptionsOf(config: Config): EngineOptions {
  return {
    purchaseDelayMs: config.purchaseDelayMs,
    gatewayTimeoutMs: config.gatewayTimeoutMs,
    gatewayMaxAttempts: config.gatewayMaxAttempts,
  };
}

export const maxBodyBytes = 64 * 1024;

export function createApp(deps: AppDeps): Hono {
  const { db, gateway, clock, config, logger, cipher } = deps;
  const auth = createAdminAuth(deps.adminToken);
  const accounts = createAccountService({ db, gateway, cipher, clock, gatewayTimeoutMs: config.gatewayTimeoutMs });
  const orders = createOrderService({ db, clock });
  const hub = deps.hub ?? createRunHub(db, logger);
  const engine =
    deps.engine ?? createAutoPurchase({ db, gateway, cipher, clock, logger, options: engineOptionsOf(config), onAppend: hub.notify });
  // Stalls and heartbeats are measured in real time, whatever clock the domain uses.
  const ticker = createStreamTicker({ heartbeatMs: config.heartbeatMs, stallMs: config.streamStallMs, now: Date.now });

  const app = new Hono();
  app.use(requestLog(logger));
  const limitBody = bodyLimit({
    maxSize: maxBodyBytes,
    onError: () => {
      throw new AppError(413, 'payload_too_large', `The request body is over ${maxBodyBytes / 1024} KB`);
    },
  });
  // Only where a body is read: on a GET the check would build a whole Request per call (and keep
  // it for a stream's whole life).
  app.use('/api/*', (c, next) => (c.req.method === 'POST' || c.req.method === 'PUT' || c.req.method === 'PATCH' ? limitBody(c, next) : next()));
  app.use('/api/*', async (c, next) => {
    if (c.req.path === '/api/auth/login' || c.req.path === '/api/auth/logout') return next();
    return requireAdmin(auth)(c, next);
  });

  healthRoutes(app, db, logger);
  authRoutes(app, auth);
  stockAccountRoutes(app, accounts, engine);
  transactionRoutes(app, orders, engine);
  autoPurchaseRoutes(app, db, engine);
  statsRoutes(app, db, clock);
  runEventsRoutes(app, { db, hub, ticker, now: Date.now, connectionCloser: deps.connectionCloser });

  if (deps.clientAssets) {
    const assets = deps.clientAssets;
    app.get('*', (c, next) => (c.req.path.startsWith('/api/') || c.req.path === '/api' ? next() : assets(c, next)));
  }

  app.notFound((c) => c.json({ error: { code: 'not_found', message: `No route for ${c.req.method} ${c.req.path}` } }, 404));
  app.onError((error, c) => {
    if (error instanceof AppError) {
      for (const [name, value] of Object.entries(error.headers)) c.header(name, value);
      return c.json({ error: { code: error.code, message: error.message } }, error.status);
    }
    // The message may come from a driver or the gateway: log only the error's kind and message,
    // never the request's body.
    logger.error(`${c.req.method} ${c.req.path} failed: ${error.name}: ${error.message}`);
    return c.json({ error: { code: 'internal_error', message: 'Something went wrong on the server' } }, 500);
  });
  return app;
}
