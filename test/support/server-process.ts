// Real child processes for the entry tests: the server started with tsx on a free 127.0.0.1 port,
// its output collected line by line, and every process and temp folder cleaned up after each test.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { configVariables } from '../../src/config.js';

/** The repository root: the server and the fixtures run with it as their working folder. */
export const repoRoot = resolve(import.meta.dirname, '..', '..');

/** The journal drizzle-kit writes: one entry per migration file. */
export function journalEntries(): { tag: string; when: number }[] {
  const journal = JSON.parse(readFileSync(join(repoRoot, 'migrations', 'meta', '_journal.json'), 'utf8')) as {
    entries: { tag: string; when: number }[];
  };
  return journal.entries;
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A child process with its output collected; `exited` settles once its stdio is closed. */
export interface Tracked {
  proc: ChildProcess;
  stdout(): string;
  stderr(): string;
  stdoutLines(): string[];
  exited: Promise<Exit>;
  /** Null while it runs. */
  exit(): Exit | null;
  /** Resolves with the first stdout line (seen or to come) matching `pattern`. */
  waitForLine(pattern: RegExp, timeoutMs?: number): Promise<string>;
  output(): string;
}

const live = new Set<Tracked>();
const tempDirs = new Set<string>();
/** What `cleanUp` also stops: the workerd instances of test/support/edge-server.ts. */
const disposers = new Set<() => Promise<unknown>>();

/**
 * The runtime the real-server tests start (AP_TEST_RUNTIME): a Node child process ('node', the
 * default) or the Worker in workerd through miniflare ('workerd', test/support/edge-server.ts).
 */
export const testRuntime: 'node' | 'workerd' = runtimeOf(process.env.AP_TEST_RUNTIME);
export const onWorkerd = testRuntime === 'workerd';

function runtimeOf(value: string | undefined): 'node' | 'workerd' {
  if (value === undefined || value === '' || value === 'node') return 'node';
  if (value === 'workerd') return 'workerd';
  throw new Error(`AP_TEST_RUNTIME must be node or workerd, not ${JSON.stringify(value)}`);
}

/** Registers a stop for `cleanUp` (called once, after each test that uses it). */
export function onCleanUp(dispose: () => Promise<unknown>): void {
  disposers.add(dispose);
}

/** A fresh temp folder, removed by `cleanUp`. */
export function makeTempDir(prefix = 'autopurchase-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  tempDirs.add(dir);
  return dir;
}

/**
 * For afterEach: disposes of every workerd instance started, SIGKILLs every child still running
 * (waiting at most a few seconds for each), then removes every temp folder. Safe to call after a failed test.
 */
export async function cleanUp(): Promise<void> {
  const running = [...live];
  live.clear();
  const disposing = [...disposers];
  disposers.clear();
  await Promise.all(disposing.map((dispose) => dispose().catch(() => undefined)));
  await Promise.all(
    running.map(async (child) => {
      if (child.exit() === null) child.proc.kill('SIGKILL');
      await withTimeout(child.exited, 5_000, () => new Error(`pid ${child.proc.pid} did not exit after SIGKILL`)).catch(
        () => undefined,
      );
    }),
  );
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  tempDirs.clear();
}

/** What a tracked child printed and how it ended, shared by its Tracked methods. */
interface Output {
  out: string;
  err: string;
  lines: string[];
  /** Stdout after its last newline. */
  partial: string;
  waiters: Set<{ pattern: RegExp; resolve: (line: string) => void }>;
  exit: Exit | null;
  exitListeners: Set<(exit: Exit) => void>;
}

/** Spawns `process.execPath args` from the repo root and collects its output. */
export function spawnTracked(args: string[], env: NodeJS.ProcessEnv, options: { stdin?: boolean } = {}): Tracked {
  const proc = spawn(process.execPath, args, {
    cwd: repoRoot,
    env,
    stdio: [options.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
  });
  const output: Output = { out: '', err: '', lines: [], partial: '', waiters: new Set(), exit: null, exitListeners: new Set() };
  proc.stdout!.setEncoding('utf8');
  proc.stderr!.setEncoding('utf8');
  proc.stdout!.on('data', (chunk: string) => takeStdout(output, chunk));
  proc.stderr!.on('data', (chunk: string) => {
    output.err += chunk;
  });
  proc.on('error', (error) => {
    output.err += `spawn error: ${error.message}\n`;
  });
  const exited = new Promise<Exit>((resolveExit) => {
    // 'close' comes after the stdio streams ended, so all output is in by then.
    proc.on('close', (code, signal) => {
      if (output.partial) output.lines.push(output.partial);
      output.partial = '';
      const exit = (output.exit = { code, signal });
      live.delete(tracked);
      for (const listener of output.exitListeners) listener(exit);
      resolveExit(exit);
    });
  });
  const tracked: Tracked = {
    proc,
    stdout: () => output.out,
    stderr: () => output.err,
    stdoutLines: () => [...output.lines],
    exited,
    exit: () => output.exit,
    output: () => printed(output),
    waitForLine: (pattern, timeoutMs = 5_000) => waitForLine(output, pattern, timeoutMs),
  };
  live.add(tracked);
  return tracked;
}

function printed(output: Output): string {
  return `--- stdout ---\n${output.out}\n--- stderr ---\n${output.err}`;
}

/** Splits stdout into lines as it arrives and wakes the waiters whose pattern a new line matches. */
function takeStdout(output: Output, chunk: string): void {
  output.out += chunk;
  output.partial += chunk;
  const parts = output.partial.split('\n');
  output.partial = parts.pop() ?? '';
  for (const line of parts) {
    output.lines.push(line);
    for (const waiter of output.waiters) {
      if (waiter.pattern.test(line)) {
        output.waiters.delete(waiter);
        waiter.resolve(line);
      }
    }
  }
}

/** The first stdout line (seen or to come) matching `pattern`; rejects on timeout or exit. */
function waitForLine(output: Output, pattern: RegExp, timeoutMs: number): Promise<string> {
  const seen = output.lines.find((line) => pattern.test(line));
  if (seen !== undefined) return Promise.resolve(seen);
  return new Promise<string>((resolveLine, reject) => {
    const waiter = {
      pattern,
      resolve: (line: string) => {
        cleanup();
        resolveLine(line);
      },
    };
    const fail = (why: string) => {
      cleanup();
      reject(new Error(`${why} while waiting for ${pattern}\n${printed(output)}`));
    };
    const timer = setTimeout(() => fail(`no line after ${timeoutMs} ms`), timeoutMs);
    const onExitEarly = (exit: Exit) => fail(`process exited (code ${exit.code}, signal ${exit.signal})`);
    const cleanup = () => {
      clearTimeout(timer);
      output.waiters.delete(waiter);
      output.exitListeners.delete(onExitEarly);
    };
    if (output.exit) return fail(`process exited (code ${output.exit.code}, signal ${output.exit.signal})`);
    output.waiters.add(waiter);
    output.exitListeners.add(onExitEarly);
  });
}

/** A port nothing listens on right now (there is a small window before the server takes it). */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port ? resolvePort(port) : reject(new Error('no port'))));
    });
  });
}

/** True when something accepts a TCP connection on 127.0.0.1:port. */
export function isListening(port: number): Promise<boolean> {
  return new Promise((resolveListening) => {
    const socket = connect({ host: '127.0.0.1', port });
    const done = (listening: boolean) => {
      socket.destroy();
      resolveListening(listening);
    };
    socket.setTimeout(2_000, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** The parent's environment without any variable the server reads, plus the test's settings. */
export function serverEnv(dataDir: string, port: number, env: Record<string, string> = {}): NodeJS.ProcessEnv {
  const clean: NodeJS.ProcessEnv = { ...process.env };
  for (const name of Object.keys(clean)) {
    if ((configVariables as readonly string[]).includes(name) || name.startsWith('GATEWAY')) delete clean[name];
  }
  return {
    ...clean,
    DATABASE_PATH: join(dataDir, 'autopurchase.db'),
    HOST: '127.0.0.1',
    PORT: String(port),
    PURCHASE_DELAY_MS: '0',
    ...env,
  };
}

export const serverArgs = ['--import', 'tsx', 'src/main.ts'];

export interface ServerProcess extends Pick<Tracked, 'proc' | 'stdout' | 'stderr' | 'stdoutLines' | 'waitForLine'> {
  url: string;
  port: number;
  waitForExit(): Promise<Exit>;
  /** Sends the signal and resolves once the process has exited. */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<Exit>;
}

export interface StartOptions {
  env?: Record<string, string>;
  dataDir: string;
  /**
   * How to tell it is up: its `listening on` log line (default), or by polling /healthz, for
   * LOG_LEVEL settings that hide the info line.
   */
  readyBy?: 'log' | 'healthz';
  timeoutMs?: number;
}

export async function startServer(options: StartOptions): Promise<ServerProcess> {
  if (onWorkerd) return (await import('./edge-server.js')).startEdgeServer(options);
  const { env = {}, dataDir, readyBy = 'log', timeoutMs = 15_000 } = options;
  const port = await freePort();
  const child = spawnTracked(serverArgs, serverEnv(dataDir, port, env));
  const url = `http://127.0.0.1:${port}`;
  if (readyBy === 'log') {
    await child.waitForLine(new RegExp(`listening on 127\\.0\\.0\\.1:${port}\\b`), timeoutMs);
  } else {
    await pollHealthz(child, url, timeoutMs);
  }
  return {
    url,
    port,
    proc: child.proc,
    stdout: child.stdout,
    stderr: child.stderr,
    stdoutLines: child.stdoutLines,
    waitForExit: () => child.exited,
    waitForLine: child.waitForLine,
    async stop(signal = 'SIGTERM', stopTimeoutMs = 5_000) {
      if (child.exit() === null) child.proc.kill(signal);
      return withTimeout(child.exited, stopTimeoutMs, () => new Error(`no exit ${stopTimeoutMs} ms after ${signal}\n${child.output()}`));
    },
  };
}

async function pollHealthz(child: Tracked, url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const exit = child.exit();
    if (exit) throw new Error(`process exited (code ${exit.code}, signal ${exit.signal}) before answering\n${child.output()}`);
    try {
      const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(1_000) });
      await res.arrayBuffer();
      if (res.ok) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`/healthz did not answer within ${timeoutMs} ms\n${child.output()}`);
}

export interface RunResult extends Exit {
  stdout: string;
  stderr: string;
  port: number;
}

/** Runs the server expecting it to exit by itself (a configuration error); rejects after the timeout. */
export async function runToExit({
  env = {},
  dataDir,
  timeoutMs = 15_000,
}: {
  env?: Record<string, string>;
  dataDir: string;
  timeoutMs?: number;
}): Promise<RunResult> {
  const port = await freePort();
  const child = spawnTracked(serverArgs, serverEnv(dataDir, port, env));
  const exit = await withTimeout(child.exited, timeoutMs, () => new Error(`still running after ${timeoutMs} ms\n${child.output()}`));
  return { ...exit, stdout: child.stdout(), stderr: child.stderr(), port };
}

export function withTimeout<T>(promise: Promise<T>, ms: number, error: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(error()), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
