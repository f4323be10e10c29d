import { describe, expect, it } from 'vitest';
import { buildTestApp } from './support/test-app.js';

describe('GET /healthz', () => {
  it('answers 200 {ok:true} without auth after a real query', async () => {
    const t = await buildTestApp();
    const res = await t.app.request('/healthz');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true });
    t.close();
  });

  it('answers 503 JSON when the database is unusable', async () => {
    const t = await buildTestApp();
    t.close();
    const res = await t.app.request('/healthz');
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ error: { code: 'database_unavailable', message: expect.any(String) } });
    expect(t.log.some((line) => line.includes('database unusable'))).toBe(true);
  });

  it('answers 503 when a table the app needs is gone', async () => {
    const t = await buildTestApp();
    t.sqlite.exec('PRAGMA foreign_keys = OFF; DROP TABLE purchase_attempts; DROP TABLE stock_accounts;');
    expect((await t.app.request('/healthz')).status).toBe(503);
    t.close();
  });
});
