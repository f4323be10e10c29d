// `npm run dev:edge` (SPEC §13): the Worker in workerd started as a script, like `npm start`:
// PORT, ADMIN_TOKEN and CREDENTIAL_KEY from the environment, `.dev.vars` of the working folder
// adding to them (the environment wins), the client and the API answering, SIGTERM stopping it.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { DevVarsError, devVars, parseDevVars } from '../scripts/dev-vars.js';
import { cleanUp, freePort, makeTempDir, repoRoot, serverEnv, withTimeout } from './support/server-process.js';

const envToken = 'dev-edge-env-token-0123456789';
const fileToken = 'dev-edge-file-token-0123456789';
const credentialKey = Buffer.alloc(32, 9).toString('base64');
const script = join(repoRoot, 'scripts', 'dev-edge.ts');
// From a folder outside the repository, tsx is named by its file.
const tsxLoader = pathToFileURL(join(repoRoot, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;

interface Run {
  proc: ChildProcess;
  out: () => string;
  err: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}
const running = new Set<Run>();

function runDevEdge(cwd: string, env: Record<string, string>): Run {
  // serverEnv: the parent's environment without any §7 variable; then the test's.
  const { DATABASE_PATH: _ignored, PURCHASE_DELAY_MS: _delay, ...base } = serverEnv(cwd, 0);
  const proc = spawn(process.execPath, ['--import', tsxLoader, script], { cwd, env: { ...base, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  proc.stdout!.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  proc.stderr!.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => proc.on('close', (code, signal) => resolve({ code, signal })));
  const run = { proc, out: () => out, err: () => err, exited };
  running.add(run);
  void exited.then(() => running.delete(run));
  return run;
}

/** The children of a process (the workerd that miniflare spawned). */
function childPids(pid: number): number[] {
  return readdirSync(`/proc/${pid}/task`).flatMap((task) =>
    readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').split(' ').filter(Boolean).map(Number),
  );
}

async function waitForListening(run: Run, timeoutMs = 30_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const line = /listening on (http:\/\/\S+) \(workerd\)/.exec(run.out());
    if (line) return line[1]!;
    if (run.proc.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`no "listening on" line\n--- stdout ---\n${run.out()}\n--- stderr ---\n${run.err()}`);
}

afterEach(async () => {
  for (const run of running) run.proc.kill('SIGKILL');
  await Promise.all([...running].map((run) => run.exited));
  await cleanUp();
});

describe('npm run dev:edge', () => {
  it('serves /healthz, the API with the environment’s token and the client on PORT, adds .dev.vars, and stops on SIGTERM', async () => {
    const cwd = makeTempDir('autopurchase-dev-edge-');
    // The file gives CREDENTIAL_KEY (not in the environment) and an ADMIN_TOKEN the environment overrides.
    writeFileSync(join(cwd, '.dev.vars'), `# local secrets\nADMIN_TOKEN=${fileToken}\nCREDENTIAL_KEY="${credentialKey}"\n`);
    const port = await freePort();
    const run = runDevEdge(cwd, { PORT: String(port), ADMIN_TOKEN: envToken, PURCHASE_DELAY_MS: '0' });
    const url = await waitForListening(run);
    expect(url).toBe(`http://127.0.0.1:${port}`);

    const health = await fetch(`${url}/healthz`);
    expect(health.status).toBe(200);
    await health.arrayBuffer();
    const accounts = await fetch(`${url}/api/admin/stock-accounts`, { headers: { authorization: `Bearer ${envToken}` } });
    expect(accounts.status).toBe(200);
    expect(await accounts.json()).toHaveProperty('stockAccounts');
    const withFileToken = await fetch(`${url}/api/admin/stock-accounts`, { headers: { authorization: `Bearer ${fileToken}` } });
    expect(withFileToken.status).toBe(401);
    await withFileToken.arrayBuffer();
    const page = await fetch(`${url}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    expect(await page.text()).toMatch(/<div id="root"|<!doctype html>/i);

    // The object's storage is kept in ./data/edge of the working folder.
    expect(existsSync(join(cwd, 'data', 'edge'))).toBe(true);
    const workerd = childPids(run.proc.pid!);
    expect(workerd.length).toBeGreaterThan(0);
    run.proc.kill('SIGTERM');
    const exit = await withTimeout(run.exited, 10_000, () => new Error(`no exit after SIGTERM\n${run.out()}\n${run.err()}`));
    // miniflare's own exit hook ends the process the conventional way for SIGTERM (128 + 15), after stopping workerd.
    expect(exit.signal).toBeNull();
    expect([0, 143]).toContain(exit.code);
    for (const pid of workerd) expect(existsSync(`/proc/${pid}`) && !readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z ')).toBe(false);
    expect(run.out() + run.err()).not.toContain(envToken);
    expect(run.out() + run.err()).not.toContain(credentialKey);
  }, 60_000);

  it('without ADMIN_TOKEN exits 2 saying how to make one, printing no secret', async () => {
    const cwd = makeTempDir('autopurchase-dev-edge-');
    const run = runDevEdge(cwd, { PORT: String(await freePort()), CREDENTIAL_KEY: credentialKey });
    const exit = await withTimeout(run.exited, 15_000, () => new Error(`still running\n${run.out()}\n${run.err()}`));
    expect(exit.code).toBe(2);
    expect(run.err()).toContain('ADMIN_TOKEN is not set');
    expect(run.err()).toContain('openssl rand -base64 32');
    expect(run.out() + run.err()).not.toContain(credentialKey);
  });
});

describe('.dev.vars', () => {
  it('reads KEY=value lines, comments, quotes and export', () => {
    expect(
      parseDevVars('# a comment\n\nA=1\nexport B = two words # note\nC="x # y\\n\\"q\\""\nD=\'single # kept\'\r\nE=\n'),
    ).toEqual({ A: '1', B: 'two words', C: 'x # y\n"q"', D: 'single # kept', E: '' });
  });

  it('rejects a malformed line by its number, never echoing it', () => {
    expect(() => parseDevVars('A=1\nsecret-without-equals\n')).toThrow(new DevVarsError('.dev.vars line 2: expected KEY=value'));
    expect(() => parseDevVars('A="open\n')).toThrow(/line 1: unterminated double quote/);
    expect(() => parseDevVars("A='x' trailing\n")).toThrow(/line 1: text after the closing quote/);
  });

  it('takes the §7 variables of the environment over the file, and leaves out PORT, HOST and DATABASE_PATH', () => {
    const vars = devVars(
      { ADMIN_TOKEN: 'from-env', GATEWAY: 'sandbox', PORT: '9000', HOME: '/root', LOG_LEVEL: '', SHOP_NAME: 'south' },
      'ADMIN_TOKEN=from-file\nCREDENTIAL_KEY=k\nHOST=0.0.0.0\nSHOP_NAME=north\nMAX_CONNECTIONS=10\n',
    );
    expect(vars).toEqual({ ADMIN_TOKEN: 'from-env', CREDENTIAL_KEY: 'k', GATEWAY: 'sandbox', SHOP_NAME: 'south', MAX_CONNECTIONS: '10' });
    expect(devVars({ CREDENTIAL_KEY: 'k' }, undefined)).toEqual({ CREDENTIAL_KEY: 'k' });
  });
});
