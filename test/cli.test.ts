// `autopurchase watch | run` as a real process against a real server process (SPEC §9).
import { afterEach, describe, expect, it } from 'vitest';
import { emptyRun, foldEvents } from '../src/domain/fold.js';
import type { RunEvent, RunSnapshot } from '../src/domain/run.js';
import { startTcpProxy, type TcpProxy } from './browser/support/tcp-proxy.js';
import { adminClientAt } from './support/admin-client.js';
import { runCli } from './support/cli-process.js';
import { startFakeGateway, type FakeGateway } from './support/fake-gateway-server.js';
import { cleanUp, freePort, makeTempDir, startServer, type ServerProcess } from './support/server-process.js';

const token = 'cli-test-token-0123456789';
let gateways: FakeGateway[] = [];
let proxies: TcpProxy[] = [];

afterEach(async () => {
  await cleanUp();
  await Promise.all(gateways.map((g) => g.close()));
  await Promise.all(proxies.map((proxy) => proxy.close()));
  gateways = [];
  proxies = [];
});

const cli = runCli;
const api = (server: ServerProcess, method: string, path: string, body?: unknown) => adminClientAt(server.url, token)(method, path, body);

/** Folds the --json lines: the snapshot line, then one line per event. */
function foldJsonLines(stdout: string): { snapshot: RunSnapshot; seqs: number[] } {
  const lines = stdout.trim().split('\n').map((line) => JSON.parse(line));
  expect(lines[0].type).toBe('snapshot');
  const events = lines.slice(1).map((line) => ({ seq: line.seq, type: line.type, data: line.data }) as RunEvent);
  return { snapshot: foldEvents(lines[0].snapshot, events), seqs: [lines[0].seq, ...events.map((e) => e.seq)] };
}

describe('autopurchase watch / run', () => {
  it('run --json starts a run and prints folded events that fold to the stored snapshot; exit 0', async () => {
    const server = await startServer({ dataDir: makeTempDir(), env: { ADMIN_TOKEN: token, PURCHASE_DELAY_MS: '30' } });
    await api(server, 'POST', '/api/admin/stock-accounts', { robloxCookie: 'sandbox:alice:1' });
    await new Promise((r) => setTimeout(r, 300));
    await api(server, 'POST', '/api/admin/stock-accounts', { robloxCookie: 'sandbox:bob:100000' });
    const result = await cli(['run', '--json', '--url', server.url, '--token', token]);
    expect(result.code, result.stderr).toBe(0);
    const { snapshot, seqs } = foldJsonLines(result.stdout);
    expect(seqs).toEqual(seqs.map((_, i) => seqs[0]! + i));
    expect(snapshot.status).toBe('completed');
    expect((await api(server, 'GET', `/api/auto-purchase/progress/${snapshot.sessionId}`)).json).toEqual(snapshot);
  });

  it('watch draws the step, a progress bar, one line per changed transaction and the summary', async () => {
    const server = await startServer({ dataDir: makeTempDir(), env: { ADMIN_TOKEN: token, PURCHASE_DELAY_MS: '200' } });
    const { json } = await api(server, 'POST', '/api/admin/stock-accounts', { robloxCookie: 'sandbox:alice:100000' });
    const result = await cli(['watch', json.autoPurchase.sessionId], { AUTOPURCHASE_URL: server.url, ADMIN_TOKEN: token });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/▶ Processing transaction \d+\/14: DEMO-\d+ {2}\[[█░]+\] \d+\/14/);
    expect(result.stdout).toMatch(/✓ DEMO-0012 completed \(by alice\)/);
    expect(result.stdout).toMatch(/\? DEMO-0008 unknown \(by alice — The gateway could not say/);
    expect(result.stdout).toMatch(/✗ DEMO-0011 failed \(Missing gamepass data\)/);
    expect(result.stdout).toMatch(/■ Completed: total 14 · processed \d+ · failed \d+ · skipped \d+ · unknown \d+/);
  });

  it('resumes from its last id after the connection drops: no gap, no duplicate', async () => {
    const server = await startServer({ dataDir: makeTempDir(), env: { ADMIN_TOKEN: token, PURCHASE_DELAY_MS: '150' } });
    const proxy = await startTcpProxy(server.port);
    proxies.push(proxy);
    const { json } = await api(server, 'POST', '/api/admin/stock-accounts', { robloxCookie: 'sandbox:alice:100000' });
    const watching = cli(['watch', json.autoPurchase.sessionId, '--json', '--url', proxy.url, '--token', token]);
    await new Promise((r) => setTimeout(r, 700));
    proxy.cut();
    await new Promise((r) => setTimeout(r, 400));
    proxy.cut();
    const result = await watching;
    expect(result.code, result.stderr).toBe(0);
    const { snapshot, seqs } = foldJsonLines(result.stdout);
    expect(new Set(seqs).size).toBe(seqs.length);
    expect(seqs).toEqual(seqs.map((_, i) => seqs[0]! + i));
    expect((await api(server, 'GET', `/api/auto-purchase/progress/${snapshot.sessionId}`)).json).toEqual(snapshot);
  });

  it('exits 1 when the run failed', async () => {
    const gateway = await startFakeGateway({ secret: 'gw-secret' });
    gateways.push(gateway);
    const server = await startServer({
      dataDir: makeTempDir(),
      env: { ADMIN_TOKEN: token, GATEWAY: 'http', GATEWAY_URL: gateway.url, GATEWAY_SECRET: 'gw-secret' },
    });
    await api(server, 'POST', '/api/transactions', { invoiceId: 'INV-1', gamepass: { id: 1, name: 'A', price: 10, sellerId: 2 } });
    // A gateway that refuses our secret on the purchase: an unexpected error ends the run failed.
    gateway.respondNext(401, { success: false }, { path: '/buy-pass', times: 10 });
    const { json } = await api(server, 'POST', '/api/admin/stock-accounts', { robloxCookie: 'sandbox:alice:500' });
    const result = await cli(['watch', json.autoPurchase.sessionId, '--url', server.url, '--token', token]);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/■ Failed/);
    expect(result.stdout).toMatch(/error: .*401/);
  });

  it('exits 2 on a usage error, an unknown run, a wrong token or no server', async () => {
    const server = await startServer({ dataDir: makeTempDir(), env: { ADMIN_TOKEN: token } });
    expect((await cli(['frobnicate'])).code).toBe(2);
    expect((await cli(['watch'])).code).toBe(2);
    expect((await cli(['watch', 'a', 'b', '--token', token])).code).toBe(2);
    const unknown = await cli(['watch', 'no-such-run', '--url', server.url, '--token', token]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/HTTP 404/);
    expect((await cli(['watch', 'x', '--url', server.url, '--token', 'wrong-token-0123456789'])).code).toBe(2);
    const port = await freePort();
    expect((await cli(['run', '--url', `http://127.0.0.1:${port}`, '--token', token])).code).toBe(2);
  });
});

describe('autopurchase --version', () => {
  it('prints the product version (package.json) and the Node it runs on; exit 0', async () => {
    const { readFileSync } = await import('node:fs');
    const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
    const result = await cli(['--version']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe(`autopurchase ${version} (Node ${process.version})\n`);
  });

  it('takes the version the single executable is bundled with (AUTOPURCHASE_VERSION) over package.json', async () => {
    const { build } = await import('esbuild');
    const bundled = await build({
      entryPoints: [new URL('../src/cli/version.ts', import.meta.url).pathname],
      bundle: true,
      write: false,
      format: 'esm',
      platform: 'node',
      define: { AUTOPURCHASE_VERSION: JSON.stringify('9.8.7-bundled') },
    });
    const source = bundled.outputFiles[0]!.text;
    expect(source).not.toContain('package.json');
    const module = (await import(`data:text/javascript;base64,${Buffer.from(source).toString('base64')}`)) as typeof import('../src/cli/version.js');
    expect(module.productVersion).toBe('9.8.7-bundled');
    expect(module.versionLine()).toBe(`autopurchase 9.8.7-bundled (Node ${process.version})`);
  });
});
