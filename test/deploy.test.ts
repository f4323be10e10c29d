// deploy/ (SPEC §10): the systemd units, the nginx and Caddy examples and env.example are checked
// by the tools themselves when this machine has them (else those tests are skipped, saying so), and
// env.example against the configuration the server reads.
import { spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:http';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { temporaryPath } from '../src/cli/backup.js';
import { configVariables, parseConfig } from '../src/config.js';
import { parseDuration } from '../src/duration.js';
import { shutdownMarginMs } from '../src/engine/auto-purchase.js';
import { listenLocally } from './support/local-server.js';
import { freePort } from './support/server-process.js';

const deploy = resolve(import.meta.dirname, '..', 'deploy');
const deployFile = (name: string) => join(deploy, name);
const read = (name: string) => readFileSync(deployFile(name), 'utf8');

/** The tool's path when it runs here (PATH, then the sbin folders a non-root PATH may lack). */
function findTool(name: string, versionArgs: string[]): string | undefined {
  for (const candidate of [name, `/usr/sbin/${name}`, `/sbin/${name}`, `/usr/local/sbin/${name}`]) {
    const run = spawnSync(candidate, versionArgs, { encoding: 'utf8', timeout: 10_000 });
    if (!run.error) return candidate;
  }
  return undefined;
}

const nginx = findTool('nginx', ['-v']);
const caddy = findTool('caddy', ['version']);
const systemdAnalyze = findTool('systemd-analyze', ['--version']);
const named = (tool: string | undefined, what: string, missing: string) => (tool ? what : `${what} — SKIPPED: ${missing} is not installed`);

let temps: string[] = [];
afterEach(() => {
  for (const dir of temps) rmSync(dir, { recursive: true, force: true });
  temps = [];
});
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'autopurchase-deploy-'));
  temps.push(dir);
  return dir;
}

/** deploy/nginx.conf with its access log in `dir` (nginx opens it even under -t), and ports moved when given. */
function nginxConfIn(dir: string, ports?: { listen: number; app: number }): string {
  let conf = read('nginx.conf').replaceAll('/var/log/nginx/', `${dir}/`);
  if (ports) {
    conf = conf
      .replace(/^\s*listen \[::\]:80;$/m, '')
      .replace(/^(\s*)listen 80;$/m, `$1listen 127.0.0.1:${ports.listen};`)
      .replace('server 127.0.0.1:3000;', `server 127.0.0.1:${ports.app};`);
  }
  const path = join(dir, 'autopurchase.conf');
  writeFileSync(path, conf);
  return path;
}

/** A stand-in for the app: answers every request 200 with a short body. */
async function startStandInApp(): Promise<{ port: number; close: () => Promise<void> }> {
  const server = createServer((_, res) => res.end('ok'));
  const listening = await listenLocally(server);
  return { port: Number(new URL(listening.url).port), close: listening.close };
}

/** A watch link's query, and a Referer holding a watch page's URL, as a browser sends them. */
const secretToken = 'wl1.eyJzIjoicnVuLTEiLCJlIjo5OTk5OTk5OTk5OTk5fQ.SECRETmacSECRETmacSECRETmacSECRETmacSECRETm';
async function requestWithLink(base: string): Promise<void> {
  for (const path of ['/api/auto-purchase/progress/run-1', '/api/auto-purchase/progress/run-1/events', '/watch/run-1']) {
    const res = await fetch(`${base}${path}?access_token=${secretToken}&lastEventId=3`, {
      headers: { referer: `${base}/watch/run-1?access_token=${secretToken}`, authorization: `Bearer ${secretToken}`, cookie: `ap_session=${secretToken}` },
    });
    expect(res.status).toBe(200);
    await res.text();
  }
}

async function eventually(read: () => string, pattern: RegExp, timeoutMs = 5_000): Promise<string> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const text = read();
    if (pattern.test(text) || Date.now() > until) return text;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('deploy/nginx.conf', () => {
  it.skipIf(!nginx)(named(nginx, 'nginx -t accepts it inside an http {} block', 'nginx'), () => {
    const dir = tempDir();
    const built = spawnSync(nginx!, ['-V'], { encoding: 'utf8' });
    const modules = `${built.stdout}${built.stderr}`;
    // Every temp path under the temp prefix, so the check needs no root-owned folder; only for
    // the modules this build has (an unknown directive would fail the check).
    const tempPaths = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']
      .filter((kind) => kind === 'client_body' || !modules.includes(`--without-http_${kind}_module`))
      .map((kind) => `  ${kind}_temp_path ${join(dir, kind)};`);
    const main = join(dir, 'nginx.conf');
    writeFileSync(
      main,
      [
        `pid ${join(dir, 'nginx.pid')};`,
        `error_log ${join(dir, 'error.log')};`,
        'events {}',
        'http {',
        `  access_log ${join(dir, 'access.log')};`,
        ...tempPaths,
        `  include ${nginxConfIn(dir)};`,
        '}',
        '',
      ].join('\n'),
    );
    const check = spawnSync(nginx!, ['-t', '-p', dir, '-c', main, '-e', join(dir, 'error.log')], { encoding: 'utf8', timeout: 20_000 });
    expect(check.status, `${check.stdout}${check.stderr}`).toBe(0);
    expect(check.stderr).toMatch(/test is successful/);
  });

  it('has what the progress stream needs on its events route', () => {
    const conf = read('nginx.conf');
    const events = /location ~ \^\/api\/auto-purchase\/progress\/\[\^\/\]\+\/events\$ \{([^}]*)\}/.exec(conf)?.[1];
    expect(events, 'a location for the events route').toBeDefined();
    expect(events).toMatch(/^\s*proxy_buffering off;/m);
    expect(events).toMatch(/^\s*gzip off;/m);
    // Longer than the gap between two heartbeats (nginx's `1h`/`60s` read as the app reads durations).
    const readTimeout = /^\s*proxy_read_timeout (\S+);/m.exec(events!)?.[1];
    const config = parseConfig({});
    if (!config.ok) throw new Error(config.message);
    expect(parseDuration(readTimeout ?? '')).toBeGreaterThan(config.config.heartbeatMs * 2);
    for (const line of [
      'proxy_http_version 1.1;',
      'proxy_set_header Connection "";',
      'proxy_set_header Host $host;',
      'proxy_set_header X-Forwarded-Proto $scheme;',
      'proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;',
    ]) {
      expect(conf).toMatch(new RegExp(`^\\s*${line.replace(/[$.*+?()[\]{}|\\]/g, '\\$&')}`, 'm'));
    }
  });

  it('logs requests in a format with no query string and no Referer (a watch link’s access_token travels in both)', () => {
    const conf = read('nginx.conf');
    const format = /^log_format autopurchase ((?:'[^']*'\s*)+);/m.exec(conf)?.[1];
    expect(format, 'a log_format named autopurchase').toBeDefined();
    const variables = format!.match(/\$\w+/g) ?? [];
    for (const forbidden of ['$request', '$request_uri', '$args', '$query_string', '$is_args', '$http_referer']) expect(variables).not.toContain(forbidden);
    expect(variables.filter((name) => name.startsWith('$arg_'))).toEqual([]);
    expect(format).toMatch(/\$request_method \$uri \$server_protocol/);
    // Every access_log of the file uses it.
    const accessLogs = [...conf.matchAll(/^\s*access_log\s+([^;]+);/gm)].map((match) => match[1]!.trim());
    expect(accessLogs.length).toBeGreaterThan(0);
    for (const line of accessLogs) expect(line).toMatch(/^\S+ autopurchase$/);
  });

  it('keeps the site’s error log at crit, above the level of the per-request lines that quote the request line', () => {
    const conf = read('nginx.conf');
    const server = conf.slice(conf.indexOf('server {'));
    const errorLogs = [...server.matchAll(/^\s*error_log\s+([^;]+);/gm)].map((match) => match[1]!.trim().split(/\s+/));
    expect(errorLogs).toEqual([['/var/log/nginx/autopurchase.error.log', 'crit']]);
  });

  it.skipIf(!nginx)(named(nginx, 'a request with ?access_token= through the real nginx leaves no trace of it in the access log, nor in an error log with the app down', 'nginx'), async () => {
    const dir = tempDir();
    const app = await startStandInApp();
    const port = await freePort();
    const main = join(dir, 'nginx.conf');
    writeFileSync(
      main,
      [
        ...(process.getuid?.() === 0 ? ['user root;'] : []),
        `pid ${join(dir, 'nginx.pid')};`,
        `error_log ${join(dir, 'error.log')};`,
        'events {}',
        'http {',
        ...['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((kind) => `  ${kind}_temp_path ${join(dir, kind)};`),
        `  include ${nginxConfIn(dir, { listen: port, app: app.port })};`,
        '}',
        '',
      ].join('\n'),
    );
    const proc = spawn(nginx!, ['-p', dir, '-c', main, '-e', join(dir, 'error.log'), '-g', 'daemon off;'], { stdio: 'ignore' });
    try {
      await eventually(() => String(existsSync(join(dir, 'nginx.pid'))), /true/);
      await requestWithLink(`http://127.0.0.1:${port}`);
      const log = await eventually(() => (existsSync(join(dir, 'autopurchase.access.log')) ? readFileSync(join(dir, 'autopurchase.access.log'), 'utf8') : ''), /\/watch\/run-1/);
      expect(log).toMatch(/"GET \/api\/auto-purchase\/progress\/run-1\/events HTTP\/1\.1" 200/);
      expect(log.split('\n').filter(Boolean)).toHaveLength(3);
      for (const trace of ['SECRET', 'access_token', 'lastEventId', 'eyJzIjoicnVuLTEi']) expect(log).not.toContain(trace);

      // With the app down, nginx's error log would quote each request line (query and Referer
      // included) at level `error`; the site's error_log at `crit` writes none of them.
      await app.close();
      for (const path of ['/api/auto-purchase/progress/run-1', '/api/auto-purchase/progress/run-1/events', '/watch/run-1']) {
        const failed = await fetch(`http://127.0.0.1:${port}${path}?access_token=${secretToken}`, {
          headers: { referer: `http://127.0.0.1:${port}/watch/run-1?access_token=${secretToken}` },
          signal: AbortSignal.timeout(10_000),
        });
        expect(failed.status).toBe(502);
        await failed.text();
      }
      // nginx writes an error line before it answers, and the access line after: once the access
      // log has the three 502s, every error line there would be is on disk.
      const withFailures = await eventually(() => readFileSync(join(dir, 'autopurchase.access.log'), 'utf8'), /(?:" 502 [^\n]*\n[^]*){3}/);
      expect(withFailures.match(/" 502 /g)).toHaveLength(3);
      const errorLogs = readdirSync(dir).filter((name) => name.endsWith('.log') && !name.includes('access'));
      for (const name of errorLogs) {
        const text = readFileSync(join(dir, name), 'utf8');
        for (const trace of ['SECRET', 'access_token', 'eyJzIjoicnVuLTEi', 'connect() failed']) expect(text, name).not.toContain(trace);
      }
      expect(errorLogs).toEqual(expect.arrayContaining(['error.log', 'autopurchase.error.log']));
    } finally {
      proc.kill('SIGTERM');
      await new Promise((resolve) => (proc.exitCode === null ? proc.once('exit', resolve) : resolve(undefined)));
      await app.close();
    }
  });
});

describe('deploy/Caddyfile', () => {
  it.skipIf(!caddy)(named(caddy, 'caddy validate accepts it', 'caddy'), () => {
    const home = tempDir();
    const check = spawnSync(caddy!, ['validate', '--config', deployFile('Caddyfile'), '--adapter', 'caddyfile'], {
      encoding: 'utf8',
      timeout: 30_000,
      env: { ...process.env, HOME: home, XDG_DATA_HOME: home, XDG_CONFIG_HOME: home },
    });
    expect(check.status, `${check.stdout}${check.stderr}`).toBe(0);
    expect(check.stdout).toMatch(/Valid configuration/);
    // Caddy warns about a directive that does nothing; the example should have none.
    expect(check.stderr).not.toMatch(/"level":"(warn|error)"/);
  });

  it('flushes every event at once', () => {
    expect(read('Caddyfile')).toMatch(/^\s*reverse_proxy 127\.0\.0\.1:3000 \{[^}]*^\s*flush_interval -1$/ms);
  });

  it('logs, in its access log and its own, with access_token deleted from the query and no Referer', () => {
    const caddyfile = read('Caddyfile');
    expect(caddyfile.match(/^\s*request>uri query \{\s*delete access_token\s*\}/gm)).toHaveLength(2);
    expect(caddyfile.match(/^\s*request>headers>Referer delete$/gm)).toHaveLength(2);
  });

  it.skipIf(!caddy)(named(caddy, 'a request with ?access_token= through the real Caddy leaves no trace of it in the access log', 'caddy'), async () => {
    const home = tempDir();
    const app = await startStandInApp();
    const port = await freePort();
    const site = read('Caddyfile')
      .replace(/^\{$/m, '{\n\tadmin off')
      .replace(/^autopurchase\.example\.com \{$/m, `http://127.0.0.1:${port} {`)
      .replace('reverse_proxy 127.0.0.1:3000 {', `reverse_proxy 127.0.0.1:${app.port} {`);
    const config = join(home, 'Caddyfile');
    writeFileSync(config, site);
    let output = '';
    const proc = spawn(caddy!, ['run', '--config', config, '--adapter', 'caddyfile'], { env: { ...process.env, HOME: home, XDG_DATA_HOME: home, XDG_CONFIG_HOME: home } });
    proc.stdout.on('data', (chunk) => (output += chunk));
    proc.stderr.on('data', (chunk) => (output += chunk));
    try {
      await eventually(() => output, /serving initial configuration|server running/);
      await requestWithLink(`http://127.0.0.1:${port}`);
      // With the app down, Caddy's error log quotes the request too.
      await app.close();
      const failed = await fetch(`http://127.0.0.1:${port}/api/auto-purchase/progress/run-1/events?access_token=${secretToken}`, { headers: { referer: `http://x/?access_token=${secretToken}` } });
      expect(failed.status).toBe(502);
      const log = await eventually(() => output, /"logger":"http\.log\.error[^\n]*\n[^\n]*"logger":"http\.log\.access/);
      const access = log.split('\n').filter((line) => line.includes('"logger":"http.log.access'));
      expect(access).toHaveLength(4);
      expect(log).toMatch(/"logger":"http\.log\.error/);
      expect(access.join('\n')).toMatch(/"uri":"\/api\/auto-purchase\/progress\/run-1\/events\?lastEventId=3"/);
      for (const trace of ['SECRET', 'access_token', 'eyJzIjoicnVuLTEi']) expect(log).not.toContain(trace);
    } finally {
      proc.kill('SIGTERM');
      await new Promise((resolve) => (proc.exitCode === null ? proc.once('exit', resolve) : resolve(undefined)));
      await app.close();
    }
  });
});

describe('deploy/ systemd units', () => {
  /**
   * `systemd-analyze verify` on the units under their installed names. It also checks that the
   * binary exists, which it does not on a build machine: that one complaint is expected; any other
   * line (an unknown key, a value it cannot parse, a bad timer) fails the test.
   */
  it.skipIf(!systemdAnalyze)(named(systemdAnalyze, 'systemd-analyze verify finds no error in them but the missing binary', 'systemd-analyze'), () => {
    const dir = tempDir();
    const units = { 'autopurchase.service': 'autopurchase.service', 'autopurchase-backup.service': 'backup.service', 'autopurchase-backup.timer': 'backup.timer' };
    for (const [installed, source] of Object.entries(units)) copyFileSync(deployFile(source), join(dir, installed));
    const check = spawnSync(systemdAnalyze!, ['verify', '--man=no', ...Object.keys(units).map((unit) => join(dir, unit))], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    const complaints = `${check.stdout}${check.stderr}`
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line !== '')
      .filter((line) => !/^autopurchase(-backup)?\.service: Command \/usr\/local\/bin\/autopurchase is not executable: No such file or directory$/.test(line));
    expect(complaints).toEqual([]);
  });

  it('gives a clean stop more time than a purchase in flight may take, and leaves MemoryDenyWriteExecute unset', () => {
    const unit = read('autopurchase.service');
    const stopSec = /^TimeoutStopSec=(\d+)s$/m.exec(unit)?.[1];
    expect(stopSec, 'TimeoutStopSec=<n>s').toBeDefined();
    const config = parseConfig({});
    if (!config.ok) throw new Error(config.message);
    expect(Number(stopSec) * 1000).toBeGreaterThanOrEqual(config.config.gatewayTimeoutMs + shutdownMarginMs + 5_000);
    // V8's JIT needs writable and executable memory: Node aborts under MemoryDenyWriteExecute=yes.
    for (const name of ['autopurchase.service', 'backup.service']) expect(read(name)).not.toMatch(/^MemoryDenyWriteExecute=/m);
    expect(unit).toMatch(/^ExecStart=\/usr\/local\/bin\/autopurchase serve$/m);
    expect(unit).toMatch(/^EnvironmentFile=\/etc\/autopurchase\/env$/m);
    expect(unit).toMatch(/^User=autopurchase$/m);
    expect(existsSync(deployFile('backup.timer'))).toBe(true);
  });
});

describe('deploy/backup.service', () => {
  it('deletes, before each backup, the temporaries a killed backup left that are over an hour old, and nothing else', () => {
    const unit = read('backup.service');
    const backups = '/var/lib/autopurchase-backups';
    const pre = /^ExecStartPre=(.*)$/m.exec(unit)?.[1];
    expect(pre, 'an ExecStartPre= line').toBeDefined();
    expect(pre).toContain(backups);
    // The line as a shell would run it, on a folder holding what a backups folder may hold.
    const dir = tempDir();
    const name = (date: string) => `autopurchase-${date}.db`;
    const old = Date.now() / 1000 - 2 * 3600;
    const files = {
      staleTemporary: basename(temporaryPath(join(backups, name('20250101T000000Z')), 4242)),
      freshTemporary: basename(temporaryPath(join(backups, name('20250102T000000Z')), 4243)),
      oldBackup: name('20250101T000000Z'),
      otherHidden: '.keep.partial',
    };
    for (const file of Object.values(files)) writeFileSync(join(dir, file), 'x');
    for (const file of [files.staleTemporary, files.oldBackup, files.otherHidden]) utimesSync(join(dir, file), old, old);
    const run = spawnSync('/bin/sh', ['-c', pre!.replaceAll(backups, dir)], { encoding: 'utf8', timeout: 10_000 });
    expect(run.status, `${run.stdout}${run.stderr}`).toBe(0);
    expect(readdirSync(dir).sort()).toEqual([files.freshTemporary, files.otherHidden, files.oldBackup].sort());
  });
});

describe('deploy/env.example', () => {
  const lines = read('env.example').split('\n');
  /** `NAME=value` or `#NAME=value`, with its line index. */
  const settings = lines.flatMap((line, index) => {
    const match = /^(#?)([A-Z][A-Z0-9_]*)=(.*)$/.exec(line);
    return match ? [{ name: match[2]!, value: match[3]!, commented: match[1] === '#', index }] : [];
  });

  it('lists exactly the variables the server reads, each once, each under a comment', () => {
    const names = settings.map((setting) => setting.name);
    const missing = configVariables.filter((name) => !names.includes(name));
    const unknown = names.filter((name) => !(configVariables as readonly string[]).includes(name));
    expect({ missing, unknown }).toEqual({ missing: [], unknown: [] });
    expect(new Set(names).size).toBe(names.length);
    for (const setting of settings) {
      const above = lines[setting.index - 1] ?? '';
      expect(above, `the line above ${setting.name}`).toMatch(/^# \S/);
      expect(above).not.toMatch(/^#[A-Z][A-Z0-9_]*=/);
    }
  });

  it('holds no secret, and its values (set or commented out) are valid configuration', () => {
    for (const name of ['ADMIN_TOKEN', 'CREDENTIAL_KEY', 'GATEWAY_SECRET', 'NOTIFY_WEBHOOK_SECRET', 'METRICS_TOKEN']) {
      expect(settings.find((setting) => setting.name === name)?.value, name).toBe('');
    }
    const active = Object.fromEntries(settings.filter((s) => !s.commented).map((s) => [s.name, s.value || undefined]));
    // As shipped (GATEWAY=http, no secret filled in) the server refuses to start, naming what is missing…
    const asIs = parseConfig(active);
    expect(asIs.ok ? '' : asIs.message).toMatch(/GATEWAY_SECRET is required/);
    // …and starts once the operator has filled in the gateway's secret.
    active.GATEWAY_SECRET = 'the-gateway-secret-0123456789';
    const filledIn = parseConfig(active);
    expect(filledIn.ok, filledIn.ok ? '' : filledIn.message).toBe(true);
    // Each commented default, switched on alone, is accepted too.
    for (const setting of settings.filter((s) => s.commented)) {
      const extra = setting.name === 'NOTIFY_WEBHOOK_URL' ? { NOTIFY_WEBHOOK_SECRET: 'a-webhook-secret-0123456789' } : {};
      const result = parseConfig({ ...active, ...extra, [setting.name]: setting.value });
      expect(result.ok, result.ok ? '' : `${setting.name}=${setting.value}: ${result.message}`).toBe(true);
    }
  });
});
