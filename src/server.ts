// composeServer(deps) → the server's parts (stream hub, engine, app) from its dependencies: the one
// wiring that the Node entry, the tests and the benchmark call. Web-standard, like createApp.
import { createApp, type AppDeps } from './app.js';
import type { Config } from './config.js';
import { createAutoPurchase, type EngineDeps, type EngineOptions } from './engine/auto-purchase.js';
import { createRunHub, type HubOptions } from './stream/run-hub.js';
import { createSqliteFeed, type SqliteFeedOptions } from './stream/sqlite-feed.js';

export interface ServerDeps extends Omit<AppDeps, 'hub' | 'engine'> {
  /** The engine's lease identity and liveness check (the Node entry: host/pid). */
  holder?: EngineDeps['holder'];
  holderAlive?: EngineDeps['holderAlive'];
  /** Told of every run this process walked once it ends (the webhook). */
  onRunEnd?: EngineDeps['onRunEnd'];
  /** Told of every append after the hub (tests count them). */
  onAppend?: EngineDeps['onAppend'];
  /** Overrides of the engine's options derived from the configuration (tests shorten backoffs). */
  engineOptions?: Partial<EngineOptions>;
  hubOptions?: HubOptions & SqliteFeedOptions;
}

export function engineOptionsOf(config: Config): EngineOptions {
  return {
    purchaseDelayMs: config.purchaseDelayMs,
    gatewayTimeoutMs: config.gatewayTimeoutMs,
    gatewayMaxAttempts: config.gatewayMaxAttempts,
  };
}

export function composeServer(deps: ServerDeps) {
  const { db, gateway, cipher, clock, logger, config } = deps;
  // The hub reads through the feed; the engine tells the feed of each append it commits.
  const feed = createSqliteFeed(db, logger, deps.hubOptions);
  const hub = createRunHub(feed, logger, deps.hubOptions);
  const onAppend = deps.onAppend;
  const engine = createAutoPurchase({
    db,
    gateway,
    cipher,
    clock,
    logger,
    options: { ...engineOptionsOf(config), ...deps.engineOptions },
    holder: deps.holder,
    holderAlive: deps.holderAlive,
    onAppend: onAppend
      ? (sessionId, seq) => {
          feed.notify(sessionId, seq);
          onAppend(sessionId, seq);
        }
      : feed.notify,
    onRunEnd: deps.onRunEnd,
  });
  const app = createApp({ ...deps, hub, engine });
  return { app, engine, hub };
}

export type Server = ReturnType<typeof composeServer>;
