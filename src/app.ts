// createApp(deps) → the Hono app. Web-standard only: no node:* imports, no driver, no port.
import { Hono, type Context, type MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { Clock } from './clock.js';
import type { Config } from './config.js';
import type { Db } from './db/types.js';
import { StorageError, storageFaultOf, write } from './db/write.js';
import type { CredentialCipher } from './domain/credential-cipher.js';
import type { Gateway } from './gateway/gateway.js';
import { createAdminAuth } from './http/admin-auth.js';
import { createAccess } from './http/access.js';
import { apiRoutes } from './http/api-routes.js';
import type { Principal } from './http/principal.js';
import { watchLinkSignerFor, type WatchLinkSigner } from './domain/watch-link.js';
import { tokenRoutes } from './routes/tokens.js';
import { watchLinkRoutes } from './routes/watch-links.js';
import { watchCors } from './http/watch-cors.js';
import { runRow } from './stores/runs.js';
import { appendAudit } from './stores/audit.js';
import { isoTime } from './clock.js';
import { createTokenService } from './services/tokens.js';
import { createRevocations } from './stream/revocations.js';
import { createLoginThrottle } from './http/login-throttle.js';
import { AppError } from './domain/app-error.js';
import { compressJson } from './http/compress-json.js';
import { requestLog } from './http/request-log.js';
import { securityHeaders } from './http/security-headers.js';
import type { Logger } from './logger.js';
import type { AutoPurchase } from './engine/auto-purchase.js';
import { authRoutes } from './routes/auth.js';
import { autoPurchaseRoutes } from './routes/auto-purchase.js';
import { runEventsRoutes } from './routes/run-events.js';
import { statsRoutes } from './routes/stats.js';
import { auditRoutes } from './routes/audit.js';
import { createAuditService } from './services/audit.js';
import { metricsRoutes } from './routes/metrics.js';
import type { Metrics } from './domain/metrics.js';
import { openApiRoutes } from './routes/openapi.js';
import type { RunHub } from './stream/run-hub.js';
import { createSnapshotCache } from './stream/snapshot-cache.js';
import { createStreamQuota } from './stream/stream-quota.js';
import { createStreamTicker } from './stream/stream-ticker.js';
import { healthRoutes } from './routes/health.js';
import { stockAccountRoutes } from './routes/stock-accounts.js';
import { transactionRoutes } from './routes/transactions.js';
import { createAccountService } from './services/accounts.js';
import { createHealthService } from './services/health.js';
import { createOrderService } from './services/orders.js';
import { createRunService } from './services/runs.js';
import { createStatsService } from './services/stats.js';

export interface AppDeps {
  db: Db;
  gateway: Gateway;
  clock: Clock;
  config: Config;
  logger: Logger;
  cipher: CredentialCipher;
  /** The resolved admin token (from ADMIN_TOKEN or the data folder). */
  adminToken: string;
  /**
   * The server's high-entropy secret (CREDENTIAL_KEY's bytes) the watch links' signing key is
   * derived from; never the admin token alone, which a user may have chosen guessable.
   */
  watchLinkSecret: Uint8Array<ArrayBuffer>;
  /** The stream hub, whose `notify` the engine calls after each append (src/server.ts wires both). */
  hub: RunHub;
  engine: AutoPurchase;
  /**
   * For a request, a function that closes its connection at once (a stalled stream), resolving
   * once it is closed; the Node entry supplies it. It captures only what it needs, not the
   * request's context.
   */
  connectionCloser?: (c: Context) => (() => void) | (() => Promise<void>) | undefined;
  /** Serves the built admin client for every non-API GET (the runtime's static files). */
  clientAssets?: MiddlewareHandler;
  /**
   * The client's address, which failed log-ins are counted against; the Node entry supplies the
   * socket's. Without it every client shares the one address 'unknown'.
   */
  clientAddress?: (c: Context) => string;
  /** Counters for GET /metrics (the Node entry's prom-client); without it the route does not exist. */
  metrics?: Metrics;
  /**
   * Compress large JSON answers here (default true). Off in Cloudflare's runtime: it compresses at
   * the edge, and a body already gzipped here would be encoded a second time.
   */
  compressAnswers?: boolean;
}

export const maxBodyBytes = 64 * 1024;

export function createApp(deps: AppDeps): Hono {
  const { db, gateway, clock, config, logger, cipher } = deps;
  const auth = createAdminAuth({ db, clock, adminToken: deps.adminToken });
  // Revoking a token closes its open streams in this process at once.
  const revocations = createRevocations();
  const tokens = createTokenService({ db, clock, onRevoke: revocations.revoke });
  // Watch links are signed under a key derived from CREDENTIAL_KEY, salted with the admin token's
  // SHA-256: a new ADMIN_TOKEN (or key) voids them all, and a link never lets anyone test guesses of the token.
  let signer: Promise<WatchLinkSigner> | undefined;
  const watchLinks = () => (signer ??= watchLinkSignerFor(deps.watchLinkSecret, deps.adminToken));
  const access = createAccess({ adminAuth: auth, tokens, watchLinks, clock, routes: apiRoutes });
  const throttle = createLoginThrottle({ now: () => clock.now() });
  const { hub, engine } = deps;
  const accounts = createAccountService({ db, gateway, cipher, clock, gatewayTimeoutMs: config.gatewayTimeoutMs, runs: engine });
  const orders = createOrderService({ db, clock });
  const stats = createStatsService({ db, clock });
  const health = createHealthService({ db, clock, logger });
  // Stalls and heartbeats are measured in real time, whatever clock the domain uses.
  const ticker = createStreamTicker({ heartbeatMs: config.heartbeatMs, stallMs: config.streamStallMs, now: Date.now });

  const app = new Hono();
  app.use(requestLog(logger));
  app.use(securityHeaders());
  if (deps.compressAnswers !== false) app.use('/api/*', compressJson());
  const limitBody = bodyLimit({
    maxSize: maxBodyBytes,
    onError: () => {
      // Like nginx: the rest of the body is read and dropped (src/node/lingering-close.ts), then the socket closes.
      throw new AppError(413, 'payload_too_large', `The request body is over ${maxBodyBytes / 1024} KB`, { Connection: 'close' });
    },
  });
  // Only where a body is read: on a GET the check would build a whole Request per call (and keep
  // it for a stream's whole life).
  app.use('/api/*', (c, next) => (c.req.method === 'POST' || c.req.method === 'PUT' || c.req.method === 'PATCH' ? limitBody(c, next) : next()));
  // Another site's page may follow a run with a watch link (WATCH_ORIGINS), preflight included: before the access check.
  app.use('/api/auto-purchase/progress/*', watchCors(config.watchOrigins));
  // Every route's scope comes from the route table (src/http/api-routes.ts).
  app.use('/api/*', access.check);

  healthRoutes(app, health);
  authRoutes(app, { auth, throttle, clientAddress: deps.clientAddress ?? (() => 'unknown') });
  stockAccountRoutes(app, accounts);
  transactionRoutes(app, orders, engine);
  // One cache of encoded snapshots for the progress answer and the stream's opening event.
  const snapshots = createSnapshotCache(hub.feed);
  autoPurchaseRoutes(app, engine, createRunService({ db, snapshots }), { compress: deps.compressAnswers });
  statsRoutes(app, stats);
  auditRoutes(app, createAuditService({ db }));
  tokenRoutes(app, tokens);
  watchLinkRoutes(app, {
    signer: watchLinks,
    clock,
    runExists: (sessionId) => runRow(db, sessionId) !== undefined,
    // Handing out a link changes no data but grants access: who shared which run is audited.
    audit: ({ actor, sessionId, expiresAt }) =>
      write(db, (tx) => appendAudit(tx, { at: clock.now(), actor, action: 'watch_link.create', target: `run:${sessionId}`, outcome: 'ok', note: `expires ${isoTime(expiresAt)}` })),
  });
  openApiRoutes(app);
  const quota = createStreamQuota(config.maxStreamsPerClient);
  const credentialLife = (principal: Principal) => {
    // An API token's streams end when it is revoked or expires; a watch link's when it expires.
    if (principal.kind === 'api-token') return { until: revocations.signal(principal.tokenId), stillValid: () => tokens.live(principal.tokenId) };
    if (principal.kind === 'watch-link') return { stillValid: () => clock.now() < principal.expiresAt };
    // A browser session's streams end with it (log-out, idle or absolute expiry) at their next heartbeat.
    if (principal.kind === 'session') return { stillValid: () => auth.sessionLive(principal.idHash) };
    return {};
  };
  runEventsRoutes(app, { hub, ticker, now: Date.now, quota, snapshots, logger, connectionCloser: deps.connectionCloser, metrics: deps.metrics, credentialLife, clientAddress: deps.clientAddress });
  // Outside /api (its own check: METRICS_TOKEN or the admin's credentials), before the client's catch-all.
  if (deps.metrics) metricsRoutes(app, { access, metricsToken: config.metricsToken, metrics: deps.metrics });

  if (deps.clientAssets) {
    const assets = deps.clientAssets;
    app.get('*', (c, next) => (c.req.path.startsWith('/api/') || c.req.path === '/api' ? next() : assets(c, next)));
  }

  app.notFound((c) => c.json({ error: { code: 'not_found', message: `No route for ${c.req.method} ${c.req.path}` } }, 404));
  app.onError((error, c) => {
    // A driver error from a read or an unwrapped statement on a failing disk or a held lock is a 503 too.
    const fault = error instanceof AppError ? undefined : storageFaultOf(error);
    if (fault) error = new StorageError(fault);
    // A write's StorageError was counted where it failed (composeServer's onStorageFault); a read's is counted here.
    if (fault) deps.metrics?.storageFault(fault);
    if (error instanceof AppError) {
      for (const [name, value] of Object.entries(error.headers)) c.header(name, value);
      return c.json({ error: { code: error.code, message: error.message } }, error.status);
    }
    // The client went away mid-request (or its request deadline cut it): no server fault, nobody to answer.
    if (c.req.raw.signal.aborted) {
      logger.debug(`${c.req.method} ${c.req.path}: the client closed the connection before its request was read`);
      return c.json({ error: { code: 'request_aborted', message: 'The connection closed before the request was read' } }, 400);
    }
    // The message may come from a driver or the gateway: log only the error's kind and message,
    // never the request's body.
    logger.error(`${c.req.method} ${c.req.path} failed: ${error.name}: ${error.message}`);
    return c.json({ error: { code: 'internal_error', message: 'Something went wrong on the server' } }, 500);
  });
  return app;
}
