// Edge benchmark (`npm run bench`, SPEC §13): the same measurements against the Node server and the
// Worker in workerd (miniflare, scripts/edge-local.ts), in the same run, on this machine:
// 1. Stream delivery latency at 200 clients following one run: the run's stock account and orders
//    go in through the API (the same on both), the first 3 orders are "[RATE_LIMITED]" (the sandbox
//    holds each ~1 s) so the clients are connected before the measured 150 orders flow at
//    PURCHASE_DELAY_MS=0. Latency = the client's receipt (epoch ms) − run_events.created_at (the
//    commit's clock.now()), read afterwards from the SQLite file: the Node server's, and the shop
//    object's, which miniflare keeps in its persistence folder. Events committed after the last
//    client connected are timed. (workerd's clock advances only across I/O, so its created_at can
//    be early by the CPU time spent before the commit: workerd's figure is, if anything, high.)
// 2. Memory per idle stream: RSS of the server process (node, or the workerd process miniflare
//    spawned) before and after opening 500 streams to a run waiting out PURCHASE_DELAY_MS=1h, / 500.
// 3. Opening a run: what the admin client's progress modal costs the server before it can show a
//    run: GET /api/auto-purchase/progress/:id, then the stream to its first event (the snapshot
//    frame), on the finished 153-order run of 1. Median of 5. Chromium is not involved here
//    (scripts/bench-browser.ts seeds the Node server's file, which workerd's object does not have).
// Run alone: `npx tsx scripts/bench-edge.ts`. Asserts nothing.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { buildEdge } from './build-edge.js';
import { startEdge, type LocalEdge } from './edge-local.js';
import { freePort, sleep, waitFor } from './bench-wait.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const host = '127.0.0.1';
const token = 'bench-edge-admin-token-0123456789';
const credentialKey = Buffer.alloc(32, 5).toString('base64');
const settings = { clients: 200, gateOrders: 3, orders: 150, idleStreams: 500, openReps: 5 };

const epochNow = () => performance.timeOrigin + performance.now();
const round = (x: number, digits = 1) => Math.round(x * 10 ** digits) / 10 ** digits;

type Runtime = 'node' | 'workerd';

interface Target {
  runtime: Runtime;
  port: number;
  /** The process whose RSS is the server's. */
  pid: number;
  /** The SQLite file holding the shop's data. */
  database(): string;
  stop(): Promise<void>;
}

const vars = (extra: Record<string, string>) => ({
  ADMIN_TOKEN: token,
  CREDENTIAL_KEY: credentialKey,
  GATEWAY: 'sandbox',
  LOG_LEVEL: 'warn',
  MAX_STREAMS_PER_CLIENT: '5000',
  MAX_CONNECTIONS: '5000',
  ...extra,
});



async function startNode(dir: string, extra: Record<string, string>): Promise<Target> {
  const port = await freePort(host);
  const dbPath = join(dir, 'bench.db');
  const proc: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: root,
    env: { ...process.env, ...vars(extra), PORT: String(port), HOST: host, DATABASE_PATH: dbPath },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  proc.stderr!.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-2_000)));
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  await waitFor('the Node server', 30_000, async () => {
    if (proc.exitCode !== null) throw new Error(`the Node server exited: ${stderr}`);
    return (await get(port, '/healthz').catch(() => undefined))?.status === 200;
  }, 100);
  return {
    runtime: 'node',
    port,
    pid: proc.pid!,
    database: () => dbPath,
    async stop() {
      proc.kill('SIGTERM');
      await Promise.race([exited, sleep(5_000).then(() => proc.kill('SIGKILL'))]);
    },
  };
}

/** The workerd processes among this process's children (miniflare spawns one per instance). */
function workerdPids(): number[] {
  const pids: number[] = [];
  for (const task of readdirSync(`/proc/${process.pid}/task`)) {
    for (const pid of readFileSync(`/proc/${process.pid}/task/${task}/children`, 'utf8').split(' ').filter(Boolean)) {
      if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('workerd')) pids.push(Number(pid));
    }
  }
  return pids;
}

async function startWorkerd(dir: string, extra: Record<string, string>): Promise<Target> {
  const before = new Set(workerdPids());
  const edge: LocalEdge = await startEdge({ vars: vars(extra), build: false, persistTo: dir, handleRuntimeStdio: () => undefined });
  const pid = workerdPids().find((p) => !before.has(p));
  if (pid === undefined) throw new Error('no workerd child process found');
  return {
    runtime: 'workerd',
    port: Number(edge.url.port),
    pid,
    // The shop object's SQLite file, in the persistence folder (one object: the shop "main").
    database: () => {
      const files = readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.sqlite') && !f.includes('metadata'));
      const largest = files.map((f) => join(dir, f)).sort((a, b) => statSync(b).size - statSync(a).size)[0];
      if (!largest) throw new Error(`no .sqlite file under ${dir}`);
      return largest;
    },
    stop: () => edge.dispose(),
  };
}

// ── HTTP ────────────────────────────────────────────────────────────────────────────────────────

function requestJson(port: number, method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = http.request(
      { host, port, path, method, agent: false, timeout: 30_000, headers: { authorization: `Bearer ${token}`, accept: 'application/json', ...(payload ? { 'content-type': 'application/json' } : {}) } },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => {
          try {
            resolve({ status: res.statusCode ?? 0, json: text ? JSON.parse(text) : undefined });
          } catch {
            resolve({ status: res.statusCode ?? 0, json: text });
          }
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${path}: timeout`)));
    req.on('error', reject);
    req.end(payload);
  });
}
const get = (port: number, path: string) => requestJson(port, 'GET', path);

interface Stream {
  /** Event id → epoch ms of the chunk that carried it. */
  received: Map<number, number>;
  firstEventAt?: number;
  ended: Promise<void>;
  open: Promise<number>;
  close(): void;
}

/** A raw SSE client: notes when each event id arrives; resolves `open` with the response's status. */
function openStream(port: number, sessionId: string): Stream {
  const received = new Map<number, number>();
  let resolveEnded!: () => void;
  const ended = new Promise<void>((resolve) => (resolveEnded = resolve));
  let req: http.ClientRequest;
  const stream: Stream = { received, ended, open: undefined as never, close: () => req.destroy() };
  stream.open = new Promise<number>((resolveOpen) => {
    req = http.get({ host, port, path: `/api/auto-purchase/progress/${sessionId}/events`, agent: false, headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' } }, (res) => {
      resolveOpen(res.statusCode ?? 0);
      let partial = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        const at = epochNow();
        stream.firstEventAt ??= chunk.includes('\n\n') || (partial + chunk).includes('\n\n') ? at : undefined;
        const text = partial + chunk;
        const cut = text.lastIndexOf('\n');
        partial = text.slice(cut + 1);
        for (const match of text.slice(0, cut + 1).matchAll(/^id: ?(\d+)$/gm)) if (!received.has(Number(match[1]))) received.set(Number(match[1]), at);
      });
      res.on('end', resolveEnded);
      res.on('close', resolveEnded);
    });
    req.on('error', () => {
      resolveOpen(0);
      resolveEnded();
    });
  });
  return stream;
}

async function addAccountAndWaitForItsRun(t: Target): Promise<string> {
  const added = await requestJson(t.port, 'POST', '/api/admin/stock-accounts', { robloxCookie: 'sandbox:bench:100000000' });
  if (added.status !== 201) throw new Error(`POST /api/admin/stock-accounts answered ${added.status}`);
  return added.json.autoPurchase.sessionId as string;
}

const snapshot = async (t: Target, sessionId: string) => (await get(t.port, `/api/auto-purchase/progress/${sessionId}`)).json as { status: string; currentStep: string };

// ── 1. Latency ──────────────────────────────────────────────────────────────────────────────────

export interface EdgeLatency {
  clients: number;
  connected: number;
  eventsTimed: number;
  delivered: number;
  expected: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

function percentile(sorted: number[], p: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]! : NaN;
}

async function latencyPhase(t: Target): Promise<{ latency: EdgeLatency; sessionId: string }> {
  const demoRun = await addAccountAndWaitForItsRun(t);
  await waitFor('the demo run to end', 60_000, async () => (await snapshot(t, demoRun)).status !== 'running', 100);
  for (let i = 0; i < settings.gateOrders + settings.orders; i++) {
    const gate = i < settings.gateOrders;
    const order = { invoiceId: `BENCH-EDGE-${i}`, gamepass: { id: 500_000 + i, name: gate ? `Gate ${i} [RATE_LIMITED]` : `Pass ${i}`, price: 10, sellerId: 77 } };
    const res = await requestJson(t.port, 'POST', '/api/transactions', order);
    if (res.status !== 201) throw new Error(`POST /api/transactions answered ${res.status}`);
  }
  const triggered = await requestJson(t.port, 'POST', '/api/auto-purchase');
  if (triggered.status !== 202) throw new Error(`POST /api/auto-purchase answered ${triggered.status}`);
  const sessionId = triggered.json.sessionId as string;
  await waitFor('the run to reach the gate', 15_000, async () => (await snapshot(t, sessionId)).currentStep.startsWith('Processing transaction'), 20);
  const streams = Array.from({ length: settings.clients }, () => openStream(t.port, sessionId));
  const statuses = await Promise.all(streams.map((s) => s.open));
  const allOpenAt = epochNow();
  const connected = statuses.filter((s) => s === 200).length;
  await Promise.race([Promise.all(streams.map((s) => s.ended)), sleep(60_000)]);
  for (const s of streams) s.close();
  const db = new Database(t.database(), { readonly: true, fileMustExist: true });
  let events: { seq: number; created_at: number }[];
  try {
    events = db.prepare('select seq, created_at from run_events where session_id = ? order by seq').all(sessionId) as typeof events;
  } finally {
    db.close();
  }
  const timed = events.filter((e) => e.created_at > allOpenAt);
  const latencies: number[] = [];
  for (const s of streams) {
    for (const e of timed) {
      const at = s.received.get(e.seq);
      if (at !== undefined) latencies.push(at - e.created_at);
    }
  }
  latencies.sort((a, b) => a - b);
  return {
    sessionId,
    latency: {
      clients: settings.clients,
      connected,
      eventsTimed: timed.length,
      delivered: latencies.length,
      expected: timed.length * connected,
      p50Ms: round(percentile(latencies, 50)),
      p99Ms: round(percentile(latencies, 99)),
      maxMs: round(latencies[latencies.length - 1] ?? NaN),
    },
  };
}

// ── 3. Opening a run ────────────────────────────────────────────────────────────────────────────

export interface OpenFigures {
  snapshotMs: number;
  firstEventMs: number;
  totalMs: number;
}

async function openPhase(t: Target, sessionId: string): Promise<OpenFigures> {
  const reps: OpenFigures[] = [];
  for (let i = 0; i < settings.openReps; i++) {
    const t0 = performance.now();
    const snap = await get(t.port, `/api/auto-purchase/progress/${sessionId}`);
    if (snap.status !== 200) throw new Error(`snapshot answered ${snap.status}`);
    const t1 = performance.now();
    const stream = openStream(t.port, sessionId);
    await waitFor('the first event', 10_000, () => stream.firstEventAt, 1);
    const t2 = stream.firstEventAt! - performance.timeOrigin;
    stream.close();
    reps.push({ snapshotMs: t1 - t0, firstEventMs: t2 - t1, totalMs: t2 - t0 });
  }
  const median = (pick: (r: OpenFigures) => number) => round([...reps.map(pick)].sort((a, b) => a - b)[Math.floor(reps.length / 2)]!);
  return { snapshotMs: median((r) => r.snapshotMs), firstEventMs: median((r) => r.firstEventMs), totalMs: median((r) => r.totalMs) };
}

// ── 2. Memory per idle stream ───────────────────────────────────────────────────────────────────

const rssKb = (pid: number) => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN);

export interface MemoryFigures {
  streams: number;
  rssBeforeMb: number;
  rssAfterMb: number;
  kbPerStream: number;
}

async function memoryPhase(t: Target): Promise<MemoryFigures> {
  const sessionId = await addAccountAndWaitForItsRun(t);
  await waitFor('the run to wait out PURCHASE_DELAY_MS', 30_000, async () => (await snapshot(t, sessionId)).currentStep.startsWith('Waiting'), 50);
  // A few streams first, so what is measured is per stream, not the first stream's setup.
  const warm = Array.from({ length: 10 }, () => openStream(t.port, sessionId));
  await Promise.all(warm.map((s) => s.open));
  await sleep(1_000);
  const before = rssKb(t.pid);
  const streams: Stream[] = [];
  for (let i = 0; i < settings.idleStreams; i += 50) {
    const batch = Array.from({ length: Math.min(50, settings.idleStreams - i) }, () => openStream(t.port, sessionId));
    streams.push(...batch);
    await Promise.all(batch.map((s) => s.open));
  }
  await waitFor('every stream to get its snapshot', 30_000, () => streams.every((s) => s.firstEventAt !== undefined), 50);
  await sleep(1_500);
  const after = rssKb(t.pid);
  const open = streams.filter((s) => s.firstEventAt !== undefined).length;
  for (const s of [...warm, ...streams]) s.close();
  return { streams: open, rssBeforeMb: round(before / 1024), rssAfterMb: round(after / 1024), kbPerStream: round((after - before) / open) };
}

// ── The whole benchmark ─────────────────────────────────────────────────────────────────────────

export interface EdgeRuntimeFigures {
  runtime: Runtime;
  latency?: EdgeLatency;
  open?: OpenFigures;
  memory?: MemoryFigures;
  errors: string[];
}

export async function benchEdge(): Promise<EdgeRuntimeFigures[]> {
  await buildEdge();
  const results: EdgeRuntimeFigures[] = [];
  for (const runtime of ['node', 'workerd'] as const) {
    const figures: EdgeRuntimeFigures = { runtime, errors: [] };
    results.push(figures);
    const start = (dir: string, extra: Record<string, string>) => (runtime === 'node' ? startNode(dir, extra) : startWorkerd(dir, extra));
    const step = async (name: string, delayMs: string, run: (t: Target) => Promise<void>) => {
      const dir = mkdtempSync(join(os.tmpdir(), 'autopurchase-bench-edge-'));
      let target: Target | undefined;
      try {
        target = await start(dir, { PURCHASE_DELAY_MS: delayMs });
        await run(target);
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        figures.errors.push(`${name}: ${message}`);
        console.log(`  ${runtime} ${name} FAILED: ${message}`);
      } finally {
        await target?.stop().catch(() => undefined);
        rmSync(dir, { recursive: true, force: true });
      }
    };
    await step('latency and opening', '0', async (t) => {
      const { latency, sessionId } = await latencyPhase(t);
      figures.latency = latency;
      figures.open = await openPhase(t, sessionId);
    });
    await step('memory', '1h', async (t) => {
      figures.memory = await memoryPhase(t);
    });
  }
  return results;
}

export function edgeRows(results: EdgeRuntimeFigures[]): [string, string, string][] {
  const by = (r: Runtime) => results.find((x) => x.runtime === r);
  const both = (show: (f: EdgeRuntimeFigures) => string | undefined) =>
    (['node', 'workerd'] as const).map((r) => `${r === 'node' ? 'Node' : 'workerd'}: ${(by(r) && show(by(r)!)) ?? 'not measured'}`).join('; ');
  return [
    [
      `Node vs workerd, ${settings.clients} SSE clients following one run: latency commit → client p50 / p99 / max`,
      both((f) => f.latency && `${f.latency.p50Ms} / ${f.latency.p99Ms} / ${f.latency.maxMs} ms (${f.latency.delivered.toLocaleString('en-US')} of ${f.latency.expected.toLocaleString('en-US')} deliveries)`),
      '—',
    ],
    [
      `Node vs workerd, server memory per idle stream (RSS, ${settings.idleStreams} streams)`,
      both((f) => f.memory && `${f.memory.kbPerStream} KB (${f.memory.rssBeforeMb} → ${f.memory.rssAfterMb} MB)`),
      '—',
    ],
    [
      `Node vs workerd, opening a finished ${settings.gateOrders + settings.orders}-order run: snapshot + stream to its first event (median of ${settings.openReps})`,
      both((f) => f.open && `${f.open.totalMs} ms (${f.open.snapshotMs} + ${f.open.firstEventMs})`),
      '—',
    ],
  ];
}

export function printEdgeBench(results: EdgeRuntimeFigures[]): void {
  for (const f of results) {
    console.table({
      runtime: f.runtime,
      [`latency p50 / p99 / max (${settings.clients} clients)`]: f.latency ? `${f.latency.p50Ms} / ${f.latency.p99Ms} / ${f.latency.maxMs} ms; ${f.latency.connected} connected, ${f.latency.eventsTimed} events timed, ${f.latency.delivered} of ${f.latency.expected} delivered` : 'not measured',
      'memory per idle stream': f.memory ? `${f.memory.kbPerStream} KB (RSS ${f.memory.rssBeforeMb} → ${f.memory.rssAfterMb} MB with ${f.memory.streams} streams)` : 'not measured',
      'open a run (snapshot + first stream event)': f.open ? `${f.open.totalMs} ms (${f.open.snapshotMs} + ${f.open.firstEventMs})` : 'not measured',
      ...(f.errors.length ? { problems: f.errors.join('; ') } : {}),
    });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const results = await benchEdge();
  printEdgeBench(results);
  console.log('| measurement | result | target |\n| --- | --- | --- |');
  for (const [what, result, target] of edgeRows(results)) console.log(`| ${what} | ${result} | ${target} |`);
}
