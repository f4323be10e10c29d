// What the engine's parts share: this process's name in the lease, the gateway call policy, the
// walks it runs, and how a committed append is told to the listeners (the stream, the metrics).
import { errorText } from '../domain/error-text.js';
import type { RunOutcome } from '../domain/metrics.js';
import type { EngineDeps } from './auto-purchase.js';
import type { HolderAlive } from './lease.js';
import type { CallPolicy } from './purchase-call.js';
import type { ReconcileDeps } from './reconcile.js';

export interface EngineState {
  readonly deps: EngineDeps;
  readonly holder: string;
  readonly holderAlive: HolderAlive;
  readonly leaseMs: number;
  readonly policy: CallPolicy;
  readonly walks: Map<string, Promise<void>>;
  stopping: boolean;
}

/** What one commit appended to a run: the run's last seq, how many events it inserted, and the end it wrote, if any. */
export interface Appended {
  sessionId: string;
  seq: number;
  count: number;
  ended?: RunOutcome;
}

export function createEngineState(deps: EngineDeps): EngineState {
  const holder = deps.holder ?? `process/${crypto.randomUUID()}`;
  const engine: EngineState = {
    deps,
    holder,
    holderAlive: (name) => (name === holder ? true : deps.holderAlive?.(name)),
    leaseMs: deps.options.leaseMs ?? 30_000,
    policy: {
      timeoutMs: deps.options.gatewayTimeoutMs,
      maxAttempts: deps.options.gatewayMaxAttempts,
      backoffBaseMs: deps.options.backoffBaseMs ?? 250,
      maxBackoffMs: deps.options.maxBackoffMs ?? 10_000,
      maxRetryAfterMs: deps.options.maxRetryAfterMs ?? 60_000,
      sleep: deps.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms))),
      random: Math.random,
      isStopping: () => engine.stopping,
    },
    walks: new Map(),
    stopping: false,
  };
  return engine;
}

/**
 * Tells the listeners of one committed append: the stream (the run has new events), the metrics
 * (how many this process inserted; the run's end, counted here, in the process that wrote it).
 * A failing listener never fails a run, nor keeps the others from being told.
 */
export function reportAppend(engine: EngineState, appended: Appended): void {
  const { deps } = engine;
  tell(engine, 'append', () => deps.onAppend?.(appended.sessionId, appended.seq));
  if (appended.count > 0) tell(engine, 'append count', () => deps.onEventsAppended?.(appended.count));
  if (appended.ended) reportRunEnded(engine, appended.ended);
}

/** Tells the metrics of a run's end that a commit of this process wrote (once per run). */
export function reportRunEnded(engine: EngineState, outcome: RunOutcome): void {
  tell(engine, 'run end', () => engine.deps.onRunEnded?.(outcome));
}

/** Reports the appends a transaction made, once it has committed. */
export function announce(engine: EngineState, appended: readonly Appended[]): void {
  for (const one of appended) reportAppend(engine, one);
}

function tell(engine: EngineState, what: string, listener: () => void): void {
  try {
    listener();
  } catch (error) {
    engine.deps.logger.error(`${what} listener failed: ${errorText(error)}`);
  }
}

export function reconcileDeps(engine: EngineState): ReconcileDeps {
  const { db, gateway, clock, logger, options } = engine.deps;
  return { db, gateway, clock, logger, gatewayTimeoutMs: options.gatewayTimeoutMs, policy: engine.policy, isStopping: () => engine.stopping };
}
