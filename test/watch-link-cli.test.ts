// `autopurchase watch <watch link>` (SPEC §12): a link as copied (the page or its eventsUrl) follows
// its run to the end with no admin token, as a real process against a real server process; the
// link's token is never printed, by the CLI or by the server's log.
import { writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { accessTokenParam as cliParam, linkTarget, sessionTarget, withoutQuery } from '../src/cli/watch-target.js';
import { accessTokenParam as serverParam } from '../src/http/access.js';
import type { WatchLink } from '../src/domain/api.js';
import { foldEvents } from '../src/domain/fold.js';
import type { RunEvent } from '../src/domain/run.js';
import { adminClientAt } from './support/admin-client.js';
import { runCli } from './support/cli-process.js';
import { cleanUp, makeTempDir, startServer, type ServerProcess } from './support/server-process.js';

const token = 'watch-link-cli-token-0123456789';
const api = (server: ServerProcess, method: string, path: string, body?: unknown) => adminClientAt(server.url, token)(method, path, body);
const accessTokenOf = (link: string) => new URL(link).searchParams.get('access_token')!;

afterEach(cleanUp);

describe('linkTarget', () => {
  it('turns the page link and the events URL into the same stream, keeping only access_token', () => {
    const page = linkTarget('https://ap.example.com/watch/run%201?access_token=wl1.a.b&utm=x#top');
    const events = linkTarget('https://ap.example.com/api/auto-purchase/progress/run%201/events?access_token=wl1.a.b');
    const snapshot = linkTarget('https://ap.example.com/api/auto-purchase/progress/run%201?access_token=wl1.a.b');
    for (const target of [page, events, snapshot]) {
      expect(target).toEqual({
        streamUrl: 'https://ap.example.com/api/auto-purchase/progress/run%201/events?access_token=wl1.a.b',
        sessionId: 'run 1',
        accessToken: 'wl1.a.b',
        shown: 'https://ap.example.com/api/auto-purchase/progress/run%201/events',
      });
    }
  });

  it('refuses a URL that is no watch link, without echoing its query', () => {
    const target = linkTarget('https://ap.example.com/api/transactions?access_token=wl1.secret.mac');
    expect(target).toEqual({ error: 'not a watch link: expected …/watch/<sessionId>?access_token=… (got https://ap.example.com/api/transactions)' });
    expect(linkTarget('https://ap.example.com/watch/%E0%A4%A?access_token=wl1.secret.mac')).toMatchObject({ error: expect.not.stringContaining('secret') });
    expect(withoutQuery('https://user:pw@ap.example.com/watch/x?access_token=wl1.s#f')).toBe('https://ap.example.com/watch/x');
  });

  it('refuses a link-shaped URL with no or an empty access_token (it would otherwise be followed with nothing or the admin token)', () => {
    for (const link of ['https://ap.example.com/watch/abc', 'https://ap.example.com/watch/abc?access_token=', 'https://ap.example.com/api/auto-purchase/progress/abc/events?x=1']) {
      expect(linkTarget(link), link).toEqual({ error: expect.stringMatching(/^this is not a watch link: it has no access_token \(got https:\/\/ap\.example\.com\/[^?]*\)/) });
    }
  });

  it('reads the parameter the server reads (the CLI keeps its own copy, clear of the server’s imports)', () => {
    expect(cliParam).toBe(serverParam);
  });

  it('keeps a session id on the server as before', () => {
    expect(sessionTarget('http://localhost:3000/', 'abc')).toEqual({
      streamUrl: 'http://localhost:3000/api/auto-purchase/progress/abc/events',
      sessionId: 'abc',
      shown: 'http://localhost:3000/api/auto-purchase/progress/abc/events',
    });
  });
});

describe('autopurchase watch <link>', () => {
  async function runWithLink(delayMs: string) {
    const server = await startServer({ dataDir: makeTempDir(), env: { ADMIN_TOKEN: token, PURCHASE_DELAY_MS: delayMs } });
    const { json } = await api(server, 'POST', '/api/admin/stock-accounts', { robloxCookie: 'sandbox:alice:100000' });
    const sessionId = json.autoPurchase.sessionId as string;
    const made = await api(server, 'POST', `/api/auto-purchase/progress/${sessionId}/watch-links`, { expiresIn: '15m' });
    expect(made.status, made.text).toBe(201);
    return { server, sessionId, link: made.json as WatchLink };
  }

  it('follows the run of a page link to its end with no admin token, and prints the link nowhere', async () => {
    const { server, link } = await runWithLink('150');
    // runCli clears ADMIN_TOKEN and AUTOPURCHASE_URL; the link alone names server and run.
    const result = await runCli(['watch', link.url]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/▶ Processing transaction \d+\/14/);
    expect(result.stdout).toMatch(/■ Completed: total 14/);
    const secret = accessTokenOf(link.url);
    expect(`${result.stdout}${result.stderr}`).not.toContain(secret);
    expect(server.stdout()).toMatch(/GET \/api\/auto-purchase\/progress\/[^ ]+\/events 200/);
    expect(`${server.stdout()}${server.stderr()}`).not.toContain(secret);
    expect(`${server.stdout()}${server.stderr()}`).not.toContain('access_token');
  });

  it('follows the eventsUrl with --json to the stored snapshot', async () => {
    const { server, sessionId, link } = await runWithLink('30');
    const result = await runCli(['watch', link.eventsUrl, '--json']);
    expect(result.code, result.stderr).toBe(0);
    const lines = result.stdout.trim().split('\n').map((line) => JSON.parse(line));
    expect(lines[0].type).toBe('snapshot');
    const events = lines.slice(1).map((line) => ({ seq: line.seq, type: line.type, data: line.data }) as RunEvent);
    const folded = foldEvents(lines[0].snapshot, events);
    expect(folded.status).toBe('completed');
    expect((await api(server, 'GET', `/api/auto-purchase/progress/${sessionId}`)).json).toEqual(folded);
  });

  it('exits 2 for a tampered link, a link for another run and a URL that is no watch link, never printing the token', async () => {
    const { server, link } = await runWithLink('0');
    const secret = accessTokenOf(link.url);
    // A character in the middle of the MAC (the last one carries two unused bits).
    const at = secret.length - 10;
    const tampered = link.url.replace(secret, `${secret.slice(0, at)}${secret[at] === 'A' ? 'B' : 'A'}${secret.slice(at + 1)}`);
    const otherRun = link.url.replace(/\/watch\/[^?]+/, '/watch/another-run');
    const notALink = `${server.url}/api/transactions?access_token=${secret}`;
    const answers = [
      [tampered, /HTTP 401 \(the watch link is not valid/],
      [otherRun, /HTTP 403 \(the watch link does not open this run\)/],
      [notALink, /not a watch link: .*\(got http:\/\/127\.0\.0\.1:\d+\/api\/transactions\)/],
    ] as const;
    for (const [arg, message] of answers) {
      const result = await runCli(['watch', arg]);
      expect(result.code, arg).toBe(2);
      expect(result.stderr).toMatch(message);
      expect(`${result.stdout}${result.stderr}`).not.toContain(secret.split('.')[2]!);
      expect(`${result.stdout}${result.stderr}`).not.toContain(secret.split('.')[1]!);
    }
  });
});

describe('autopurchase watch <URL> never sends the admin token', () => {
  const adminToken = 'admin-token-that-must-stay-home-0123456789';

  /** A stand-in for someone else's host: it records every request's headers and refuses them all. */
  async function recordingServer() {
    const seen: { url: string; headers: IncomingHttpHeaders }[] = [];
    const server = createServer((req, res) => {
      seen.push({ url: req.url ?? '', headers: req.headers });
      res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":{"code":"unauthorized","message":"no"}}');
    });
    await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return { base, seen, close: () => new Promise<void>((closed) => server.close(() => closed())) };
  }

  it('refuses a URL with no or an empty access_token, however the admin token is given, and contacts no one', async () => {
    const host = await recordingServer();
    try {
      const dataDir = makeTempDir();
      writeFileSync(join(dataDir, 'admin-token'), adminToken);
      const sources: [string, string[], Record<string, string>][] = [
        ['ADMIN_TOKEN', [], { ADMIN_TOKEN: adminToken }],
        ['--token', ['--token', adminToken], {}],
        ['the data folder', [], { DATABASE_PATH: join(dataDir, 'autopurchase.db') }],
      ];
      for (const url of [`${host.base}/watch/abc?access_token=`, `${host.base}/watch/abc`, `${host.base}/api/auto-purchase/progress/abc/events?access_token=`]) {
        for (const [source, args, env] of sources) {
          const result = await runCli(['watch', url, ...args], env);
          expect(host.seen.map((request) => request.headers), `${url} with ${source}`).toEqual([]);
          expect(result.code, `${url} with ${source}: ${result.stderr}`).toBe(2);
          expect(result.stderr).toContain('this is not a watch link: it has no access_token');
          expect(`${result.stdout}${result.stderr}`).not.toContain(adminToken);
        }
      }
      expect(host.seen).toEqual([]);
    } finally {
      await host.close();
    }
  });

  it('follows a URL that carries its access_token with no Authorization header, even with an admin token at hand', async () => {
    const host = await recordingServer();
    try {
      const link = `${host.base}/watch/abc?access_token=wl1.not-really.a-link`;
      for (const args of [[], ['--token', adminToken]]) {
        const result = await runCli(['watch', link, ...args], { ADMIN_TOKEN: adminToken });
        expect(result.code, result.stderr).toBe(2);
        expect(result.stderr).toMatch(/HTTP 401 \(the watch link is not valid/);
      }
      expect(host.seen.length).toBeGreaterThanOrEqual(2);
      for (const { url, headers } of host.seen) {
        expect(url).toBe('/api/auto-purchase/progress/abc/events?access_token=wl1.not-really.a-link');
        expect(headers.authorization).toBeUndefined();
        expect(JSON.stringify(headers)).not.toContain(adminToken);
      }
    } finally {
      await host.close();
    }
  });
});
