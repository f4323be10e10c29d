// `npm run bench`: the engine benchmark, then the stream benchmark; prints every figure, then one
// markdown table ready to paste into the README. Asserts nothing: targets are printed beside.
import os from 'node:os';
import { benchCleanup } from './bench-cleanup.js';
import { benchEngine } from './bench-engine.js';
import { benchBrowser, printBrowserBench } from './bench-browser.js';
import { benchEdge, edgeRows, printEdgeBench, type EdgeRuntimeFigures } from './bench-edge.js';
import { benchStream, type LatencyFigures } from './bench-stream.js';

const started = performance.now();
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const mbs = (bytes: number) => `${Math.round((bytes / 1e6) * 100) / 100} MB/s`;

console.log(
  `npm run bench — ${new Date().toISOString()}, Node ${process.version}, ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ` +
    `${Math.round(os.totalmem() / 2 ** 30)} GiB, load average ${os.loadavg().map((x) => x.toFixed(2)).join(' / ')}`,
);
console.log('Other people may be running tests on this machine at the same time: the figures are indicative, not a controlled measurement.\n');

const engine = await benchEngine().catch((error: unknown) => {
  console.log(`engine benchmark FAILED: ${error instanceof Error ? error.message : String(error)}`);
  return undefined;
});
const cleanup = await benchCleanup().catch((error: unknown) => {
  console.log(`cleanup benchmark FAILED: ${error instanceof Error ? error.message : String(error)}`);
  return undefined;
});
const stream = await benchStream();
console.log('\nedge: the Node server and the Worker in workerd (miniflare), same measurements, one after the other');
const edge = await benchEdge().catch((error: unknown): EdgeRuntimeFigures[] => {
  console.log(`edge benchmark FAILED: ${error instanceof Error ? error.message : String(error)}`);
  return [];
});
printEdgeBench(edge);

const rows: [string, string, string][] = [];
if (engine) {
  rows.push([
    `Engine, ${fmt(engine.orders)} orders, sandbox, PURCHASE_DELAY_MS=0`,
    `${fmt(engine.engineMs)} ms, ${engine.engineUsPerOrder} µs/order (floor ${engine.floorUsPerOrder} µs, ${engine.ratioToFloor}×), ${fmt(engine.eventsStored)} events, loop delay p99 ${engine.eventLoopDelayP99Ms} ms`,
    '—',
  ]);
}
rows.push([
  'Retention job over 50,000 expired events (batches of 2,000, yielding between)',
  cleanup ? `${fmt(cleanup.totalMs)} ms; longest event-loop block ${cleanup.maxBlockMs} ms` : 'not measured',
  'block < 100 ms',
]);
const latencyRow = (l: LatencyFigures | undefined, clients: number, target: string) => {
  if (!l) return rows.push([`SSE fan-out, ${fmt(clients)} clients`, 'not measured (see above)', target]);
  rows.push([
    `SSE fan-out, ${fmt(l.clients)} clients: latency commit → client p50 / p99 / max`,
    `${l.p50Ms} / ${l.p99Ms} / ${l.maxMs} ms over ${fmt(l.delivered)} of ${fmt(l.expected)} deliveries (${fmt(l.eventsTimed)} events at ${fmt(l.eventsPerSecond)}/s); server CPU ${l.serverCpuPct} %`,
    target,
  ]);
};
latencyRow(stream.latency[0], 1_000, 'p99 < 50 ms');
latencyRow(stream.latency[1], 10_000, '—');
const m = stream.memory;
rows.push(['Server memory per idle SSE client (RSS slope, 1,000 → 5,000)', m ? `${m.kbPerClient} KB (RSS ${m.rssAt1000Mb} → ${m.rssAt5000Mb} MB)` : 'not measured', '< 20 KB']);
const r = stream.replay;
rows.push(['Replay of 10,000 stored events to a late client (Last-Event-ID: 0)', r ? `${r.medianMs} ms median of 5 (first ${r.firstMs} ms)` : 'not measured', '< 200 ms']);
const l = stream.load;
if (l) {
  rows.push([
    'JSON route (auth + one read) vs bare Hono route, idle',
    `${fmt(l.apiIdle.rps)} vs ${fmt(l.bareIdle.rps)} req/s = ${l.ratioIdlePct} %`,
    '≥ 70 %',
  ]);
  rows.push([
    `Same, with ${fmt(l.sseClients)} SSE clients on a moving run`,
    `${fmt(l.apiWithStreams.rps)} vs ${fmt(l.bareWithStreams.rps)} req/s = ${l.ratioWithStreamsPct} %`,
    '—',
  ]);
} else rows.push(['JSON route vs bare Hono route', 'not measured', '≥ 70 %']);
for (const p of stream.polling) {
  rows.push([
    `${fmt(p.watchers)} watchers: polling every 1.5 s vs the stream`,
    `polling ${fmt(p.pollRequestsPerSecond)} req/s, ${mbs(p.pollBytesPerSecond)} (snapshot ${fmt(p.snapshotResponseBytes)} B); stream ${fmt(p.streamBytesPerSecondPerWatcher)} B/s per watcher at full speed, ~${fmt(p.streamBytesPerSecondPerWatcherAtDefaultDelay)} B/s at the default 10 s delay`,
    '—',
  ]);
}
rows.push(...edgeRows(edge));

console.log('\nREADME table (loopback, 2 cores shared by server, clients and load generator):\n');
console.log('| measurement | result | target |');
console.log('| --- | --- | --- |');
for (const [what, result, target] of rows) console.log(`| ${what} | ${result} | ${target} |`);
if (stream.errors.length) console.log(`\nProblems: ${stream.errors.join('; ')}`);
console.log('\nadmin client in Chromium: a run of 10,000 orders, PURCHASE_DELAY_MS=0');
try {
  printBrowserBench(await benchBrowser());
} catch (error) {
  console.log(`browser benchmark FAILED: ${error instanceof Error ? error.message : String(error)}`);
}
console.log(`\nnpm run bench took ${Math.round((performance.now() - started) / 1000)} s; load average at the end ${os.loadavg().map((x) => x.toFixed(2)).join(' / ')}.`);
