// A real HTTP buy-pass service for tests (SPEC §6): an in-memory marketplace behind the wire
// contract the `http` gateway speaks, with every request recorded and each answer scriptable.
//
// In-process:   const gw = await startFakeGateway(); … gw.failNext(2, 503); … await gw.close();
// Out-of-process: `node --import tsx test/support/fake-gateway-server.ts` listens on 127.0.0.1
// (FAKE_GATEWAY_PORT, default 0 = any free port) with the secret FAKE_GATEWAY_SECRET (or
// GATEWAY_SECRET, default "test-secret"), prints `listening <url>`, and is scripted through
// /__control/* (see `handleControl`). SIGTERM / SIGINT close it and exit 0.
//
// Marketplace rules:
// - a credential `sandbox:<username>:<robux>` is an account with that balance on first sight (a
//   later credential declaring another balance tops it up, as the sandbox gateway does); other
//   credentials work only once registered with `addAccount`; `sandbox:invalid` never works;
// - a gamepass name carrying `[NOT_FOR_SALE]`, `[PRICE_CHANGED]`, `[ALREADY_OWNED]`,
//   `[INSUFFICIENT_FUNDS]` or `[INVALID_CREDENTIAL]` is refused with that code;
// - the first settled answer per idempotency key (a success or a refusal, never RATE_LIMITED or a
//   failure) is stored and answered again to every later request with that key: it buys once;
// - scripts are consumed first, in order, by the requests they match (by default: /buy-pass).
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { errorText } from '../../src/domain/error-text.js';

export const DEFAULT_SECRET = 'test-secret';

const refusalCodes = ['INSUFFICIENT_FUNDS', 'INVALID_CREDENTIAL', 'PRICE_CHANGED', 'NOT_FOR_SALE', 'ALREADY_OWNED', 'RATE_LIMITED'] as const;
type RefusalCode = (typeof refusalCodes)[number];
const markerCodes: RefusalCode[] = ['NOT_FOR_SALE', 'PRICE_CHANGED', 'ALREADY_OWNED', 'INSUFFICIENT_FUNDS', 'INVALID_CREDENTIAL'];

export interface RecordedRequest {
  method: string;
  /** The path with its query, as sent. */
  path: string;
  /** Lower-cased names, as node:http gives them. */
  headers: IncomingHttpHeaders;
  /** The parsed JSON body; undefined when empty or not JSON. */
  body: unknown;
  rawBody: string;
  at: number;
}

export interface FakePurchase {
  idempotencyKey: string;
  invoiceId: string;
  gamepassId: number;
  price: number;
  username: string;
  userId: number;
  at: number;
}

export interface FakeAccount {
  username: string;
  userId: number;
  displayName: string;
  robux: number;
}

/** Which requests a script applies to. */
export interface ScriptMatch {
  /** '/account', '/buy-pass', '/purchases' (any key) or 'any'; default '/buy-pass'. */
  path?: '/account' | '/buy-pass' | '/purchases' | 'any';
  /** /buy-pass only: just the buys for this invoice. */
  invoiceId?: string;
  /** How many matching requests it answers (default 1). */
  times?: number;
}

export type ScriptAction =
  /** Answers this status with a JSON body (or a raw string body; none when undefined). */
  | { kind: 'respond'; status: number; body?: unknown; headers?: Record<string, string> }
  /** 429, with `Retry-After` when given, and a RATE_LIMITED JSON body unless `body: null`. */
  | { kind: 'rateLimit'; retryAfter?: string | number; body?: unknown }
  /** Never answers (the socket is destroyed on close). */
  | { kind: 'hang' }
  /** Buys as the marketplace would (storing the answer under the key), then never answers. */
  | { kind: 'completeThenHang' }
  /** Reads the request, then destroys the socket without answering. */
  | { kind: 'drop' }
  /** Buys as the marketplace would, then destroys the socket without answering. */
  | { kind: 'completeThenDrop' };

interface QueuedScript {
  action: ScriptAction;
  path: NonNullable<ScriptMatch['path']>;
  invoiceId: string | undefined;
  remaining: number;
}

interface StoredAnswer {
  status: number;
  body: Record<string, unknown>;
}

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

/** FNV-1a 32-bit: the same userId per username on every run (and the same as the sandbox's). */
function userIdOf(username: string): number {
  let hash = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(username)) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0 || 1;
}

const MAX_BODY = 1024 * 1024;

export async function startFakeGateway(options: FakeGatewayOptions = {}): Promise<FakeGateway> {
  const secret = options.secret ?? DEFAULT_SECRET;
  const requests: RecordedRequest[] = [];
  const purchaseLog: FakePurchase[] = [];
  const answers = new Map<string, StoredAnswer>();
  /** Keys some buy request carried: a lookup of one without an answer is `unknown`, not 404. */
  const seenKeys = new Set<string>();
  const scripts: QueuedScript[] = [];
  /** By username. */
  const accounts = new Map<string, FakeAccount & { declaredRobux: number | undefined }>();
  /** Registered credentials → username. */
  const cookies = new Map<string, string>();
  const sockets = new Set<Socket>();
  const held = new Set<ServerResponse>();

  // -------------------------------------------------------------------------------------------
  // Marketplace

  function accountFor(cookie: unknown): FakeAccount | undefined {
    if (typeof cookie !== 'string' || cookie === '' || cookie === 'sandbox:invalid') return undefined;
    const registered = cookies.get(cookie);
    if (registered !== undefined) return accounts.get(registered);
    const match = /^sandbox:([^:\s]+):(\d+)$/.exec(cookie);
    if (!match) return undefined;
    const username = match[1]!;
    const declared = Number(match[2]);
    let account = accounts.get(username);
    if (!account) {
      account = { username, userId: userIdOf(username), displayName: username.charAt(0).toUpperCase() + username.slice(1), robux: declared, declaredRobux: declared };
      accounts.set(username, account);
    } else if (account.declaredRobux !== declared) {
      account.robux = declared;
      account.declaredRobux = declared;
    }
    return account;
  }

  function addAccount(cookie: string, input: { username: string; robux: number; userId?: number; displayName?: string }): void {
    accounts.set(input.username, {
      username: input.username,
      userId: input.userId ?? userIdOf(input.username),
      displayName: input.displayName ?? input.username,
      robux: input.robux,
      declaredRobux: undefined,
    });
    cookies.set(cookie, input.username);
  }

  function refusal(code: RefusalCode, message?: string): StoredAnswer {
    return { status: code === 'RATE_LIMITED' ? 429 : 200, body: { success: false, code, message: message ?? code } };
  }

  /** The marketplace's own answer to a valid buy; stores it under its key. */
  function purchase(buy: BuyBody): StoredAnswer {
    const stored = answers.get(buy.idempotencyKey);
    if (stored) return stored;
    let answer: StoredAnswer;
    const marker = markerCodes.find((code) => buy.gamepassName.includes(`[${code}]`));
    const account = accountFor(buy.robloxCookie);
    if (marker) answer = refusal(marker);
    else if (!account) answer = refusal('INVALID_CREDENTIAL', 'The Roblox cookie is invalid or expired');
    else if (buy.price > account.robux) answer = refusal('INSUFFICIENT_FUNDS', `Not enough robux: balance ${account.robux}, price ${buy.price}`);
    else {
      account.robux -= buy.price;
      purchaseLog.push({
        idempotencyKey: buy.idempotencyKey,
        invoiceId: buy.invoiceId,
        gamepassId: buy.gamepassId,
        price: buy.price,
        username: account.username,
        userId: account.userId,
        at: Date.now(),
      });
      answer = { status: 200, body: { success: true } };
    }
    answers.set(buy.idempotencyKey, answer);
    return answer;
  }

  function lookup(key: string): 'completed' | 'failed' | 'unknown' | 'not-found' {
    const stored = answers.get(key);
    if (stored) return stored.body.success === true ? 'completed' : 'failed';
    return seenKeys.has(key) ? 'unknown' : 'not-found';
  }

  // -------------------------------------------------------------------------------------------
  // Scripts

  function script(action: ScriptAction, match: ScriptMatch = {}): void {
    const times = match.times ?? 1;
    if (!Number.isSafeInteger(times) || times < 1) throw new RangeError('times must be a positive integer');
    scripts.push({ action, path: match.path ?? '/buy-pass', invoiceId: match.invoiceId, remaining: times });
  }

  function takeScript(path: string, body: unknown): ScriptAction | undefined {
    const family = path.startsWith('/purchases/') ? '/purchases' : path;
    const invoiceId = isRecord(body) && typeof body.invoiceId === 'string' ? body.invoiceId : undefined;
    const index = scripts.findIndex(
      (entry) =>
        (entry.path === 'any' || entry.path === family) &&
        (entry.invoiceId === undefined || (family === '/buy-pass' && entry.invoiceId === invoiceId)),
    );
    const entry = scripts[index];
    if (!entry) return undefined;
    entry.remaining -= 1;
    if (entry.remaining === 0) scripts.splice(index, 1);
    return entry.action;
  }

  // -------------------------------------------------------------------------------------------
  // HTTP

  function send(res: ServerResponse, status: number, body?: unknown, headers: Record<string, string> = {}): void {
    if (res.destroyed) return;
    const text = body === undefined ? '' : typeof body === 'string' ? body : JSON.stringify(body);
    const contentType = body === undefined ? {} : { 'content-type': typeof body === 'string' ? 'text/plain' : 'application/json' };
    res.writeHead(status, { ...contentType, ...headers, 'content-length': Buffer.byteLength(text) });
    res.end(text);
  }

  function hold(res: ServerResponse): void {
    held.add(res);
    res.on('close', () => held.delete(res));
  }

  /** Plays a scripted action; `buy` is set for /buy-pass requests that were valid. */
  function play(action: ScriptAction, req: IncomingMessage, res: ServerResponse, buy: BuyBody | undefined): void {
    switch (action.kind) {
      case 'respond':
        return send(res, action.status, action.body, action.headers);
      case 'rateLimit': {
        const headers: Record<string, string> = action.retryAfter === undefined ? {} : { 'retry-after': String(action.retryAfter) };
        const body = action.body === undefined ? { success: false, code: 'RATE_LIMITED', message: 'Too many requests' } : action.body === null ? undefined : action.body;
        return send(res, 429, body, headers);
      }
      case 'hang':
        return hold(res);
      case 'completeThenHang':
        if (buy) purchase(buy);
        return hold(res);
      case 'drop':
        req.socket.destroy();
        return;
      case 'completeThenDrop':
        if (buy) purchase(buy);
        req.socket.destroy();
        return;
    }
  }

  function handleGateway(req: IncomingMessage, res: ServerResponse, path: string, raw: string, body: unknown): void {
    const method = req.method ?? 'GET';
    requests.push({ method, path, headers: req.headers, body, rawBody: raw, at: Date.now() });
    if (req.headers['x-internal-secret'] !== secret) return send(res, 401, { success: false, message: 'Unauthorized' });

    const route = method === 'POST' && path === '/account' ? 'account' : method === 'POST' && path === '/buy-pass' ? 'buy' : method === 'GET' && /^\/purchases\/[^/?]+$/.test(path) ? 'lookup' : undefined;
    if (!route) {
      // Only a script for 'any' path answers elsewhere (e.g. a gateway mounted under a base path).
      const action = takeScript(path, body);
      return action ? play(action, req, res, undefined) : send(res, 404, { success: false, message: 'Not found' });
    }
    if (route !== 'lookup' && !String(req.headers['content-type'] ?? '').startsWith('application/json')) {
      return send(res, 415, { success: false, message: 'Expected application/json' });
    }

    let buy: BuyBody | undefined;
    if (route === 'buy') {
      const problem = checkBuy(body, req.headers['idempotency-key']);
      if (typeof problem === 'string') return send(res, 400, { success: false, message: problem });
      buy = problem;
      seenKeys.add(buy.idempotencyKey);
    }

    const action = takeScript(path, body);
    if (action) return play(action, req, res, buy);

    if (route === 'account') {
      const cookie = isRecord(body) ? body.robloxCookie : undefined;
      const account = accountFor(cookie);
      if (!account) return send(res, 400, { success: false, message: 'The Roblox cookie is invalid or expired' });
      const { username, userId, displayName, robux } = account;
      return send(res, 200, { success: true, userId, username, displayName, robux });
    }
    if (route === 'buy' && buy) {
      const answer = purchase(buy);
      return send(res, answer.status, answer.body);
    }
    let key: string;
    try {
      key = decodeURIComponent(path.slice('/purchases/'.length));
    } catch {
      return send(res, 400, { success: false, message: 'Bad key' });
    }
    const found = lookup(key);
    if (found === 'not-found') return send(res, 404, { status: 'not_found' });
    return send(res, 200, { status: found });
  }

  /** Out-of-process scripting under /__control/ (see the file header). */
  function handleControl(req: IncomingMessage, res: ServerResponse, path: string, body: unknown): void {
    const method = req.method ?? 'GET';
    try {
      if (method === 'POST' && path === '/__control/script') {
        // {kind: 'completeThenHang'|'hang'|'fail'|'drop'|'completeThenDrop'|'rateLimit'|'refuse'|'respond',
        //  status?, times?, invoiceId?, path?, retryAfter?, code?, message?, body?}
        if (!isRecord(body) || typeof body.kind !== 'string') return send(res, 400, { error: 'expected {kind}' });
        const match: ScriptMatch = {};
        if (typeof body.times === 'number') match.times = body.times;
        if (typeof body.invoiceId === 'string') match.invoiceId = body.invoiceId;
        if (typeof body.path === 'string') match.path = body.path as ScriptMatch['path'];
        const status = typeof body.status === 'number' ? body.status : undefined;
        switch (body.kind) {
          case 'fail':
            script({ kind: 'respond', status: status ?? 503, body: { success: false, message: 'Injected failure' } }, match);
            break;
          case 'respond':
            script({ kind: 'respond', status: status ?? 200, body: body.body }, match);
            break;
          case 'refuse': {
            const code = body.code;
            if (typeof code !== 'string' || !(refusalCodes as readonly string[]).includes(code)) return send(res, 400, { error: 'unknown code' });
            const message = typeof body.message === 'string' ? body.message : code;
            script({ kind: 'respond', status: status ?? (code === 'RATE_LIMITED' ? 429 : 200), body: { success: false, code, message } }, match);
            break;
          }
          case 'rateLimit':
            script({ kind: 'rateLimit', ...(typeof body.retryAfter === 'string' || typeof body.retryAfter === 'number' ? { retryAfter: body.retryAfter } : {}) }, match);
            break;
          case 'hang':
          case 'completeThenHang':
          case 'drop':
          case 'completeThenDrop':
            script({ kind: body.kind }, match);
            break;
          default:
            return send(res, 400, { error: `unknown kind ${body.kind}` });
        }
        return send(res, 200, { ok: true, pending: pendingScripts() });
      }
      if (method === 'GET' && path === '/__control/purchases') {
        return send(res, 200, purchaseLog.map(({ idempotencyKey, invoiceId, price, username }) => ({ idempotencyKey, invoiceId, price, username })));
      }
      if (method === 'POST' && path === '/__control/accounts') {
        if (!isRecord(body) || typeof body.cookie !== 'string' || typeof body.username !== 'string' || typeof body.robux !== 'number') {
          return send(res, 400, { error: 'expected {cookie, username, robux, userId?, displayName?}' });
        }
        addAccount(body.cookie, {
          username: body.username,
          robux: body.robux,
          ...(typeof body.userId === 'number' ? { userId: body.userId } : {}),
          ...(typeof body.displayName === 'string' ? { displayName: body.displayName } : {}),
        });
        return send(res, 200, { ok: true });
      }
      if (method === 'GET' && path === '/__control/accounts') {
        return send(res, 200, [...accounts.values()].map(({ username, userId, displayName, robux }) => ({ username, userId, displayName, robux })));
      }
      if (method === 'GET' && path === '/__control/requests') {
        return send(res, 200, requests.map(({ method: m, path: p, headers, body: b }) => ({ method: m, path: p, headers, body: b })));
      }
      if (method === 'GET' && path === '/__control/state') {
        return send(res, 200, { pendingScripts: pendingScripts(), hanging: held.size, requests: requests.length, purchases: purchaseLog.length });
      }
      if (method === 'POST' && path === '/__control/reset') {
        reset();
        return send(res, 200, { ok: true });
      }
      return send(res, 404, { error: 'unknown control path' });
    } catch (error) {
      return send(res, 400, { error: errorText(error) });
    }
  }

  function pendingScripts(): number {
    return scripts.reduce((sum, entry) => sum + entry.remaining, 0);
  }

  function reset(): void {
    scripts.length = 0;
    requests.length = 0;
    purchaseLog.length = 0;
    answers.clear();
    seenKeys.clear();
    accounts.clear();
    cookies.clear();
  }

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY) tooLarge = true;
      else chunks.push(chunk);
    });
    req.on('error', () => {});
    req.on('end', () => {
      const path = req.url ?? '/';
      if (tooLarge) return send(res, 413, { success: false, message: 'Too large' });
      const raw = Buffer.concat(chunks).toString('utf8');
      let body: unknown;
      try {
        body = raw === '' ? undefined : (JSON.parse(raw) as unknown);
      } catch {
        body = undefined;
      }
      if (path.startsWith('/__control/')) handleControl(req, res, path, body);
      else handleGateway(req, res, path, raw, body);
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const url = `http://${address.address}:${address.port}`;
  let closing: Promise<void> | undefined;

  return {
    url,
    secret,
    requests,
    requestsTo: (path) => requests.filter((r) => (path === '/purchases' ? r.path.startsWith('/purchases/') : r.path === path)),
    purchases: (invoiceId) => purchaseLog.filter((p) => invoiceId === undefined || p.invoiceId === invoiceId).map((p) => ({ ...p })),
    lookup,
    addAccount,
    account: (username) => {
      const found = accounts.get(username);
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
    pendingScripts,
    hanging: () => held.size,
    reset,
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

/** Alias: `start()` in the tests' words. */
export const start = startFakeGateway;

// ---------------------------------------------------------------------------------------------
// Request validation

interface BuyBody {
  robloxCookie: string;
  invoiceId: string;
  gamepassId: number;
  gamepassName: string;
  price: number;
  sellerId: number;
  idempotencyKey: string;
}

const buyKeys = ['robloxCookie', 'invoiceId', 'gamepassId', 'gamepassName', 'price', 'sellerId', 'idempotencyKey'];

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The buy, or what is wrong with it. */
function checkBuy(body: unknown, headerKey: string | string[] | undefined): BuyBody | string {
  if (!isRecord(body)) return 'Expected a JSON object';
  const extra = Object.keys(body).filter((key) => !buyKeys.includes(key));
  if (extra.length > 0) return `Unknown fields: ${extra.join(', ')}`;
  const { robloxCookie, invoiceId, gamepassId, gamepassName, price, sellerId, idempotencyKey } = body;
  if (typeof robloxCookie !== 'string') return 'robloxCookie must be a string';
  if (typeof invoiceId !== 'string' || invoiceId === '') return 'invoiceId must be a non-empty string';
  if (typeof gamepassName !== 'string') return 'gamepassName must be a string';
  for (const [name, value] of [['gamepassId', gamepassId], ['price', price], ['sellerId', sellerId]] as const) {
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) return `${name} must be a positive integer`;
  }
  if (typeof idempotencyKey !== 'string' || idempotencyKey === '') return 'idempotencyKey must be a non-empty string';
  if (headerKey !== idempotencyKey) return 'The Idempotency-Key header must equal the idempotencyKey field';
  return { robloxCookie, invoiceId, gamepassId: gamepassId as number, gamepassName, price: price as number, sellerId: sellerId as number, idempotencyKey };
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
