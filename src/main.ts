// The Node entry: reads the configuration, opens the database, wires the gateway, serves the app,
// and shuts down cleanly on SIGTERM.
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { serve } from '@hono/node-server';
import { createApp } from './app.js';
import { systemClock } from './clock.js';
import { parseConfig, type Config } from './config.js';
import { openDatabase } from './db/open.js';
import { createCredentialCipher, generateCredentialKey } from './domain/credential-cipher.js';
import type { Gateway } from './gateway/gateway.js';
import { createSandboxGateway } from './gateway/sandbox.js';
import { createLogger } from './logger.js';
import { keptSecret } from './node/secret-files.js';
import { seedDemoOrders } from './services/demo-orders.js';

export async function main(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const parsed = parseConfig(env);
  if (!parsed.ok) {
    console.error(`autopurchase: invalid configuration: ${parsed.message}`);
    process.exit(1);
  }
  const config = parsed.config;
  const logger = createLogger(config.logLevel);
  const databasePath = config.databasePath === ':memory:' ? ':memory:' : resolve(config.databasePath);
  const dataDir = databasePath === ':memory:' ? resolve('data') : dirname(databasePath);

  // Owner-only: the folder holds the database, the admin token and the credential key.
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const database = openDatabase(databasePath);
  const token = config.adminToken
    ? { value: config.adminToken, created: false, path: 'ADMIN_TOKEN' }
    : keptSecret(dataDir, 'admin-token', generateAdminToken);
  const credentialKey = config.credentialKey ?? keptSecret(dataDir, 'credential-key', generateCredentialKey).value;
  const cipher = await createCredentialCipher(credentialKey);
  const gateway = createGateway(config);
  const app = createApp({ db: database.db, gateway, clock: systemClock, config, logger, cipher, adminToken: token.value });

  const seeded = gateway.kind === 'sandbox' ? seedDemoOrders(database.db, systemClock) : 0;
  const server = serve({ fetch: app.fetch, port: config.port, hostname: config.host }, (info) => {
    const url = `http://${config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host}:${info.port}/`;
    logger.info(`listening on ${config.host}:${info.port} (gateway ${gateway.kind}, database ${databasePath})`);
    if (seeded > 0) console.log(`Seeded ${seeded} demo orders. Admin: ${url}`);
    // The generated token is shown this once, on stdout, never through the logger.
    if (token.created) console.log(`Admin token (kept in ${token.path}): ${token.value}`);
    else if (seeded > 0) console.log(`Admin token: ${config.adminToken ? 'the ADMIN_TOKEN you set' : `in ${token.path}`}`);
  });

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info(`${signal}: closing`);
    server.close(() => {
      database.close();
      logger.info('closed');
      process.exit(0);
    });
    // Idle keep-alive sockets would hold close() open; open streams are ended here too.
    if ('closeAllConnections' in server) server.closeAllConnections();
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

function createGateway(config: Config): Gateway {
  if (config.gateway === 'sandbox') return createSandboxGateway();
  throw new Error('GATEWAY=http is not available yet');
}

function generateAdminToken(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(24));
  return Buffer.from(bytes).toString('base64url');
}

main().catch((error: unknown) => {
  console.error(`autopurchase: failed to start: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
