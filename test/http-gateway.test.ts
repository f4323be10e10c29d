// The `http` gateway against a real HTTP server (test/support/fake-gateway-server.ts): the exact
// wire contract of SPEC §6, how each answer maps to a result, a refusal, a transient failure or a
// configuration error, and that no error message ever carries the credential.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { resolve } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { GatewayTransientError, refusalCodes, type Gateway } from '../src/gateway/gateway.js';
import { createHttpGateway, parseRetryAfter } from '../src/gateway/http.js';
import { buyRequest } from './support/buy-requests.js';
import { startFakeGateway, type FakeGateway } from './support/fake-gateway-server.js';

const SECRET = 'gw-secret-123';
const COOKIE = '_|WARNING:-DO-NOT-SHARE-THIS.--SECRETCOOKIE-4242';

let server: FakeGateway;
let gateway: Gateway;
/** Every Response the gateway received, to check each body was read or cancelled. */
let responses: Response[] = [];

const trackingFetch: typeof fetch = async (input, init) => {
  const response = await fetch(input, init);
  responses.push(response);
  return response;
};

beforeAll(async () => {
  server = await startFakeGateway({ secret: SECRET });
  gateway = createHttpGateway({ url: server.url, secret: SECRET, fetch: trackingFetch });
});

afterAll(async () => {
  await server.close();
});

afterEach(() => {
  // Every answer's body was consumed or cancelled: no socket is left waiting on it.
  const seen = responses;
  responses = [];
  server.reset();
  expect(seen.filter((response) => !response.bodyUsed && response.body !== null).map((response) => response.status)).toEqual([]);
});

/** The rejection of `promise`, which must reject. */
async function rejectionOf(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    if (!(error instanceof Error)) throw new Error(`rejected with a non-Error: ${String(error)}`);
    return error;
  }
  throw new Error('expected a rejection');
}

/** Fails when the message or the cause chain's messages hold the credential. */
function expectNoCredential(error: Error, credential: string): void {
  let current: unknown = error;
  for (let depth = 0; current instanceof Error && depth < 5; depth++) {
    expect(current.message).not.toContain(credential);
    expect(String(current.stack ?? '')).not.toContain(credential);
    current = current.cause;
  }
}

describe('wire contract', () => {
  it('POST /account with the secret, accept and content-type headers and {robloxCookie}', async () => {
    await gateway.verifyAccount('sandbox:alice:300');
    expect(server.requests).toHaveLength(1);
    const [request] = server.requests;
    expect(request).toMatchObject({ method: 'POST', path: '/account', body: { robloxCookie: 'sandbox:alice:300' } });
    expect(request!.headers['x-internal-secret']).toBe(SECRET);
    expect(request!.headers.accept).toBe('application/json');
    expect(request!.headers['content-type']).toBe('application/json');
    expect(Object.keys(request!.body as object)).toEqual(['robloxCookie']);
  });

  it('POST /buy-pass with Idempotency-Key and exactly the contract body', async () => {
    const request = buyRequest({ credential: 'sandbox:bob:900', gamepassName: 'Shield "deluxe" ✓' });
    expect(await gateway.buyPass(request)).toEqual({ success: true });
    const [sent] = server.requests;
    expect(sent).toMatchObject({ method: 'POST', path: '/buy-pass' });
    expect(sent!.headers['idempotency-key']).toBe(request.idempotencyKey);
    expect(sent!.headers['x-internal-secret']).toBe(SECRET);
    expect(sent!.headers['content-type']).toBe('application/json');
    expect(sent!.headers.accept).toBe('application/json');
    expect(sent!.body).toEqual({
      robloxCookie: 'sandbox:bob:900',
      invoiceId: request.invoiceId,
      gamepassId: request.gamepassId,
      gamepassName: 'Shield "deluxe" ✓',
      price: 100,
      sellerId: 77,
      idempotencyKey: request.idempotencyKey,
    });
    expect(Object.keys(sent!.body as object).sort()).toEqual(
      ['gamepassId', 'gamepassName', 'idempotencyKey', 'invoiceId', 'price', 'robloxCookie', 'sellerId'],
    );
  });

  it('GET /purchases/<encoded key> with the secret and no body', async () => {
    const key = 'a key/with?odd#chars&é';
    expect(await gateway.lookupPurchase(key)).toBe('not_found');
    const [sent] = server.requests;
    expect(sent).toMatchObject({ method: 'GET', path: `/purchases/${encodeURIComponent(key)}`, rawBody: '' });
    expect(sent!.headers['x-internal-secret']).toBe(SECRET);
    expect(sent!.headers.accept).toBe('application/json');
    expect(sent!.headers['content-type']).toBeUndefined();
  });

  it('ignores a trailing slash on the URL', async () => {
    const slashed = createHttpGateway({ url: `${server.url}/`, secret: SECRET, fetch: trackingFetch });
    await slashed.verifyAccount('sandbox:alice:1');
    expect(server.requests[0]!.path).toBe('/account');
    expect(slashed.kind).toBe('http');
  });

  it('keeps a base path', async () => {
    server.respondNext(200, { status: 'completed' }, { path: 'any' });
    const nested = createHttpGateway({ url: `${server.url}/api`, secret: SECRET, fetch: trackingFetch });
    expect(await nested.lookupPurchase('k')).toBe('completed');
    expect(server.requests[0]!.path).toBe('/api/purchases/k');
  });

  it('refuses a bad URL or secret at creation, without quoting the secret', () => {
    expect(() => createHttpGateway({ url: 'not a url', secret: SECRET })).toThrow(/not a valid URL/);
    expect(() => createHttpGateway({ url: 'ftp://x', secret: SECRET })).toThrow(/http/);
    expect(() => createHttpGateway({ url: 'http://u:p@x', secret: SECRET })).toThrow(/credentials/);
    expect(() => createHttpGateway({ url: 'http://x/api?v=1', secret: SECRET })).toThrow(/query/);
    expect(() => createHttpGateway({ url: server.url, secret: '' })).toThrow(/secret/);
    const bad = 'line1\nhunter2';
    const error = (() => {
      try {
        createHttpGateway({ url: server.url, secret: bad });
      } catch (e) {
        return e as Error;
      }
      throw new Error('expected a throw');
    })();
    expect(error.message).not.toContain('hunter2');
  });
});

describe('verifyAccount', () => {
  it('answers the account of a valid credential', async () => {
    const result = await gateway.verifyAccount('sandbox:alice:300');
    expect(result).toEqual({ ok: true, userId: expect.any(Number), username: 'alice', displayName: 'Alice', robux: 300 });
  });

  it('reads a numeric-string userId and falls back to the username for displayName', async () => {
    server.respondNext(200, { success: true, userId: '123456789', username: 'bob', robux: 0 }, { path: '/account' });
    expect(await gateway.verifyAccount(COOKIE)).toEqual({ ok: true, userId: 123456789, username: 'bob', displayName: 'bob', robux: 0 });
  });

  it('answers INVALID_CREDENTIAL with the gateway message (a 400 from the marketplace)', async () => {
    expect(await gateway.verifyAccount('sandbox:invalid')).toEqual({
      ok: false,
      code: 'INVALID_CREDENTIAL',
      message: 'The Roblox cookie is invalid or expired',
    });
  });

  it.each([200, 404, 422])('answers INVALID_CREDENTIAL for {success:false} with HTTP %i, default message', async (status) => {
    server.respondNext(status, { success: false }, { path: '/account' });
    expect(await gateway.verifyAccount(COOKIE)).toEqual({
      ok: false,
      code: 'INVALID_CREDENTIAL',
      message: 'The gateway rejected the credential',
    });
  });

  it.each([401, 403])('HTTP %i is a configuration error, not transient', async (status) => {
    server.respondNext(status, { success: false, message: 'nope' }, { path: '/account' });
    const error = await rejectionOf(gateway.verifyAccount(COOKIE));
    expect(error).not.toBeInstanceOf(GatewayTransientError);
    expect(error.message).toBe(`The gateway refused our x-internal-secret (HTTP ${status})`);
  });

  it('a wrong secret is refused by the server itself (401)', async () => {
    const wrong = createHttpGateway({ url: server.url, secret: 'wrong', fetch: trackingFetch });
    const error = await rejectionOf(wrong.verifyAccount(COOKIE));
    expect(error.message).toBe('The gateway refused our x-internal-secret (HTTP 401)');
    expect(error).not.toBeInstanceOf(GatewayTransientError);
  });

  it.each([500, 502, 503, 429])('HTTP %i is transient', async (status) => {
    server.failNext(1, status, { path: '/account' });
    const error = await rejectionOf(gateway.verifyAccount(COOKIE));
    expect(error).toBeInstanceOf(GatewayTransientError);
    expect(error.message).toBe(`POST /account answered HTTP ${status}`);
    expectNoCredential(error, COOKIE);
  });

  it.each([
    ['not JSON', 'Internal stuff'],
    ['an empty body', undefined],
    ['a negative balance', { success: true, userId: 1, username: 'a', robux: -1 }],
    ['a fractional balance', { success: true, userId: 1, username: 'a', robux: 1.5 }],
    ['a string balance', { success: true, userId: 1, username: 'a', robux: '10' }],
    ['a non-numeric userId', { success: true, userId: 'abc', username: 'a', robux: 1 }],
    ['a missing username', { success: true, userId: 1, robux: 1 }],
    ['no success field', { userId: 1, username: 'a', robux: 1 }],
    ['an array', [1, 2]],
  ])('a 2xx with %s is a plain error', async (_name, body) => {
    server.respondNext(200, body, { path: '/account' });
    const error = await rejectionOf(gateway.verifyAccount(COOKIE));
    expect(error).not.toBeInstanceOf(GatewayTransientError);
    expect(error.message).toBe('The gateway answered an unexpected body for /account');
  });

  it('another 4xx without a rejection body is a plain error naming path and status', async () => {
    server.respondNext(404, 'no such route', { path: '/account' });
    const error = await rejectionOf(gateway.verifyAccount(COOKIE));
    expect(error).not.toBeInstanceOf(GatewayTransientError);
    expect(error.message).toBe('POST /account answered HTTP 404');
  });

  it('a dropped connection or a timeout is transient', async () => {
    server.dropConnectionNext({ path: '/account' });
    expect(await rejectionOf(gateway.verifyAccount(COOKIE))).toBeInstanceOf(GatewayTransientError);
    server.hangNext({ path: '/account' });
    const error = await rejectionOf(gateway.verifyAccount(COOKIE, { signal: AbortSignal.timeout(100) }));
    expect(error).toBeInstanceOf(GatewayTransientError);
    expect(error.message).toBe('POST /account got no answer (timed out)');
  });
});

describe('buyPass', () => {
  it('buys once per idempotency key', async () => {
    const request = buyRequest({ credential: 'sandbox:carol:250' });
    expect(await gateway.buyPass(request)).toEqual({ success: true });
    expect(await gateway.buyPass(request)).toEqual({ success: true });
    expect(server.purchases(request.invoiceId)).toHaveLength(1);
    expect(server.account('carol')?.robux).toBe(150);
  });

  it.each(refusalCodes.filter((code) => code !== 'RATE_LIMITED'))('answers the refusal %s with its message', async (code) => {
    server.refuseNext(code, `because ${code}`);
    expect(await gateway.buyPass(buyRequest())).toEqual({ success: false, code, message: `because ${code}` });
  });

  it('defaults a refusal message to its code, and reads a refusal sent with a 4xx', async () => {
    server.respondNext(409, { success: false, code: 'ALREADY_OWNED' });
    expect(await gateway.buyPass(buyRequest())).toEqual({ success: false, code: 'ALREADY_OWNED', message: 'ALREADY_OWNED' });
    server.respondNext(400, { success: false, code: 'PRICE_CHANGED', message: '' });
    expect(await gateway.buyPass(buyRequest())).toEqual({ success: false, code: 'PRICE_CHANGED', message: 'PRICE_CHANGED' });
  });

  it('answers the marketplace refusals (insufficient funds, invalid credential)', async () => {
    expect(await gateway.buyPass(buyRequest({ credential: 'sandbox:dave:10', price: 50 }))).toMatchObject({
      success: false,
      code: 'INSUFFICIENT_FUNDS',
    });
    expect(await gateway.buyPass(buyRequest({ credential: 'sandbox:invalid' }))).toMatchObject({ success: false, code: 'INVALID_CREDENTIAL' });
  });

  it('429 with Retry-After: 2 → RATE_LIMITED, retryAfterMs 2000, the body message', async () => {
    server.rateLimitNext(2);
    expect(await gateway.buyPass(buyRequest())).toEqual({
      success: false,
      code: 'RATE_LIMITED',
      message: 'Too many requests',
      retryAfterMs: 2000,
    });
  });

  it('429 with an HTTP-date Retry-After → the time until then', async () => {
    server.rateLimitNext(new Date(Date.now() + 30_000).toUTCString());
    const result = await gateway.buyPass(buyRequest());
    if (result.success || result.retryAfterMs === undefined) throw new Error('expected RATE_LIMITED with retryAfterMs');
    expect(result.code).toBe('RATE_LIMITED');
    // toUTCString drops the milliseconds; the request takes a little time.
    expect(result.retryAfterMs).toBeGreaterThan(27_000);
    expect(result.retryAfterMs).toBeLessThanOrEqual(30_000);
  });

  it('429 without Retry-After and without a body → 1000 ms, message defaults to the code', async () => {
    server.rateLimitNext(null, { body: null });
    expect(await gateway.buyPass(buyRequest())).toEqual({ success: false, code: 'RATE_LIMITED', message: 'RATE_LIMITED', retryAfterMs: 1000 });
  });

  it('a past HTTP-date is 0, an unparseable one 1000', async () => {
    server.rateLimitNext(new Date(Date.now() - 60_000).toUTCString());
    expect(await gateway.buyPass(buyRequest())).toMatchObject({ code: 'RATE_LIMITED', retryAfterMs: 0 });
    server.rateLimitNext('soon');
    expect(await gateway.buyPass(buyRequest())).toMatchObject({ code: 'RATE_LIMITED', retryAfterMs: 1000 });
  });

  it('a RATE_LIMITED body with HTTP 200 is handled the same, Retry-After honoured', async () => {
    server.respondNext(200, { success: false, code: 'RATE_LIMITED', message: 'slow down' }, { headers: { 'retry-after': '3' } });
    expect(await gateway.buyPass(buyRequest())).toEqual({ success: false, code: 'RATE_LIMITED', message: 'slow down', retryAfterMs: 3000 });
    server.respondNext(200, { success: false, code: 'RATE_LIMITED' });
    expect(await gateway.buyPass(buyRequest())).toEqual({ success: false, code: 'RATE_LIMITED', message: 'RATE_LIMITED', retryAfterMs: 1000 });
  });

  it.each([500, 502, 503, 504])('HTTP %i is transient, naming path and status only', async (status) => {
    server.respondNext(status, { success: false, message: `secret detail ${COOKIE}` });
    const error = await rejectionOf(gateway.buyPass(buyRequest({ credential: COOKIE })));
    expect(error).toBeInstanceOf(GatewayTransientError);
    expect(error.message).toBe(`POST /buy-pass answered HTTP ${status}`);
    expectNoCredential(error, COOKIE);
  });

  it.each([
    ['not JSON', '<html>ok</html>'],
    ['an empty body', undefined],
    ['an unknown code', { success: false, code: 'WHATEVER', message: 'x' }],
    ['no success field', { ok: true }],
  ])('a 2xx with %s is transient (it may have bought)', async (_name, body) => {
    server.respondNext(200, body);
    const error = await rejectionOf(gateway.buyPass(buyRequest({ credential: COOKIE })));
    expect(error).toBeInstanceOf(GatewayTransientError);
    expect(error.message).toMatch(/^POST \/buy-pass answered an unexpected (non-JSON )?body \(HTTP 200\)$/);
    expectNoCredential(error, COOKIE);
  });

  it.each([401, 403])('HTTP %i is a plain configuration error', async (status) => {
    server.respondNext(status, { success: false, code: 'INVALID_CREDENTIAL' });
    const error = await rejectionOf(gateway.buyPass(buyRequest({ credential: COOKIE })));
    expect(error).not.toBeInstanceOf(GatewayTransientError);
    expect(error.message).toBe(`The gateway refused our x-internal-secret (HTTP ${status})`);
  });

  it('another 4xx without a refusal is a plain error (the server rejected our request)', async () => {
    server.respondNext(422, { error: 'bad' });
    const error = await rejectionOf(gateway.buyPass(buyRequest({ credential: COOKIE })));
    expect(error).not.toBeInstanceOf(GatewayTransientError);
    expect(error.message).toBe('POST /buy-pass answered HTTP 422');
  });

  it('a redirect is not followed (the secret stays home) and is a plain error', async () => {
    server.respondNext(307, undefined, { headers: { location: 'http://example.invalid/steal' } });
    const error = await rejectionOf(gateway.buyPass(buyRequest({ credential: COOKIE })));
    expect(error).not.toBeInstanceOf(GatewayTransientError);
    expect(error.message).toMatch(/^POST \/buy-pass answered a redirect \(HTTP 307\)/);
    expect(server.requests).toHaveLength(1);
  });

  it('a dropped connection is transient', async () => {
    server.dropConnectionNext();
    const error = await rejectionOf(gateway.buyPass(buyRequest({ credential: COOKIE })));
    expect(error).toBeInstanceOf(GatewayTransientError);
    expect(error.message).toMatch(/^POST \/buy-pass got no answer/);
    expectNoCredential(error, COOKIE);
  });

  it('a connection refused is transient', async () => {
    const closed = await startFakeGateway({ secret: SECRET });
    const url = closed.url;
    await closed.close();
    const error = await rejectionOf(createHttpGateway({ url, secret: SECRET }).buyPass(buyRequest({ credential: COOKIE })));
    expect(error).toBeInstanceOf(GatewayTransientError);
    expectNoCredential(error, COOKIE);
  });

  it('a hang with AbortSignal.timeout(100) is transient within a second', async () => {
    server.hangNext();
    const started = performance.now();
    const error = await rejectionOf(gateway.buyPass(buyRequest({ credential: COOKIE }), { signal: AbortSignal.timeout(100) }));
    const elapsed = performance.now() - started;
    expect(error).toBeInstanceOf(GatewayTransientError);
    expect(error.message).toBe('POST /buy-pass got no answer (timed out)');
    expect(elapsed).toBeGreaterThanOrEqual(90);
    expect(elapsed).toBeLessThan(1000);
    expectNoCredential(error, COOKIE);
  });

  it('an already-aborted signal sends nothing', async () => {
    const controller = new AbortController();
    controller.abort();
    const error = await rejectionOf(gateway.buyPass(buyRequest(), { signal: controller.signal }));
    expect(error).toBeInstanceOf(GatewayTransientError);
    expect(error.message).toBe('POST /buy-pass got no answer (aborted)');
    expect(server.requests).toHaveLength(0);
  });

  it('complete-then-hang: the purchase is stored, the retry under the same key answers it', async () => {
    const request = buyRequest({ credential: 'sandbox:erin:500' });
    server.completeThenHang();
    expect(await rejectionOf(gateway.buyPass(request, { signal: AbortSignal.timeout(100) }))).toBeInstanceOf(GatewayTransientError);
    expect(await gateway.lookupPurchase(request.idempotencyKey)).toBe('completed');
    expect(await gateway.buyPass(request)).toEqual({ success: true });
    expect(server.purchases(request.invoiceId)).toHaveLength(1);
  });

  it('rejects an idempotency key that is not a header value before sending', async () => {
    await expect(gateway.buyPass(buyRequest({ idempotencyKey: 'a\r\nb' }))).rejects.toThrow(TypeError);
    expect(server.requests).toHaveLength(0);
  });
});

describe('lookupPurchase', () => {
  it('answers completed, failed, unknown, and 404 {status:"not_found"} → not_found', async () => {
    const bought = buyRequest({ credential: 'sandbox:frank:500' });
    await gateway.buyPass(bought);
    const refused = buyRequest({ gamepassName: 'Pass [NOT_FOR_SALE]' });
    expect(await gateway.buyPass(refused)).toMatchObject({ code: 'NOT_FOR_SALE' });
    const hung = buyRequest();
    server.hangNext();
    await rejectionOf(gateway.buyPass(hung, { signal: AbortSignal.timeout(50) }));

    expect(await gateway.lookupPurchase(bought.idempotencyKey)).toBe('completed');
    expect(await gateway.lookupPurchase(refused.idempotencyKey)).toBe('failed');
    expect(await gateway.lookupPurchase(hung.idempotencyKey)).toBe('unknown');
    expect(server.lookup('never-seen')).toBe('not-found');
    expect(await gateway.lookupPurchase('never-seen')).toBe('not_found');
    expect(server.requestsTo('/purchases').map((r) => r.path)).toEqual([
      `/purchases/${encodeURIComponent(bought.idempotencyKey)}`,
      `/purchases/${encodeURIComponent(refused.idempotencyKey)}`,
      `/purchases/${encodeURIComponent(hung.idempotencyKey)}`,
      '/purchases/never-seen',
    ]);
  });

  it('a 404 without a body is unknown too', async () => {
    server.respondNext(404, undefined, { path: '/purchases' });
    expect(await gateway.lookupPurchase('k')).toBe('unknown');
  });

  it.each([500, 503])('HTTP %i is transient', async (status) => {
    server.failNext(1, status, { path: '/purchases' });
    const error = await rejectionOf(gateway.lookupPurchase('k'));
    expect(error).toBeInstanceOf(GatewayTransientError);
    expect(error.message).toBe(`GET /purchases/k answered HTTP ${status}`);
  });

  it('a timeout or a dropped connection is transient', async () => {
    server.hangNext({ path: '/purchases' });
    expect(await rejectionOf(gateway.lookupPurchase('k', { signal: AbortSignal.timeout(100) }))).toBeInstanceOf(GatewayTransientError);
    server.dropConnectionNext({ path: '/purchases' });
    expect(await rejectionOf(gateway.lookupPurchase('k'))).toBeInstanceOf(GatewayTransientError);
  });

  it.each([
    ['another status', { status: 'pending' }],
    ['no status', {}],
    ['not JSON', 'completed'],
  ])('a 2xx with %s is a plain error', async (_name, body) => {
    server.respondNext(200, body, { path: '/purchases' });
    const error = await rejectionOf(gateway.lookupPurchase('k'));
    expect(error).not.toBeInstanceOf(GatewayTransientError);
    expect(error.message).toBe('GET /purchases/k answered an unexpected body (HTTP 200)');
  });

  it('401 is a configuration error, another 4xx a plain error', async () => {
    server.respondNext(401, undefined, { path: '/purchases' });
    expect((await rejectionOf(gateway.lookupPurchase('k'))).message).toBe('The gateway refused our x-internal-secret (HTTP 401)');
    server.respondNext(400, { status: 'completed' }, { path: '/purchases' });
    const error = await rejectionOf(gateway.lookupPurchase('k'));
    expect(error).not.toBeInstanceOf(GatewayTransientError);
    expect(error.message).toBe('GET /purchases/k answered HTTP 400');
  });
});

describe('the credential never leaks', () => {
  it('no error of any kind carries it', async () => {
    const failures: Array<[string, () => void]> = [
      ['503', () => server.failNext(1, 503, { path: 'any' })],
      ['401', () => server.respondNext(401, { echo: COOKIE }, { path: 'any' })],
      ['400', () => server.respondNext(400, { echo: COOKIE }, { path: 'any' })],
      ['drop', () => server.dropConnectionNext({ path: 'any' })],
      ['200 junk', () => server.respondNext(200, `junk ${COOKIE}`, { path: 'any' })],
    ];
    let errors = 0;
    for (const [, arrange] of failures) {
      for (const call of [() => gateway.verifyAccount(COOKIE), () => gateway.buyPass(buyRequest({ credential: COOKIE }))]) {
        arrange();
        const error = await rejectionOf(call());
        expectNoCredential(error, COOKIE);
        errors++;
      }
    }
    expect(errors).toBe(10);
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2030-01-01T00:00:00Z');
  it.each([
    [null, 1000],
    [undefined, 1000],
    ['', 1000],
    ['2', 2000],
    [' 7 ', 7000],
    ['0', 0],
    ['1.5', 1500],
    ['-1', 1000],
    ['abc', 1000],
    ['Tue, 01 Jan 2030 00:00:05 GMT', 5000],
    ['Mon, 31 Dec 2029 23:59:00 GMT', 0],
    ['9'.repeat(400), Number.MAX_SAFE_INTEGER],
  ])('%j → %i', (value, expected) => {
    expect(parseRetryAfter(value, now)).toBe(expected);
  });
});

describe('the fake gateway, standalone', () => {
  it('runs as a process, prints its URL and is scripted over /__control', async () => {
    const root = resolve(import.meta.dirname, '..');
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/support/fake-gateway-server.ts'], {
      cwd: root,
      env: { ...process.env, FAKE_GATEWAY_SECRET: SECRET },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
    try {
      const url = await new Promise<string>((done, fail) => {
        const timer = setTimeout(() => fail(new Error('no "listening" line within 10 s')), 10_000);
        createInterface({ input: child.stdout! }).on('line', (line) => {
          const match = /^listening (http:\/\/127\.0\.0\.1:\d+)$/.exec(line);
          if (match) {
            clearTimeout(timer);
            done(match[1]!);
          }
        });
        child.once('exit', () => fail(new Error('exited before listening')));
      });
      const control = (path: string, body?: unknown) =>
        fetch(`${url}/__control/${path}`, body === undefined ? {} : { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }).then(
          async (r) => ({ status: r.status, json: (await r.json()) as unknown }),
        );

      expect((await control('accounts', { cookie: 'opaque-cookie', username: 'gina', robux: 300, userId: 42 })).status).toBe(200);
      const remote = createHttpGateway({ url, secret: SECRET });
      expect(await remote.verifyAccount('opaque-cookie')).toEqual({ ok: true, userId: 42, username: 'gina', displayName: 'gina', robux: 300 });

      expect((await control('script', { kind: 'fail', status: 503, times: 1 })).status).toBe(200);
      const request = buyRequest({ credential: 'opaque-cookie' });
      await expect(remote.buyPass(request)).rejects.toBeInstanceOf(GatewayTransientError);
      expect((await control('script', { kind: 'completeThenHang', invoiceId: request.invoiceId })).status).toBe(200);
      await expect(remote.buyPass(request, { signal: AbortSignal.timeout(100) })).rejects.toBeInstanceOf(GatewayTransientError);
      expect(await remote.buyPass(request)).toEqual({ success: true });
      expect((await control('purchases')).json).toEqual([
        { idempotencyKey: request.idempotencyKey, invoiceId: request.invoiceId, price: 100, username: 'gina' },
      ]);
      expect((await control('script', { kind: 'bogus' })).status).toBe(400);
    } finally {
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    }
  });
});
