// composeServer(deps) → the server's parts (stream hub, engine, app) from its dependencies: the one
// wiring that the Node entry, the tests and the benchmark call. Web-standard, like createApp.
import { createApp, type AppDeps } from './app.js';
import type { Config } from './config.js';
import { createAutoPurchase, type EngineDeps, type EngineOptions } from './engine/auto-purchase.js';
import { createRunHub, type HubOptions } from './stream/run-hub.js';
import { createSqliteFeed, type SqliteFeedOptions } from './stream/sqlite-feed.js';
import { onStorageFault } from './db/write.js';
import { purchaseOutcomeOf } from './domain/metrics.js';
import { timedGateway } from './gateway/timed-gateway.js';

export interface ServerDeps extends Omit<AppDeps, 'hub' | 'engine'> {
  /** The engine's lease identity and liveness check (the Node entry: host/pid). */
  holder?: EngineDeps['holder'];
  holderAlive?: EngineDeps['holderAlive'];
  /** Told of every run a walk of this process ended (the webhook). */
  onRunEnd?: EngineDeps['onRunEnd'];
  /** Told of every append after the hub (tests count them). */
  onAppend?: EngineDeps['onAppend'];
  /** How the engine waits: a timer by default, a Durable Object's alarm at the edge. */
  sleep?: EngineDeps['sleep'];
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
  // With metrics: every gateway call timed; storage faults, appends, purchases and run ends counted
  // (each event and each run end by the process whose commit wrote it, however the run ended).
  const gateway = metrics ? timedGateway(deps.gateway, metrics) : deps.gateway;
  if (metrics) onStorageFault(db, metrics.storageFault);
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
    sleep: deps.sleep,
    onAppend: onAppend
      ? (sessionId, seq) => {
          feed.notify(sessionId, seq);
          onAppend(sessionId, seq);
        }
      : feed.notify,
    onEventsAppended: metrics ? (count) => metrics.eventsAppended(count) : undefined,
    onRunEnded: metrics ? (outcome) => metrics.runEnded(outcome) : undefined,
    onRunEnd: deps.onRunEnd,
    onPurchase: metrics ? (outcome) => metrics.purchase(purchaseOutcomeOf(outcome)) : undefined,
  });
  const app = createApp({ ...deps, gateway, hub, engine });
  return { app, engine, hub };
}

export type Server = ReturnType<typeof composeServer>;
