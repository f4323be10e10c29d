// The signed webhook from the Durable Object (SPEC §10 on SPEC §13's runtime): a run's end written
// into the outbox is delivered from the object's alarm, signed as on Node.
import http from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { verifyWebhookSignature } from '../src/domain/webhook-signature.js';
import { startEdge, type LocalEdge } from '../scripts/edge-local.js';

const adminToken = 'edge-webhook-admin-token-0123456789';
const secret = 'edge-webhook-secret-0123456789abcdef';

let edge: LocalEdge | undefined;
let server: http.Server | undefined;
afterEach(async () => {
  await edge?.dispose();
  edge = undefined;
  await new Promise<void>((resolve) => (server ? (server.closeAllConnections(), server.close(() => resolve())) : resolve()));
  server = undefined;
});

describe('the webhook on workerd', () => {
  it('a run’s end reaches the receiver signed with NOTIFY_WEBHOOK_SECRET, sent by the object with nobody connected', async () => {
    const received: { timestamp: string; signature: string; body: string }[] = [];
    server = http.createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (chunk: string) => (body += chunk));
      req.on('end', () => {
        received.push({ timestamp: String(req.headers['x-autopurchase-timestamp']), signature: String(req.headers['x-autopurchase-signature']), body });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    edge = await startEdge({
      vars: {
        ADMIN_TOKEN: adminToken,
        CREDENTIAL_KEY: Buffer.alloc(32, 3).toString('base64'),
        PURCHASE_DELAY_MS: '0',
        NOTIFY_WEBHOOK_URL: `http://127.0.0.1:${port}/hook`,
        NOTIFY_WEBHOOK_SECRET: secret,
      },
    });
    const base = edge.url.href.replace(/\/$/, '');
    const started = await fetch(`${base}/api/auto-purchase`, { method: 'POST', headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' }, body: '{}' });
    expect(started.status).toBe(202);
    const { sessionId } = (await started.json()) as { sessionId: string };
    const deadline = Date.now() + 15_000;
    while (received.length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    expect(received).toHaveLength(1);
    const delivery = received[0]!;
    expect(JSON.parse(delivery.body)).toMatchObject({ sessionId });
    expect(await verifyWebhookSignature(secret, delivery, Date.now())).toBe(true);
    expect(await verifyWebhookSignature('another-secret-0123456789abcdef', delivery, Date.now())).toBe(false);
  });
});
