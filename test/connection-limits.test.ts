// Connection limits (SPEC §11) over real sockets against the server as a child process on
// 127.0.0.1: half-sent requests are cut by the header and request deadlines while /healthz and a
// progress stream carry on, streams per credential are capped, a body over 64 KB gets its 413 even
// while the client is still sending, and MAX_CONNECTIONS refuses the sockets over it.
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { requestDeadlines } from '../src/node/server-limits.js';
import { createStreamQuota } from '../src/stream/stream-quota.js';
import { cleanUp, makeTempDir, runToExit, startServer, type ServerProcess } from './support/server-process.js';
import { adminApi, readStream } from './support/sse-clients.js';

const token = 'connection-limits-admin-token-0123';

afterEach(cleanUp);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A raw TCP client that records what it receives, when it was closed, and any socket error. */
interface RawClient {
  socket: Socket;
  openedAt: number;
  received(): string;
  /** Milliseconds from `openedAt` to the socket's close; undefined while open. */
  closedAfter(): number | undefined;
  errors: string[];
  closed: Promise<void>;
  /** Resolves once `pattern` is in what was received. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<string>;
  write(data: string | Uint8Array): Promise<void>;
}

async function rawClient(port: number, options: { allowHalfOpen?: boolean } = {}): Promise<RawClient> {
  const socket = connect({ host: '127.0.0.1', port, allowHalfOpen: options.allowHalfOpen ?? false });
  const openedAt = Date.now();
  let text = '';
  let closedAt: number | undefined;
  const errors: string[] = [];
  const listeners = new Set<() => void>();
  socket.setEncoding('latin1');
  socket.on('data', (chunk: string) => {
    text += chunk;
    for (const listener of listeners) listener();
  });
  socket.on('error', (error: NodeJS.ErrnoException) => errors.push(error.code ?? error.message));
  const closed = new Promise<void>((resolve) =>
    socket.once('close', () => {
      closedAt = Date.now();
      for (const listener of listeners) listener();
      resolve();
    }),
  );
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  return {
    socket,
    openedAt,
    received: () => text,
    closedAfter: () => (closedAt === undefined ? undefined : closedAt - openedAt),
    errors,
    closed,
    waitFor(pattern, timeoutMs = 5_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (pattern.test(text)) {
            done();
            resolve(text);
          } else if (closedAt !== undefined) {
            done();
            reject(new Error(`closed before ${pattern}; received ${JSON.stringify(text.slice(0, 300))}, errors ${errors.join(',')}`));
          }
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`no ${pattern} within ${timeoutMs} ms; received ${JSON.stringify(text.slice(0, 300))}`));
        }, timeoutMs);
        const done = () => {
          clearTimeout(timer);
          listeners.delete(check);
        };
        listeners.add(check);
        check();
      });
    },
    write: (data) =>
      new Promise<void>((resolve, reject) => socket.write(data, (error) => (error ? reject(error) : resolve()))),
  };
}

/** `count` clients that each sent `text` (the start of a request) and then nothing more. */
function clientsThatSent(port: number, count: number, text: string): Promise<RawClient[]> {
  return Promise.all(
    Array.from({ length: count }, async () => {
      const client = await rawClient(port);
      await client.write(text);
      return client;
    }),
  );
}

/** Waits until every client is closed or `ms` after the first was opened, whichever comes first. */
async function allClosedWithin(clients: readonly RawClient[], ms: number): Promise<void> {
  const deadline = Math.min(...clients.map((client) => client.openedAt)) + ms;
  await Promise.race([Promise.all(clients.map((client) => client.closed)), sleep(Math.max(0, deadline - Date.now()) + 100)]);
}

async function healthzAnswers(server: ServerProcess): Promise<number> {
  const res = await fetch(`${server.url}/healthz`, { signal: AbortSignal.timeout(2_000) });
  await res.arrayBuffer();
  return res.status;
}

/** A server whose run stays `running` (one purchase a minute), so its streams stay open. */
async function serverWithOpenRun(env: Record<string, string> = {}) {
  const server = await startServer({ dataDir: makeTempDir('connection-limits-'), env: { ADMIN_TOKEN: token, PURCHASE_DELAY_MS: '60s', ...env } });
  const api = adminApi(server.url, token);
  const { sessionId } = await api.addAccount('sandbox:alice:5000');
  return { server, api, eventsUrl: api.eventsUrl(sessionId) };
}

/** Opens a progress stream and waits for its first bytes; `close()` goes away as a browser tab would. */
async function openStream(url: string, headers: Record<string, string>) {
  const controller = new AbortController();
  const res = await fetch(url, { headers: { accept: 'text/event-stream', ...headers }, signal: controller.signal });
  if (res.status !== 200) return { status: res.status, headers: res.headers, body: JSON.parse(await res.text()), close: () => undefined };
  const reader = res.body!.getReader();
  await reader.read();
  return { status: res.status, headers: res.headers, body: undefined, close: () => controller.abort() };
}

describe('MAX_CONNECTIONS and MAX_STREAMS_PER_CLIENT', () => {
  it.each<Record<string, string>>([{ MAX_CONNECTIONS: '0' }, { MAX_STREAMS_PER_CLIENT: 'many' }])('a bad %j stops the server with one line naming it', async (env) => {
    const result = await runToExit({ env, dataDir: makeTempDir() });
    expect(result.code).not.toBe(0);
    const lines = result.stderr.trim().split('\n');
    expect(lines, result.stderr).toHaveLength(1);
    expect(lines[0]).toContain(Object.keys(env)[0]);
  });
});

describe('half-sent requests', () => {
  it(
    'are closed within the header and request deadlines while /healthz answers and a progress stream keeps its heartbeats past them',
    async () => {
      const { server, eventsUrl } = await serverWithOpenRun({ HEARTBEAT_MS: '1000' });
      const { headersTimeout, requestTimeout, connectionsCheckingInterval } = requestDeadlines;
      const slack = connectionsCheckingInterval + 2_000;

      // The stream opens first: it is the oldest request when the request deadline passes.
      const streamOpenedAt = Date.now();
      const stream = readStream(eventsUrl, { token, stopAfterMs: requestTimeout + slack + 1_000, timeoutMs: requestTimeout + 20_000 });
      // Awaited at the end; a failure before then must not leave it unhandled.
      stream.catch(() => undefined);

      // 150 requests stopped in their headers, 10 that trickle a header byte every 500 ms, and 40
      // whose headers are complete but whose body (1,000 bytes announced) stops after 6.
      const headerStart = 'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ';
      const partialHeaders = await clientsThatSent(server.port, 150, headerStart);
      const trickling = await clientsThatSent(server.port, 10, headerStart);
      const trickle = setInterval(() => {
        for (const client of trickling) if (client.closedAfter() === undefined) client.socket.write('a');
      }, 500);
      const partialBodies = await clientsThatSent(
        server.port,
        40,
        `POST /api/transactions HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${token}\r\n` +
          'Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"inv',
      );
      try {
        for (let i = 0; i < 5; i++) {
          expect(await healthzAnswers(server)).toBe(200);
          await sleep(200);
        }

        await allClosedWithin([...partialHeaders, ...trickling], headersTimeout + slack);
        for (const client of [...partialHeaders, ...trickling]) {
          expect(client.closedAfter() ?? Infinity).toBeLessThanOrEqual(headersTimeout + slack);
          expect(client.received()).toMatch(/^HTTP\/1\.1 408 /);
        }
        expect(await healthzAnswers(server)).toBe(200);

        await allClosedWithin(partialBodies, requestTimeout + slack);
        for (const client of partialBodies) expect(client.closedAfter() ?? Infinity).toBeLessThanOrEqual(requestTimeout + slack);
        // A client cut mid-body is not a server fault: no ERROR line for it.
        expect(server.stdout()).not.toMatch(/ ERROR /);
      } finally {
        clearInterval(trickle);
      }

      // The stream was never cut: it kept receiving heartbeats after its own request deadline.
      const read = await stream;
      expect(read.status).toBe(200);
      expect(read.outcome).toBe('stopped');
      const lateHeartbeats = read.comments.filter((comment) => comment.text === 'ping' && comment.at > streamOpenedAt + requestTimeout + connectionsCheckingInterval);
      expect(lateHeartbeats.length).toBeGreaterThanOrEqual(2);
      expect(await healthzAnswers(server)).toBe(200);
    },
    requestDeadlines.requestTimeout + 30_000,
  );
});

describe('MAX_STREAMS_PER_CLIENT', () => {
  it('a credential holding the limit gets 429 too_many_streams with Retry-After; closing one frees its slot; another credential is not affected', async () => {
    const { server, eventsUrl } = await serverWithOpenRun({ MAX_STREAMS_PER_CLIENT: '2', HEARTBEAT_MS: '500' });
    const bearer = { authorization: `Bearer ${token}` };

    const first = await openStream(eventsUrl, bearer);
    const second = await openStream(eventsUrl, bearer);
    expect([first.status, second.status]).toEqual([200, 200]);
    const third = await openStream(eventsUrl, bearer);
    expect(third.status).toBe(429);
    expect(third.body.error.code).toBe('too_many_streams');
    expect(typeof third.body.error.message).toBe('string');
    expect(Number(third.headers.get('retry-after'))).toBeGreaterThan(0);

    // A browser session is another credential, with its own two streams.
    const login = await fetch(`${server.url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: server.url },
      body: JSON.stringify({ token }),
    });
    expect(login.status).toBe(204);
    const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
    const byCookie = [await openStream(eventsUrl, { cookie }), await openStream(eventsUrl, { cookie })];
    expect(byCookie.map((s) => s.status)).toEqual([200, 200]);
    expect((await openStream(eventsUrl, { cookie })).status).toBe(429);

    // The server notices the client went away, gives the slot back, and a new stream opens.
    first.close();
    let again = await openStream(eventsUrl, bearer);
    for (let tries = 0; again.status === 429 && tries < 40; tries++) {
      await sleep(50);
      again = await openStream(eventsUrl, bearer);
    }
    expect(again.status).toBe(200);
    expect((await openStream(eventsUrl, bearer)).status).toBe(429);
    for (const stream of [second, again, ...byCookie]) stream.close();
  });

  it('gives a slot back once, however often its release is called', async () => {
    const quota = createStreamQuota(2);
    const a = await quota.take('secret-a');
    const b = await quota.take('secret-a');
    expect(await quota.take('secret-a')).toBeUndefined();
    expect(await quota.take('secret-b')).toBeDefined();
    a!();
    a!();
    expect(await quota.held('secret-a')).toBe(1);
    expect(await quota.take('secret-a')).toBeDefined();
    expect(await quota.take('secret-a')).toBeUndefined();
    b!();
    expect(await quota.held('secret-a')).toBe(1);
  });
});

describe('a body over 64 KB', () => {
  const size = 1024 * 1024;
  const head = (port: number) =>
    `POST /api/transactions HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAuthorization: Bearer ${token}\r\n` +
    `Content-Type: application/json\r\nContent-Length: ${size}\r\n\r\n`;

  /** Like a client that sends its whole request before it reads the answer (curl, Python's requests). */
  async function sendThenRead(server: ServerProcess, chunks: number, gapMs: number) {
    const client = await rawClient(server.port, { allowHalfOpen: true });
    await client.write(head(server.port));
    const chunk = new Uint8Array(size / chunks).fill(0x61);
    for (let i = 0; i < chunks; i++) {
      await client.write(chunk);
      if (gapMs) await sleep(gapMs);
    }
    const text = await client.waitFor(/\r\n\r\n[\s\S]*\}$/);
    client.socket.end();
    await client.closed;
    return { text, errors: client.errors };
  }

  function expect413(text: string) {
    const [headers, body] = text.split('\r\n\r\n');
    expect(headers).toMatch(/^HTTP\/1\.1 413 /);
    expect(headers).toMatch(/\r\nconnection: close\r\n/i);
    expect(JSON.parse(body!)).toEqual({ error: { code: 'payload_too_large', message: expect.any(String) } });
  }

  it('sent slowly (16 × 64 KB over ~2.5 s): the client sends it all with no EPIPE or reset and reads the 413 JSON', async () => {
    const server = await startServer({ dataDir: makeTempDir('connection-limits-'), env: { ADMIN_TOKEN: token } });
    const { text, errors } = await sendThenRead(server, 16, 150);
    expect(errors).toEqual([]);
    expect413(text);
    expect(await healthzAnswers(server)).toBe(200);
  });

  it('sent at once: the client reads the 413 JSON with no EPIPE or reset', async () => {
    const server = await startServer({ dataDir: makeTempDir('connection-limits-'), env: { ADMIN_TOKEN: token } });
    const { text, errors } = await sendThenRead(server, 1, 0);
    expect(errors).toEqual([]);
    expect413(text);
  });
});

describe('MAX_CONNECTIONS', () => {
  it('with MAX_CONNECTIONS=5 a sixth connection is closed unanswered while the five keep working; once one closes a new one is served', async () => {
    const server = await startServer({ dataDir: makeTempDir('connection-limits-'), env: { ADMIN_TOKEN: token, MAX_CONNECTIONS: '5' } });
    const get = 'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n';
    const five = await Promise.all(Array.from({ length: 5 }, () => rawClient(server.port)));
    for (const client of five) {
      await client.write(get);
      await client.waitFor(/^HTTP\/1\.1 200 [\s\S]*\{"ok":true\}/);
    }

    const sixth = await rawClient(server.port);
    sixth.socket.write(get);
    await sixth.closed;
    expect(sixth.received()).toBe('');
    await server.waitForLine(/WARN MAX_CONNECTIONS \(5\) reached/);

    // Kept alive, the five answer again.
    for (const client of five) {
      const before = client.received().length;
      await client.write(get);
      await client.waitFor(new RegExp(`^[\\s\\S]{${before}}HTTP/1\\.1 200 `));
    }

    five[0]!.socket.destroy();
    await five[0]!.closed;
    let seventh = await rawClient(server.port);
    seventh.socket.write(get);
    for (let tries = 0; tries < 20; tries++) {
      try {
        await seventh.waitFor(/^HTTP\/1\.1 200 /, 1_000);
        break;
      } catch {
        // The server had not yet seen the first one close: try again.
        seventh = await rawClient(server.port);
        seventh.socket.write(get);
      }
    }
    expect(seventh.received()).toMatch(/^HTTP\/1\.1 200 /);
    for (const client of [...five, seventh]) client.socket.destroy();
  });
});
