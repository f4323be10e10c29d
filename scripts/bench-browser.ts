// Browser benchmark (`npm run bench`): what the admin client's progress modal costs Chromium on a
// run of 10,000 orders streamed at full speed (PURCHASE_DELAY_MS=0). Prints figures; asserts nothing.
//
// The SQLite file is seeded with 10,000 pending orders before the server starts (so no demo orders),
// the page logs in, a stock account is added through the API (a run starts), and once the run has
// fetched its orders the page opens it from Run history, the way an admin would, and follows it
// to the end. An init script instruments the page before any of its code runs:
// - every EventSource listener is wrapped: the main-thread time of each call (the fold and Solid's
//   synchronous DOM update, not the later layout and paint), per event type;
// - a MutationObserver's records are taken right after each call: the DOM nodes (elements and
//   text, whole subtrees) that one event created; nodes created outside the listeners (the
//   virtualized window following the processed row, tooltips) are counted apart;
// - a PerformanceObserver collects long tasks (> 50 ms) and a requestAnimationFrame loop the frames;
// - the time from the dialog appearing to its first transaction rows and its Total card at 10,000.
// Afterwards the finished run is opened again from Run history (its stored snapshot): same timing.
//
// Run alone: `npx tsx scripts/bench-browser.ts` (BENCH_BROWSER_ORDERS=… to change the size;
// BENCH_BROWSER_PROFILE=1 adds the page's hottest functions from a CDP CPU profile of the stream).
// Needs /usr/bin/chromium (`bash scripts/ensure-chromium.sh`).
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Page } from 'playwright-core';
import { launchChromium } from '../test/browser/support/browser.js';
import { ensureClientBuilt } from '../test/browser/support/build-client.js';
import { seedPendingOrders } from '../test/browser/support/seed.js';
import { cleanUp, startServer, type ServerProcess } from '../test/support/server-process.js';

const token = 'bench-browser-admin-token-0123456789';

export interface Distribution {
  count: number;
  p50: number;
  p99: number;
  max: number;
  total: number;
}

export interface OpenTiming {
  /** Dialog in the DOM → first transaction row with a data-key. */
  firstRowMs: number | null;
  /** Dialog in the DOM → the Total card reads the run's size. */
  totalCardMs: number | null;
  /** Transaction rows in the DOM once open (all of them, or the virtualized window). */
  rowsInDom: number;
}

export interface BrowserBenchResult {
  orders: number;
  chromium: string;
  runMs: number;
  /** Opening the run mid-stream (from Run history) and opening it again once finished. */
  openLive: OpenTiming;
  openFinished: OpenTiming;
  /** Main-thread ms per listener call, by event type. */
  handlerMs: Record<string, Distribution>;
  /** DOM nodes created per listener call, by event type. */
  nodesPerEvent: Record<string, Distribution>;
  nodesOutsideHandlers: number;
  /** While streaming (modal open → `end` handled). */
  streamMs: number;
  longTasks: { count: number; maxMs: number; totalMs: number };
  frames: { count: number; fps: number; longestGapMs: number };
  finalStatus: string | null;
  cardsMatch: boolean;
  notes: string[];
}

interface PageBench {
  dialogAt: number | null;
  firstRowAt: number | null;
  totalAt: number | null;
  expectTotal: string;
  rowsInDom: number;
  endAt: number | null;
  calls: Record<string, number[]>;
  nodes: Record<string, number[]>;
  outsideNodes: number;
  longTasks: { start: number; duration: number }[];
  frames: number[];
  reset(): void;
}

/** The page's instruments, installed before the app's own code (an init script). */
function instrument(expectTotal: string): void {
  const countNodes = (node: Node) => {
    let count = 1;
    const walker = document.createTreeWalker(node, NodeFilter.SHOW_ELEMENT | NodeFilter.SHOW_TEXT);
    while (walker.nextNode()) count++;
    return count;
  };
  const added = (records: MutationRecord[]) => {
    let count = 0;
    for (const record of records) for (const node of record.addedNodes) count += countNodes(node);
    return count;
  };
  const bench: PageBench = {
    dialogAt: null,
    firstRowAt: null,
    totalAt: null,
    expectTotal,
    rowsInDom: 0,
    endAt: null,
    calls: {},
    nodes: {},
    outsideNodes: 0,
    longTasks: [],
    frames: [],
    reset() {
      bench.dialogAt = bench.firstRowAt = bench.totalAt = bench.endAt = null;
      bench.rowsInDom = 0;
      bench.calls = {};
      bench.nodes = {};
      bench.outsideNodes = 0;
      bench.longTasks = [];
      bench.frames = [];
    },
  };
  (window as unknown as { __bench: PageBench }).__bench = bench;

  // Node counting: records taken right after each listener call belong to that event.
  const counter = new MutationObserver((records) => {
    bench.outsideNodes += added(records);
  });
  // Opening: the dialog, then its first row and its Total card.
  const watchOpening = () => {
    if (bench.dialogAt === null) {
      const dialog = [...document.querySelectorAll('[role="dialog"]')].find((d) => (d.textContent ?? '').includes('Auto-purchase progress'));
      if (dialog) bench.dialogAt = performance.now();
    }
    if (bench.dialogAt !== null && bench.firstRowAt === null) {
      const rows = document.querySelectorAll('[role="dialog"] table[aria-label="Transactions"] tbody tr[data-key]');
      if (rows.length > 0) {
        bench.firstRowAt = performance.now();
        bench.rowsInDom = rows.length;
      }
    }
    if (bench.dialogAt !== null && bench.totalAt === null) {
      const total = document.querySelector('[role="dialog"] [data-testid="card-total"]');
      if (total && (total.textContent ?? '').replace(/\D/g, '') === bench.expectTotal) bench.totalAt = performance.now();
    }
  };
  const opening = new MutationObserver(watchOpening);
  document.addEventListener('DOMContentLoaded', () => {
    counter.observe(document.body, { childList: true, subtree: true });
    opening.observe(document.body, { childList: true, subtree: true, characterData: true });
  });

  const nativeAdd = EventSource.prototype.addEventListener;
  EventSource.prototype.addEventListener = function (
    this: EventSource,
    type: string,
    listener: EventListenerOrEventListenerObject,
    options?: boolean | AddEventListenerOptions,
  ) {
    if (typeof listener !== 'function') return nativeAdd.call(this, type, listener, options);
    const wrapped = function (this: EventSource, event: Event) {
      bench.outsideNodes += added(counter.takeRecords());
      const started = performance.now();
      try {
        return listener.call(this, event);
      } finally {
        const spent = performance.now() - started;
        (bench.calls[type] ??= []).push(spent);
        (bench.nodes[type] ??= []).push(added(counter.takeRecords()));
        if (type === 'end') bench.endAt = performance.now();
        watchOpening();
      }
    };
    return nativeAdd.call(this, type, wrapped, options);
  } as typeof EventSource.prototype.addEventListener;

  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) bench.longTasks.push({ start: entry.startTime, duration: entry.duration });
  }).observe({ type: 'longtask', buffered: true });
  const frame = (at: number) => {
    bench.frames.push(at);
    requestAnimationFrame(frame);
  };
  requestAnimationFrame(frame);
}

interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number } }[];
  samples?: number[];
  timeDeltas?: number[];
}

/** The functions with the most self time in a CDP CPU profile, as lines. */
function hottest(profile: CpuProfile, top: number): string[] {
  const self = new Map<string, number>();
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  let total = 0;
  samples.forEach((id, i) => {
    const node = byId.get(id);
    if (!node) return;
    const f = node.callFrame;
    const where = f.url ? `${f.url.replace(/^.*\//, '')}:${f.lineNumber + 1}:${f.columnNumber + 1}` : '';
    const key = `${f.functionName || '(anonymous)'} ${where}`.trim();
    const us = deltas[i] ?? 0;
    total += us;
    self.set(key, (self.get(key) ?? 0) + us);
  });
  return [
    `CPU profile of the page while streaming: ${Math.round(total / 1000)} ms sampled; most self time:`,
    ...[...self.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([key, us]) => `  ${Math.round(us / 1000)} ms (${Math.round((us / total) * 100)} %) ${key}`),
  ];
}

function distribution(values: number[] | undefined, digits = 3): Distribution {
  const sorted = [...(values ?? [])].sort((a, b) => a - b);
  const at = (q: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]! : 0);
  const round = (n: number) => Math.round(n * 10 ** digits) / 10 ** digits;
  return {
    count: sorted.length,
    p50: round(at(0.5)),
    p99: round(at(0.99)),
    max: round(sorted.at(-1) ?? 0),
    total: round(sorted.reduce((a, b) => a + b, 0)),
  };
}

async function readBench(page: Page) {
  return page.evaluate(() => {
    const b = (window as unknown as { __bench: PageBench }).__bench;
    return {
      dialogAt: b.dialogAt,
      firstRowAt: b.firstRowAt,
      totalAt: b.totalAt,
      rowsInDom: b.rowsInDom,
      endAt: b.endAt,
      calls: b.calls,
      nodes: b.nodes,
      outsideNodes: b.outsideNodes,
      longTasks: b.longTasks,
      frames: b.frames,
    };
  });
}

const round1 = (n: number) => Math.round(n * 10) / 10;

function openTiming(b: { dialogAt: number | null; firstRowAt: number | null; totalAt: number | null; rowsInDom: number }): OpenTiming {
  return {
    firstRowMs: b.dialogAt !== null && b.firstRowAt !== null ? round1(b.firstRowAt - b.dialogAt) : null,
    totalCardMs: b.dialogAt !== null && b.totalAt !== null ? round1(b.totalAt - b.dialogAt) : null,
    rowsInDom: b.rowsInDom,
  };
}

async function api<T>(server: ServerProcess, method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
  if (!res.ok) throw new Error(`${method} ${path} answered ${res.status}: ${await res.text()}`);
  return (await res.json()) as T;
}

interface Snapshot {
  status: string;
  currentStep: string;
  summary: { totalTransactions: number; processedCount: number; failedCount: number; skippedCount: number; unknownCount: number };
}

export async function benchBrowser(orders = Number(process.env.BENCH_BROWSER_ORDERS ?? 10_000)): Promise<BrowserBenchResult> {
  const notes: string[] = [];
  await ensureClientBuilt();
  const dataDir = mkdtempSync(join(os.tmpdir(), 'autopurchase-bench-browser-'));
  const databasePath = join(dataDir, 'autopurchase.db');
  // Seed before the server starts: 10,000 pending orders, oldest first, 10 robux each.
  seedPendingOrders(databasePath, orders, { prefix: 'BENCH', price: 10 });

  const browser = await launchChromium();
  try {
    const server = await startServer({
      dataDir,
      env: { ADMIN_TOKEN: token, PURCHASE_DELAY_MS: '0', LOG_LEVEL: 'warn', DATABASE_PATH: databasePath },
      readyBy: 'healthz',
      timeoutMs: 30_000,
    });
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, baseURL: server.url });
    context.setDefaultTimeout(60_000);
    // As source text: tsx (esbuild, keepNames) wraps named functions in `__name(…)`, which the
    // page does not have, so it gets a do-nothing one first.
    await context.addInitScript({ content: `var __name = (f) => f;\n(${instrument.toString()})(${JSON.stringify(String(orders))});` });
    const page = await context.newPage();
    page.on('pageerror', (error) => notes.push(`page error: ${error.message}`));

    await page.goto('/');
    await page.getByLabel('Admin token', { exact: true }).fill(token);
    await page.getByRole('button', { name: 'Log in', exact: true }).click();
    await page.getByRole('link', { name: 'Run history', exact: true }).click();
    await page.getByRole('table', { name: 'Run history', exact: true }).waitFor();

    // Start the run from the API, wait until it has fetched its orders, then open it from history.
    const started = performance.now();
    const saved = await api<{ autoPurchase: { sessionId: string } }>(server, 'POST', '/api/admin/stock-accounts', {
      robloxCookie: `sandbox:bench:${orders * 10 * 2}`,
    });
    const sessionId = saved.autoPurchase.sessionId;
    for (;;) {
      const snapshot = await api<Snapshot>(server, 'GET', `/api/auto-purchase/progress/${sessionId}`);
      if (snapshot.summary.totalTransactions >= orders || snapshot.status !== 'running') break;
      await new Promise((r) => setTimeout(r, 20));
    }
    await page.evaluate(() => (window as unknown as { __bench: PageBench }).__bench.reset());
    await page.getByRole('button', { name: 'Refresh', exact: true }).click();
    const row = page.getByRole('table', { name: 'Run history', exact: true }).locator(`tr[data-key="${sessionId}"]`);
    await row.waitFor();
    const profiler = process.env.BENCH_BROWSER_PROFILE ? await context.newCDPSession(page) : undefined;
    if (profiler) {
      await profiler.send('Profiler.enable');
      await profiler.send('Profiler.setSamplingInterval', { interval: 500 });
      await profiler.send('Profiler.start');
    }
    const midRun = await api<Snapshot>(server, 'GET', `/api/auto-purchase/progress/${sessionId}`);
    await row.click();
    const dialog = page.getByRole('dialog', { name: 'Auto-purchase progress', exact: true });
    await dialog.waitFor();
    if (midRun.status !== 'running') notes.push(`the run had ended before the modal was opened on it (${midRun.summary.processedCount} processed): no live events measured`);
    else notes.push(`the modal was opened with ${midRun.summary.processedCount} of ${orders} orders already processed`);
    const pin = dialog.getByRole('button', { name: 'Pin', exact: true });
    await pin.click().catch(() => notes.push('could not press Pin'));

    await dialog.locator('[data-testid="run-status"]:not([data-status="running"])').waitFor({ timeout: 600_000 });
    const runMs = performance.now() - started;
    if (profiler) {
      const { profile } = await profiler.send('Profiler.stop');
      notes.push(...hottest(profile, 15));
    }
    await page.waitForTimeout(500);
    const live = await readBench(page);
    const finalStatus = await dialog.getByTestId('run-status').getAttribute('data-status');
    const final = await api<Snapshot>(server, 'GET', `/api/auto-purchase/progress/${sessionId}`);
    const cardText = async (name: string) => Number(((await dialog.getByTestId(`card-${name}`).textContent()) ?? '').replace(/\D/g, ''));
    const cardsMatch =
      (await cardText('total')) === final.summary.totalTransactions &&
      (await cardText('processed')) === final.summary.processedCount &&
      (await cardText('failed')) === final.summary.failedCount &&
      (await cardText('skipped')) === final.summary.skippedCount;

    const streamStart = live.dialogAt ?? 0;
    const streamEnd = live.endAt ?? streamStart;
    const inStream = live.longTasks.filter((t) => t.start + t.duration >= streamStart && t.start <= streamEnd);
    const frames = live.frames.filter((f) => f >= streamStart && f <= streamEnd);
    let longestGap = 0;
    for (let i = 1; i < frames.length; i++) longestGap = Math.max(longestGap, frames[i]! - frames[i - 1]!);
    const streamMs = streamEnd - streamStart;

    const handlerMs: Record<string, Distribution> = {};
    const nodesPerEvent: Record<string, Distribution> = {};
    for (const type of Object.keys(live.calls)) {
      handlerMs[type] = distribution(live.calls[type]);
      nodesPerEvent[type] = distribution(live.nodes[type], 1);
    }

    // Again, finished: from its stored snapshot.
    await dialog.getByRole('button', { name: 'Close', exact: true }).click();
    await dialog.waitFor({ state: 'detached' });
    await page.evaluate(() => (window as unknown as { __bench: PageBench }).__bench.reset());
    await row.click();
    await dialog.locator('[data-testid="run-status"]').waitFor();
    await page.waitForFunction(() => {
      const b = (window as unknown as { __bench: PageBench }).__bench;
      return b.firstRowAt !== null && b.totalAt !== null;
    }, undefined, { timeout: 60_000 }).catch(() => notes.push('the finished run did not show its rows and total within 60 s'));
    const reopened = await readBench(page);

    await context.close();
    return {
      orders,
      chromium: browser.version(),
      runMs: Math.round(runMs),
      openLive: openTiming(live),
      openFinished: openTiming(reopened),
      handlerMs,
      nodesPerEvent,
      nodesOutsideHandlers: live.outsideNodes,
      streamMs: Math.round(streamMs),
      longTasks: {
        count: inStream.length,
        maxMs: round1(Math.max(0, ...inStream.map((t) => t.duration))),
        totalMs: round1(inStream.reduce((a, t) => a + t.duration, 0)),
      },
      frames: { count: frames.length, fps: streamMs > 0 ? round1((frames.length * 1000) / streamMs) : 0, longestGapMs: round1(longestGap) },
      finalStatus,
      cardsMatch,
      notes,
    };
  } finally {
    await browser.close().catch(() => undefined);
    await cleanUp();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

export function printBrowserBench(r: BrowserBenchResult): void {
  const fmt = (n: number) => n.toLocaleString('en-US');
  const ms = (n: number | null) => (n === null ? 'not seen' : `${fmt(n)} ms`);
  console.log(`\nBrowser bench: ${fmt(r.orders)} orders, PURCHASE_DELAY_MS=0, Chromium ${r.chromium}, 1280×800 headless`);
  for (const note of r.notes) console.log(`  note: ${note}`);
  const rows: [string, string][] = [
    ['Open the modal mid-run (from Run history): dialog → first rows', ms(r.openLive.firstRowMs)],
    ['  … dialog → Total card at the run size', ms(r.openLive.totalCardMs)],
    ['  transaction rows in the DOM when opened', fmt(r.openLive.rowsInDom)],
    ['Open the finished run (stored snapshot): dialog → first rows', ms(r.openFinished.firstRowMs)],
    ['  … dialog → Total card at the run size', ms(r.openFinished.totalCardMs)],
  ];
  const t = r.handlerMs.transaction;
  if (t) rows.push([`Main-thread time per \`transaction\` event (${fmt(t.count)} events)`, `p50 ${t.p50} ms, p99 ${t.p99} ms, max ${t.max} ms; ${fmt(Math.round(t.total))} ms in all`]);
  for (const [type, d] of Object.entries(r.handlerMs)) {
    if (type === 'transaction') continue;
    rows.push([`  per \`${type}\` event (${fmt(d.count)})`, `p50 ${d.p50} ms, p99 ${d.p99} ms, max ${d.max} ms; ${fmt(Math.round(d.total))} ms in all`]);
  }
  const n = r.nodesPerEvent.transaction;
  if (n) rows.push(['DOM nodes created per `transaction` event', `mean ${n.count ? Math.round((n.total / n.count) * 10) / 10 : 0}, p50 ${n.p50}, p99 ${n.p99}, max ${n.max}`]);
  rows.push(['DOM nodes created outside event handlers (window scrolling, tooltips)', fmt(r.nodesOutsideHandlers)]);
  rows.push(['Longest task while streaming', `${r.longTasks.maxMs} ms (${r.longTasks.count} tasks > 50 ms, ${fmt(r.longTasks.totalMs)} ms in all, over ${fmt(r.streamMs)} ms streamed)`]);
  rows.push(['Frames while streaming', `${fmt(r.frames.count)} (${r.frames.fps} fps), longest gap ${r.frames.longestGapMs} ms`]);
  rows.push(['Run (trigger → modal shows the end)', `${fmt(r.runMs)} ms, ended ${r.finalStatus}; cards equal the snapshot: ${r.cardsMatch ? 'yes' : 'NO'}`]);
  console.log('\n| measurement | result |');
  console.log('| --- | --- |');
  for (const [what, result] of rows) console.log(`| ${what} | ${result} |`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const result = await benchBrowser();
  printBrowserBench(result);
}
