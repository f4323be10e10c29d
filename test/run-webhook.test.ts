import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createRunWebhook } from '../src/jobs/run-webhook.js';
import { addAccount, addOrder, gamepass } from './support/run-fixtures.js';
import { buildTestApp } from './support/test-app.js';

const servers: http.Server[] = [];
afterEach(() => servers.splice(0).forEach((s) => s.close()));

/** A webhook receiver on 127.0.0.1 that fails its first `failures` requests with 503. */
async function receiver(failures: number) {
  const bodies: unknown[] = [];
  let calls = 0;
  const server = http.createServer((req, res) => {
    let text = '';
    req.on('data', (chunk) => (text += chunk));
    req.on('end', () => {
      calls++;
      if (calls <= failures) {
        res.writeHead(503).end();
        return;
      }
      bodies.push({ contentType: req.headers['content-type'], body: JSON.parse(text) });
      res.writeHead(204).end();
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, bodies, calls: () => calls };
}

const quiet = { debug() {}, info() {}, warn() {}, error() {} };

describe('NOTIFY_WEBHOOK_URL', () => {
  it("POSTs each finished run's summary, retried with backoff until it is taken", async () => {
    const hook = await receiver(2);
    const send = createRunWebhook({ url: hook.url, logger: quiet, baseDelayMs: 5 });
    let delivered: Promise<boolean> | undefined;
    const t = await buildTestApp({ engine: {} });
    // The engine of the test app has no webhook; wire one the way main.ts does.
    const { createAutoPurchase } = await import('../src/engine/auto-purchase.js');
    const engine = createAutoPurchase({
      db: t.db,
      gateway: t.gateway,
      cipher: t.cipher,
      clock: { now: () => Date.parse('2026-11-27T12:00:00Z') },
      logger: quiet,
      options: { purchaseDelayMs: 0, gatewayTimeoutMs: 1000, gatewayMaxAttempts: 1 },
      onRunEnd: (overview) => (delivered = send(overview)),
    });
    try {
      await addOrder(t, 'INV-1', gamepass(100));
      await addAccount(t, 'alice', 1000);
      await addOrder(t, 'INV-2', gamepass(100));
      const { sessionId } = engine.trigger();
      await engine.idle();
      expect(await delivered).toBe(true);
      expect(hook.calls()).toBe(3);
      expect(hook.bodies).toEqual([
        {
          contentType: 'application/json',
          body: expect.objectContaining({ sessionId, status: 'completed', summary: { totalTransactions: 1, processedCount: 1, skippedCount: 0, failedCount: 0, unknownCount: 0 } }),
        },
      ]);
    } finally {
      t.close();
    }
  });

  it('gives up after its attempts without throwing, and never logs the URL', async () => {
    const hook = await receiver(100);
    const lines: string[] = [];
    const send = createRunWebhook({ url: `${hook.url}?token=secret-token`, logger: { ...quiet, warn: (l) => lines.push(l) }, attempts: 3, baseDelayMs: 1 });
    expect(await send({ sessionId: 'x' })).toBe(false);
    expect(hook.calls()).toBe(3);
    expect(lines.join('\n')).not.toContain('secret-token');
  });
});
