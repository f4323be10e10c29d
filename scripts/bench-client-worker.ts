// A client process of the stream benchmark (scripts/bench-stream.ts forks it with `--import tsx`).
// It holds up to ~2,500 SSE connections made with raw node:http requests (lighter than fetch),
// parses just enough of each stream to note, per event id, when the chunk carrying it arrived
// (an epoch time in ms with sub-ms precision: performance.timeOrigin + performance.now()), and
// answers the parent over IPC. It is also the JSON load generator (keep-alive http.Agent) and the
// late client of the replay measurement, so every measurement uses the same client code.
import http from 'node:http';
import { performance } from 'node:perf_hooks';

// ── The protocol with the parent ────────────────────────────────────────────────────────────────

export interface Target {
  host: string;
  port: number;
  path: string;
  headers: Record<string, string>;
}

export type WorkerCommand =
  | ({ rid: number; cmd: 'open'; count: number; maxInflight: number } & Target)
  | { rid: number; cmd: 'stats' }
  | { rid: number; cmd: 'waitEnd'; timeoutMs: number }
  | { rid: number; cmd: 'latency'; fromSeq: number; commitTimes: number[] }
  | { rid: number; cmd: 'close' }
  | ({ rid: number; cmd: 'load'; concurrency: number; warmupMs: number; durationMs: number } & Target)
  | ({ rid: number; cmd: 'replay'; targetEvents: number; reps: number; timeoutMs: number } & Target)
  | { rid: number; cmd: 'exit' };

export interface OpenedReply {
  /** Connections of this command whose response headers arrived with status 200. */
  ok: number;
  failed: number;
  statuses: Record<string, number>;
  errors: Record<string, number>;
  ms: number;
  /** Epoch ms when the last of them was open. */
  allOpenAt: number;
}

export interface StatsReply {
  open: number;
  ended: number;
  closedEarly: number;
  errors: number;
  events: number;
  bodyBytes: number;
  wireBytes: number;
}

export interface WaitEndReply extends StatsReply {
  timedOut: boolean;
}

export interface LatencyReply {
  /** [bucket index (0.1 ms wide), count] pairs, for latencies under 10 s. */
  buckets: [number, number][];
  /** Latencies of 10 s or more, exactly. */
  overflow: number[];
  count: number;
  /** Events of the range a connection never received. */
  missing: number;
  duplicates: number;
  negative: number;
  min: number;
  max: number;
  sum: number;
  /** Epoch ms: the first receipt of the range's first event, the last receipt of any event of the range. */
  firstReceipt: number;
  lastReceipt: number;
  connections: number;
  /** Per connection, averaged: body bytes and bytes on the wire (headers, chunk framing) of the whole stream. */
  avgBodyBytes: number;
  avgWireBytes: number;
  /** Per connection, averaged: the time from its response headers to its last chunk. */
  avgOpenMs: number;
}

export interface LoadReply {
  requests: number;
  errors: number;
  nonOk: number;
  rps: number;
  p50Ms: number;
  p99Ms: number;
  /** This client process's CPU during the measured window, % of one core. */
  clientCpuPct: number;
  bytesPerResponse: number;
}

export interface ReplayRun {
  /** From the request to the chunk that carried the target-th event. */
  toTargetMs: number;
  toEndMs: number;
  events: number;
  bodyBytes: number;
  status: number;
}

export type WorkerReply =
  | { rid: number; ok: true; result: unknown }
  | { rid: number; ok: false; error: string };

// ── SSE connections ─────────────────────────────────────────────────────────────────────────────

const epochNow = () => performance.timeOrigin + performance.now();

interface Conn {
  req: http.ClientRequest;
  state: 'connecting' | 'open' | 'ended' | 'closedEarly' | 'error';
  /** Receipt time (epoch ms) by event id; 0 = not received. */
  times: Float64Array;
  events: number;
  duplicates: number;
  bodyBytes: number;
  wireBytes: number;
  openedAt: number;
  lastChunkAt: number;
  /** A partial line carried over to the next chunk (only when it may be an `id:`/`event:` line). */
  carry: string;
  /** Inside a long line (`data:` or a comment) whose end has not arrived yet. */
  skipping: boolean;
  sawEnd: boolean;
  onEvent?: (seq: number, at: number) => void;
  done?: () => void;
}

let conns: Conn[] = [];

function newConn(req: http.ClientRequest): Conn {
  return {
    req,
    state: 'connecting',
    times: new Float64Array(1024),
    events: 0,
    duplicates: 0,
    bodyBytes: 0,
    wireBytes: 0,
    openedAt: 0,
    lastChunkAt: 0,
    carry: '',
    skipping: false,
    sawEnd: false,
  };
}

function record(conn: Conn, seq: number, at: number) {
  if (seq >= conn.times.length) {
    let size = conn.times.length;
    while (size <= seq) size *= 2;
    const grown = new Float64Array(size);
    grown.set(conn.times);
    conn.times = grown;
  }
  if (conn.times[seq] === 0) {
    conn.times[seq] = at;
    conn.events++;
  } else conn.duplicates++;
  conn.onEvent?.(seq, at);
}

/** The minimal SSE parse: `id: n` lines and `event: end`; every other line is skipped unread. */
function parseChunk(conn: Conn, chunk: Buffer, at: number) {
  let text = chunk.toString('latin1');
  let pos = 0;
  if (conn.skipping) {
    const nl = text.indexOf('\n');
    if (nl < 0) return;
    conn.skipping = false;
    pos = nl + 1;
  } else if (conn.carry) {
    text = conn.carry + text;
    conn.carry = '';
  }
  const length = text.length;
  while (pos < length) {
    const nl = text.indexOf('\n', pos);
    if (nl < 0) {
      // A partial line: keep it only if it may be one we read, else skip to its end.
      if (length - pos < 32 && (text.startsWith('id', pos) || text.startsWith('ev', pos) || length - pos < 2)) {
        conn.carry = text.slice(pos);
      } else conn.skipping = true;
      return;
    }
    const c = text.charCodeAt(pos);
    if (c === 105 /* i */ && text.startsWith('id: ', pos)) {
      record(conn, Number(text.slice(pos + 4, nl)), at);
    } else if (c === 101 /* e */ && nl - pos === 10 && text.startsWith('event: end', pos)) {
      conn.sawEnd = true;
    }
    pos = nl + 1;
  }
}

const sseAgent = new http.Agent({ keepAlive: false, maxSockets: Infinity });

function openOne(target: Target, onSettled: (conn: Conn, status: number | string) => void, agent: http.Agent | false = sseAgent): Conn {
  const req = http.request({ host: target.host, port: target.port, path: target.path, method: 'GET', headers: target.headers, agent });
  const conn = newConn(req);
  let settled = false;
  const settle = (status: number | string) => {
    if (settled) return;
    settled = true;
    onSettled(conn, status);
  };
  const finish = (state: Conn['state']) => {
    if (conn.state === 'open' || conn.state === 'connecting') conn.state = state;
    conn.done?.();
  };
  req.on('response', (res) => {
    if (res.statusCode !== 200) {
      conn.state = 'error';
      res.resume();
      settle(res.statusCode ?? 0);
      conn.done?.();
      return;
    }
    conn.state = 'open';
    conn.openedAt = epochNow();
    settle(200);
    const socket = res.socket;
    res.on('data', (chunk: Buffer) => {
      const at = epochNow();
      conn.lastChunkAt = at;
      conn.bodyBytes += chunk.length;
      parseChunk(conn, chunk, at);
    });
    res.on('end', () => {
      conn.wireBytes = socket?.bytesRead ?? 0;
      finish(conn.sawEnd ? 'ended' : 'closedEarly');
    });
    res.on('error', () => finish('error'));
  });
  req.on('error', (error: NodeJS.ErrnoException) => {
    settle(error.code ?? error.message);
    finish('error');
  });
  req.end();
  return conn;
}

function openMany(target: Target, count: number, maxInflight: number): Promise<OpenedReply> {
  const started = performance.now();
  const statuses: Record<string, number> = {};
  const errors: Record<string, number> = {};
  let launched = 0;
  let settled = 0;
  let inflight = 0;
  let ok = 0;
  return new Promise((resolve) => {
    if (count === 0) resolve({ ok: 0, failed: 0, statuses, errors, ms: 0, allOpenAt: epochNow() });
    const launch = () => {
      while (inflight < maxInflight && launched < count) {
        launched++;
        inflight++;
        conns.push(
          openOne(target, (_conn, status) => {
            inflight--;
            settled++;
            if (status === 200) ok++;
            else if (typeof status === 'number') statuses[status] = (statuses[status] ?? 0) + 1;
            else errors[status] = (errors[status] ?? 0) + 1;
            if (settled === count) {
              resolve({ ok, failed: count - ok, statuses, errors, ms: performance.now() - started, allOpenAt: epochNow() });
            } else launch();
          }),
        );
      }
    };
    launch();
  });
}

function stats(): StatsReply {
  const s: StatsReply = { open: 0, ended: 0, closedEarly: 0, errors: 0, events: 0, bodyBytes: 0, wireBytes: 0 };
  for (const conn of conns) {
    if (conn.state === 'open' || conn.state === 'connecting') s.open++;
    else if (conn.state === 'ended') s.ended++;
    else if (conn.state === 'closedEarly') s.closedEarly++;
    else s.errors++;
    s.events += conn.events;
    s.bodyBytes += conn.bodyBytes;
    s.wireBytes += conn.wireBytes || conn.req.socket?.bytesRead || 0;
  }
  return s;
}

function waitEnd(timeoutMs: number): Promise<WaitEndReply> {
  return new Promise((resolve) => {
    const deadline = performance.now() + timeoutMs;
    const check = () => {
      const s = stats();
      if (s.open === 0) return resolve({ ...s, timedOut: false });
      if (performance.now() >= deadline) return resolve({ ...s, timedOut: true });
      setTimeout(check, 50);
    };
    check();
  });
}

const bucketMs = 0.1;
const bucketCount = 100_000; // 10 s

function latency(fromSeq: number, commitTimes: number[]): LatencyReply {
  const histogram = new Uint32Array(bucketCount);
  const overflow: number[] = [];
  const r = { count: 0, missing: 0, duplicates: 0, negative: 0, min: Infinity, max: -Infinity, sum: 0 };
  let firstReceipt = Infinity;
  let lastReceipt = 0;
  let bodyBytes = 0;
  let wireBytes = 0;
  let openMs = 0;
  const toSeq = fromSeq + commitTimes.length - 1;
  for (const conn of conns) {
    r.duplicates += conn.duplicates;
    bodyBytes += conn.bodyBytes;
    wireBytes += conn.wireBytes || conn.req.socket?.bytesRead || 0;
    if (conn.openedAt) openMs += conn.lastChunkAt - conn.openedAt;
    for (let seq = fromSeq; seq <= toSeq; seq++) {
      const at = seq < conn.times.length ? conn.times[seq]! : 0;
      if (at === 0) {
        r.missing++;
        continue;
      }
      if (seq === fromSeq && at < firstReceipt) firstReceipt = at;
      if (at > lastReceipt) lastReceipt = at;
      let ms = at - commitTimes[seq - fromSeq]!;
      if (ms < 0) {
        r.negative++;
        ms = 0;
      }
      r.count++;
      r.sum += ms;
      if (ms < r.min) r.min = ms;
      if (ms > r.max) r.max = ms;
      const bucket = Math.floor(ms / bucketMs);
      if (bucket < bucketCount) histogram[bucket]!++;
      else overflow.push(ms);
    }
  }
  const buckets: [number, number][] = [];
  for (let i = 0; i < bucketCount; i++) if (histogram[i]) buckets.push([i, histogram[i]!]);
  const n = conns.length || 1;
  return {
    buckets,
    overflow,
    ...r,
    firstReceipt: Number.isFinite(firstReceipt) ? firstReceipt : 0,
    lastReceipt,
    connections: conns.length,
    avgBodyBytes: bodyBytes / n,
    avgWireBytes: wireBytes / n,
    avgOpenMs: openMs / n,
  };
}

function closeAll(): Promise<{ closed: number }> {
  const closed = conns.length;
  for (const conn of conns) conn.req.destroy();
  conns = [];
  // Give the sockets' close events a turn, so the next command starts clean.
  return new Promise((resolve) => setTimeout(() => resolve({ closed }), 100));
}

// ── The JSON load generator ─────────────────────────────────────────────────────────────────────

function load(target: Target, concurrency: number, warmupMs: number, durationMs: number): Promise<LoadReply> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const latencies: number[] = [];
  let requests = 0;
  let errors = 0;
  let nonOk = 0;
  let bytes = 0;
  let measuring = false;
  let stopping = false;
  let inflight = 0;
  let cpuStart = process.cpuUsage();
  let windowStart = 0;
  return new Promise((resolve) => {
    const one = () => {
      if (stopping) return;
      inflight++;
      const started = performance.now();
      const req = http.request({ host: target.host, port: target.port, path: target.path, method: 'GET', headers: target.headers, agent }, (res) => {
        let size = 0;
        res.on('data', (chunk: Buffer) => (size += chunk.length));
        res.on('end', () => {
          inflight--;
          if (measuring) {
            requests++;
            bytes += size;
            if (res.statusCode !== 200) nonOk++;
            latencies.push(performance.now() - started);
          }
          one();
        });
      });
      req.on('error', () => {
        inflight--;
        if (measuring) errors++;
        setTimeout(one, 10);
      });
      req.end();
    };
    for (let i = 0; i < concurrency; i++) one();
    setTimeout(() => {
      measuring = true;
      windowStart = performance.now();
      cpuStart = process.cpuUsage();
      setTimeout(() => {
        measuring = false;
        const elapsed = performance.now() - windowStart;
        const cpu = process.cpuUsage(cpuStart);
        stopping = true;
        const finish = () => {
          if (inflight > 0) return setTimeout(finish, 5);
          agent.destroy();
          latencies.sort((a, b) => a - b);
          const at = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? 0;
          resolve({
            requests,
            errors,
            nonOk,
            rps: (requests / elapsed) * 1000,
            p50Ms: at(50),
            p99Ms: at(99),
            clientCpuPct: ((cpu.user + cpu.system) / 1000 / elapsed) * 100,
            bytesPerResponse: requests ? bytes / requests : 0,
          });
        };
        finish();
      }, durationMs);
    }, warmupMs);
  });
}

// ── The late client of the replay measurement ───────────────────────────────────────────────────

function replayOnce(target: Target, targetEvents: number, timeoutMs: number): Promise<ReplayRun> {
  return new Promise((resolve, reject) => {
    const started = epochNow();
    let toTarget = 0;
    let status = 0;
    const timer = setTimeout(() => {
      conn.req.destroy();
      reject(new Error(`replay: no end after ${timeoutMs} ms (${conn.events} events)`));
    }, timeoutMs);
    const conn = openOne(
      target,
      (_c, s) => {
        status = typeof s === 'number' ? s : 0;
        if (s !== 200) {
          clearTimeout(timer);
          reject(new Error(`replay: answered ${s}`));
        }
      },
      false,
    );
    conn.onEvent = (_seq, at) => {
      if (!toTarget && conn.events >= targetEvents) toTarget = at - started;
    };
    conn.done = () => {
      clearTimeout(timer);
      resolve({ toTargetMs: toTarget, toEndMs: conn.lastChunkAt - started, events: conn.events, bodyBytes: conn.bodyBytes, status });
    };
  });
}

async function replay(target: Target, targetEvents: number, reps: number, timeoutMs: number): Promise<ReplayRun[]> {
  const runs: ReplayRun[] = [];
  for (let i = 0; i < reps; i++) {
    runs.push(await replayOnce(target, targetEvents, timeoutMs));
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return runs;
}

// ── Dispatch ────────────────────────────────────────────────────────────────────────────────────

async function handle(command: WorkerCommand): Promise<unknown> {
  switch (command.cmd) {
    case 'open':
      return openMany(command, command.count, command.maxInflight);
    case 'stats':
      return stats();
    case 'waitEnd':
      return waitEnd(command.timeoutMs);
    case 'latency':
      return latency(command.fromSeq, command.commitTimes);
    case 'close':
      return closeAll();
    case 'load':
      return load(command, command.concurrency, command.warmupMs, command.durationMs);
    case 'replay':
      return replay(command, command.targetEvents, command.reps, command.timeoutMs);
    case 'exit':
      await closeAll();
      setImmediate(() => process.exit(0));
      return { bye: true };
  }
}

if (!process.send) {
  console.error('bench-client-worker: run me through child_process.fork (scripts/bench-stream.ts does)');
  process.exit(2);
}
process.on('message', (command: WorkerCommand) => {
  handle(command).then(
    (result) => process.send!({ rid: command.rid, ok: true, result } satisfies WorkerReply),
    (error: unknown) => process.send!({ rid: command.rid, ok: false, error: error instanceof Error ? error.message : String(error) } satisfies WorkerReply),
  );
});
// The parent gone means the benchmark is over, however it ended.
process.on('disconnect', () => process.exit(0));
process.send({ ready: true });
