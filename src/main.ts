// The Node entry: reads the configuration, opens the database, wires the gateway and the engine,
// serves the app, and shuts down cleanly on SIGTERM.
import { mkdirSync } from 'node:fs';
import type { Server } from 'node:http';
import { dirname, resolve } from 'node:path';
import { serve } from '@hono/node-server';
import { systemClock } from './clock.js';
import { parseConfig, type Config } from './config.js';
import { openDatabase } from './db/open.js';
import { createCredentialCipher, generateCredentialKey } from './domain/credential-cipher.js';
import type { Gateway } from './gateway/gateway.js';
import { createHttpGateway } from './gateway/http.js';
import { createSandboxGateway } from './gateway/sandbox.js';
import { createLogger } from './logger.js';
import { clientAssets, clientDirectory } from './node/client-assets.js';
import { holderAlive, processHolder } from './node/holder.js';
import { keptSecret } from './node/secret-files.js';
import { applyServerLimits, requestDeadlines } from './node/server-limits.js';
import { seedDemoOrders } from './services/demo-orders.js';
import { composeServer } from './server.js';
import { startCleanupJob } from './jobs/cleanup.js';
import { createRunWebhook } from './jobs/run-webhook.js';
import { errorText } from './domain/error-text.js';

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

  const databasePath = config.databasePath === ':memory:' ? ':memory:' : resolve(config.databasePath);
  const dataDir = databasePath === ':memory:' ? resolve('data') : dirname(databasePath);
  // Owner-only: the folder holds the database, the admin token and the credential key.
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const database = openDatabase(databasePath);
  const token = config.adminToken
    ? { value: config.adminToken, created: false, path: 'ADMIN_TOKEN' }
    : keptSecret(dataDir, 'admin-token', generateAdminToken);
  // Shown this once, on stdout, never through the logger.
  if (token.created) console.log(`Admin token (kept in ${token.path}): ${token.value}`);
  const credentialKey = config.credentialKey ?? keptSecret(dataDir, 'credential-key', generateCredentialKey).value;
  const cipher = await createCredentialCipher(credentialKey);

  const webhook = config.notifyWebhookUrl ? createRunWebhook({ url: config.notifyWebhookUrl, logger }) : undefined;
  const client = clientDirectory();
  if (!client) logger.warn('the admin client is not built (npm run build): only the API is served');
  const { app, engine } = composeServer({
    holder: processHolder(),
    holderAlive,
    onRunEnd: webhook ? (overview) => void webhook(overview) : undefined,
    clientAssets: client ? clientAssets(client) : undefined,
    db: database.db,
    gateway,
    clock: systemClock,
    config,
    logger,
    cipher,
    adminToken: token.value,
    // @hono/node-server hands the Node response over as c.env.outgoing: a stalled stream's socket is destroyed.
    // It resolves once the socket is closed: the adapter has cancelled the stream by then, as for a
    // client that left (erroring the stream instead would print its stack on stderr).
    connectionCloser: (c) => {
      const outgoing = (c.env as { outgoing?: import('node:http').ServerResponse } | undefined)?.outgoing;
      if (!outgoing) return undefined;
      return () =>
        new Promise<void>((resolve) => {
          if (outgoing.destroyed) return resolve();
          outgoing.once('close', () => resolve());
          outgoing.destroy();
        });
    },
    // The socket's peer: behind a reverse proxy that is the proxy, for every client.
    clientAddress: (c) =>
      (c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined)?.incoming?.socket?.remoteAddress ?? 'unknown',
  });
  const seeded = gateway.kind === 'sandbox' ? seedDemoOrders(database.db, systemClock) : 0;
  const stopCleanup = startCleanupJob({
    db: database.db,
    clock: systemClock,
    logger,
    intervalMs: config.cleanupIntervalMs,
    policy: { progressRetentionMs: config.progressRetentionMs, historyRetentionMs: config.historyRetentionMs },
  });

  const server = serve({ fetch: app.fetch, port: config.port, hostname: config.host, serverOptions: requestDeadlines }, (info) => {
    const url = `http://${config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host}:${info.port}/`;
    if (seeded > 0) {
      console.log(`Seeded ${seeded} demo orders. Admin: ${url}`);
      if (!token.created) console.log(`Admin token: ${config.adminToken ? 'the ADMIN_TOKEN you set' : `in ${token.path}`}`);
    }
    logger.info(`listening on ${config.host}:${info.port} (gateway ${gateway.kind}, database ${databasePath})`);
    // Runs a crash left behind end now; their purchases are reconciled with the gateway.
    engine
      .recover()
      .then(({ endedRuns, reconciled }) => {
        if (endedRuns || reconciled) logger.info(`recovered: ${endedRuns} interrupted runs ended, ${reconciled} purchases reconciled`);
      })
      .catch((error: unknown) => logger.error(`recovery failed: ${errorText(error)}`));
  });
  // serve() made a plain node:http server (no serverOptions for https or http2 were given).
  applyServerLimits(server as Server, { maxConnections: config.maxConnections, logger });
  server.once('error', (error) => {
    database.close();
    fail(`cannot listen on ${config.host}:${config.port}: ${error.message}`);
  });

  // A run whose process died while this one runs (a sibling on the same file) is ended here too.
  const sweep = setInterval(() => {
    engine.recover().catch((error: unknown) => logger.error(`recovery sweep failed: ${errorText(error)}`));
  }, 15_000);
  sweep.unref();

  let stopping = false;
  shutdown = (signal) => {
    if (stopping) return;
    stopping = true;
    logger.info(`${signal}: closing`);
    stopCleanup();
    clearInterval(sweep);
    // No new connections; the purchase in flight finishes (or is left for reconciliation), the
    // run ends with its `end` event, which open streams still deliver; then every socket closes.
    server.close();
    // The budget is one gateway try plus a margin (GATEWAY_TIMEOUT_MS); past it the run is ended
    // here with its purchase left for reconciliation, so no run outlives the process as `running`.
    engine
      .stop()
      .catch(() => undefined)
      .then(() => new Promise((resolve) => setTimeout(resolve, 200)))
      .finally(() => {
        if ('closeAllConnections' in server) server.closeAllConnections();
        database.close();
        logger.info('closed');
        process.exit(0);
      });
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
