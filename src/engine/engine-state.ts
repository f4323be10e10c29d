// What the engine's parts share: this process's name in the lease, the gateway call policy, the
// walks it runs, and the appends to announce once their transaction has committed.
import { errorText } from '../domain/error-text.js';
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
  /** Appends made inside a transaction, announced once it has committed. */
  appended: [string, number][];
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
      sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
      random: Math.random,
      isStopping: () => engine.stopping,
    },
    walks: new Map(),
    stopping: false,
    appended: [],
  };
  return engine;
}

/** Tells the listener (the stream) that a run has new events; a failing listener never fails a run. */
export function notifyAppend(engine: EngineState, sessionId: string, seq: number): void {
  try {
    engine.deps.onAppend?.(sessionId, seq);
  } catch (error) {
    engine.deps.logger.error(`append listener failed: ${errorText(error)}`);
  }
}

/** Announces the appends collected during a transaction, once it has committed. */
export function announce(engine: EngineState): void {
  const done = engine.appended;
  engine.appended = [];
  for (const [sessionId, seq] of done) notifyAppend(engine, sessionId, seq);
}

export function reconcileDeps(engine: EngineState): ReconcileDeps {
  const { db, gateway, clock, logger, options } = engine.deps;
  return { db, gateway, clock, logger, gatewayTimeoutMs: options.gatewayTimeoutMs, policy: engine.policy, isStopping: () => engine.stopping };
}
