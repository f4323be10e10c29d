// The retention job against a large backlog: how long it runs, and the longest the event loop stood
// still meanwhile (each batch is one synchronous transaction). Printed by `npm run bench`; the unit
// test (test/slow-paths.test.ts) checks only the batching that bounds it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { openDatabase } from '../src/db/open.js';
import { write } from '../src/db/write.js';
import { runCleanup } from '../src/jobs/cleanup.js';
import { appendEvents } from '../src/stores/run-events.js';
import { insertRun } from '../src/stores/runs.js';

export interface CleanupFigures {
  events: number;
  totalMs: number;
  maxBlockMs: number;
  p99BlockMs: number;
}

export async function benchCleanup(events = Number(process.env.BENCH_CLEANUP_EVENTS ?? 50_000)): Promise<CleanupFigures> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-cleanup-'));
  const database = openDatabase(join(dir, 'bench.db'));
  try {
    const hour = 3_600_000;
    const now = Date.now();
    const at = now - 2 * hour;
    write(database.db, (tx) => {
      insertRun(tx, { sessionId: 'old-run', now: at });
      const bodies = Array.from({ length: events }, (_, i) => ({ type: 'step' as const, data: { currentStep: `Buying order ${i} of ${events}` } }));
      appendEvents(tx, 'old-run', bodies, at);
      appendEvents(tx, 'old-run', [{ type: 'end', data: { status: 'completed', endTime: new Date(at).toISOString() } }], at);
    });
    const delay = monitorEventLoopDelay({ resolution: 1 });
    delay.enable();
    const started = performance.now();
    const report = await runCleanup(database.db, now, { progressRetentionMs: hour, historyRetentionMs: 30 * 24 * hour });
    const totalMs = performance.now() - started;
    delay.disable();
    return { events: report.events, totalMs: Math.round(totalMs), maxBlockMs: round(delay.max / 1e6), p99BlockMs: round(delay.percentile(99) / 1e6) };
  } finally {
    database.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const round = (n: number) => Math.round(n * 10) / 10;

if (import.meta.url === `file://${process.argv[1]}`) {
  const figures = await benchCleanup();
  console.log(`cleanup of ${figures.events} events: ${figures.totalMs} ms; event loop blocked at most ${figures.maxBlockMs} ms (p99 ${figures.p99BlockMs} ms)`);
}
