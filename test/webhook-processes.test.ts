// The webhook outbox across a real restart (SPEC §10): the server process ends a run while its
// receiver is down or failing, is killed (SIGKILL) or stopped (SIGTERM), and a new process on the
// same database delivers the run once the receiver is up, under the delivery id it was given.
import { createHmac } from 'node:crypto';
import http from 'node:http';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanUp, freePort, makeTempDir, startServer, type ServerProcess } from './support/server-process.js';

const secret = 'whsec-process-0123456789abcdef';
const adminToken = 'process-admin-token-0123456789abcdef';
const servers: http.Server[] = [];

afterEach(async () => {
  await cleanUp();
  await Promise.all(servers.splice(0).map((s) => new Promise<void>((resolve) => (s.closeAllConnections(), s.close(() => resolve())))));
});

interface Received {
  delivery: string;
  timestamp: string;
  signature: string;
  body: string;
}

/** A receiver on 127.0.0.1:`port` answering every request with `status`. */
async function receiver(port: number, status: number) {
  const received: Received[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      const header = (name: string) => String(req.headers[name]);
      received.push({ delivery: header('x-autopurchase-delivery'), timestamp: header('x-autopurchase-timestamp'), signature: header('x-autopurchase-signature'), body });
      res.writeHead(status).end();
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { received, close: () => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))) };
}

async function endRun(server: ServerProcess): Promise<string> {
  const auth = { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' };
  const res = await fetch(`${server.url}/api/auto-purchase`, { method: 'POST', headers: auth, body: '{}', signal: AbortSignal.timeout(5_000) });
  expect(res.status).toBe(202);
  const { sessionId } = (await res.json()) as { sessionId: string };
  await until(async () => {
    const progress = await fetch(`${server.url}/api/auto-purchase/progress/${sessionId}`, { headers: auth, signal: AbortSignal.timeout(5_000) });
    return ((await progress.json()) as { status: string }).status !== 'running';
  }, 20_000);
  return sessionId;
}

function outboxRows(dataDir: string) {
  const db = new Database(join(dataDir, 'autopurchase.db'), { readonly: true, timeout: 1_000 });
  try {
    return db.prepare('select id, session_id as sessionId, status, attempts, last_error as lastError from webhook_outbox').all() as {
      id: string;
      sessionId: string;
      status: string;
      attempts: number;
      lastError: string | null;
    }[];
  } finally {
    db.close();
  }
}

/** Time passes while the server is down: the stored row's backoff is over. */
function makeDue(dataDir: string): void {
  const db = new Database(join(dataDir, 'autopurchase.db'), { timeout: 1_000 });
  try {
    db.prepare('update webhook_outbox set next_attempt_at = 0').run();
  } finally {
    db.close();
  }
}

describe('a delivery survives the process', () => {
  it.each([
    { receiverBefore: 'down (connection refused)', status: undefined, signal: 'SIGKILL' as const },
    { receiverBefore: 'failing with 503', status: 503, signal: 'SIGTERM' as const },
  ])('(c) receiver $receiverBefore, then $signal: the next start delivers it, with its one delivery id', async ({ status, signal }) => {
    const dataDir = makeTempDir();
    const hookPort = await freePort();
    const env = {
      ADMIN_TOKEN: adminToken,
      NOTIFY_WEBHOOK_URL: `http://127.0.0.1:${hookPort}/hooks/PATH-T0KEN?key=QUERY-T0KEN`,
      NOTIFY_WEBHOOK_SECRET: secret,
    };
    const failing = status ? await receiver(hookPort, status) : undefined;

    const first = await startServer({ dataDir, env });
    const sessionId = await endRun(first);
    await first.waitForLine(/webhook: delivery \S+ \(run \S+\) attempt 1 failed/, 10_000);
    const exit = await first.stop(signal);
    expect(exit).toEqual(signal === 'SIGKILL' ? { code: null, signal: 'SIGKILL' } : { code: 0, signal: null });
    const [before] = outboxRows(dataDir);
    expect(before).toMatchObject({ sessionId, status: 'pending', attempts: 1, lastError: status ? `HTTP ${status}` : 'network error ECONNREFUSED' });
    expect(failing?.received.map((r) => r.delivery)).toEqual(failing ? [before!.id] : undefined);
    await failing?.close();

    makeDue(dataDir);
    const hook = await receiver(hookPort, 204);
    const second = await startServer({ dataDir, env });
    await second.waitForLine(/webhook: delivery \S+ \(run \S+\) attempt 2 delivered/, 15_000);
    expect(outboxRows(dataDir)).toEqual([{ ...before, status: 'delivered', attempts: 2 }]);
    expect(hook.received).toHaveLength(1);
    const got = hook.received[0]!;
    expect(got.delivery).toBe(before!.id);
    expect(JSON.parse(got.body)).toMatchObject({ sessionId, status: 'completed' });
    expect(got.signature).toBe(`sha256=${createHmac('sha256', secret).update(`${got.timestamp}.${got.body}`).digest('hex')}`);
    expect(Math.abs(Date.now() / 1000 - Number(got.timestamp))).toBeLessThan(60);
    await second.stop('SIGTERM');

    // (g) Neither process logged the webhook's URL, its tokens or the secret.
    const output = [first, second].map((p) => p.stdout() + p.stderr()).join('\n');
    expect(output).toMatch(/attempt 1 failed/);
    for (const needle of ['PATH-T0KEN', 'QUERY-T0KEN', '/hooks', `:${hookPort}`, secret]) expect(output).not.toContain(needle);
  }, 60_000);
});

async function until(condition: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
