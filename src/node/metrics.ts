// The Metrics seam (src/domain/metrics.ts) over prom-client, for the Node entry: its own Registry
// (nothing global, so two servers in one process, e.g. tests, count apart) plus prom-client's
// default process metrics. Gauges of stored state (the webhook outbox) are read at scrape time.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { StorageFault } from '../db/write.js';
import {
  cleanupKinds,
  gatewayCalls,
  gatewayResults,
  purchaseOutcomes,
  runOutcomes,
  storageFaults,
  type Metrics,
} from '../domain/metrics.js';

export interface PromMetricsOptions {
  /** Webhook deliveries waiting and given up, read at each scrape (the outbox's counts). */
  webhookCounts?: () => { pending: number; failed: number };
  /** Adds prom-client's process metrics (CPU, memory, event-loop lag, handles); default true. */
  processMetrics?: boolean;
}

/** Seconds; from a sandbox call (well under a millisecond) to a gateway's whole timeout. */
const gatewayBuckets = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export function createPromMetrics(options: PromMetricsOptions = {}): Metrics & { registry: Registry } {
  const registry = new Registry();
  if (options.processMetrics ?? true) collectDefaultMetrics({ register: registry });
  const registers = [registry];

  const runs = new Counter({ name: 'autopurchase_runs_total', help: 'Runs ended, by outcome', labelNames: ['outcome'], registers });
  const purchases = new Counter({
    name: 'autopurchase_purchases_total',
    help: 'Purchases sent to the gateway (one idempotency key each, after its retries), by outcome: completed, a refusal code, unknown (no answer) or not_sent',
    labelNames: ['outcome'],
    registers,
  });
  const gateway = new Histogram({
    name: 'autopurchase_gateway_call_duration_seconds',
    help: 'Time of each gateway call (one try), by call (account, purchase, lookup) and result (ok, refused, error)',
    labelNames: ['call', 'result'],
    buckets: gatewayBuckets,
    registers,
  });
  const streams = new Gauge({ name: 'autopurchase_progress_streams_open', help: 'Progress streams (SSE) open now', registers });
  const events = new Counter({ name: 'autopurchase_run_events_appended_total', help: 'Run events this process appended', registers });
  new Gauge({
    name: 'autopurchase_webhook_deliveries',
    help: 'Webhook deliveries in the outbox, by state: pending (waiting or retrying) or failed (given up)',
    labelNames: ['state'],
    registers,
    collect() {
      if (!options.webhookCounts) return;
      try {
        const counts = options.webhookCounts();
        this.set({ state: 'pending' }, counts.pending);
        this.set({ state: 'failed' }, counts.failed);
      } catch {
        // A database that cannot be read now leaves the last values; the scrape still answers.
      }
    },
  });
  const cleanup = new Counter({ name: 'autopurchase_cleanup_deleted_total', help: 'Rows the cleanup job deleted, by kind (events, runs)', labelNames: ['kind'], registers });
  const faults = new Counter({
    name: 'autopurchase_database_errors_total',
    help: 'Database operations that met a storage fault, by kind: busy (locked elsewhere), full (disk), io',
    labelNames: ['kind'],
    registers,
  });

  // Every series exists from the start at 0, so rate() and absent() work before the first event.
  for (const outcome of runOutcomes) runs.inc({ outcome }, 0);
  for (const outcome of purchaseOutcomes) purchases.inc({ outcome }, 0);
  // A lookup has no refusal: it answers a state or fails.
  for (const call of gatewayCalls) for (const result of gatewayResults) if (call !== 'lookup' || result !== 'refused') gateway.zero({ call, result });
  for (const kind of cleanupKinds) cleanup.inc({ kind }, 0);
  for (const kind of storageFaults) faults.inc({ kind }, 0);

  return {
    registry,
    runEnded: (outcome, count = 1) => runs.inc({ outcome }, count),
    purchase: (outcome) => purchases.inc({ outcome }),
    gatewayCall: (call, seconds, result) => gateway.observe({ call, result }, seconds),
    streamOpened: () => streams.inc(),
    streamClosed: () => streams.dec(),
    eventsAppended: (count) => events.inc(count),
    cleanupDeleted: (kind, count) => cleanup.inc({ kind }, count),
    storageFault: (fault: StorageFault) => faults.inc({ kind: fault }),
    render: async () => ({ contentType: registry.contentType, body: await registry.metrics() }),
  };
}
