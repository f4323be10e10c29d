// Builds the app the way main.ts does, in memory, with a held clock and a captured log.
import type { AppDeps } from '../../src/app.js';
import type { EngineOptions } from '../../src/engine/auto-purchase.js';
import { parseConfig, type Config } from '../../src/config.js';
import { openDatabase, type OpenDatabase } from '../../src/db/open.js';
import { base64ToBytes, createCredentialCipher, generateCredentialKey } from '../../src/domain/credential-cipher.js';
import type { Gateway } from '../../src/gateway/gateway.js';
import { createSandboxGateway, type SandboxGateway } from '../../src/gateway/sandbox.js';
import { createLogger } from '../../src/logger.js';
import { composeServer } from '../../src/server.js';
import { adminClient, type AdminCall } from './admin-client.js';

export const testToken = 'test-admin-token-0123456789abcdef';
/** The credential key of every test app unless one is given (watch links are signed under it). */
export const testCredentialKey = generateCredentialKey();

export interface TestAppOptions {
  gateway?: Gateway;
  config?: Partial<Config>;
  now?: number;
  engine?: Partial<EngineOptions>;
  /** Leave background runs alone after each request (default: wait for them to end). */
  concurrent?: boolean;
  onAppend?: (sessionId: string, seq: number) => void;
  /** Another app's database (a restart, a second process): left open by this app's close(). */
  database?: OpenDatabase;
  /** The admin token (default testToken). */
  adminToken?: string;
  /** CREDENTIAL_KEY (default testCredentialKey). */
  credentialKey?: string;
  clientAddress?: AppDeps['clientAddress'];
  /** Serves a client folder for every non-API GET, as main.ts does with dist/public. */
  clientAssets?: AppDeps['clientAssets'];
  /** Counters for GET /metrics (test/metrics.test.ts injects the prom-client one). */
  metrics?: AppDeps['metrics'];
}

export async function buildTestApp(options: TestAppOptions = {}) {
  const parsed = parseConfig({ PURCHASE_DELAY_MS: '0' });
  if (!parsed.ok) throw new Error(parsed.message);
  const config: Config = { ...parsed.config, ...options.config };
  const database = options.database ?? openDatabase(':memory:');
  const gateway = (options.gateway ?? createSandboxGateway()) as SandboxGateway;
  const log: string[] = [];
  const logger = createLogger('debug', (line) => log.push(line));
  let now = options.now ?? Date.parse('2026-11-27T12:00:00Z');
  const clock = { now: () => now };
  const credentialKey = options.credentialKey ?? testCredentialKey;
  const cipher = await createCredentialCipher(credentialKey);
  const { app, engine, hub } = composeServer({
    db: database.db,
    gateway,
    clock,
    config,
    logger,
    cipher,
    adminToken: options.adminToken ?? testToken,
    watchLinkSecret: base64ToBytes(credentialKey),
    clientAddress: options.clientAddress,
    clientAssets: options.clientAssets,
    engineOptions: { backoffBaseMs: 1, maxBackoffMs: 5, maxRetryAfterMs: 5, ...options.engine },
    hubOptions: { watchMs: 20, dataVersion: database.dataVersion },
    onAppend: options.onAppend,
    metrics: options.metrics,
  });
  const call = adminClient((path, init) => app.request(path, init), options.adminToken ?? testToken);

  /** The shared admin client over app.request; then, unless `concurrent`, waits for the run it started. */
  const api: AdminCall = async (method, path, body, headers) => {
    const answer = await call(method, path, body, headers);
    if (!options.concurrent) await engine.idle();
    return answer;
  };

  return {
    app,
    api,
    db: database.db,
    sqlite: database.sqlite,
    database,
    gateway,
    engine,
    hub,
    cipher,
    log,
    config,
    advance: (ms: number) => {
      now += ms;
    },
    close: () => {
      if (!options.database) database.close();
    },
  };
}

export type TestApp = Awaited<ReturnType<typeof buildTestApp>>;

/** Every row of every domain table, to prove a request wrote nothing. */
export function dataSnapshot(t: TestApp) {
  const tables = ['stock_accounts', 'transactions', 'purchase_attempts', 'runs', 'run_events'];
  return Object.fromEntries(tables.map((name) => [name, t.sqlite.prepare(`select * from ${name}`).all()]));
}
