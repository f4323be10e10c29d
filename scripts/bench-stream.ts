// Stream benchmark: what the progress stream (SPEC §5) costs the server, measured on loopback with
// real server processes (`node --import tsx src/main.ts`, sandbox gateway, a temp SQLite file) and
// SSE clients in other processes (scripts/bench-client-worker.ts, raw node:http, ≤ 2,500 each).
// Prints figures beside their targets; asserts nothing. Every wait is bounded, and every child
// process is stopped at the end, on error too.
//
// 1. Fan-out latency at 1,000 and 10,000 clients. The clients must be connected to the run before
//    the events we time flow, but a run's sessionId exists only once it is triggered. So the file is
//    pre-seeded with gate orders first, then the measured orders, and the server runs with
//    PURCHASE_DELAY_MS=0 throughout; the clients connect while the walk is held by the gate, and
//    only the events from the first measured order on are timed (the bench checks that the last
//    client was connected before the first of them was committed; if not, it times from the first
//    event committed after that, and says so).
//    - 1,000 clients: G orders named "… [RATE_LIMITED]". The sandbox answers RATE_LIMITED
//      (Retry-After 1000 ms) once per purchase, so each holds the walk asynchronously for ~1 s,
//      then buys: a deterministic G-second gate, with 2 small commits per second.
//    - 10,000 clients: those commits would each be fanned out to the clients already connected
//      (~0.3 s of CPU per commit at 10,000), slowing the connections down. So one order named
//      "… [TIMEOUT]" with GATEWAY_MAX_ATTEMPTS=12: the sandbox fails it transiently, and the engine
//      retries with full-jitter backoff (ceilings 250 ms doubling to 10 s), a silent wait of
//      ~33 ± 7 s (random), after which the order ends `unknown` and the measured orders follow.
//      GATEWAY_MAX_ATTEMPTS changes nothing else: every other purchase succeeds at once.
//    The clients connect with Last-Event-ID = the run's last seq when the gate begins, instead of
//    taking the opening snapshot, which lists every order of the run (~130 B per order): that
//    keeps 10,000 connections from moving hundreds of MB before the measurement.
//    Latency = receipt (epoch ms, sub-ms, in the client process) − run_events.created_at (the
//    engine's clock.now() when it began the commit, whole ms), read from the file afterwards.
// 2. Memory: VmRSS of the server with 1,000 then 5,000 idle clients on a run waiting out a 1 h
//    PURCHASE_DELAY_MS; the slope between the two.
// 3. Replay: a finished run of ~2,100 orders (≥ 10,000 events); a late client with Last-Event-ID: 0.
// 4. JSON requests/s: GET /api/admin/stock-accounts (auth + one read) beside a bare Hono route
//    (scripts/bench-bare-server.ts), one load-generator process, keep-alive, 32 in flight, 3 s;
//    idle, then with 1,000 SSE clients on a run that moves (PURCHASE_DELAY_MS=20, so it lasts).
// 5. What the seed's polling (every watcher GETs the snapshot every 1.5 s) would cost instead.
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { openDatabase } from '../src/db/open.js';
import { createCredentialCipher, generateCredentialKey } from '../src/domain/credential-cipher.js';
import { sandboxUserId } from '../src/gateway/sandbox-credentials.js';
import { upsertAccountByUser } from '../src/stores/accounts.js';
import { write } from '../src/db/write.js';
import type { LatencyReply, LoadReply, OpenedReply, ReplayRun, StatsReply, WaitEndReply, WorkerCommand, WorkerReply } from './bench-client-worker.js';
import { freePort, sleep, waitFor } from './bench-wait.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const workerPath = fileURLToPath(new URL('./bench-client-worker.ts', import.meta.url));
const bareServerPath = fileURLToPath(new URL('./bench-bare-server.ts', import.meta.url));
const host = '127.0.0.1';
const token = 'bench-admin-token-0123456789';
const credentialKey = generateCredentialKey();
const clockTicks = 100; // CLK_TCK on Linux
const perWorker = 2_500;

/** Extra node flags for the API servers, e.g. BENCH_SERVER_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof". */
const serverNodeArgs = (process.env.BENCH_SERVER_NODE_ARGS ?? '').split(' ').filter(Boolean);
/** Which phases run: BENCH_PHASES=1a,1b,2,3,4 (all by default). */
const phases = new Set((process.env.BENCH_PHASES ?? '1a,1b,2,3,4').split(','));
/** What holds the walk while the clients connect (see 1. above). */
type Gate = { kind: 'rate-limited'; orders: number } | { kind: 'timeout'; attempts: number };
const gateOrders = (gate: Gate) => (gate.kind === 'rate-limited' ? gate.orders : 1);
const describeGate = (gate: Gate) =>
  gate.kind === 'rate-limited' ? `${gate.orders} s gate of [RATE_LIMITED] orders` : `one [TIMEOUT] order with GATEWAY_MAX_ATTEMPTS=${gate.attempts} as the gate`;
const num = (name: string, fallback: number) => (process.env[name] ? Number(process.env[name]) : fallback);
const settings = {
  latency: [
    { clients: num('BENCH_SSE_CLIENTS_A', 1_000), orders: num('BENCH_SSE_ORDERS_A', 300), gate: { kind: 'rate-limited', orders: num('BENCH_SSE_GATE_A', 6) } as Gate },
    { clients: num('BENCH_SSE_CLIENTS_B', 10_000), orders: num('BENCH_SSE_ORDERS_B', 40), gate: { kind: 'timeout', attempts: num('BENCH_SSE_GATE_ATTEMPTS_B', 12) } as Gate },
  ],
  memory: { first: 1_000, second: 5_000 },
  replay: { orders: 2_100, events: 10_000, reps: 5 },
  load: { concurrency: 32, warmupMs: 500, durationMs: 3_000, sseClients: 1_000, orders: 800, delayMs: 20 },
  pollEveryS: 1.5,
  /** The whole stream benchmark stops starting phases after this. */
  budgetMs: num('BENCH_STREAM_BUDGET_MS', 300_000),
};

const epochNow = () => performance.timeOrigin + performance.now();
const round = (x: number, digits = 1) => (Number.isFinite(x) ? Math.round(x * 10 ** digits) / 10 ** digits : x);
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

// ── Child processes ─────────────────────────────────────────────────────────────────────────────

const children = new Set<ChildProcess>();
const tempDirs = new Set<string>();
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(os.tmpdir(), 'autopurchase-bench-stream-'));
  tempDirs.add(dir);
  return dir;
}

function removeTempDir(dir: string) {
  rmSync(dir, { recursive: true, force: true });
  tempDirs.delete(dir);
}
// Interrupted: the children go too (the 'exit' handler above runs on process.exit).
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130));

function track<T extends ChildProcess>(child: T): T {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

const exited = (child: ChildProcess) => child.exitCode !== null || child.signalCode !== null;

async function stopChild(child: ChildProcess, graceMs = 3_000): Promise<void> {
  if (exited(child)) return;
  const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  if (await Promise.race([gone.then(() => true), sleep(graceMs).then(() => false)])) return;
  child.kill('SIGKILL');
  await Promise.race([gone, sleep(2_000)]);
}



interface Proc {
  proc: ChildProcess;
  pid: number;
  port: number;
  log: string[];
}

function keepLog(child: ChildProcess, log: string[]) {
  const add = (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n')) if (line.trim()) log.push(line);
    if (log.length > 200) log.splice(0, log.length - 200);
  };
  child.stdout?.on('data', add);
  child.stderr?.on('data', add);
}

async function waitHttp(p: Proc, path: string, label: string, timeoutMs = 30_000) {
  await waitFor(label, timeoutMs, async () => {
    if (exited(p.proc)) throw new Error(`${label} exited at start: ${p.log.slice(-10).join(' | ')}`);
    try {
      return (await request(p.port, 'GET', path)).status === 200;
    } catch {
      return false;
    }
  }, 100);
}

interface ApiServer extends Proc {
  dir: string;
  dbPath: string;
}

async function startApiServer(dir: string, dbPath: string, env: Record<string, string>): Promise<ApiServer> {
  const port = await freePort(host);
  const proc = track(
    spawn(process.execPath, [...serverNodeArgs, '--import', 'tsx', 'src/main.ts'], {
      cwd: root,
      env: {
        ...process.env,
        PORT: String(port),
        HOST: host,
        DATABASE_PATH: dbPath,
        ADMIN_TOKEN: token,
        CREDENTIAL_KEY: credentialKey,
        GATEWAY: 'sandbox',
        // One request-log line per request would be measured too: the bench measures the app.
        LOG_LEVEL: 'warn',
        // Every bench client shares the one admin token: the per-credential stream cap (100) would admit only 100 of them.
        MAX_STREAMS_PER_CLIENT: '20000',
        MAX_CONNECTIONS: '20000',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  );
  const server: ApiServer = { proc, pid: proc.pid!, port, log: [], dir, dbPath };
  keepLog(proc, server.log);
  await waitHttp(server, '/healthz', 'API server');
  return server;
}

async function startBareServer(): Promise<Proc> {
  const port = await freePort(host);
  const proc = track(
    spawn(process.execPath, ['--import', 'tsx', bareServerPath], { cwd: root, env: { ...process.env, PORT: String(port), HOST: host }, stdio: ['ignore', 'pipe', 'pipe'] }),
  );
  const server: Proc = { proc, pid: proc.pid!, port, log: [] };
  keepLog(proc, server.log);
  await waitHttp(server, '/bare', 'bare server');
  return server;
}

// ── Client workers ──────────────────────────────────────────────────────────────────────────────

type Command = WorkerCommand extends infer C ? (C extends { rid: number } ? Omit<C, 'rid'> : never) : never;

class Worker {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve(value: unknown): void; reject(error: Error): void }>();
  readonly ready: Promise<void>;

  constructor(readonly proc: ChildProcess, readonly name: string) {
    this.ready = new Promise((resolve, reject) => {
      proc.on('message', (message: WorkerReply | { ready: true }) => {
        if ('ready' in message) return resolve();
        const waiter = this.pending.get(message.rid);
        if (!waiter) return;
        this.pending.delete(message.rid);
        if (message.ok) waiter.resolve(message.result);
        else waiter.reject(new Error(`${name}: ${message.error}`));
      });
      proc.once('exit', (code, signal) => {
        const error = new Error(`${name} exited (${code ?? signal})`);
        reject(error);
        for (const waiter of this.pending.values()) waiter.reject(error);
        this.pending.clear();
      });
    });
  }

  call<T>(command: Command, timeoutMs: number): Promise<T> {
    const rid = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(rid);
        reject(new Error(`${this.name}: ${command.cmd} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(rid, {
        resolve: (value) => {
          clearTimeout(timer);
          resolve(value as T);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
      this.proc.send({ ...command, rid });
    });
  }
}

async function forkWorker(name: string): Promise<Worker> {
  const proc = track(fork(workerPath, [], { cwd: root, execArgv: ['--import', 'tsx', '--max-old-space-size=4096'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }));
  const worker = new Worker(proc, name);
  await Promise.race([worker.ready, sleep(30_000).then(() => Promise.reject(new Error(`${name} did not start`)))]);
  return worker;
}

/** Splits `total` clients over workers, at most 2,500 each. */
function spread(total: number, workers: number): number[] {
  const counts = Array.from({ length: workers }, (_, i) => Math.floor(total / workers) + (i < total % workers ? 1 : 0));
  if (counts.some((n) => n > perWorker)) throw new Error(`${total} clients need more than ${workers} workers`);
  return counts;
}

async function openClients(workers: Worker[], counts: number[], server: Proc, sessionId: string, lastEventId?: number): Promise<{ opened: OpenedReply[]; ok: number; allOpenAt: number; ms: number }> {
  const headers: Record<string, string> = { authorization: `Bearer ${token}`, accept: 'text/event-stream' };
  if (lastEventId !== undefined) headers['last-event-id'] = String(lastEventId);
  const started = performance.now();
  const opened = await Promise.all(
    workers.map((worker, i) =>
      worker.call<OpenedReply>({ cmd: 'open', host, port: server.port, path: `/api/auto-purchase/progress/${sessionId}/events`, headers, count: counts[i] ?? 0, maxInflight: 64 }, 120_000),
    ),
  );
  return { opened, ok: opened.reduce((n, o) => n + o.ok, 0), allOpenAt: Math.max(...opened.map((o) => o.allOpenAt)), ms: performance.now() - started };
}

const closeClients = (workers: Worker[]) => Promise.all(workers.map((w) => w.call({ cmd: 'close' }, 30_000)));

// ── HTTP, SQLite, /proc ─────────────────────────────────────────────────────────────────────────

function request(port: number, method: string, path: string, body?: unknown): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = http.request(
      {
        host,
        port,
        path,
        method,
        agent: false,
        timeout: 30_000,
        headers: { authorization: `Bearer ${token}`, ...(payload ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : { 'content-length': 0 }) },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${path}: timeout`)));
    req.on('error', reject);
    req.end(payload);
  });
}

async function trigger(server: Proc): Promise<string> {
  const res = await request(server.port, 'POST', '/api/auto-purchase');
  if (res.status !== 202) throw new Error(`POST /api/auto-purchase answered ${res.status}: ${res.text}`);
  return (JSON.parse(res.text) as { sessionId: string }).sessionId;
}

/** The exact size on the wire of one response (status line, headers, body), as a keep-alive poller gets it. */
function responseSize(port: number, path: string): Promise<{ status: number; bytes: number; headerBytes: number; requestBytes: number }> {
  return new Promise((resolve, reject) => {
    const requestText = `GET ${path} HTTP/1.1\r\nHost: ${host}:${port}\r\nAuthorization: Bearer ${token}\r\nAccept: application/json\r\nConnection: keep-alive\r\n\r\n`;
    const socket = net.connect(port, host, () => socket.write(requestText));
    const chunks: Buffer[] = [];
    let total = 0;
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error('snapshot size: timeout'));
    }, 30_000);
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      total += chunk.length;
      const all = Buffer.concat(chunks);
      const headerEnd = all.indexOf('\r\n\r\n');
      if (headerEnd < 0) return;
      const head = all.subarray(0, headerEnd).toString('latin1');
      const length = /\r\ncontent-length:\s*(\d+)/i.exec(head);
      const done = length ? total >= headerEnd + 4 + Number(length[1]) : all.subarray(all.length - 5).toString('latin1') === '0\r\n\r\n';
      if (!done) return;
      clearTimeout(timer);
      socket.destroy();
      resolve({ status: Number(head.split(' ')[1]), bytes: total, headerBytes: headerEnd + 4, requestBytes: Buffer.byteLength(requestText) });
    });
    socket.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

async function seed(dbPath: string, options: { gate?: Gate; orders: number }): Promise<void> {
  const database = openDatabase(dbPath);
  try {
    const cipher = await createCredentialCipher(credentialKey);
    const robux = 100_000_000;
    const now = Date.now();
    const credentialEnc = await cipher.encrypt(`sandbox:bench:${robux}`);
    // Through a transaction, as every write: a failed commit throws here instead of being lost.
    write(database.db, (tx) =>
      upsertAccountByUser(tx, {
        id: 'bench-account',
        userId: sandboxUserId('bench'),
        username: 'bench',
        displayName: 'Bench',
        robux,
        status: 'active',
        credentialEnc,
        lastChecked: now,
        createdAt: now,
        updatedAt: now,
      }),
    );
    const insert = database.sqlite.prepare(
      "insert into transactions (invoice_id, gamepass_id, gamepass_name, gamepass_price, gamepass_seller_id, status, created_at, updated_at) values (?, ?, ?, 10, 77, 'pending', ?, ?)",
    );
    const base = now - 1_000_000;
    database.sqlite.transaction(() => {
      const gate = options.gate ? gateOrders(options.gate) : 0;
      const marker = options.gate?.kind === 'timeout' ? '[TIMEOUT]' : '[RATE_LIMITED]';
      for (let i = 0; i < gate; i++) insert.run(`GATE-${i}`, 900_000 + i, `Gate ${i} ${marker}`, base + i, base + i);
      for (let i = 0; i < options.orders; i++) insert.run(`BENCH-${i}`, i + 1, `Pass ${i}`, base + gate + i, base + gate + i);
    })();
  } finally {
    database.close();
  }
}

interface RunState {
  status: string;
  current_step: string;
  last_seq: number;
}

function openReader(dbPath: string) {
  const db = new Database(dbPath, { readonly: true, fileMustExist: true });
  const state = db.prepare('select status, current_step, last_seq from runs where session_id = ?');
  return {
    state: (sessionId: string) => state.get(sessionId) as RunState | undefined,
    events: (sessionId: string) =>
      db.prepare('select seq, type, data, created_at from run_events where session_id = ? order by seq').all(sessionId) as { seq: number; type: string; data: string; created_at: number }[],
    close: () => db.close(),
  };
}

function cpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]); // utime + stime (fields 14 and 15)
}

function rssKb(pid: number): number {
  return Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN);
}

/** utime+stime of a process every 50 ms, so the CPU of any window can be read afterwards. */
function cpuSampler(pid: number) {
  const samples: { at: number; ticks: number }[] = [];
  const sample = () => {
    try {
      samples.push({ at: epochNow(), ticks: cpuTicks(pid) });
    } catch {
      /* the process is gone */
    }
  };
  sample();
  const timer = setInterval(sample, 50);
  return {
    stop: () => clearInterval(timer),
    /** % of one core between two epoch times. */
    percent(from: number, to: number): number {
      sample();
      const before = [...samples].reverse().find((s) => s.at <= from) ?? samples[0]!;
      const after = samples.find((s) => s.at >= to) ?? samples[samples.length - 1]!;
      if (after.at <= before.at) return NaN;
      return ((after.ticks - before.ticks) / clockTicks / ((after.at - before.at) / 1000)) * 100;
    },
  };
}

// ── Latency histograms ──────────────────────────────────────────────────────────────────────────

function mergeLatency(replies: LatencyReply[]) {
  const buckets = new Map<number, number>();
  const overflow: number[] = [];
  let count = 0;
  let sum = 0;
  let max = 0;
  let missing = 0;
  let duplicates = 0;
  let negative = 0;
  for (const r of replies) {
    for (const [bucket, n] of r.buckets) buckets.set(bucket, (buckets.get(bucket) ?? 0) + n);
    overflow.push(...r.overflow);
    count += r.count;
    sum += r.sum;
    max = Math.max(max, r.max);
    missing += r.missing;
    duplicates += r.duplicates;
    negative += r.negative;
  }
  const sorted = [...buckets.entries()].sort((a, b) => a[0] - b[0]);
  overflow.sort((a, b) => a - b);
  /** The upper edge of the 0.1 ms bucket holding the p-th percentile. */
  const percentile = (p: number) => {
    const rank = Math.max(1, Math.ceil((p / 100) * count));
    let seen = 0;
    for (const [bucket, n] of sorted) {
      seen += n;
      if (seen >= rank) return (bucket + 1) / 10;
    }
    return overflow[rank - seen - 1] ?? max;
  };
  return { count, missing, duplicates, negative, mean: count ? sum / count : NaN, p50: percentile(50), p90: percentile(90), p99: percentile(99), max };
}

// ── 1. Fan-out latency ──────────────────────────────────────────────────────────────────────────

export interface LatencyFigures {
  clients: number;
  connected: number;
  connectMs: number;
  /** How long before the first timed commit the last client was connected (negative: too late). */
  connectedAheadMs: number;
  orders: number;
  eventsTimed: number;
  delivered: number;
  expected: number;
  missing: number;
  duplicates: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
  meanMs: number;
  /** From the first timed commit to the last client's receipt of the end event. */
  deliveryWindowMs: number;
  /** Events the engine committed per second while the clients watched. */
  eventsPerSecond: number;
  serverCpuPct: number;
  /** The client processes' CPU over the same window, % of one core (summed). */
  clientCpuPct: number;
  /** Server CPU per event per client over the window. */
  serverCpuUsPerDelivery: number;
  timedFrom: string;
  /** From the gate's first commit seen to the first measured commit. */
  gateMs: number;
  peakRssMb: number;
  snapshotResponseBytes: number;
  snapshotHeaderBytes: number;
  pollRequestBytes: number;
  /** Per watcher: SSE body bytes of the timed events, and their rate over the delivery window. */
  streamBytesPerWatcher: number;
  streamBytesPerSecondPerWatcher: number;
  streamBytesPerOrder: number;
  /** Per watcher, the whole connection on the wire (headers, chunk framing, gate events). */
  wireBytesPerWatcher: number;
  endedCleanly: number;
  closedEarly: number;
  errors: number;
}

async function latencyPhase(pool: Worker[], clients: number, orders: number, gateSpec: Gate): Promise<LatencyFigures> {
  const gate = gateOrders(gateSpec);
  const dir = tempDir();
  const dbPath = join(dir, 'bench.db');
  let server: ApiServer | undefined;
  let reader: ReturnType<typeof openReader> | undefined;
  let sampler: ReturnType<typeof cpuSampler> | undefined;
  let clientSamplers: ReturnType<typeof cpuSampler>[] = [];
  const workers = pool.slice(0, Math.max(2, Math.ceil(clients / perWorker)));
  try {
    await seed(dbPath, { gate: gateSpec, orders });
    server = await startApiServer(dir, dbPath, { PURCHASE_DELAY_MS: '0', ...(gateSpec.kind === 'timeout' ? { GATEWAY_MAX_ATTEMPTS: String(gateSpec.attempts) } : {}) });
    sampler = cpuSampler(server.pid);
    clientSamplers = workers.map((w) => cpuSampler(w.proc.pid!));
    reader = openReader(dbPath);
    const sessionId = await trigger(server);
    const inGate = await waitFor('the run to reach the gate', 15_000, () => {
      const state = reader!.state(sessionId);
      return state?.current_step.startsWith('Processing transaction 1/') ? state : undefined;
    }, 20);
    const gateStartedAt = epochNow();
    const open = await openClients(workers, spread(clients, workers.length), server, sessionId, inGate.last_seq);
    let peakRss = rssKb(server.pid);
    console.log(`  ${fmt(open.ok)} of ${fmt(clients)} clients connected in ${fmt(open.ms)} ms, ${fmt(open.allOpenAt - gateStartedAt)} ms into the gate (${describeGate(gateSpec)}); step now: ${reader.state(sessionId)?.current_step}`);
    const snapshot = await responseSize(server.port, `/api/auto-purchase/progress/${sessionId}`);
    const rssTimer = setInterval(() => {
      try {
        peakRss = Math.max(peakRss, rssKb(server!.pid));
      } catch {
        /* gone */
      }
    }, 100);
    const timeoutMs = clients > 5_000 ? 120_000 : 60_000;
    const waited = await Promise.all(workers.map((w) => w.call<WaitEndReply>({ cmd: 'waitEnd', timeoutMs }, timeoutMs + 10_000)));
    clearInterval(rssTimer);
    if (waited.some((w) => w.timedOut)) console.log(`  warning: some streams had not ended after ${timeoutMs} ms`);
    const rows = reader.events(sessionId);
    const fastStart = rows.find((row) => row.type === 'step' && (JSON.parse(row.data) as { currentStep: string }).currentStep.startsWith(`Processing transaction ${gate + 1}/`));
    if (!fastStart) throw new Error('the first timed order has no step event (the gate outlasted the wait)');
    // Normally the timed events are the measured orders'. Should the last client have connected
    // after they began, timing starts at the first event committed after it connected.
    const first = fastStart.created_at > open.allOpenAt ? fastStart : rows.find((row) => row.seq >= fastStart.seq && row.created_at > open.allOpenAt + 1);
    if (!first) throw new Error('no event was committed after the last client connected');
    if (first !== fastStart) console.log(`  note: the last client connected ${fmt(open.allOpenAt - fastStart.created_at)} ms after the measured orders began; timing from seq ${first.seq}, the first event committed after it`);
    const timed = rows.filter((row) => row.seq >= first.seq);
    const last = timed[timed.length - 1]!;
    if (last.type !== 'end') console.log(`  warning: the run did not end in time (last event ${last.type}); undelivered events count as missing`);
    const commitTimes = timed.map((row) => row.created_at);
    const replies = await Promise.all(workers.map((w) => w.call<LatencyReply>({ cmd: 'latency', fromSeq: first.seq, commitTimes }, 60_000)));
    const merged = mergeLatency(replies);
    const lastReceipt = Math.max(...replies.map((r) => r.lastReceipt));
    const window = lastReceipt - first.created_at;
    const serverCpu = sampler.percent(first.created_at, lastReceipt);
    const frameBytes = timed.reduce((n, row) => n + Buffer.byteLength(`id: ${row.seq}\nevent: ${row.type}\ndata: ${row.data}\n\n`), 0);
    const connections = replies.reduce((n, r) => n + r.connections, 0);
    const wire = replies.reduce((n, r) => n + r.avgWireBytes * r.connections, 0) / (connections || 1);
    const figures: LatencyFigures = {
      clients,
      connected: open.ok,
      connectMs: round(open.ms, 0),
      connectedAheadMs: round(fastStart.created_at - open.allOpenAt, 0),
      orders,
      eventsTimed: timed.length,
      delivered: merged.count,
      expected: timed.length * clients,
      missing: merged.missing,
      duplicates: merged.duplicates,
      p50Ms: round(merged.p50),
      p90Ms: round(merged.p90),
      p99Ms: round(merged.p99),
      maxMs: round(merged.max),
      meanMs: round(merged.mean),
      deliveryWindowMs: round(window, 0),
      eventsPerSecond: round((timed.length / Math.max(1, last.created_at - first.created_at)) * 1000, 0),
      serverCpuPct: round(serverCpu, 0),
      clientCpuPct: round(clientSamplers.reduce((n, c) => n + c.percent(first.created_at, lastReceipt), 0), 0),
      serverCpuUsPerDelivery: round((serverCpu / 100) * window * 1000 / Math.max(1, merged.count), 1),
      timedFrom: first === fastStart ? 'measured orders' : `seq ${first.seq}`,
      gateMs: round(fastStart.created_at - gateStartedAt, 0),
      peakRssMb: round(peakRss / 1024, 0),
      snapshotResponseBytes: snapshot.bytes,
      snapshotHeaderBytes: snapshot.headerBytes,
      pollRequestBytes: snapshot.requestBytes,
      streamBytesPerWatcher: frameBytes,
      streamBytesPerSecondPerWatcher: round((frameBytes / window) * 1000, 0),
      streamBytesPerOrder: round(frameBytes / orders, 0),
      wireBytesPerWatcher: round(wire, 0),
      endedCleanly: waited.reduce((n, w) => n + w.ended, 0),
      closedEarly: waited.reduce((n, w) => n + w.closedEarly, 0),
      errors: waited.reduce((n, w) => n + w.errors, 0),
    };
    await closeClients(workers);
    return figures;
  } finally {
    sampler?.stop();
    for (const c of clientSamplers) c.stop();
    reader?.close();
    await Promise.allSettled(workers.map((w) => w.call({ cmd: 'close' }, 30_000)));
    if (server) await stopChild(server.proc);
    removeTempDir(dir);
  }
}

// ── 2. Memory per idle client ───────────────────────────────────────────────────────────────────

export interface MemoryFigures {
  rssIdleMb: number;
  rssAt1000Mb: number;
  rssAt5000Mb: number;
  kbPerClient: number;
  kbPerClientFirst1000: number;
  connected: number;
  rssAfterCloseMb: number;
  /** How long opening the first 1,000 and the next 4,000 took (each gets the opening snapshot). */
  connectMsFirst: number;
  connectMsSecond: number;
}

async function averageRss(pid: number, samples = 5, everyMs = 200): Promise<number> {
  let total = 0;
  for (let i = 0; i < samples; i++) {
    total += rssKb(pid);
    await sleep(everyMs);
  }
  return total / samples;
}

async function memoryPhase(pool: Worker[]): Promise<MemoryFigures> {
  const dir = tempDir();
  const dbPath = join(dir, 'bench.db');
  let server: ApiServer | undefined;
  let reader: ReturnType<typeof openReader> | undefined;
  try {
    await seed(dbPath, { orders: 3 });
    // The run buys one order, then waits an hour: a run that does not move.
    server = await startApiServer(dir, dbPath, { PURCHASE_DELAY_MS: '1h' });
    reader = openReader(dbPath);
    const sessionId = await trigger(server);
    await waitFor('the run to wait', 15_000, () => reader!.state(sessionId)?.current_step.startsWith('Waiting before next purchase'));
    await sleep(1_000);
    const idle = await averageRss(server.pid);
    const { first, second } = settings.memory;
    // Without Last-Event-ID: each client gets the opening snapshot (3 orders), as a browser does.
    const a = await openClients(pool.slice(0, 2), spread(first, 2), server, sessionId);
    await sleep(2_000);
    const at1 = await averageRss(server.pid);
    const b = await openClients(pool, spread(second - first, pool.length), server, sessionId);
    await sleep(3_000);
    const at5 = await averageRss(server.pid);
    const stats = await Promise.all(pool.map((w) => w.call<StatsReply>({ cmd: 'stats' }, 10_000)));
    await closeClients(pool);
    await sleep(1_500);
    const after = await averageRss(server.pid, 3);
    return {
      rssIdleMb: round(idle / 1024),
      rssAt1000Mb: round(at1 / 1024),
      rssAt5000Mb: round(at5 / 1024),
      kbPerClient: round((at5 - at1) / (second - first), 2),
      kbPerClientFirst1000: round((at1 - idle) / first, 2),
      connected: Math.min(a.ok + b.ok, stats.reduce((n, s) => n + s.open, 0)),
      rssAfterCloseMb: round(after / 1024),
      connectMsFirst: round(a.ms, 0),
      connectMsSecond: round(b.ms, 0),
    };
  } finally {
    reader?.close();
    await Promise.allSettled(pool.map((w) => w.call({ cmd: 'close' }, 30_000)));
    if (server) await stopChild(server.proc);
    removeTempDir(dir);
  }
}

// ── 3. Replay to a late client ──────────────────────────────────────────────────────────────────

export interface ReplayFigures {
  runEvents: number;
  runMs: number;
  firstMs: number;
  medianMs: number;
  minMs: number;
  maxMs: number;
  toEndMedianMs: number;
  eventsReceived: number;
  bodyBytes: number;
}

async function replayPhase(worker: Worker): Promise<ReplayFigures> {
  const dir = tempDir();
  const dbPath = join(dir, 'bench.db');
  let server: ApiServer | undefined;
  let reader: ReturnType<typeof openReader> | undefined;
  try {
    await seed(dbPath, { orders: settings.replay.orders });
    server = await startApiServer(dir, dbPath, { PURCHASE_DELAY_MS: '0' });
    reader = openReader(dbPath);
    const started = performance.now();
    const sessionId = await trigger(server);
    const done = await waitFor('the replay run to end', 90_000, () => {
      const state = reader!.state(sessionId);
      return state && state.status !== 'running' ? state : undefined;
    }, 100);
    const runMs = performance.now() - started;
    if (done.last_seq < settings.replay.events) throw new Error(`the run has only ${done.last_seq} events`);
    await sleep(500);
    const runs = await worker.call<ReplayRun[]>(
      {
        cmd: 'replay',
        host,
        port: server.port,
        path: `/api/auto-purchase/progress/${sessionId}/events`,
        headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream', 'last-event-id': '0' },
        targetEvents: settings.replay.events,
        reps: settings.replay.reps,
        timeoutMs: 30_000,
      },
      200_000,
    );
    const times = runs.map((r) => r.toTargetMs).sort((x, y) => x - y);
    const ends = runs.map((r) => r.toEndMs).sort((x, y) => x - y);
    return {
      runEvents: done.last_seq,
      runMs: round(runMs, 0),
      firstMs: round(runs[0]!.toTargetMs),
      medianMs: round(times[Math.floor(times.length / 2)]!),
      minMs: round(times[0]!),
      maxMs: round(times[times.length - 1]!),
      toEndMedianMs: round(ends[Math.floor(ends.length / 2)]!),
      eventsReceived: runs[0]!.events,
      bodyBytes: runs[0]!.bodyBytes,
    };
  } finally {
    reader?.close();
    if (server) await stopChild(server.proc);
    removeTempDir(dir);
  }
}

// ── 4. JSON requests/s beside a bare Hono route ─────────────────────────────────────────────────

export interface LoadFigures {
  bareIdle: LoadReply & { serverCpuPct: number };
  apiIdle: LoadReply & { serverCpuPct: number };
  apiWithStreams: LoadReply & { serverCpuPct: number };
  bareWithStreams: LoadReply & { serverCpuPct: number };
  ratioIdlePct: number;
  ratioWithStreamsPct: number;
  ratioWithStreamsToBareIdlePct: number;
  sseClients: number;
  eventsDeliveredDuringApiLoad: number;
  runStillMoving: boolean;
  streamBytesPerSecondPerWatcher: number;
}

async function measureLoad(loader: Worker, server: Proc, path: string, withToken: boolean) {
  const sampler = cpuSampler(server.pid);
  const { concurrency, warmupMs, durationMs } = settings.load;
  const from = epochNow() + warmupMs;
  try {
    const result = await loader.call<LoadReply>(
      { cmd: 'load', host, port: server.port, path, headers: withToken ? { authorization: `Bearer ${token}` } : {}, concurrency, warmupMs, durationMs },
      warmupMs + durationMs + 30_000,
    );
    return { ...result, rps: round(result.rps, 0), p50Ms: round(result.p50Ms, 2), p99Ms: round(result.p99Ms, 2), clientCpuPct: round(result.clientCpuPct, 0), bytesPerResponse: round(result.bytesPerResponse, 0), serverCpuPct: round(sampler.percent(from, from + durationMs), 0) };
  } finally {
    sampler.stop();
  }
}

async function loadPhase(pool: Worker[], loader: Worker): Promise<LoadFigures> {
  const dir = tempDir();
  const dbPath = join(dir, 'bench.db');
  let server: ApiServer | undefined;
  let bare: Proc | undefined;
  let reader: ReturnType<typeof openReader> | undefined;
  const workers = pool.slice(0, 2);
  try {
    await seed(dbPath, { orders: settings.load.orders });
    [bare, server] = await Promise.all([startBareServer(), startApiServer(dir, dbPath, { PURCHASE_DELAY_MS: String(settings.load.delayMs) })]);
    reader = openReader(dbPath);
    const apiPath = '/api/admin/stock-accounts';
    const check = await request(server.port, 'GET', apiPath);
    if (check.status !== 200) throw new Error(`GET ${apiPath} answered ${check.status}`);
    const bareIdle = await measureLoad(loader, bare, '/bare', false);
    const apiIdle = await measureLoad(loader, server, apiPath, true);
    const sessionId = await trigger(server);
    const moving = await waitFor('the run to move', 15_000, () => {
      const state = reader!.state(sessionId);
      return state?.current_step.startsWith('Processing transaction') || state?.current_step.startsWith('Waiting') ? state : undefined;
    }, 20);
    const open = await openClients(workers, spread(settings.load.sseClients, workers.length), server, sessionId, moving.last_seq);
    console.log(`  ${fmt(open.ok)} SSE clients connected to the moving run in ${fmt(open.ms)} ms`);
    await sleep(300);
    const before = await Promise.all(workers.map((w) => w.call<StatsReply>({ cmd: 'stats' }, 10_000)));
    const seqBefore = reader.state(sessionId)!.last_seq;
    const t0 = epochNow();
    const apiWithStreams = await measureLoad(loader, server, apiPath, true);
    const afterApi = await Promise.all(workers.map((w) => w.call<StatsReply>({ cmd: 'stats' }, 10_000)));
    const bytesPerSecond = (afterApi.reduce((n, s) => n + s.bodyBytes, 0) - before.reduce((n, s) => n + s.bodyBytes, 0)) / open.ok / ((epochNow() - t0) / 1000);
    const bareWithStreams = await measureLoad(loader, bare, '/bare', false);
    const state = reader.state(sessionId)!;
    const figures: LoadFigures = {
      bareIdle,
      apiIdle,
      apiWithStreams,
      bareWithStreams,
      ratioIdlePct: round((apiIdle.rps / bareIdle.rps) * 100, 0),
      ratioWithStreamsPct: round((apiWithStreams.rps / bareWithStreams.rps) * 100, 0),
      ratioWithStreamsToBareIdlePct: round((apiWithStreams.rps / bareIdle.rps) * 100, 0),
      sseClients: open.ok,
      eventsDeliveredDuringApiLoad: afterApi.reduce((n, s) => n + s.events, 0) - before.reduce((n, s) => n + s.events, 0),
      runStillMoving: state.status === 'running' && state.last_seq > seqBefore,
      streamBytesPerSecondPerWatcher: round(bytesPerSecond, 0),
    };
    await closeClients(workers);
    return figures;
  } finally {
    reader?.close();
    await Promise.allSettled(workers.map((w) => w.call({ cmd: 'close' }, 30_000)));
    await Promise.allSettled([server && stopChild(server.proc), bare && stopChild(bare.proc)]);
    removeTempDir(dir);
  }
}

// ── 5. What polling would cost ──────────────────────────────────────────────────────────────────

export interface PollingFigures {
  watchers: number;
  snapshotResponseBytes: number;
  ordersInRun: number;
  pollRequestsPerSecond: number;
  pollBytesPerSecond: number;
  streamBytesPerSecondAllWatchers: number;
  streamBytesPerSecondPerWatcher: number;
  pollBytesPerSecondPerWatcher: number;
  /** Per watcher, the stream at the default PURCHASE_DELAY_MS (10 s): bytes of one order's events every 10 s. */
  streamBytesPerSecondPerWatcherAtDefaultDelay: number;
}

function pollingFigures(latency: LatencyFigures): PollingFigures {
  const perWatcher = latency.snapshotResponseBytes / settings.pollEveryS;
  return {
    watchers: latency.clients,
    snapshotResponseBytes: latency.snapshotResponseBytes,
    ordersInRun: latency.orders,
    pollRequestsPerSecond: round(latency.clients / settings.pollEveryS, 0),
    pollBytesPerSecond: round(latency.clients * perWatcher, 0),
    pollBytesPerSecondPerWatcher: round(perWatcher, 0),
    streamBytesPerSecondPerWatcher: latency.streamBytesPerSecondPerWatcher,
    streamBytesPerSecondAllWatchers: round(latency.streamBytesPerSecondPerWatcher * latency.clients, 0),
    // One more event per order at a delay > 0: the "Waiting before next purchase…" step (~110 B).
    streamBytesPerSecondPerWatcherAtDefaultDelay: round((latency.streamBytesPerOrder + 110) / 10, 0),
  };
}

// ── The whole benchmark ─────────────────────────────────────────────────────────────────────────

export interface StreamFigures {
  latency: (LatencyFigures | undefined)[];
  memory?: MemoryFigures;
  replay?: ReplayFigures;
  load?: LoadFigures;
  polling: PollingFigures[];
  errors: string[];
  loadAverage: { before: number[]; after: number[] };
}

const mb = (bytes: number) => `${round(bytes / 1e6, 2)} MB`;
const yesNo = (ok: boolean) => (ok ? 'met' : 'NOT met');

export async function benchStream(): Promise<StreamFigures> {
  const started = performance.now();
  const figures: StreamFigures = { latency: [], polling: [], errors: [], loadAverage: { before: os.loadavg().map((x) => round(x, 2)), after: [] } };
  const overBudget = () => performance.now() - started > settings.budgetMs;
  const phase = async <T>(name: string, run: () => Promise<T>): Promise<T | undefined> => {
    if (overBudget()) {
      figures.errors.push(`${name}: skipped, the stream benchmark is over its ${settings.budgetMs / 1000} s budget`);
      console.log(`\n${name}: skipped (over budget)`);
      return undefined;
    }
    console.log(`\n${name}`);
    const phaseStart = performance.now();
    try {
      const result = await run();
      console.log(`  (${round((performance.now() - phaseStart) / 1000)} s)`);
      return result;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      figures.errors.push(`${name}: ${message}`);
      console.log(`  FAILED: ${message}`);
      return undefined;
    }
  };

  console.log(
    `\nstream: loopback, ${os.cpus().length} cores, load average ${figures.loadAverage.before.join(' / ')} at start. Servers, clients and the load generator share these cores, and other people may be running tests on this machine: figures are indicative.`,
  );
  let pool: Worker[] = [];
  let loader: Worker | undefined;
  try {
    pool = await Promise.all([0, 1, 2, 3].map((i) => forkWorker(`client-worker-${i}`)));
    loader = await forkWorker('load-generator');

    for (const [i, { clients, orders, gate: gateSpec }] of settings.latency.entries()) {
      const gate = gateOrders(gateSpec);
      if (!phases.has(i === 0 ? '1a' : '1b')) continue;
      const result = await phase(`1. fan-out latency, ${fmt(clients)} SSE clients (${orders} orders ≈ ${orders * 5} events, PURCHASE_DELAY_MS=0, ${describeGate(gateSpec)})`, () => latencyPhase(pool, clients, orders, gateSpec));
      figures.latency.push(result);
      if (result) {
        const target = clients === 1_000 ? 'p99 < 50 ms' : '(no target)';
        console.table({
          'clients connected': `${fmt(result.connected)} of ${fmt(result.clients)} in ${fmt(result.connectMs)} ms; gate lasted ${fmt(result.gateMs)} ms; last client ${result.connectedAheadMs >= 0 ? `${fmt(result.connectedAheadMs)} ms before the first measured commit` : `${fmt(-result.connectedAheadMs)} ms AFTER the measured orders began: timed from ${result.timedFrom}`}`,
          'events timed': `${fmt(result.eventsTimed)} (engine committed ${fmt(result.eventsPerSecond)} events/s while watched)`,
          'events delivered': `${fmt(result.delivered)} of ${fmt(result.expected)} (missing ${fmt(result.missing)}, duplicates ${result.duplicates})`,
          'latency p50 / p90 / p99 / max': `${result.p50Ms} / ${result.p90Ms} / ${result.p99Ms} / ${result.maxMs} ms (mean ${result.meanMs})`,
          target: `${target}${clients === 1_000 ? `: ${yesNo(result.p99Ms < 50)}` : ''}`,
          'server CPU during delivery': `${result.serverCpuPct} % of one core over ${fmt(result.deliveryWindowMs)} ms = ${result.serverCpuUsPerDelivery} µs per event per client; client processes ${result.clientCpuPct} %`,
          'server peak RSS': `${result.peakRssMb} MB`,
          'streams ended / closed early / errors': `${fmt(result.endedCleanly)} / ${result.closedEarly} / ${result.errors}`,
          'stream per watcher': `${fmt(result.streamBytesPerWatcher)} B of timed events (${fmt(result.streamBytesPerOrder)} B per order), ${fmt(result.streamBytesPerSecondPerWatcher)} B/s; ${fmt(result.wireBytesPerWatcher)} B on the wire for the whole connection`,
          'snapshot response (GET …/progress/:id)': `${fmt(result.snapshotResponseBytes)} B (headers ${result.snapshotHeaderBytes} B) for a run of ${gate + orders} orders`,
        });
      }
    }

    if (phases.has('2')) figures.memory = await phase('2. server memory per idle SSE client (run waiting out PURCHASE_DELAY_MS=1h)', () => memoryPhase(pool));
    if (figures.memory) {
      const m = figures.memory;
      console.table({
        'RSS idle / 1,000 / 5,000 clients': `${m.rssIdleMb} / ${m.rssAt1000Mb} / ${m.rssAt5000Mb} MB (${fmt(m.connected)} connected at the end)`,
        'KB per client (slope 1,000 → 5,000)': `${m.kbPerClient} KB — target < 20 KB: ${yesNo(m.kbPerClient < 20)}`,
        'KB per client (0 → 1,000)': `${m.kbPerClientFirst1000} KB`,
        'RSS after all closed': `${m.rssAfterCloseMb} MB`,
        'time to connect': `${fmt(m.connectMsFirst)} ms for the first ${fmt(settings.memory.first)}, ${fmt(m.connectMsSecond)} ms for the next ${fmt(settings.memory.second - settings.memory.first)}`,
      });
    }

    if (phases.has('3')) figures.replay = await phase(`3. replay of ${fmt(settings.replay.events)} stored events to a late client (Last-Event-ID: 0)`, () => replayPhase(pool[0]!));
    if (figures.replay) {
      const r = figures.replay;
      console.table({
        'run replayed': `${fmt(r.runEvents)} events (${fmt(settings.replay.orders)} orders, run took ${fmt(r.runMs)} ms)`,
        [`request → ${fmt(settings.replay.events)}th event`]: `first ${r.firstMs} ms, median ${r.medianMs} ms, min ${r.minMs}, max ${r.maxMs} (of ${settings.replay.reps}) — target < 200 ms: ${yesNo(r.medianMs < 200)}`,
        'request → end of stream (median)': `${r.toEndMedianMs} ms, ${fmt(r.eventsReceived)} events, ${mb(r.bodyBytes)}`,
      });
    }

    if (phases.has('4')) figures.load = await phase(`4. JSON requests/s: GET /api/admin/stock-accounts (auth + one read) vs a bare Hono route; ${settings.load.concurrency} in flight, keep-alive, ${settings.load.durationMs / 1000} s each`, () => loadPhase(pool, loader!));
    if (figures.load) {
      const l = figures.load;
      const row = (x: LoadReply & { serverCpuPct: number }) => `${fmt(x.rps)} req/s, p50 ${x.p50Ms} ms, p99 ${x.p99Ms} ms, server CPU ${x.serverCpuPct} %, load generator CPU ${x.clientCpuPct} %${x.errors || x.nonOk ? `, ${x.errors} errors, ${x.nonOk} non-200` : ''}`;
      console.table({
        'bare route, idle': row(l.bareIdle),
        'JSON route, idle': row(l.apiIdle),
        [`JSON route, ${fmt(l.sseClients)} SSE clients on a moving run`]: row(l.apiWithStreams),
        [`bare route, same time (machine busy with the ${fmt(l.sseClients)} streams)`]: row(l.bareWithStreams),
        'JSON / bare, idle': `${l.ratioIdlePct} % — target ≥ 70 %: ${yesNo(l.ratioIdlePct >= 70)}`,
        'JSON / bare, with streams': `${l.ratioWithStreamsPct} % (vs bare idle: ${l.ratioWithStreamsToBareIdlePct} %)`,
        'stream during the load': `${fmt(l.eventsDeliveredDuringApiLoad)} events delivered to the clients, ${fmt(l.streamBytesPerSecondPerWatcher)} B/s per watcher (PURCHASE_DELAY_MS=${settings.load.delayMs}), run still moving after: ${l.runStillMoving}`,
      });
    }

    console.log(`\n5. what the seed's polling (GET …/progress/:id every ${settings.pollEveryS} s per watcher) would cost`);
    const measured = figures.latency.filter((l): l is LatencyFigures => l !== undefined);
    const [small, large] = [...measured].sort((x, y) => x.orders - y.orders);
    const perOrder = small && large && large.orders !== small.orders ? (large.snapshotResponseBytes - small.snapshotResponseBytes) / (large.orders - small.orders) : undefined;
    if (perOrder !== undefined) console.log(`  the snapshot response grows ${round(perOrder, 0)} B per order of the run (${fmt(small!.snapshotResponseBytes)} B at ${small!.orders} orders, ${fmt(large!.snapshotResponseBytes)} B at ${large!.orders})`);
    for (const latency of figures.latency) {
      if (!latency) continue;
      const p = pollingFigures(latency);
      figures.polling.push(p);
      console.table({
        watchers: fmt(p.watchers),
        'one snapshot response': `${fmt(p.snapshotResponseBytes)} B (the run used: ${p.ordersInRun} orders + gate)`,
        'polling: requests/s': fmt(p.pollRequestsPerSecond),
        'polling: bytes/s': `${mb(p.pollBytesPerSecond)}/s (${fmt(p.pollBytesPerSecondPerWatcher)} B/s per watcher), whether or not anything changed`,
        'stream: bytes/s, this run (PURCHASE_DELAY_MS=0)': `${mb(p.streamBytesPerSecondAllWatchers)}/s (${fmt(p.streamBytesPerSecondPerWatcher)} B/s per watcher), only while events flow`,
        'stream: bytes/s per watcher at the default 10 s delay': `${fmt(p.streamBytesPerSecondPerWatcherAtDefaultDelay)} B/s (one order's events per 10 s)`,
      });
    }
  } finally {
    await Promise.allSettled([...pool, ...(loader ? [loader] : [])].map((w) => w.call({ cmd: 'exit' }, 5_000)));
    await Promise.allSettled([...children].map((child) => stopChild(child)));
    figures.loadAverage.after = os.loadavg().map((x) => round(x, 2));
  }
  console.log(`\nstream benchmark: ${round((performance.now() - started) / 1000)} s; load average at the end ${figures.loadAverage.after.join(' / ')}${figures.errors.length ? `; problems: ${figures.errors.join('; ')}` : ''}`);
  return figures;
}

if (import.meta.url === `file://${process.argv[1]}`) await benchStream();
