// The Worker in workerd (SPEC §13) for the tests that talk to a real server, when
// AP_TEST_RUNTIME=workerd: `startServer()` hands over to `startEdgeServer()`, which starts the
// bundled Worker through miniflare (scripts/edge-local.ts) with the test's variables and answers
// the same shape as a server child process. Its shop object keeps its data in memory (a fresh
// object per start); workerd's stdout (the object's log lines) is collected line by line.
import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import { buildEdge } from '../../scripts/build-edge.js';
import { startEdge, type LocalEdge } from '../../scripts/edge-local.js';
import { onCleanUp, withTimeout, type Exit, type ServerProcess, type StartOptions } from './server-process.js';

/** One bundle per test process: every start after the first reuses dist/edge/worker.js. */
let built: Promise<string> | undefined;

/** The test's variables as the Worker's: PURCHASE_DELAY_MS 0 unless given, a CREDENTIAL_KEY made up if none. */
export function edgeVars(env: Record<string, string>): Record<string, string> {
  return { PURCHASE_DELAY_MS: '0', CREDENTIAL_KEY: randomBytes(32).toString('base64'), ...env };
}

/** Lines of a stream as they arrive, and waiters for a line matching a pattern. */
function lineCollector() {
  const state = { text: '', partial: '', lines: [] as string[], waiters: new Set<{ pattern: RegExp; resolve: (line: string) => void }>() };
  return {
    state,
    take(chunk: string) {
      state.text += chunk;
      const parts = (state.partial + chunk).split('\n');
      state.partial = parts.pop() ?? '';
      for (const line of parts) {
        state.lines.push(line);
        for (const waiter of state.waiters) {
          if (waiter.pattern.test(line)) {
            state.waiters.delete(waiter);
            waiter.resolve(line);
          }
        }
      }
    },
  };
}

export async function startEdgeServer({ env = {}, timeoutMs = 30_000 }: StartOptions): Promise<ServerProcess> {
  built ??= buildEdge();
  await built;
  const out = lineCollector();
  let err = '';
  const handleRuntimeStdio = (stdout: Readable, stderr: Readable) => {
    stdout.setEncoding('utf8');
    stderr.setEncoding('utf8');
    stdout.on('data', (chunk: string) => out.take(chunk));
    stderr.on('data', (chunk: string) => {
      err += chunk;
    });
  };
  const edge: LocalEdge = await withTimeout(startEdge({ vars: edgeVars(env), build: false, handleRuntimeStdio }), timeoutMs, () => new Error(`workerd did not start within ${timeoutMs} ms\n${err}`));
  let exit: Exit | undefined;
  let resolveExit: (exit: Exit) => void = () => undefined;
  const exited = new Promise<Exit>((resolve) => (resolveExit = resolve));
  const dispose = async (): Promise<Exit> => {
    if (!exit) {
      exit = { code: 0, signal: null };
      await edge.dispose().catch(() => undefined);
      resolveExit(exit);
    }
    return exit;
  };
  onCleanUp(dispose);
  const printed = () => `--- workerd stdout ---\n${out.state.text}\n--- workerd stderr ---\n${err}`;
  const url = edge.url.origin;
  return {
    url,
    port: Number(edge.url.port),
    // Only a Node server has a process: a test that needs it is skipped on workerd.
    get proc(): never {
      throw new Error('no child process on workerd (AP_TEST_RUNTIME=workerd): skip this test there');
    },
    stdout: () => out.state.text,
    stderr: () => err,
    stdoutLines: () => [...out.state.lines],
    waitForLine(pattern, waitMs = 5_000) {
      const seen = out.state.lines.find((line) => pattern.test(line));
      if (seen !== undefined) return Promise.resolve(seen);
      let waiter: { pattern: RegExp; resolve: (line: string) => void } | undefined;
      const found = new Promise<string>((resolve) => {
        waiter = { pattern, resolve };
        out.state.waiters.add(waiter);
      });
      return withTimeout(found, waitMs, () => new Error(`no line after ${waitMs} ms while waiting for ${pattern}\n${printed()}`)).finally(() =>
        out.state.waiters.delete(waiter!),
      );
    },
    waitForExit: () => exited,
    // No signals in workerd: any stop disposes of the runtime.
    stop: () => dispose(),
  };
}
