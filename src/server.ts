// composeServer(deps) → the server's parts (stream hub, engine, app) from its dependencies: the one
// wiring that the Node entry, the tests and the benchmark call. Web-standard, like createApp.
import { createApp, type AppDeps } from './app.js';
import type { Config } from './config.js';
import { createAutoPurchase, type EngineDeps, type EngineOptions } from './engine/auto-purchase.js';
import { createRunHub, type HubOptions } from './stream/run-hub.js';
import { createSqliteFeed, type SqliteFeedOptions } from './stream/sqlite-feed.js';
import { onStorageFault } from './db/write.js';
import { appendCounter, purchaseOutcomeOf } from './domain/metrics.js';
import { timedGateway } from './gateway/timed-gateway.js';

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
    // Each run's end writes its webhook delivery into the outbox (src/jobs/webhook-outbox.ts sends it).
    notify: config.notifyWebhookUrl !== undefined,
  };
}

export function composeServer(deps: ServerDeps) {
  const { db, cipher, clock, logger, config, metrics } = deps;
  // With metrics: every gateway call timed; storage faults, appends, purchases and run ends counted.
  const gateway = metrics ? timedGateway(deps.gateway, metrics) : deps.gateway;
  if (metrics) onStorageFault(db, metrics.storageFault);
  const countAppends = metrics ? appendCounter(metrics) : undefined;
  // The hub reads through the feed; the engine tells the feed of each append it commits.
  const feed = createSqliteFeed(db, logger, deps.hubOptions);
  const hub = createRunHub(feed, logger, deps.hubOptions);
  const onAppend = countAppends
    ? (sessionId: string, seq: number) => {
        countAppends(sessionId, seq);
        deps.onAppend?.(sessionId, seq);
      }
    : deps.onAppend;
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
    onRunEnd: metrics
      ? (overview) => {
          if (overview.status !== 'running') metrics.runEnded(overview.status);
          deps.onRunEnd?.(overview);
        }
      : deps.onRunEnd,
    onPurchase: metrics ? (outcome) => metrics.purchase(purchaseOutcomeOf(outcome)) : undefined,
  });
  const app = createApp({ ...deps, gateway, hub, engine });
  // Runs a dead process left running, ended failed by recovery (at start-up and in the sweep).
  const recover = async () => {
    const recovered = await engine.recover();
    if (recovered.endedRuns) metrics?.runEnded('failed', recovered.endedRuns);
    return recovered;
  };
  return { app, engine: metrics ? { ...engine, recover } : engine, hub };
}

export type Server = ReturnType<typeof composeServer>;
