// One shop's Durable Object (SPEC §13): its data in the object's SQLite, the same app composed
// from its dependencies as the Node entry does, runs advanced by the object's alarm.
import { systemClock } from '../clock.js';
import { parseConfig, type Config, type Environment } from '../config.js';
import type { Db } from '../db/types.js';
import { base64ToBytes, createCredentialCipher } from '../domain/credential-cipher.js';
import { errorText } from '../domain/error-text.js';
import type { Gateway } from '../gateway/gateway.js';
import { createHttpGateway } from '../gateway/http.js';
import { createSandboxGateway } from '../gateway/sandbox.js';
import { runCleanup } from '../jobs/cleanup.js';
import { createWebhookOutbox } from '../jobs/webhook-outbox.js';
import { nextDeliveryDueAt } from '../stores/webhook-outbox.js';
import { createLogger, type Logger } from '../logger.js';
import { composeServer, type Server } from '../server.js';
import { seedDemoOrders } from '../services/demo-orders.js';
import { createAlarmScheduler, type AlarmScheduler } from './alarms.js';
import type { DurableObjectState, EdgeEnv } from './cloudflare.js';
import { openDurableDatabase } from './durable-db.js';

interface Parts extends Server {
  db: Db;
  config: Config;
  logger: Logger;
  alarms: AlarmScheduler;
}

/** The Worker's variables and secrets, as the configuration reads them (bindings left out). */
export function environmentOf(env: EdgeEnv): Environment {
  const out: Environment = {};
  for (const [name, value] of Object.entries(env)) if (typeof value === 'string') out[name] = value;
  return out;
}

/** An alarm handler waits this long at most for the walk it woke to wait again. */
const handlerWaitMs = 60_000;
/** Past the engine's lease (30 s) with a margin: a walk that stopped committing this long is gone. */
const watchdogMs = 45_000;

export class Shop {
  private readonly parts: Promise<Parts | { error: unknown }>;
  /** EDGE_TEST_HOOKS=1 (the tests only): POST /__test/abort resets the object, as a crash would. */
  private readonly testHooks: boolean;

  constructor(
    private readonly state: DurableObjectState,
    env: EdgeEnv,
  ) {
    this.testHooks = env.EDGE_TEST_HOOKS === '1';
    // Nothing is served until the database is migrated. A start that fails (a missing secret)
    // resolves to its error, answered as JSON: a rejection here would reset the object and throw
    // into the waiting request instead.
    this.parts = state.blockConcurrencyWhile(() => this.start(environmentOf(env)).catch((error: unknown) => ({ error })));
  }

  async fetch(request: Request): Promise<Response> {
    if (this.testHooks && request.method === 'POST' && new URL(request.url).pathname === '/__test/abort') {
      if (!this.state.abort) return new Response('ctx.abort() is not available in this runtime', { status: 501 });
      // workerd throws the abort into this request (it answers 500); the next one constructs a new instance.
      this.state.abort('test: abort');
      return new Response(null, { status: 204 });
    }
    const parts = await this.parts;
    if ('error' in parts) {
      // A missing secret or a bad variable: say which, as JSON like every error (the message names
      // variables, never their values), and log it.
      const message = parts.error instanceof Error ? parts.error.message : String(parts.error);
      console.error(`the shop cannot start: ${message}`);
      return Response.json({ error: { code: 'misconfigured', message: `The shop cannot start: ${message}` } }, { status: 503 });
    }
    return parts.app.fetch(request);
  }

  /** The alarm: wakes the engine's waits that are due, runs the due jobs, or recovers an orphaned run. */
  async alarm(): Promise<void> {
    const parts = await this.parts;
    if ('error' in parts) return;
    const { alarms, engine, logger } = parts;
    const { woke, nextWait, watchdog } = await alarms.fire();
    logger.debug(`alarm: woke ${woke}${watchdog ? ', watchdog' : ''}`);
    if (nextWait) {
      // The walk goes on in this invocation until it waits again or ends, so the platform keeps
      // the object while it works (bounded: a wait of something else than the walk may be what woke).
      await Promise.race([nextWait, engine.idle(), new Promise((resolve) => setTimeout(resolve, handlerWaitMs))]);
      return;
    }
    // Nobody was waiting: an instance that was evicted mid-run may have left the run open.
    await this.recoverAndResume(parts).catch((error: unknown) => logger.error(`recovery failed: ${errorText(error)}`));
  }

  private async start(env: Environment): Promise<Parts> {
    const parsed = parseConfig(env);
    if (!parsed.ok) throw new Error(parsed.message);
    const config = parsed.config;
    // Nothing is generated into files here: both secrets come from the Worker's environment.
    if (!config.adminToken) throw new Error('ADMIN_TOKEN is required: set it with `wrangler secret put ADMIN_TOKEN`');
    if (!config.credentialKey) throw new Error('CREDENTIAL_KEY is required: set it with `wrangler secret put CREDENTIAL_KEY`');
    const logger = createLogger(config.logLevel);
    const db = await openDurableDatabase(this.state.storage);
    const cipher = await createCredentialCipher(config.credentialKey);
    const gateway = gatewayOf(config);
    const policy = { progressRetentionMs: config.progressRetentionMs, historyRetentionMs: config.historyRetentionMs };
    // The signed webhook (SPEC §10): its deliveries wait in the outbox table, sent as soon as a
    // walk here ends a run, and again from the alarm when a retry comes due (not a poll: an idle
    // object sleeps).
    const outbox =
      config.notifyWebhookUrl && config.notifyWebhookSecret
        ? createWebhookOutbox({ db, clock: systemClock, logger, url: config.notifyWebhookUrl, secret: config.notifyWebhookSecret })
        : undefined;
    const webhookJob = outbox
      ? [{ name: 'webhook', everyMs: 60_000, run: async () => void (await outbox.tick()), nextAt: () => nextDeliveryDueAt(db) }]
      : [];
    const onError = (what: string, error: unknown) => logger.error(`alarm: ${what} failed: ${errorText(error)}`);
    const alarms = createAlarmScheduler(this.state.storage, Date.now, [
      ...webhookJob,
      {
        name: 'cleanup',
        everyMs: config.cleanupIntervalMs,
        run: async () => {
          try {
            const report = await runCleanup(db, systemClock.now(), policy);
            logger.debug(`cleanup: ${JSON.stringify(report)}`);
          } catch (error) {
            logger.error(`cleanup failed: ${errorText(error)}`);
          }
        },
      },
    ], onError);
    // One object is one writer: any other lease holder is an earlier instance of this object, gone.
    const holder = `durable-object/${crypto.randomUUID()}`;
    const server = composeServer({
      db,
      gateway,
      clock: systemClock,
      config,
      logger,
      cipher,
      adminToken: config.adminToken,
      watchLinkSecret: base64ToBytes(config.credentialKey),
      holder,
      holderAlive: (name) => name === holder,
      onRunEnd: outbox ? () => void outbox.tick().finally(() => alarms.reschedule('webhook')) : undefined,
      // While a walk commits, an alarm stays set past its lease: if this instance is evicted
      // mid-walk, that alarm brings up the next one, whose recovery ends the run and goes on.
      onAppend: () => alarms.watch(Date.now() + watchdogMs),
      sleep: alarms.sleep,
      // One alarm per wait: an object is never shut down mid-delay, so the delay is not sliced.
      engineOptions: { sleepSliceMs: 24 * 60 * 60 * 1000 },
      // No data_version watch (no hubOptions.dataVersion): one writer, every append told to the feed.
      // No gzip: the platform compresses.
      compressAnswers: false,
      clientAddress: (c) => c.req.header('cf-connecting-ip') ?? 'unknown',
    });
    if (gateway.kind === 'sandbox') seedDemoOrders(db, systemClock);
    const parts: Parts = { ...server, db, config, logger, alarms };
    await alarms.start();
    // Outside the start's block, as on Node: recovery may wait on the gateway (reconciling a
    // purchase in flight by its key), and requests must not wait behind it.
    this.state.waitUntil(this.recoverAndResume(parts).catch((error: unknown) => logger.error(`recovery failed: ${errorText(error)}`)));
    return parts;
  }

  /**
   * A run an evicted instance was walking ends as interrupted; its purchase in flight is settled by
   * its idempotency key (never bought twice); then a new run takes the orders still pending.
   */
  private async recoverAndResume(parts: Parts): Promise<void> {
    const { engine, logger } = parts;
    const { endedRuns, reconciled } = await engine.recover();
    if (endedRuns === 0) return;
    logger.info(`recovered: ${endedRuns} interrupted runs ended, ${reconciled} purchases reconciled; resuming the pending orders`);
    engine.trigger({ actor: 'system', reason: 'after the object restarted mid-run' });
  }
}

function gatewayOf(config: Config): Gateway {
  if (config.gateway === 'http') return createHttpGateway({ url: config.gatewayUrl!, secret: config.gatewaySecret });
  return createSandboxGateway();
}
