// GET /api/openapi.json: an OpenAPI 3.1 document that names every route the app really has, and
// whose request-body schemas reject what the routes reject (checked by sending the same bad bodies
// to the route and to a JSON Schema 2020-12 validator over the documented schema).
import { Validator } from '@seriousme/openapi-schema-validator';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runEventTypes } from '../src/domain/run.js';
import { apiRoutes } from '../src/http/api-routes.js';
import { openApiPath } from '../src/http/openapi.js';
import { createPromMetrics } from '../src/node/metrics.js';
import { buildTestApp, testToken, type TestApp } from './support/test-app.js';

type Json = Record<string, any>;

const ajv = new Ajv2020({ strict: true, allErrors: true });
addFormats.default(ajv);

/** A body each route must accept (its answer may still be 404 or 401: the body itself passed). */
const goodBodies: Record<string, unknown> = {
  'POST /api/auth/login': { token: testToken },
  'POST /api/admin/stock-accounts': { robloxCookie: 'sandbox:alice:100' },
  'PUT /api/admin/stock-accounts/:id': { robloxCookie: 'sandbox:bob:50', status: 'inactive' },
  'POST /api/transactions': { invoiceId: 'INV-1', gamepass: { id: 1, name: 'A pass', price: 5, sellerId: 2 } },
  'POST /api/transactions/:id/resolve': { outcome: 'completed', note: 'Paid by hand' },
  'POST /api/auto-purchase': { stockAccountId: 'no-such-account' },
  'POST /api/auto-purchase/progress/:sessionId/watch-links': { expiresIn: '1h' },
  'POST /api/tokens': { name: 'ci reader', scope: 'read', expiresAt: '2099-01-01T00:00:00Z' },
};

/** Values of every JSON type, and the edge cases a string or a number schema has. */
function wrongValues(property: Json): unknown[] {
  const values: unknown[] = [0, 1, 1.5, -1, 'text', '', '   ', true, null, [], {}, ['text'], { a: 1 }];
  const maxLength = property.maxLength ?? property.anyOf?.find((option: Json) => option.maxLength)?.maxLength;
  if (typeof maxLength === 'number') values.push('x'.repeat(maxLength + 1));
  return values;
}

/** Bad bodies made from a good one and the documented schema: shape, unknown fields, each property wrong or missing. */
function badBodies(good: Json, schema: Json): unknown[] {
  const bodies: unknown[] = [[], [good], 'text', 42, null, {}, { ...good, unknownField: 1 }];
  for (const [key, property] of Object.entries<Json>(schema.properties ?? {})) {
    const { [key]: _dropped, ...without } = good;
    bodies.push(without);
    for (const value of wrongValues(property)) bodies.push({ ...good, [key]: value });
    const nested = property.type === 'object' ? property : undefined;
    if (nested && good[key] && typeof good[key] === 'object') {
      for (const inner of badBodies(good[key], nested)) bodies.push({ ...good, [key]: inner });
    }
  }
  return bodies;
}

/** A concrete URL for a table path: `:id` → `1`, `:sessionId` → a made-up id. */
const concrete = (path: string) => path.replace(/:([A-Za-z]+)/g, (_m, name: string) => (name === 'id' ? '1' : 'no-such-run'));

describe('OpenAPI document', () => {
  let t: TestApp;
  let doc: Json;
  let address = 0;
  beforeAll(async () => {
    // Each request from its own address, so that failed log-ins never reach the throttle.
    // With metrics, as main.ts builds it: GET /metrics is a route like the others.
    t = await buildTestApp({ clientAddress: (c) => c.req.header('x-test-address') ?? 'unknown', metrics: createPromMetrics({ processMetrics: false }) });
    const res = await t.api('GET', '/api/openapi.json');
    expect(res.status).toBe(200);
    doc = res.json;
  });
  afterAll(() => t.close());

  it('GET /api/openapi.json answers an OpenAPI 3.1 document, and only with the admin’s credentials', async () => {
    expect(doc.openapi).toMatch(/^3\.1\.\d+$/);
    expect(doc.info.title).toEqual(expect.any(String));
    expect(Object.keys(doc.components.securitySchemes)).toEqual(expect.arrayContaining(['bearer', 'cookie']));
    // Valid against the OpenAPI 3.1 specification's own JSON Schema.
    const validator = new Validator();
    const result = await validator.validate(structuredClone(doc));
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
    const anonymous = await t.app.request('/api/openapi.json');
    expect(anonymous.status).toBe(401);
    expect(await anonymous.json()).toEqual({ error: { code: 'unauthorized', message: expect.any(String) } });
    const wrong = await t.app.request('/api/openapi.json', { headers: { authorization: 'Bearer not-the-token' } });
    expect(wrong.status).toBe(401);
  });

  it('names every route the app has, and no route it lacks (GET /metrics included)', () => {
    const real = new Set(
      t.app.routes
        // app.use entries and resource()'s 405 fallbacks are ALL; the client's catch-all is '*'.
        .filter((route) => route.method !== 'ALL' && !route.path.includes('*'))
        .map((route) => `${route.method} ${openApiPath(route.path)}`),
    );
    expect(real.size).toBeGreaterThan(15);
    const documented = new Set(
      Object.entries<Json>(doc.paths).flatMap(([path, operations]) => Object.keys(operations).map((method) => `${method.toUpperCase()} ${path}`)),
    );
    expect([...real].filter((route) => !documented.has(route))).toEqual([]);
    expect([...documented].filter((route) => !real.has(route))).toEqual([]);
    expect(real.has('GET /metrics')).toBe(true);
  });

  it('every documented path answers 405 with an Allow header to a method it does not document', async () => {
    const methods = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];
    const tried: string[] = [];
    for (const [path, operations] of Object.entries<Json>(doc.paths)) {
      const documented = Object.keys(operations).map((method) => method.toUpperCase());
      const other = methods.find((method) => !documented.includes(method))!;
      const url = path.replace(/\{(\w+)\}/g, (_m, name: string) => (name === 'id' ? '1' : 'no-such-run'));
      const res = await t.app.request(url, {
        method: other,
        headers: { authorization: `Bearer ${testToken}`, 'content-type': 'application/json', 'x-test-address': `10.0.1.${tried.length % 250}` },
        ...(other === 'GET' ? {} : { body: '{}' }),
      });
      expect(res.status, `${other} ${path}`).toBe(405);
      expect((await res.json()).error.code, `${other} ${path}`).toBe('method_not_allowed');
      const allow = res.headers.get('allow')?.split(/,\s*/) ?? [];
      expect(allow, `${other} ${path}`).toEqual(expect.arrayContaining(documented));
      expect(allow, `${other} ${path}`).not.toContain(other);
      tried.push(`${other} ${path}`);
    }
    expect(tried).toContain('POST /metrics');
    expect(tried.length).toBeGreaterThan(15);
  });

  it('documents each path parameter, the error shape and who may call each operation', () => {
    for (const [path, operations] of Object.entries<Json>(doc.paths)) {
      const names = [...path.matchAll(/\{(\w+)\}/g)].map((match) => match[1]);
      for (const [method, operation] of Object.entries<Json>(operations)) {
        const where = `${method} ${path}`;
        const inPath = (operation.parameters ?? []).filter((p: Json) => p.in === 'path').map((p: Json) => p.name);
        expect(inPath, where).toEqual(names);
        const errors = Object.entries<Json>(operation.responses).filter(([status]) => Number(status) >= 400);
        expect(errors.length, where).toBeGreaterThan(0);
        for (const [, answer] of errors) expect(answer.content['application/json'].schema, where).toEqual({ $ref: '#/components/schemas/Error' });
        const open = path === '/healthz' || path.startsWith('/api/auth/');
        expect(operation.security, where).toEqual(open ? [] : expect.arrayContaining([{ bearer: [] }]));
        if (!open) expect(operation.responses['401'], where).toBeDefined();
      }
    }
    const error = ajv.compile(doc.components.schemas.Error);
    expect(error({ error: { code: 'not_found', message: 'Run not found' } })).toBe(true);
    expect(error({ error: 'not_found' })).toBe(false);
  });

  it('describes the progress stream: text/event-stream, Last-Event-ID, and every event type the code sends', () => {
    const stream = doc.paths['/api/auto-purchase/progress/{sessionId}/events'].get;
    expect(Object.keys(stream.responses['200'].content)).toEqual(['text/event-stream']);
    expect(stream.responses['204']).toBeDefined();
    expect(stream.parameters).toEqual(expect.arrayContaining([expect.objectContaining({ in: 'header', name: 'Last-Event-ID' })]));
    expect(Object.keys(stream['x-event-types']).sort()).toEqual(['snapshot', ...runEventTypes].sort());
  });

  it('every documented query parameter schema and request body schema is valid JSON Schema 2020-12', () => {
    let compiled = 0;
    for (const operations of Object.values<Json>(doc.paths)) {
      for (const operation of Object.values<Json>(operations)) {
        for (const parameter of operation.parameters ?? []) (ajv.compile(parameter.schema), compiled++);
        const body = operation.requestBody?.content['application/json'].schema;
        if (body) (ajv.compile(body), compiled++);
      }
    }
    expect(compiled).toBeGreaterThan(15);
  });

  it('every query value the document refuses, the route refuses with 400 too', async () => {
    const values = ['', ' ', 'abc', '0', '1', '100', '101', '-1', '1.5', '2024-02-30', '2026-11-27', '2026-11-27T12:00:00Z', 'running', 'failed', 'pending'];
    let refusedByBoth = 0;
    for (const route of apiRoutes.filter((r) => r.query)) {
      const operation = doc.paths[openApiPath(route.path)].get;
      expect((await t.app.request(route.path, { headers: { authorization: `Bearer ${testToken}` } })).status, route.path).toBe(200);
      for (const parameter of operation.parameters.filter((p: Json) => p.in === 'query')) {
        const validate = ajv.compile(parameter.schema);
        for (const value of values) {
          if (validate(value)) continue;
          const url = `${route.path}?${new URLSearchParams({ [parameter.name]: value })}`;
          const res = await t.app.request(url, { headers: { authorization: `Bearer ${testToken}` } });
          expect(res.status, `${url}: the document refuses it`).toBe(400);
          refusedByBoth++;
        }
      }
    }
    expect(refusedByBoth).toBeGreaterThan(10);
  });

  const withBodies = apiRoutes.filter((route) => route.body);

  it('has a known-good body in this test for every route with a body', () => {
    expect(withBodies.map((route) => `${route.method} ${route.path}`).sort()).toEqual(Object.keys(goodBodies).sort());
  });

  it.each(withBodies.map((route) => [`${route.method} ${route.path}`, route] as const))(
    '%s: the documented body schema rejects every body the route answers 400 (and only those), and accepts the good one',
    async (key, route) => {
      const schema = doc.paths[openApiPath(route.path)][route.method.toLowerCase()].requestBody.content['application/json'].schema;
      const validate = ajv.compile(schema);
      const send = async (body: unknown) => {
        const res = await t.app.request(concrete(route.path), {
          method: route.method,
          headers: { authorization: `Bearer ${testToken}`, 'content-type': 'application/json', 'x-test-address': `10.0.0.${++address % 250}` },
          body: JSON.stringify(body),
        });
        await res.arrayBuffer();
        await t.engine.idle();
        return res.status;
      };

      const good = goodBodies[key] as Json;
      expect(validate(good), JSON.stringify(validate.errors)).toBe(true);
      const goodStatus = await send(good);
      expect(goodStatus).not.toBe(400);
      expect(goodStatus).toBeLessThan(500);

      const mismatches: string[] = [];
      let refused = 0;
      for (const body of badBodies(good, schema)) {
        const status = await send(body);
        expect(status, JSON.stringify(body)).toBeLessThan(500);
        if (status === 400) refused++;
        if (status === 400 && validate(body)) mismatches.push(`route refuses, document accepts: ${JSON.stringify(body)}`);
        // Nor is the document stricter than the route on any of these.
        if (status !== 400 && !validate(body)) mismatches.push(`route accepts (${status}), document refuses: ${JSON.stringify(body)}`);
      }
      expect(mismatches).toEqual([]);
      // Every kind of bad body was tried: a change that made the route accept them all would show here.
      expect(refused).toBeGreaterThan(10);
    },
  );
});
