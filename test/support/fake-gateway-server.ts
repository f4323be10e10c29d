// A real HTTP buy-pass service for tests (SPEC §6): the marketplace of fake-gateway-market.ts behind
// the wire contract the `http` gateway speaks, every request recorded and each answer scriptable.
// In-process: `const gw = await startFakeGateway(); gw.failNext(2, 503); … await gw.close()`.
// Standalone: `node --import tsx test/support/fake-gateway-server.ts` listens on 127.0.0.1
// (FAKE_GATEWAY_PORT, default any; secret FAKE_GATEWAY_SECRET or GATEWAY_SECRET, default
// "test-secret"), prints `listening <url>`, is scripted through /__control/*, and exits 0 on SIGTERM.
import { createServer, type IncomingMessage } from 'node:http';
import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { handleControl, resetState } from './fake-gateway-control.js';
import { addAccount, createMarket, lookup, refusal, type FakeAccount, type FakePurchase, type RefusalCode } from './fake-gateway-market.js';
import { addScript, pendingScripts, type ScriptAction, type ScriptMatch } from './fake-gateway-scripts.js';
import { handleGateway, send, type FakeState, type RecordedRequest } from './fake-gateway-wire.js';
import { listenLocally } from './local-server.js';

export const DEFAULT_SECRET = 'test-secret';
const MAX_BODY = 1024 * 1024;

export interface FakeGateway {
  /** http://127.0.0.1:<port>, no trailing slash. */
  readonly url: string;
  readonly secret: string;
  /** Every gateway request so far (not /__control), oldest first; a live array. */
  readonly requests: RecordedRequest[];
  /** Requests to one path ('/account', '/buy-pass', or '/purchases' for every lookup). */
  requestsTo(path: '/account' | '/buy-pass' | '/purchases'): RecordedRequest[];
  /** Successful purchases, oldest first; only those of `invoiceId` when given. */
  purchases(invoiceId?: string): FakePurchase[];
  /** What GET /purchases/<key> would answer now. */
  lookup(idempotencyKey: string): 'completed' | 'failed' | 'unknown' | 'not-found';
  /** Registers a credential (any string); its account keeps its own balance. */
  addAccount(cookie: string, account: { username: string; robux: number; userId?: number; displayName?: string }): void;
  account(username: string): FakeAccount | undefined;
  script(action: ScriptAction, match?: ScriptMatch): void;
  respondNext(status: number, body?: unknown, match?: ScriptMatch & { headers?: Record<string, string> }): void;
  /** The next `times` matching requests answer `status` (default 503) with a small JSON body. */
  failNext(times?: number, status?: number, match?: Omit<ScriptMatch, 'times'>): void;
  /** 429 with `Retry-After: <retryAfter>` (none when null/undefined). */
  rateLimitNext(retryAfter?: string | number | null, match?: ScriptMatch & { body?: unknown }): void;
  /** A refusal as a 200 `{success:false, code, message}` (message defaults to the code). */
  refuseNext(code: RefusalCode, message?: string, match?: ScriptMatch & { status?: number }): void;
  hangNext(match?: ScriptMatch): void;
  completeThenHang(match?: ScriptMatch): void;
  dropConnectionNext(match?: ScriptMatch): void;
  completeThenDrop(match?: ScriptMatch): void;
  /** Scripted answers not used yet (each `times` counted). */
  pendingScripts(): number;
  /** Requests being held open by hang / completeThenHang right now. */
  hanging(): number;
  /** Forgets scripts, requests, purchases, stored answers and accounts. */
  reset(): void;
  /** Stops listening and destroys every connection, hanging ones included. */
  close(): Promise<void>;
}

export interface FakeGatewayOptions {
  secret?: string;
  port?: number;
  host?: string;
}

export async function startFakeGateway(options: FakeGatewayOptions = {}): Promise<FakeGateway> {
  const state: FakeState = { secret: options.secret ?? DEFAULT_SECRET, requests: [], market: createMarket(), scripts: [], held: new Set() };
  const server = createServer((req, res) => {
    readBody(req, (raw) => {
      const path = req.url ?? '/';
      if (raw === undefined) return send(res, 413, { success: false, message: 'Too large' });
      let body: unknown;
      try {
        body = raw === '' ? undefined : (JSON.parse(raw) as unknown);
      } catch {
        body = undefined;
      }
      if (path.startsWith('/__control/')) handleControl(state, req, res, path, body);
      else handleGateway(state, req, res, path, raw, body);
    });
  });
  const listening = await listenLocally(server, options.port ?? 0, options.host ?? '127.0.0.1');
  return { ...controls(state), url: listening.url, secret: state.secret, close: listening.close };
}

/** The whole body as text, or undefined when it passed MAX_BODY (the rest is read and dropped). */
function readBody(req: IncomingMessage, done: (raw: string | undefined) => void): void {
  const chunks: Buffer[] = [];
  let size = 0;
  req.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size <= MAX_BODY) chunks.push(chunk);
  });
  req.on('error', () => {});
  req.on('end', () => done(size > MAX_BODY ? undefined : Buffer.concat(chunks).toString('utf8')));
}

/** The in-process controls of a test: each one reads or changes the state the server answers from. */
function controls(state: FakeState): Omit<FakeGateway, 'url' | 'secret' | 'close'> {
  const { market, requests } = state;
  const script = (action: ScriptAction, match?: ScriptMatch) => addScript(state.scripts, action, match);
  return {
    requests,
    requestsTo: (path) => requests.filter((r) => (path === '/purchases' ? r.path.startsWith('/purchases/') : r.path === path)),
    purchases: (invoiceId) => market.purchaseLog.filter((p) => invoiceId === undefined || p.invoiceId === invoiceId).map((p) => ({ ...p })),
    lookup: (key) => lookup(market, key),
    addAccount: (cookie, account) => addAccount(market, cookie, account),
    account: (username) => {
      const found = market.accounts.get(username);
      return found && { username: found.username, userId: found.userId, displayName: found.displayName, robux: found.robux };
    },
    script,
    respondNext: (status, body, match = {}) => {
      const { headers, ...rest } = match;
      script({ kind: 'respond', status, body, ...(headers ? { headers } : {}) }, rest);
    },
    failNext: (times = 1, status = 503, match = {}) =>
      script({ kind: 'respond', status, body: { success: false, message: 'Injected failure' } }, { ...match, times }),
    rateLimitNext: (retryAfter, match = {}) => {
      const { body, ...rest } = match;
      script({ kind: 'rateLimit', ...(retryAfter == null ? {} : { retryAfter }), ...(body === undefined ? {} : { body }) }, rest);
    },
    refuseNext: (code, message, match = {}) => {
      const { status, ...rest } = match;
      const answer = refusal(code, message);
      script({ kind: 'respond', status: status ?? answer.status, body: answer.body }, rest);
    },
    hangNext: (match) => script({ kind: 'hang' }, match),
    completeThenHang: (match) => script({ kind: 'completeThenHang' }, match),
    dropConnectionNext: (match) => script({ kind: 'drop' }, match),
    completeThenDrop: (match) => script({ kind: 'completeThenDrop' }, match),
    pendingScripts: () => pendingScripts(state.scripts),
    hanging: () => state.held.size,
    reset: () => resetState(state),
  };
}

// ---------------------------------------------------------------------------------------------
// Standalone: `node --import tsx test/support/fake-gateway-server.ts`

function runsDirectly(): boolean {
  const entry = process.argv[1];
  if (!entry) return false;
  try {
    return import.meta.url === pathToFileURL(realpathSync(entry)).href;
  } catch {
    return false;
  }
}

if (runsDirectly()) {
  const port = Number(process.env.FAKE_GATEWAY_PORT ?? 0);
  const gateway = await startFakeGateway({
    secret: process.env.FAKE_GATEWAY_SECRET ?? process.env.GATEWAY_SECRET ?? DEFAULT_SECRET,
    port: Number.isSafeInteger(port) ? port : 0,
  });
  process.stdout.write(`listening ${gateway.url}\n`);
  const stop = () => {
    void gateway.close().then(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}
