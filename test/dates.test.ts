// Date filters are checked against the calendar: a day that does not exist is a 400, never rolled
// over to the next month (Date.parse reads 2024-02-30 as 2024-03-01).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from './support/test-app.js';

const routes = ['/api/stats', '/api/auto-purchase/sessions'];

describe('date filters (from, to)', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await buildTestApp();
  });
  afterEach(() => t.close());

  for (const route of routes) {
    it.each(['2024-02-30', '2023-02-29', '2024-13-01', '2024-04-31', '2024-00-10', '2024-01-32', '2024-01-01T24:00:00Z', '2024-01-01T10:60Z'])(
      `${route}: a day or time not on the calendar (%s) → 400, as from and as to`,
      async (text) => {
        for (const param of ['from', 'to']) {
          const res = await t.api('GET', `${route}?${param}=${encodeURIComponent(text)}`);
          expect(res.status).toBe(400);
          expect(res.json).toEqual({ error: { code: 'invalid_field', message: expect.stringContaining(`"${param}"`) } });
        }
      },
    );

    it(`${route}: a leap day and a date-time with an offset are read → 200`, async () => {
      expect((await t.api('GET', `${route}?from=2024-02-29&to=2024-02-29`)).status).toBe(200);
      expect((await t.api('GET', `${route}?from=${encodeURIComponent('2024-02-29T23:59:59.999+05:30')}`)).status).toBe(200);
    });
  }

  it('/api/stats echoes a leap day as that day, not the next', async () => {
    const res = await t.api('GET', '/api/stats?from=2024-02-29&to=2024-02-29');
    expect(res.json.from).toBe('2024-02-29T00:00:00.000Z');
    expect(res.json.to).toBe('2024-02-29T23:59:59.999Z');
  });
});
