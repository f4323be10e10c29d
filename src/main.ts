// The Node entry: reads the configuration, opens the database, wires the gateway and the engine,
// serves the app, and shuts down cleanly on SIGTERM.
import { mkdirSync } from 'node:fs';
import type { Server, ServerResponse } from 'node:http';
import type { Context } from 'hono';
import { dirname, resolve } from 'node:path';
import { serve } from '@hono/node-server';
import { systemClock } from './clock.js';
import { parseConfig, type Config } from './config.js';
import { openDatabase } from './db/open.js';
import { base64ToBytes, createCredentialCipher, generateCredentialKey } from './domain/credential-cipher.js';
import type { Gateway } from './gateway/gateway.js';
import { createHttpGateway } from './gateway/http.js';
import { createSandboxGateway } from './gateway/sandbox.js';
import { createLogger, type Logger } from './logger.js';
import type { AutoPurchase } from './engine/auto-purchase.js';
import { clientAssets, clientDirectory } from './node/client-assets.js';
import { holderAlive, processHolder } from './node/holder.js';
import { keptSecret } from './node/secret-files.js';
import { applyServerLimits, requestDeadlines } from './node/server-limits.js';
import { seedDemoOrders } from './services/demo-orders.js';
import { composeServer } from './server.js';
import { startCleanupJob } from './jobs/cleanup.js';
import { startWebhookOutbox } from './jobs/webhook-outbox.js';
import { errorText } from './domain/error-text.js';
import { cleanupCounter } from './domain/metrics.js';
import { createPromMetrics } from './node/metrics.js';
import { outboxCounts } from './stores/webhook-outbox.js';

export async function main(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const parsed = parseConfig(env);
  if (!parsed.ok) fail(`invalid configuration: ${parsed.message}`);
  const config = parsed.config;
  const logger = createLogger(config.logLevel);
  const gateway = createGateway(config);

  // A signal during start-up still ends the process cleanly.
  let shutdown: (signal: string) => void = () => process.exit(0);
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));

  const data = await openDataFolder(config);
  // GET /metrics (METRICS_TOKEN or the admin's credentials); the outbox is counted at each scrape.
  const metrics = createPromMetrics({ webhookCounts: () => outboxCounts(data.database.db) });
  // Deliveries wait in the outbox table (written as each run ends); this sends them, now, every 5 s and after a run here ends.
  const webhook =
    config.notifyWebhookUrl && config.notifyWebhookSecret
      ? startWebhookOutbox({ db: data.database.db, clock: systemClock, logger, url: config.notifyWebhookUrl, secret: config.notifyWebhookSecret })
      : undefined;
  const client = clientDirectory();
  if (!client) logger.warn('the admin client is not built (npm run build): only the API is served');
  const { app, engine } = composeServer({
    holder: processHolder(),
    holderAlive,
    onRunEnd: webhook ? () => webhook.kick() : undefined,
    clientAssets: client ? clientAssets(client) : undefined,
    db: data.database.db,
    gateway,
    clock: systemClock,
    config,
    logger,
    cipher: data.cipher,
    watchLinkSecret: data.watchLinkSecret,
    adminToken: data.token.value,
    connectionCloser: nodeConnectionCloser,
    // Another process on the same file (a sibling server, the CLI) appends: its commits are seen through data_version.
    hubOptions: { dataVersion: data.database.dataVersion },
    metrics,
    // The socket's peer: behind a reverse proxy that is the proxy, for every client.
    clientAddress: (c) =>
      (c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined)?.incoming?.socket?.remoteAddress ?? 'unknown',
  });
  const seeded = gateway.kind === 'sandbox' ? seedDemoOrders(data.database.db, systemClock) : 0;
  const stopCleanup = startCleanupJob({
    db: data.database.db,
    clock: systemClock,
    logger,
    intervalMs: config.cleanupIntervalMs,
    policy: { progressRetentionMs: config.progressRetentionMs, historyRetentionMs: config.historyRetentionMs },
    onReport: cleanupCounter(metrics),
  });

  const server = serve({ fetch: app.fetch, port: config.port, hostname: config.host, serverOptions: requestDeadlines }, (info) => {
    const url = `http://${config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host}:${info.port}/`;
    if (seeded > 0) {
      console.log(`Seeded ${seeded} demo orders. Admin: ${url}`);
      if (!data.token.created) console.log(`Admin token: ${config.adminToken ? 'the ADMIN_TOKEN you set' : `in ${data.token.path}`}`);
    }
    logger.info(`listening on ${config.host}:${info.port} (gateway ${gateway.kind}, database ${data.databasePath})`);
    // Runs a crash left behind end now; their purchases are reconciled with the gateway.
    recoverInBackground(engine, logger, 'recovery');
  });
  // serve() made a plain node:http server (no serverOptions for https or http2 were given).
  applyServerLimits(server as Server, { maxConnections: config.maxConnections, logger });
  server.once('error', (error) => {
    data.database.close();
    fail(`cannot listen on ${config.host}:${config.port}: ${error.message}`);
  });

  // A run whose process died while this one runs (a sibling on the same file) is ended here too.
  const sweep = setInterval(() => recoverInBackground(engine, logger, 'recovery sweep'), 15_000);
  sweep.unref();

  shutdown = onceOnly((signal) => {
    logger.info(`${signal}: closing`);
    stopCleanup();
    // The delivery in flight is cut short and recorded due again before the database closes.
    const webhookStopped = webhook?.stop().catch(() => undefined);
    clearInterval(sweep);
    // No new connections; the run ends with its `end` event, which open streams still deliver.
    server.close();
    // Budget: one gateway try plus a margin; past it the engine ends the run, its purchase left for reconciliation.
    engine
      .stop()
      .catch(() => undefined)
      .then(() => webhookStopped)
      .then(() => new Promise((resolve) => setTimeout(resolve, 200)))
      .finally(() => {
        if ('closeAllConnections' in server) server.closeAllConnections();
        data.database.close();
        logger.info('closed');
        process.exit(0);
      });
  });
}

function recoverInBackground(engine: AutoPurchase, logger: Logger, what: string): void {
  engine
    .recover()
    .then(({ endedRuns, reconciled }) => {
      if (endedRuns || reconciled) logger.info(`recovered: ${endedRuns} interrupted runs ended, ${reconciled} purchases reconciled`);
    })
    .catch((error: unknown) => logger.error(`${what} failed: ${errorText(error)}`));
}

/** The data folder (owner-only): the database, the admin token and the credential key. */
async function openDataFolder(config: Config) {
  const databasePath = config.databasePath === ':memory:' ? ':memory:' : resolve(config.databasePath);
  const dataDir = databasePath === ':memory:' ? resolve('data') : dirname(databasePath);
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const database = openDatabase(databasePath);
  const token = config.adminToken
    ? { value: config.adminToken, created: false, path: 'ADMIN_TOKEN' }
    : keptSecret(dataDir, 'admin-token', generateAdminToken);
  // Shown this once, on stdout, never through the logger.
  if (token.created) console.log(`Admin token (kept in ${token.path}): ${token.value}`);
  const credentialKey = config.credentialKey ?? keptSecret(dataDir, 'credential-key', generateCredentialKey).value;
  return { databasePath, database, token, cipher: await createCredentialCipher(credentialKey), watchLinkSecret: base64ToBytes(credentialKey) };
}

/**
 * @hono/node-server hands the Node response over as c.env.outgoing: a stalled stream's socket is
 * destroyed, resolving once closed (erroring the stream instead would print a stack on stderr).
 */
function nodeConnectionCloser(c: Context) {
  const outgoing = (c.env as { outgoing?: ServerResponse } | undefined)?.outgoing;
  if (!outgoing) return undefined;
  return () =>
    new Promise<void>((resolve) => {
      if (outgoing.destroyed) return resolve();
      outgoing.once('close', () => resolve());
      outgoing.destroy();
    });
}

function onceOnly(fn: (signal: string) => void): (signal: string) => void {
  let called = false;
  return (signal) => {
    if (called) return;
    called = true;
    fn(signal);
  };
}

function createGateway(config: Config): Gateway {
  if (config.gateway === 'http') return createHttpGateway({ url: config.gatewayUrl!, secret: config.gatewaySecret });
  return createSandboxGateway();
}

function generateAdminToken(): string {
  return Buffer.from(crypto.getRandomValues(new Uint8Array(24))).toString('base64url');
}

function fail(message: string): never {
  console.error(`autopurchase: ${message}`);
  process.exit(1);
}

main().catch((error: unknown) => fail(`failed to start: ${errorText(error)}`));
