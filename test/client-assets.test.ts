// The built client's files (SPEC §11 "Static files"): nothing outside the client folder is served,
// symlinks included; a missing file is a 404, a deep link the page; pre-compressed files by
// Accept-Encoding; and the security headers on every answer, API and stream included.
import { mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { brotliCompressSync, brotliDecompressSync, gunzipSync, gzipSync } from 'node:zlib';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientAssets } from '../src/node/client-assets.js';
import { ensureClientBuilt, clientBuildDir } from './browser/support/build-client.js';
import { addAccount } from './support/run-fixtures.js';
import { cleanUp, makeTempDir } from './support/server-process.js';
import { buildTestApp, testToken, type TestApp } from './support/test-app.js';

const secret = 'TOP-SECRET-OUTSIDE-THE-CLIENT-FOLDER';
const page = '<!doctype html><title>client</title><script type="module" src="/assets/app-abc.js"></script>';
// Big and repetitive enough that the compressed forms are much smaller than the file.
const script = `export const rows = [${Array.from({ length: 400 }, (_, i) => `{ id: ${i}, name: "row ${i}" }`).join(', ')}];\n`;

let clientDir: string;

/** A client folder: index.html, a hashed script with .br/.gz siblings, and symlinks leading out. */
function makeClientFolder(): string {
  const base = makeTempDir('autopurchase-client-assets-');
  const outside = join(base, 'outside');
  const dir = join(base, 'public');
  mkdirSync(outside);
  mkdirSync(join(dir, 'assets'), { recursive: true });
  writeFileSync(join(outside, 'secret.txt'), secret);
  writeFileSync(join(outside, 'secret.js'), `console.log(${JSON.stringify(secret)})`);
  writeFileSync(join(dir, 'index.html'), page);
  writeFileSync(join(dir, 'assets', 'app-abc.js'), script);
  writeFileSync(join(dir, 'assets', 'app-abc.js.br'), brotliCompressSync(script));
  writeFileSync(join(dir, 'assets', 'app-abc.js.gz'), gzipSync(script));
  symlinkSync(join(outside, 'secret.txt'), join(dir, 'leak.txt'));
  symlinkSync(join(outside, 'secret.js'), join(dir, 'assets', 'leak.js'));
  symlinkSync(outside, join(dir, 'linked'));
  // A symlink inside the folder that stays inside it is fine.
  symlinkSync(join(dir, 'assets', 'app-abc.js'), join(dir, 'assets', 'alias.js'));
  return dir;
}

/** The middleware alone, behind a small Hono app with a JSON 404 (as the real app has). */
function staticApp(dir: string): Hono {
  const app = new Hono();
  app.get('*', clientAssets(dir));
  app.notFound((c) => c.json({ error: { code: 'not_found', message: 'none' } }, 404));
  return app;
}

beforeAll(() => {
  clientDir = makeClientFolder();
});
afterAll(cleanUp);

describe('client files: nothing outside the folder', () => {
  it('a symlink inside the folder that points outside answers 404, for a file and for a folder', async () => {
    const app = staticApp(clientDir);
    for (const path of ['/leak.txt', '/assets/leak.js', '/linked/secret.txt', '/linked/secret.js']) {
      const res = await app.request(path);
      const text = await res.text();
      expect(res.status, path).toBe(404);
      expect(text, path).not.toContain(secret);
    }
    // ...while one that stays inside is served.
    const alias = await app.request('/assets/alias.js');
    expect(alias.status).toBe(200);
    expect(await alias.text()).toBe(script);
  });

  it('dot segments, encoded dots and slashes, backslashes and NUL over a real socket never reach a file outside', async () => {
    const app = staticApp(clientDir);
    const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
    await new Promise<void>((resolve) => server.once('listening', () => resolve()));
    const port = (server.address() as AddressInfo).port;
    try {
      const paths = [
        '/../outside/secret.txt',
        '/assets/../../outside/secret.txt',
        '/%2e%2e/outside/secret.txt',
        '/assets/%2e%2e/%2e%2e/outside/secret.txt',
        '/..%2foutside%2fsecret.txt',
        '/assets/..%2f..%2foutside%2fsecret.txt',
        '/..%5coutside%5csecret.txt',
        '/assets\\..\\..\\outside\\secret.txt',
        '/assets/app-abc.js%00.txt',
        '/leak.txt%00',
        '//outside/secret.txt',
      ];
      for (const path of paths) {
        const res = await rawGet(port, path);
        expect([400, 404], `${path} answered ${res.status}`).toContain(res.status);
        expect(res.body, path).not.toContain(secret);
      }
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('client files: missing files and deep links', () => {
  it('a missing file under /assets/ or with an extension is a 404, never index.html', async () => {
    const app = staticApp(clientDir);
    for (const path of ['/assets/missing-123.js', '/assets/missing', '/favicon.ico', '/robots.txt', '/deep/path/x.css']) {
      const res = await app.request(path);
      expect(res.status, path).toBe(404);
      expect(await res.text(), path).not.toContain('<!doctype html>');
    }
  });

  it('a deep link without an extension gets index.html, revalidated every time', async () => {
    const app = staticApp(clientDir);
    for (const path of ['/', '/transactions', '/runs/abc', '/history/']) {
      const res = await app.request(path);
      expect(res.status, path).toBe(200);
      expect(res.headers.get('content-type'), path).toMatch(/^text\/html/);
      expect(res.headers.get('cache-control'), path).toBe('no-cache');
      expect(await res.text(), path).toBe(page);
    }
  });
});

describe('client files: pre-compressed by Accept-Encoding', () => {
  const asset = '/assets/app-abc.js';
  const get = (acceptEncoding?: string) =>
    staticApp(clientDir).request(asset, { headers: acceptEncoding === undefined ? {} : { 'accept-encoding': acceptEncoding } });

  it('br is sent as the .br file, which decompresses to the original, with the original type', async () => {
    const res = await get('gzip, deflate, br, zstd');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-encoding')).toBe('br');
    expect(res.headers.get('content-type')).toMatch(/^text\/javascript/);
    expect(res.headers.get('vary')).toMatch(/accept-encoding/i);
    expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    const body = Buffer.from(await res.arrayBuffer());
    expect(body.length).toBeLessThan(Buffer.byteLength(script));
    expect(brotliDecompressSync(body).toString()).toBe(script);
  });

  it('gzip is sent as the .gz file when br is not accepted (or refused with q=0)', async () => {
    for (const header of ['gzip', 'gzip, br;q=0', 'br;q=0.5, gzip;q=0.9']) {
      const res = await get(header);
      expect(res.headers.get('content-encoding'), header).toBe('gzip');
      expect(res.headers.get('vary'), header).toMatch(/accept-encoding/i);
      expect(gunzipSync(Buffer.from(await res.arrayBuffer())).toString(), header).toBe(script);
    }
  });

  it('without an accepted coding the file is sent as it is, still with Vary', async () => {
    for (const header of [undefined, '', 'identity', 'deflate', 'br;q=0, gzip;q=0']) {
      const res = await get(header);
      expect(res.headers.get('content-encoding'), String(header)).toBeNull();
      expect(res.headers.get('vary'), String(header)).toMatch(/accept-encoding/i);
      expect(await res.text(), String(header)).toBe(script);
    }
  });

  it('the .br and .gz siblings are not files of their own', async () => {
    const app = staticApp(clientDir);
    expect((await app.request('/assets/app-abc.js.br')).status).toBe(404);
    expect((await app.request('/assets/app-abc.js.gz')).status).toBe(404);
  });
});

describe('security headers on every answer', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp({ clientAssets: clientAssets(clientDir) });
  });
  afterAll(() => t?.close());

  function expectSecurityHeaders(headers: Headers, what: string) {
    expect(headers.get('x-content-type-options'), what).toBe('nosniff');
    const csp = headers.get('content-security-policy') ?? '';
    expect(csp, what).toMatch(/(^|;\s*)frame-ancestors 'none'(;|$)/);
    expect(csp, what).toMatch(/(^|;\s*)default-src 'self'(;|$)/);
    expect(csp, what).toMatch(/(^|;\s*)script-src 'self'(;|$)/);
    expect(headers.get('x-frame-options'), what).toBe('DENY');
    expect(headers.get('referrer-policy'), what).toBe('same-origin');
  }

  it('an API answer, an API error, a static file, the page and a 404 carry nosniff and a CSP with frame-ancestors none', async () => {
    const api = await t.api('GET', '/api/admin/stock-accounts');
    expect(api.status).toBe(200);
    expectSecurityHeaders(api.headers, 'API answer');

    const unauthorized = await t.app.request('/api/admin/stock-accounts');
    expect(unauthorized.status).toBe(401);
    expectSecurityHeaders(unauthorized.headers, 'API error');

    const file = await t.app.request('/assets/app-abc.js', { headers: { 'accept-encoding': 'br' } });
    expect(file.status).toBe(200);
    expect(file.headers.get('content-encoding')).toBe('br');
    expectSecurityHeaders(file.headers, 'static file');

    const deepLink = await t.app.request('/transactions');
    expect(await deepLink.text()).toBe(page);
    expectSecurityHeaders(deepLink.headers, 'page');

    const missing = await t.app.request('/assets/missing-123.js');
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ error: { code: 'not_found' } });
    expectSecurityHeaders(missing.headers, 'missing file');
  });

  it('the progress stream keeps its SPEC §5 headers, uncompressed, and gets the security headers too', async () => {
    const { sessionId } = await addAccount(t, 'alice', 1_000);
    const res = await t.app.request(`/api/auto-purchase/progress/${sessionId}/events`, {
      headers: { authorization: `Bearer ${testToken}`, 'accept-encoding': 'gzip, br' },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    expect(res.headers.get('cache-control')).toBe('no-cache, no-transform');
    expect(res.headers.get('x-accel-buffering')).toBe('no');
    expect(res.headers.get('content-encoding')).toBeNull();
    expectSecurityHeaders(res.headers, 'stream');
    expect(await res.text()).toMatch(/^retry: 3000\n\n/);
  });
});

describe('the real client build', () => {
  it('emits .br and .gz beside each script and stylesheet, and serves them', { timeout: 150_000 }, async () => {
    await ensureClientBuilt();
    const assets = readdirSync(join(clientBuildDir, 'assets'));
    const compressible = assets.filter((name) => /\.(js|css)$/.test(name));
    expect(compressible.length).toBeGreaterThan(0);
    for (const name of compressible) {
      expect(assets, name).toContain(`${name}.br`);
      expect(assets, name).toContain(`${name}.gz`);
    }
    // Every file index.html links to comes back as brotli that decompresses to the built file.
    const app = staticApp(clientBuildDir);
    const index = await (await app.request('/')).text();
    const linked = [...index.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((m) => m[1]!);
    expect(linked.length).toBeGreaterThan(0);
    for (const path of linked) {
      const res = await app.request(path, { headers: { 'accept-encoding': 'gzip, deflate, br' } });
      expect(res.status, path).toBe(200);
      expect(res.headers.get('content-encoding'), path).toBe('br');
      const original = readFileSync(join(clientBuildDir, path));
      expect(brotliDecompressSync(Buffer.from(await res.arrayBuffer())).equals(original), path).toBe(true);
    }
  });
});

/** A GET with the path sent byte for byte (no URL normalisation), over 127.0.0.1. */
function rawGet(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, method: 'GET', timeout: 5_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${path} timed out`)));
    req.on('error', reject);
    req.end();
  });
}
