// Whatever a caller sends wrong gets a JSON 4xx, and nothing is written.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildTestApp, dataSnapshot, type TestApp } from './support/test-app.js';

describe('bad input', () => {
  let t: TestApp;
  let before: ReturnType<typeof dataSnapshot>;
  beforeEach(async () => {
    t = await buildTestApp();
    await t.api('POST', '/api/admin/stock-accounts', { robloxCookie: 'sandbox:alice:100' });
    await t.api('POST', '/api/transactions', { invoiceId: 'INV-1', gamepass: { id: 1, name: 'A', price: 5, sellerId: 2 } });
    before = dataSnapshot(t);
  });
  afterEach(() => {
    expect(dataSnapshot(t)).toEqual(before);
    t.close();
  });

  const expectError = (res: { status: number; json: any }, status: number, code: string) => {
    expect(res.status).toBe(status);
    expect(res.json).toEqual({ error: { code, message: expect.any(String) } });
    expect(res.json.error.message.length).toBeGreaterThan(5);
  };

  it.each(['/api/transactions', '/api/admin/stock-accounts', '/api/auth/login'])('malformed JSON to %s → 400', async (path) => {
    expectError(await t.api('POST', path, '{"invoiceId": "x",'), 400, 'malformed_json');
  });

  it('an empty body → 400', async () => {
    expectError(await t.api('POST', '/api/transactions', ''), 400, 'malformed_json');
  });

  it('a body that is not JSON by its Content-Type → 415', async () => {
    expectError(await t.api('POST', '/api/transactions', 'invoiceId=x', { 'content-type': 'application/x-www-form-urlencoded' }), 415, 'unsupported_media_type');
  });

  it.each(['application/json-seq', 'application/geo+json-seq', 'application/json-seq; charset=utf-8', 'text/json', 'application/jsonx'])(
    'a JSON look-alike media type (%s) is not JSON → 415',
    async (type) => {
      expectError(await t.api('POST', '/api/transactions', { invoiceId: 'INV-2', gamepass: {} }, { 'content-type': type }), 415, 'unsupported_media_type');
    },
  );

  it.each(['application/json; charset=utf-8', 'Application/JSON', 'application/vnd.api+json', 'application/merge-patch+json'])(
    'a JSON media type (%s) is read as JSON, then judged on its fields → 400',
    async (type) => {
      expectError(await t.api('POST', '/api/transactions', { invoiceId: 'INV-2', gamepass: [] }, { 'content-type': type }), 400, 'invalid_field');
    },
  );

  it('a body over 64 KB → 413, whether or not it says its length', async () => {
    const big = JSON.stringify({ invoiceId: 'BIG', gamepass: { name: 'x'.repeat(70 * 1024) } });
    expectError(await t.api('POST', '/api/transactions', big), 413, 'payload_too_large');
    const stream = new ReadableStream({
      start(controller) {
        controller.enqueue(new TextEncoder().encode(big));
        controller.close();
      },
    });
    const res = await t.app.request('/api/transactions', {
      method: 'POST',
      headers: { authorization: `Bearer test-admin-token-0123456789abcdef`, 'content-type': 'application/json' },
      body: stream,
      // @ts-expect-error Node's fetch needs this for a streamed body
      duplex: 'half',
    });
    expect(res.status).toBe(413);
  });

  it('a body just under 64 KB is read (then judged on its fields)', async () => {
    const body = JSON.stringify({ invoiceId: 'X', gamepass: { name: 'x'.repeat(60 * 1024) } });
    expectError(await t.api('POST', '/api/transactions', body), 400, 'invalid_field');
  });

  it('an unknown id → 404', async () => {
    expectError(await t.api('PUT', '/api/admin/stock-accounts/does-not-exist', { status: 'inactive' }), 404, 'not_found');
  });

  it('an unknown route → 404 JSON, inside and outside /api', async () => {
    expectError(await t.api('GET', '/api/nope'), 404, 'not_found');
    expectError(await t.api('GET', '/nope'), 404, 'not_found');
  });

  it.each([
    ['PATCH', '/api/transactions', 'POST, GET, HEAD'],
    ['DELETE', '/api/admin/stock-accounts', 'GET, POST, HEAD'],
    ['GET', '/api/admin/stock-accounts/abc', 'PUT, DELETE'],
    ['GET', '/api/auth/login', 'POST'],
    ['POST', '/healthz', 'GET, HEAD'],
  ])('a wrong method (%s %s) → 405 with Allow', async (method, path, allow) => {
    const res = await t.api(method, path);
    expectError(res, 405, 'method_not_allowed');
    expect(res.headers.get('allow')).toBe(allow);
  });
});
