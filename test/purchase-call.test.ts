// buyWithRetries through the real `http` gateway and a real HTTP server: per-request timeout,
// transient failures retried under the SAME idempotency key, Retry-After honoured (and capped),
// refusals answered at once, and never a second purchase. backoff() on its own: backoff.test.ts.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buyWithRetries, type CallPolicy } from '../src/engine/purchase-call.js';
import type { BuyRequest, Gateway } from '../src/gateway/gateway.js';
import { createHttpGateway } from '../src/gateway/http.js';
import { startFakeGateway, type FakeGateway } from './support/fake-gateway-server.js';

const SECRET = 'purchase-call-secret';

let server: FakeGateway;
let gateway: Gateway;

beforeAll(async () => {
  server = await startFakeGateway({ secret: SECRET });
  gateway = createHttpGateway({ url: server.url, secret: SECRET });
});

afterAll(async () => {
  await server.close();
});

afterEach(() => {
  server.reset();
});

const realSleep = (ms: number) => new Promise<void>((done) => setTimeout(done, ms));

/** The small policy of the brief, with every sleep recorded. */
function policy(overrides: Partial<CallPolicy> = {}): CallPolicy & { sleeps: number[] } {
  const sleeps: number[] = [];
  return {
    timeoutMs: 200,
    maxAttempts: 4,
    backoffBaseMs: 5,
    maxBackoffMs: 20,
    maxRetryAfterMs: 50,
    random: () => 1,
    ...overrides,
    sleeps,
    sleep: async (ms) => {
      sleeps.push(ms);
      await realSleep(ms);
    },
  };
}

let counter = 0;
function buy(overrides: Partial<BuyRequest> = {}): BuyRequest {
  counter += 1;
  return {
    credential: 'sandbox:alice:10000',
    invoiceId: `INV-PC-${counter}`,
    gamepassId: 900 + counter,
    gamepassName: 'Rocket pass',
    price: 100,
    sellerId: 3,
    idempotencyKey: crypto.randomUUID(),
    ...overrides,
  };
}

/** The Idempotency-Key header and body field of every /buy-pass request. */
function keysSent(): string[] {
  return server.requestsTo('/buy-pass').flatMap((r) => [String(r.headers['idempotency-key']), String((r.body as { idempotencyKey: unknown }).idempotencyKey)]);
}

describe('buyWithRetries over HTTP', () => {
  it('2 × 503 then success: answered after 3 attempts, one key, bought once', async () => {
    const request = buy();
    const p = policy();
    server.failNext(2, 503);
    const outcome = await buyWithRetries(gateway, request, p);
    expect(outcome).toEqual({ kind: 'answered', result: { success: true }, attempts: 3 });
    expect(server.requestsTo('/buy-pass')).toHaveLength(3);
    expect(new Set(keysSent())).toEqual(new Set([request.idempotencyKey]));
    expect(server.purchases(request.invoiceId)).toHaveLength(1);
    // random() = 1: each backoff is its full ceiling, doubling from backoffBaseMs.
    expect(p.sleeps).toEqual([5, 10]);
  });

  it('always 503: no-answer after exactly 4 requests, nothing bought', async () => {
    const request = buy();
    const p = policy();
    server.failNext(10, 503);
    const outcome = await buyWithRetries(gateway, request, p);
    expect(outcome).toEqual({ kind: 'no-answer', attempts: 4, lastError: 'POST /buy-pass answered HTTP 503' });
    expect(server.requestsTo('/buy-pass')).toHaveLength(4);
    expect(new Set(keysSent())).toEqual(new Set([request.idempotencyKey]));
    expect(server.purchases()).toHaveLength(0);
    expect(p.sleeps).toEqual([5, 10, 20]); // no sleep after the last attempt; capped at maxBackoffMs
  });

  it('a hang every time: no-answer after 4 timed-out attempts, in bounded time', async () => {
    const request = buy();
    server.hangNext({ times: 4 });
    const started = performance.now();
    const outcome = await buyWithRetries(gateway, request, policy());
    const elapsed = performance.now() - started;
    expect(outcome).toEqual({ kind: 'no-answer', attempts: 4, lastError: 'POST /buy-pass got no answer (timed out)' });
    expect(server.requestsTo('/buy-pass')).toHaveLength(4);
    expect(new Set(keysSent())).toEqual(new Set([request.idempotencyKey]));
    // 4 × 200 ms timeouts + 5 + 10 + 20 ms of backoff, with slack for a loaded machine.
    expect(elapsed).toBeGreaterThanOrEqual(4 * 195);
    expect(elapsed).toBeLessThan(3000);
    expect(server.purchases()).toHaveLength(0);
    // Every hung request was given up: the server holds none of them any more... once the
    // client's aborts have reached it.
    await expect.poll(() => server.hanging(), { timeout: 1000 }).toBe(0);
  });

  it('429 with Retry-After then success: waits (capped by maxRetryAfterMs), same key', async () => {
    const request = buy();
    const p = policy();
    server.rateLimitNext(10); // 10 s asked, 50 ms honoured
    const started = performance.now();
    const outcome = await buyWithRetries(gateway, request, p);
    expect(outcome).toEqual({ kind: 'answered', result: { success: true }, attempts: 2 });
    expect(p.sleeps).toEqual([50]);
    expect(performance.now() - started).toBeGreaterThanOrEqual(45);
    expect(new Set(keysSent())).toEqual(new Set([request.idempotencyKey]));
    expect(server.purchases(request.invoiceId)).toHaveLength(1);
  });

  it('429 with a short Retry-After waits just that long', async () => {
    const p = policy();
    server.rateLimitNext('0.02');
    expect(await buyWithRetries(gateway, buy(), p)).toMatchObject({ kind: 'answered', result: { success: true }, attempts: 2 });
    expect(p.sleeps).toEqual([20]);
  });

  it('429 on every attempt: the last RATE_LIMITED is the answer', async () => {
    const p = policy();
    server.rateLimitNext(null, { times: 4 });
    const outcome = await buyWithRetries(gateway, buy(), p);
    expect(outcome).toMatchObject({ kind: 'answered', attempts: 4, result: { success: false, code: 'RATE_LIMITED', retryAfterMs: 1000 } });
    expect(p.sleeps).toEqual([50, 50, 50]);
    expect(server.purchases()).toHaveLength(0);
  });

  it('complete-then-hang once: the retry under the same key answers the stored success, bought once', async () => {
    const request = buy({ credential: 'sandbox:bob:150' });
    server.completeThenHang();
    const outcome = await buyWithRetries(gateway, request, policy());
    expect(outcome).toEqual({ kind: 'answered', result: { success: true }, attempts: 2 });
    expect(server.requestsTo('/buy-pass')).toHaveLength(2);
    expect(new Set(keysSent())).toEqual(new Set([request.idempotencyKey]));
    expect(server.purchases(request.invoiceId)).toHaveLength(1);
    expect(server.account('bob')?.robux).toBe(50);
  });

  it('a dropped connection is retried under the same key', async () => {
    const request = buy();
    server.completeThenDrop();
    const outcome = await buyWithRetries(gateway, request, policy());
    expect(outcome).toEqual({ kind: 'answered', result: { success: true }, attempts: 2 });
    expect(server.purchases(request.invoiceId)).toHaveLength(1);
  });

  it('a refusal (NOT_FOR_SALE) is answered at once, without a retry', async () => {
    const p = policy();
    server.refuseNext('NOT_FOR_SALE', 'This game pass is not for sale');
    const outcome = await buyWithRetries(gateway, buy(), p);
    expect(outcome).toEqual({
      kind: 'answered',
      attempts: 1,
      result: { success: false, code: 'NOT_FOR_SALE', message: 'This game pass is not for sale' },
    });
    expect(server.requestsTo('/buy-pass')).toHaveLength(1);
    expect(p.sleeps).toEqual([]);
  });

  it('a transient failure then a refusal: the refusal is the answer', async () => {
    server.failNext(1, 502);
    const outcome = await buyWithRetries(gateway, buy({ credential: 'sandbox:carol:10', price: 500 }), policy());
    expect(outcome).toMatchObject({ kind: 'answered', attempts: 2, result: { success: false, code: 'INSUFFICIENT_FUNDS' } });
  });

  it('a 429 after an unanswered attempt is no answer: the first attempt may have bought', async () => {
    server.failNext(1, 503);
    server.rateLimitNext(null, { times: 3 });
    const outcome = await buyWithRetries(gateway, buy(), policy());
    expect(outcome).toMatchObject({ kind: 'no-answer', attempts: 4 });
  });

  it('a configuration error (401) is answered at once as an error that did not buy, never retried', async () => {
    const wrong = createHttpGateway({ url: server.url, secret: 'not-the-secret' });
    const outcome = await buyWithRetries(wrong, buy(), policy());
    expect(outcome).toMatchObject({ kind: 'error', attempts: 1, mayHaveBought: false });
    expect(String((outcome as { error: Error }).error.message)).toBe('The gateway refused our x-internal-secret (HTTP 401)');
    expect(server.requestsTo('/buy-pass')).toHaveLength(1);
  });
});
