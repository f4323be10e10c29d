// What the server counts for GET /metrics (SPEC §4): a small Web-standard seam. The Node entry
// implements it with prom-client (src/node/metrics.ts); the app, the engine hooks and the stream
// only call it, so a runtime without it passes nothing (no route) or `noMetrics`.
import type { StorageFault } from '../db/write.js';
import type { BuyResult, RefusalCode } from '../gateway/gateway.js';

export const runOutcomes = ['completed', 'failed'] as const;
export type RunOutcome = (typeof runOutcomes)[number];

/**
 * What one purchase (one idempotency key, after its retries) came to at the gateway: bought, a
 * refusal by its code, no answer (left `unknown` for reconciliation) or certainly not sent.
 */
export const purchaseOutcomes = [
  'completed',
  'unknown',
  'not_sent',
  'insufficient_funds',
  'invalid_credential',
  'price_changed',
  'not_for_sale',
  'already_owned',
  'rate_limited',
] as const satisfies readonly ('completed' | 'unknown' | 'not_sent' | Lowercase<RefusalCode>)[];
export type PurchaseOutcome = (typeof purchaseOutcomes)[number];

export const gatewayCalls = ['account', 'purchase', 'lookup'] as const;
export type GatewayCall = (typeof gatewayCalls)[number];
/** `refused`: the gateway answered no (a refusal code, a rejected credential); `error`: no usable answer. */
export const gatewayResults = ['ok', 'refused', 'error'] as const;
export type GatewayResult = (typeof gatewayResults)[number];

export const cleanupKinds = ['events', 'runs'] as const;
export type CleanupKind = (typeof cleanupKinds)[number];

export const storageFaults = ['busy', 'full', 'io'] as const satisfies readonly StorageFault[];

export interface RenderedMetrics {
  contentType: string;
  body: string;
}

export interface Metrics {
  runEnded(outcome: RunOutcome, count?: number): void;
  purchase(outcome: PurchaseOutcome): void;
  gatewayCall(call: GatewayCall, seconds: number, result: GatewayResult): void;
  streamOpened(): void;
  streamClosed(): void;
  eventsAppended(count: number): void;
  cleanupDeleted(kind: CleanupKind, count: number): void;
  storageFault(fault: StorageFault): void;
  /** The exposition, in the format its content type names; gauges read at scrape time are read here. */
  render(): Promise<RenderedMetrics>;
}

export const noMetrics: Metrics = {
  runEnded: () => undefined,
  purchase: () => undefined,
  gatewayCall: () => undefined,
  streamOpened: () => undefined,
  streamClosed: () => undefined,
  eventsAppended: () => undefined,
  cleanupDeleted: () => undefined,
  storageFault: () => undefined,
  render: async () => ({ contentType: 'text/plain; version=0.0.4; charset=utf-8', body: '' }),
};

/** The engine's answer for one purchase (purchase-call.ts's CallOutcome) as a metric label. */
export function purchaseOutcomeOf(
  outcome: { kind: 'answered'; result: BuyResult } | { kind: 'no-answer' } | { kind: 'error'; mayHaveBought: boolean },
): PurchaseOutcome {
  switch (outcome.kind) {
    case 'answered':
      return outcome.result.success ? 'completed' : (outcome.result.code.toLowerCase() as Lowercase<RefusalCode>);
    case 'no-answer':
      return 'unknown';
    case 'error':
      // A non-transient error after an unanswered try leaves the order unknown (buy-order.ts).
      return outcome.mayHaveBought ? 'unknown' : 'not_sent';
  }
}

/** The cleanup job's report (src/jobs/cleanup.ts) as counts of deleted rows by kind. */
export function cleanupCounter(metrics: Pick<Metrics, 'cleanupDeleted'>): (report: Record<CleanupKind, number>) => void {
  return (report) => {
    for (const kind of cleanupKinds) if (report[kind] > 0) metrics.cleanupDeleted(kind, report[kind]);
  };
}
