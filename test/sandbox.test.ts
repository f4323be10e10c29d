import { getEventListeners } from 'node:events';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { GatewayTransientError, refusalCodes, type BuyRequest, type RefusalCode } from '../src/gateway/gateway.js';
import { createSandboxGateway, type SandboxGateway } from '../src/gateway/sandbox.js';
import { sandboxUserId } from '../src/gateway/sandbox-credentials.js';
import { sandboxMarkers, sandboxRefusalMessages } from '../src/gateway/sandbox-markers.js';
import { buyRequest } from './support/buy-requests.js';

const PENDING = Symbol('pending');

/** True when `promise` has not settled once every queued task has run (no real sleep). */
async function isPending(promise: Promise<unknown>): Promise<boolean> {
  promise.catch(() => {}); // the caller asserts the rejection later; keep it from counting as unhandled
  await new Promise((resolve) => setTimeout(resolve, 0));
  // A settled promise wins the race, since its reaction is queued before the marker's.
  return Promise.race([promise, Promise.resolve(PENDING)]).then(
    (value) => value === PENDING,
    () => false,
  );
}

const ALICE = sandboxUserId('alice');

/** A RATE_LIMITED answer (retry after 1000 ms) is not stored: the lookup says unknown, and the same key then buys. */
async function expectRateLimitedThenBought(sandbox: SandboxGateway, request: BuyRequest): Promise<void> {
  expect(await sandbox.buyPass(request)).toEqual({
    success: false,
    code: 'RATE_LIMITED',
    message: sandboxRefusalMessages.RATE_LIMITED,
    retryAfterMs: 1000,
  });
  expect(await sandbox.lookupPurchase(request.idempotencyKey)).toBe('unknown');
  expect(await sandbox.buyPass(request)).toEqual({ success: true });
}

describe('isPending helper', () => {
  it('tells a settled promise from a pending one', async () => {
    expect(await isPending(Promise.resolve(1))).toBe(false);
    expect(await isPending(Promise.reject(new Error('x')))).toBe(false);
    expect(await isPending(new Promise(() => {}))).toBe(true);
  });
});

describe('credentials', () => {
  it('reads sandbox:<username>:<robux>', async () => {
    const sandbox = createSandboxGateway();
    expect(await sandbox.verifyAccount('sandbox:alice:500')).toEqual({
      ok: true,
      userId: ALICE,
      username: 'alice',
      displayName: 'Alice',
      robux: 500,
    });
    expect(sandbox.kind).toBe('sandbox');
  });

  it('derives the userId with FNV-1a, deterministically and per username', async () => {
    expect(sandboxUserId('a')).toBe(0xe40c292c); // the published FNV-1a 32-bit value of "a"
    expect(sandboxUserId('')).toBe(0x811c9dc5);
    const first = await createSandboxGateway().verifyAccount('sandbox:bob:1');
    const second = await createSandboxGateway().verifyAccount('sandbox:bob:99');
    const other = await createSandboxGateway().verifyAccount('sandbox:carol:1');
    if (!first.ok || !second.ok || !other.ok) throw new Error('expected ok');
    expect(first.userId).toBe(second.userId);
    expect(first.userId).not.toBe(other.userId);
    expect(Number.isSafeInteger(first.userId) && first.userId > 0).toBe(true);
  });

  it('accepts any other credential as a zero-balance account named after its hash', async () => {
    const sandbox = createSandboxGateway();
    const a = await sandbox.verifyAccount('_|WARNING:-DO-NOT-SHARE-THIS.--abc');
    const again = await sandbox.verifyAccount('_|WARNING:-DO-NOT-SHARE-THIS.--abc');
    const b = await sandbox.verifyAccount('some-other-cookie');
    if (!a.ok || !b.ok) throw new Error('expected ok');
    expect(a.username).toMatch(/^user_[0-9a-z]+$/);
    expect(a.displayName).toBe(`U${a.username.slice(1)}`);
    expect(a.robux).toBe(0);
    expect(a.userId).toBe(sandboxUserId(a.username));
    expect(again).toEqual(a);
    expect(b.username).not.toBe(a.username);
  });

  it('rejects sandbox:invalid', async () => {
    expect(await createSandboxGateway().verifyAccount('sandbox:invalid')).toEqual({
      ok: false,
      code: 'INVALID_CREDENTIAL',
      message: 'The Roblox cookie is invalid or expired',
    });
  });

  it.each(['sandbox:', 'sandbox:bob', 'sandbox:bob:abc', 'sandbox::5', 'sandbox:bob:-1', 'sandbox:bob:1.5', 'sandbox:a:b:5', 'sandbox:bob:'])(
    'rejects the malformed credential %j with the expected form',
    async (credential) => {
      const result = await createSandboxGateway().verifyAccount(credential);
      expect(result).toMatchObject({ ok: false, code: 'INVALID_CREDENTIAL' });
      expect(result.ok === false && result.message).toContain('sandbox:<username>:<robux>');
    },
  );

  it('rejects an empty credential', async () => {
    expect(await createSandboxGateway().verifyAccount('')).toMatchObject({ ok: false, code: 'INVALID_CREDENTIAL' });
  });

  it.each([
    ['sandbox:invalid', 'The Roblox cookie is invalid or expired'],
    ['sandbox:bob:abc', 'sandbox:<username>:<robux>'],
  ])('answers INVALID_CREDENTIAL to a buy with %j, and stores it', async (credential, message) => {
    const sandbox = createSandboxGateway();
    const request = buyRequest({ credential });
    const result = await sandbox.buyPass(request);
    expect(result).toMatchObject({ success: false, code: 'INVALID_CREDENTIAL' });
    expect(result.success === false && result.message).toContain(message);
    expect(await sandbox.lookupPurchase(request.idempotencyKey)).toBe('failed');
    expect(sandbox.purchases()).toEqual([]);
  });
});

describe('balances', () => {
  it('reduces the balance of the buying account and reports the current balance', async () => {
    const sandbox = createSandboxGateway();
    await sandbox.verifyAccount('sandbox:alice:1000');
    const request = buyRequest({ price: 300 });
    expect(await sandbox.buyPass(request)).toEqual({ success: true });
    expect(sandbox.balanceOf(ALICE)).toBe(700);
    expect(await sandbox.verifyAccount('sandbox:alice:1000')).toMatchObject({ ok: true, robux: 700 });
    expect(sandbox.purchases()).toEqual([
      { idempotencyKey: request.idempotencyKey, invoiceId: request.invoiceId, userId: ALICE, price: 300 },
    ]);
    expect(sandbox.purchaseCount(request.invoiceId)).toBe(1);
    expect(sandbox.purchaseCount('INV-none')).toBe(0);
  });

  it('starts an account never verified from its credential', async () => {
    const sandbox = createSandboxGateway();
    expect(sandbox.balanceOf(sandboxUserId('dave'))).toBeUndefined();
    await sandbox.buyPass(buyRequest({ credential: 'sandbox:dave:250', price: 50 }));
    expect(sandbox.balanceOf(sandboxUserId('dave'))).toBe(200);
  });

  it('keeps balances per account', async () => {
    const sandbox = createSandboxGateway();
    await sandbox.verifyAccount('sandbox:alice:1000');
    await sandbox.verifyAccount('sandbox:bob:500');
    await sandbox.buyPass(buyRequest({ credential: 'sandbox:bob:500', price: 120 }));
    expect(sandbox.balanceOf(ALICE)).toBe(1000);
    expect(sandbox.balanceOf(sandboxUserId('bob'))).toBe(380);
  });

  it('refuses a price above the balance and keeps the balance', async () => {
    const sandbox = createSandboxGateway();
    const result = await sandbox.buyPass(buyRequest({ credential: 'sandbox:alice:80', price: 81 }));
    expect(result).toEqual({ success: false, code: 'INSUFFICIENT_FUNDS', message: 'Not enough robux: balance 80, price 81' });
    expect(sandbox.balanceOf(ALICE)).toBe(80);
    expect(sandbox.purchases()).toEqual([]);
  });

  it('buys a price equal to the balance, leaving zero', async () => {
    const sandbox = createSandboxGateway();
    expect(await sandbox.buyPass(buyRequest({ credential: 'sandbox:alice:100', price: 100 }))).toEqual({ success: true });
    expect(sandbox.balanceOf(ALICE)).toBe(0);
  });

  it('tops an account up when re-verified with a different robux, not with the same one', async () => {
    const sandbox = createSandboxGateway();
    await sandbox.verifyAccount('sandbox:alice:100');
    await sandbox.buyPass(buyRequest({ credential: 'sandbox:alice:100', price: 30 }));
    expect(await sandbox.verifyAccount('sandbox:alice:100')).toMatchObject({ robux: 70 });
    expect(await sandbox.verifyAccount('sandbox:alice:500')).toMatchObject({ robux: 500 });
    await sandbox.buyPass(buyRequest({ credential: 'sandbox:alice:500', price: 200 }));
    expect(await sandbox.verifyAccount('sandbox:alice:500')).toMatchObject({ robux: 300 });
    expect(sandbox.balanceOf(ALICE)).toBe(300);
  });

  it('does not top up from a buy whose credential declares another robux', async () => {
    const sandbox = createSandboxGateway();
    await sandbox.verifyAccount('sandbox:alice:100');
    await sandbox.buyPass(buyRequest({ credential: 'sandbox:alice:9999', price: 30 }));
    expect(sandbox.balanceOf(ALICE)).toBe(70);
  });
});

describe('request validation', () => {
  it.each([
    ['price 0', { price: 0 }],
    ['negative price', { price: -5 }],
    ['fractional price', { price: 1.5 }],
    ['NaN price', { price: Number.NaN }],
    ['empty idempotency key', { idempotencyKey: '' }],
    ['empty invoice id', { invoiceId: '' }],
    ['gamepassId 0', { gamepassId: 0 }],
  ] as const)('rejects a request with %s and buys nothing', async (_name, override) => {
    const sandbox = createSandboxGateway();
    const request = buyRequest(override);
    await expect(sandbox.buyPass(request)).rejects.toBeInstanceOf(TypeError);
    expect(sandbox.purchases()).toEqual([]);
    expect(await sandbox.lookupPurchase(request.idempotencyKey)).toBe('not_found');
    expect(sandbox.calls()).toBe(1);
  });
});

describe('idempotency', () => {
  it('answers the same key twice with one purchase and the same result', async () => {
    const sandbox = createSandboxGateway();
    const request = buyRequest({ price: 100 });
    const first = await sandbox.buyPass(request);
    const second = await sandbox.buyPass(request);
    expect(first).toEqual({ success: true });
    expect(second).toEqual(first);
    expect(sandbox.purchaseCount(request.invoiceId)).toBe(1);
    expect(sandbox.balanceOf(ALICE)).toBe(900);
    expect(sandbox.calls()).toBe(2);
  });

  it('replays a stored refusal even once the refusal no longer holds', async () => {
    const sandbox = createSandboxGateway();
    const request = buyRequest({ credential: 'sandbox:alice:50', price: 100 });
    const first = await sandbox.buyPass(request);
    await sandbox.verifyAccount('sandbox:alice:5000');
    expect(await sandbox.buyPass(request)).toEqual(first);
    expect(first).toMatchObject({ code: 'INSUFFICIENT_FUNDS' });
    expect(sandbox.balanceOf(ALICE)).toBe(5000);
  });

  it('replays without consuming a pending fault', async () => {
    const sandbox = createSandboxGateway();
    const request = buyRequest();
    await sandbox.buyPass(request);
    sandbox.faults.transient(1);
    expect(await sandbox.buyPass(request)).toEqual({ success: true });
    expect(sandbox.faults.pending()).toBe(1);
    await expect(sandbox.buyPass(buyRequest())).rejects.toBeInstanceOf(GatewayTransientError);
    expect(sandbox.purchases()).toHaveLength(1);
  });

  it('hands out copies, so a caller cannot change a stored answer', async () => {
    const sandbox = createSandboxGateway();
    const request = buyRequest({ credential: 'sandbox:alice:1', price: 100 });
    const first = await sandbox.buyPass(request);
    if (first.success) throw new Error('expected refusal');
    first.message = 'changed';
    expect(await sandbox.buyPass(request)).toMatchObject({ message: 'Not enough robux: balance 1, price 100' });
  });

  it('looks purchases up: completed, failed, unknown (seen, unanswered), not_found (never seen)', async () => {
    const sandbox = createSandboxGateway();
    const ok = buyRequest();
    const refused = buyRequest({ credential: 'sandbox:bob:1' });
    const flaky = buyRequest();
    await sandbox.buyPass(ok);
    await sandbox.buyPass(refused);
    sandbox.faults.transient(1);
    await expect(sandbox.buyPass(flaky)).rejects.toBeInstanceOf(GatewayTransientError);
    expect(await sandbox.lookupPurchase(ok.idempotencyKey)).toBe('completed');
    expect(await sandbox.lookupPurchase(refused.idempotencyKey)).toBe('failed');
    expect(await sandbox.lookupPurchase(flaky.idempotencyKey)).toBe('unknown');
    expect(await sandbox.lookupPurchase('never-seen')).toBe('not_found');
  });
});

describe('faults.refuse', () => {
  const stored = refusalCodes.filter((code): code is Exclude<RefusalCode, 'RATE_LIMITED'> => code !== 'RATE_LIMITED');

  it.each(stored)('answers %s, keeps the balance and stores the refusal', async (code) => {
    const sandbox = createSandboxGateway();
    sandbox.faults.refuse(code);
    const request = buyRequest();
    const result = await sandbox.buyPass(request);
    expect(result).toEqual({ success: false, code, message: sandboxRefusalMessages[code] });
    expect(sandbox.balanceOf(ALICE) ?? 1000).toBe(1000);
    expect(sandbox.purchases()).toEqual([]);
    expect(await sandbox.buyPass(request)).toEqual(result);
    expect(await sandbox.lookupPurchase(request.idempotencyKey)).toBe('failed');
    expect(await sandbox.buyPass(buyRequest())).toEqual({ success: true });
  });

  it('answers RATE_LIMITED with retryAfterMs 1000, does not store it, and buys on the retry', async () => {
    const sandbox = createSandboxGateway();
    sandbox.faults.refuse('RATE_LIMITED');
    const request = buyRequest();
    await expectRateLimitedThenBought(sandbox, request);
    expect(sandbox.purchaseCount(request.invoiceId)).toBe(1);
  });

  it('carries a custom message and retryAfterMs', async () => {
    const sandbox = createSandboxGateway();
    sandbox.faults.refuse('RATE_LIMITED', { retryAfterMs: 2500, message: 'slow down' });
    sandbox.faults.refuse('NOT_FOR_SALE', { message: 'gone', retryAfterMs: 7 });
    expect(await sandbox.buyPass(buyRequest())).toEqual({ success: false, code: 'RATE_LIMITED', message: 'slow down', retryAfterMs: 2500 });
    expect(await sandbox.buyPass(buyRequest())).toEqual({ success: false, code: 'NOT_FOR_SALE', message: 'gone' });
  });

  it('aims at one invoice with invoiceId', async () => {
    const sandbox = createSandboxGateway();
    sandbox.faults.refuse('NOT_FOR_SALE', { invoiceId: 'INV-target' });
    expect(await sandbox.buyPass(buyRequest())).toEqual({ success: true });
    expect(await sandbox.buyPass(buyRequest({ invoiceId: 'INV-target' }))).toMatchObject({ code: 'NOT_FOR_SALE' });
    expect(await sandbox.buyPass(buyRequest({ invoiceId: 'INV-target' }))).toEqual({ success: true });
  });

  it('applies `times` times, then buys', async () => {
    const sandbox = createSandboxGateway();
    sandbox.faults.refuse('PRICE_CHANGED', { times: 2 });
    expect(await sandbox.buyPass(buyRequest())).toMatchObject({ code: 'PRICE_CHANGED' });
    expect(sandbox.faults.pending()).toBe(1);
    expect(await sandbox.buyPass(buyRequest())).toMatchObject({ code: 'PRICE_CHANGED' });
    expect(await sandbox.buyPass(buyRequest())).toEqual({ success: true });
    expect(sandbox.faults.pending()).toBe(0);
  });

  it('consumes faults first-in first-out, skipping those aimed elsewhere', async () => {
    const sandbox = createSandboxGateway();
    sandbox.faults.refuse('ALREADY_OWNED', { invoiceId: 'INV-other' });
    sandbox.faults.refuse('NOT_FOR_SALE');
    sandbox.faults.refuse('PRICE_CHANGED');
    expect(await sandbox.buyPass(buyRequest())).toMatchObject({ code: 'NOT_FOR_SALE' });
    expect(await sandbox.buyPass(buyRequest({ invoiceId: 'INV-other' }))).toMatchObject({ code: 'ALREADY_OWNED' });
    expect(await sandbox.buyPass(buyRequest())).toMatchObject({ code: 'PRICE_CHANGED' });
  });

  it('takes precedence over a name marker and over the credential', async () => {
    const sandbox = createSandboxGateway();
    sandbox.faults.refuse('PRICE_CHANGED');
    sandbox.faults.refuse('ALREADY_OWNED');
    expect(await sandbox.buyPass(buyRequest({ gamepassName: 'Pass [NOT_FOR_SALE]' }))).toMatchObject({ code: 'PRICE_CHANGED' });
    expect(await sandbox.buyPass(buyRequest({ credential: 'sandbox:invalid' }))).toMatchObject({ code: 'ALREADY_OWNED' });
  });

  it('is emptied by clear()', async () => {
    const sandbox = createSandboxGateway();
    sandbox.faults.refuse('NOT_FOR_SALE', { times: 3 });
    sandbox.faults.hang();
    sandbox.faults.verifyTransient(1);
    sandbox.faults.lookupTransient(1);
    sandbox.faults.clear();
    expect(sandbox.faults.pending()).toBe(0);
    expect(await sandbox.buyPass(buyRequest())).toEqual({ success: true });
    expect(await sandbox.verifyAccount('sandbox:alice:1000')).toMatchObject({ ok: true });
    expect(await sandbox.lookupPurchase('x')).toBe('not_found');
  });

  it('rejects bad arguments', () => {
    const sandbox = createSandboxGateway();
    expect(() => sandbox.faults.refuse('NOPE' as RefusalCode)).toThrow(RangeError);
    expect(() => sandbox.faults.refuse('NOT_FOR_SALE', { times: 0 })).toThrow(RangeError);
    expect(() => sandbox.faults.refuse('RATE_LIMITED', { retryAfterMs: -1 })).toThrow(RangeError);
    expect(() => sandbox.faults.transient(1.5)).toThrow(RangeError);
    expect(() => sandbox.faults.verifyTransient(-1)).toThrow(RangeError);
    expect(sandbox.faults.pending()).toBe(0);
  });
});

describe('faults.transient', () => {
  it('rejects N times with GatewayTransientError under the same key, then buys once', async () => {
    const sandbox = createSandboxGateway();
    sandbox.faults.transient(2);
    const request = buyRequest();
    await expect(sandbox.buyPass(request)).rejects.toBeInstanceOf(GatewayTransientError);
    await expect(sandbox.buyPass(request)).rejects.toBeInstanceOf(GatewayTransientError);
    expect(await sandbox.lookupPurchase(request.idempotencyKey)).toBe('unknown');
    expect(sandbox.balanceOf(ALICE)).toBeUndefined();
    expect(await sandbox.buyPass(request)).toEqual({ success: true });
    expect(sandbox.purchaseCount(request.invoiceId)).toBe(1);
    expect(sandbox.calls()).toBe(3);
  });

  it('aims at one invoice with invoiceId', async () => {
    const sandbox = createSandboxGateway();
    sandbox.faults.transient(1, { invoiceId: 'INV-target' });
    expect(await sandbox.buyPass(buyRequest())).toEqual({ success: true });
    await expect(sandbox.buyPass(buyRequest({ invoiceId: 'INV-target' }))).rejects.toBeInstanceOf(GatewayTransientError);
  });

  it('fails verifyAccount N times with verifyTransient', async () => {
    const sandbox = createSandboxGateway();
    sandbox.faults.verifyTransient(2);
    await expect(sandbox.verifyAccount('sandbox:alice:10')).rejects.toBeInstanceOf(GatewayTransientError);
    await expect(sandbox.verifyAccount('sandbox:alice:10')).rejects.toBeInstanceOf(GatewayTransientError);
    expect(await sandbox.verifyAccount('sandbox:alice:10')).toMatchObject({ ok: true, robux: 10 });
  });

  it('fails lookupPurchase N times with lookupTransient', async () => {
    const sandbox = createSandboxGateway();
    const request = buyRequest();
    await sandbox.buyPass(request);
    sandbox.faults.lookupTransient(1);
    await expect(sandbox.lookupPurchase(request.idempotencyKey)).rejects.toBeInstanceOf(GatewayTransientError);
    expect(await sandbox.lookupPurchase(request.idempotencyKey)).toBe('completed');
  });
});

describe('faults.hang', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('settles only on abort, with a timeout error, buying nothing and releasing its listener', async () => {
    const sandbox = createSandboxGateway();
    sandbox.faults.hang();
    const controller = new AbortController();
    const request = buyRequest();
    const call = sandbox.buyPass(request, { signal: controller.signal });
    expect(await isPending(call)).toBe(true);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
    controller.abort();
    await expect(call).rejects.toThrow(GatewayTransientError);
    await expect(call).rejects.toThrow('timeout');
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    expect(sandbox.purchases()).toEqual([]);
    expect(await sandbox.lookupPurchase(request.idempotencyKey)).toBe('unknown');
    expect(await sandbox.buyPass(request)).toEqual({ success: true });
  });

  it('starts no timer', () => {
    vi.useFakeTimers();
    const sandbox = createSandboxGateway();
    sandbox.faults.hang({ times: 2 });
    void sandbox.buyPass(buyRequest(), { signal: new AbortController().signal });
    void sandbox.buyPass(buyRequest());
    expect(sandbox.faults.pending()).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('never settles without a signal', async () => {
    const sandbox = createSandboxGateway();
    sandbox.faults.hang();
    expect(await isPending(sandbox.buyPass(buyRequest()))).toBe(true);
  });

  it('honours invoiceId and times', async () => {
    const sandbox = createSandboxGateway();
    sandbox.faults.hang({ invoiceId: 'INV-slow', times: 2 });
    const controller = new AbortController();
    const first = sandbox.buyPass(buyRequest({ invoiceId: 'INV-slow' }), { signal: controller.signal });
    expect(await sandbox.buyPass(buyRequest())).toEqual({ success: true });
    const second = sandbox.buyPass(buyRequest({ invoiceId: 'INV-slow' }), { signal: controller.signal });
    expect(await isPending(first)).toBe(true);
    expect(await isPending(second)).toBe(true);
    controller.abort();
    await expect(first).rejects.toBeInstanceOf(GatewayTransientError);
    await expect(second).rejects.toBeInstanceOf(GatewayTransientError);
    expect(await sandbox.buyPass(buyRequest({ invoiceId: 'INV-slow' }))).toEqual({ success: true });
  });
});

describe('faults.completeThenHang', () => {
  it('buys, stores the purchase as completed, and never answers until aborted', async () => {
    const sandbox = createSandboxGateway();
    sandbox.faults.completeThenHang({ invoiceId: 'INV-lost' });
    const controller = new AbortController();
    const request = buyRequest({ invoiceId: 'INV-lost', price: 250 });
    const call = sandbox.buyPass(request, { signal: controller.signal });
    expect(await isPending(call)).toBe(true);
    expect(sandbox.balanceOf(ALICE)).toBe(750);
    expect(sandbox.purchaseCount('INV-lost')).toBe(1);
    expect(await sandbox.lookupPurchase(request.idempotencyKey)).toBe('completed');
    controller.abort();
    await expect(call).rejects.toBeInstanceOf(GatewayTransientError);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    expect(await sandbox.buyPass(request)).toEqual({ success: true });
    expect(sandbox.purchaseCount('INV-lost')).toBe(1);
    expect(sandbox.balanceOf(ALICE)).toBe(750);
  });

  it('still applies the marketplace rules: no funds means a stored refusal, not a purchase', async () => {
    const sandbox = createSandboxGateway();
    sandbox.faults.completeThenHang();
    const controller = new AbortController();
    const request = buyRequest({ credential: 'sandbox:alice:10', price: 250 });
    const call = sandbox.buyPass(request, { signal: controller.signal });
    expect(await isPending(call)).toBe(true);
    expect(await sandbox.lookupPurchase(request.idempotencyKey)).toBe('failed');
    expect(sandbox.balanceOf(ALICE)).toBe(10);
    controller.abort();
    await expect(call).rejects.toBeInstanceOf(GatewayTransientError);
  });
});

describe('an already-aborted signal', () => {
  it('rejects every call at once, doing nothing', async () => {
    const sandbox = createSandboxGateway();
    const signal = AbortSignal.abort();
    const request = buyRequest();
    await expect(sandbox.buyPass(request, { signal })).rejects.toBeInstanceOf(GatewayTransientError);
    await expect(sandbox.verifyAccount('sandbox:alice:5', { signal })).rejects.toBeInstanceOf(GatewayTransientError);
    await expect(sandbox.lookupPurchase(request.idempotencyKey, { signal })).rejects.toBeInstanceOf(GatewayTransientError);
    expect(sandbox.balanceOf(ALICE)).toBeUndefined();
    expect(await sandbox.lookupPurchase(request.idempotencyKey)).toBe('not_found');
  });

  it('rejects at once even with a hang queued, which then stays queued', async () => {
    const sandbox = createSandboxGateway();
    sandbox.faults.completeThenHang();
    const call = sandbox.buyPass(buyRequest(), { signal: AbortSignal.abort() });
    expect(await isPending(call)).toBe(false);
    await expect(call).rejects.toBeInstanceOf(GatewayTransientError);
    expect(sandbox.purchases()).toEqual([]);
    expect(sandbox.faults.pending()).toBe(1);
  });
});

describe('name markers', () => {
  it('documents each marker in one line', () => {
    expect(Object.keys(sandboxMarkers).sort()).toEqual(
      [
        '[ALREADY_OWNED]',
        '[FLAKY]',
        '[INSUFFICIENT_FUNDS]',
        '[INVALID_CREDENTIAL]',
        '[NOT_FOR_SALE]',
        '[PRICE_CHANGED]',
        '[RATE_LIMITED]',
        '[TIMEOUT]',
      ].sort(),
    );
    for (const description of Object.values(sandboxMarkers)) expect(description).toMatch(/^[^\n]{10,}$/);
  });

  it.each([
    ['[NOT_FOR_SALE]', 'NOT_FOR_SALE', 'This game pass is not for sale'],
    ['[PRICE_CHANGED]', 'PRICE_CHANGED', 'The price of this game pass changed'],
    ['[ALREADY_OWNED]', 'ALREADY_OWNED', 'The customer already owns this game pass'],
    ['[INSUFFICIENT_FUNDS]', 'INSUFFICIENT_FUNDS', 'Not enough robux to buy this game pass'],
    ['[INVALID_CREDENTIAL]', 'INVALID_CREDENTIAL', 'The Roblox cookie is invalid or expired'],
  ] as const)('%s answers %s and stores it', async (marker, code, message) => {
    const sandbox = createSandboxGateway();
    const request = buyRequest({ gamepassName: `Demo ${marker} pass` });
    expect(await sandbox.buyPass(request)).toEqual({ success: false, code, message });
    expect(await sandbox.buyPass(request)).toEqual({ success: false, code, message });
    expect(await sandbox.lookupPurchase(request.idempotencyKey)).toBe('failed');
    expect(sandbox.purchases()).toEqual([]);
  });

  it.each(['[INSUFFICIENT_FUNDS]', '[INVALID_CREDENTIAL]'])('%s refuses once per order: the next account (a new key) buys it', async (marker) => {
    const sandbox = createSandboxGateway();
    const first = buyRequest({ gamepassName: `Demo ${marker} pass`, invoiceId: 'ORDER-1', idempotencyKey: 'first' });
    expect((await sandbox.buyPass(first)).success).toBe(false);
    const next = { ...first, credential: 'sandbox:bob:500', idempotencyKey: 'second' };
    expect(await sandbox.buyPass(next)).toEqual({ success: true });
    expect(sandbox.purchaseCount('ORDER-1')).toBe(1);
  });

  it('[RATE_LIMITED] refuses the first call per key, then buys under the same key', async () => {
    const sandbox = createSandboxGateway();
    const request = buyRequest({ gamepassName: 'Demo [RATE_LIMITED]' });
    await expectRateLimitedThenBought(sandbox, request);
    expect(sandbox.balanceOf(ALICE)).toBe(900);
    expect(await sandbox.buyPass(buyRequest({ gamepassName: 'Demo [RATE_LIMITED]' }))).toMatchObject({ code: 'RATE_LIMITED' });
  });

  it('[TIMEOUT] always fails transiently, so the purchase stays unknown', async () => {
    const sandbox = createSandboxGateway();
    const request = buyRequest({ gamepassName: 'Demo [TIMEOUT]' });
    for (let attempt = 0; attempt < 3; attempt += 1) {
      await expect(sandbox.buyPass(request)).rejects.toBeInstanceOf(GatewayTransientError);
    }
    expect(await sandbox.lookupPurchase(request.idempotencyKey)).toBe('unknown');
    expect(sandbox.purchases()).toEqual([]);
  });

  it('[FLAKY] fails the first call per key, then buys under the same key', async () => {
    const sandbox = createSandboxGateway();
    const request = buyRequest({ gamepassName: 'Demo [FLAKY]' });
    await expect(sandbox.buyPass(request)).rejects.toBeInstanceOf(GatewayTransientError);
    expect(await sandbox.lookupPurchase(request.idempotencyKey)).toBe('unknown');
    expect(await sandbox.buyPass(request)).toEqual({ success: true });
    expect(sandbox.purchaseCount(request.invoiceId)).toBe(1);
    await expect(sandbox.buyPass(buyRequest({ gamepassName: 'Demo [FLAKY]' }))).rejects.toBeInstanceOf(GatewayTransientError);
  });

  it('applies the first marker in sandboxMarkers order when a name holds several', async () => {
    const sandbox = createSandboxGateway();
    expect(await sandbox.buyPass(buyRequest({ gamepassName: '[FLAKY] [PRICE_CHANGED]' }))).toMatchObject({ code: 'PRICE_CHANGED' });
  });

  it('gives way to an injected fault', async () => {
    const sandbox = createSandboxGateway();
    sandbox.faults.transient(1);
    const request = buyRequest({ gamepassName: 'Demo [RATE_LIMITED]' });
    await expect(sandbox.buyPass(request)).rejects.toBeInstanceOf(GatewayTransientError);
    // The marker has not fired yet for this key, so it fires now.
    expect(await sandbox.buyPass(request)).toMatchObject({ code: 'RATE_LIMITED' });
    expect(await sandbox.buyPass(request)).toEqual({ success: true });
  });
});
