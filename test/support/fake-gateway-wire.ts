// The fake buy-pass service's side of the wire contract (SPEC §6): the secret, the routes, the
// request checks, a scripted answer when one matches, else the marketplace's own.
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { accountFor, checkBuy, isRecord, lookup, purchase, type BuyBody, type Market } from './fake-gateway-market.js';
import { takeScript, type QueuedScript, type ScriptAction } from './fake-gateway-scripts.js';

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

/** Everything one fake gateway holds; the control routes read and change the same. */
export interface FakeState {
  secret: string;
  requests: RecordedRequest[];
  market: Market;
  scripts: QueuedScript[];
  /** Answers held open by hang / completeThenHang. */
  held: Set<ServerResponse>;
}

export function send(res: ServerResponse, status: number, body?: unknown, headers: Record<string, string> = {}): void {
  if (res.destroyed) return;
  const text = body === undefined ? '' : typeof body === 'string' ? body : JSON.stringify(body);
  const contentType = body === undefined ? {} : { 'content-type': typeof body === 'string' ? 'text/plain' : 'application/json' };
  res.writeHead(status, { ...contentType, ...headers, 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function hold(state: FakeState, res: ServerResponse): void {
  state.held.add(res);
  res.on('close', () => state.held.delete(res));
}

/** Plays a scripted action; `buy` is set for /buy-pass requests that were valid. */
function play(state: FakeState, action: ScriptAction, req: IncomingMessage, res: ServerResponse, buy: BuyBody | undefined): void {
  switch (action.kind) {
    case 'respond':
      return send(res, action.status, action.body, action.headers);
    case 'rateLimit': {
      const headers: Record<string, string> = action.retryAfter === undefined ? {} : { 'retry-after': String(action.retryAfter) };
      const body = action.body === undefined ? { success: false, code: 'RATE_LIMITED', message: 'Too many requests' } : action.body === null ? undefined : action.body;
      return send(res, 429, body, headers);
    }
    case 'hang':
      return hold(state, res);
    case 'completeThenHang':
      if (buy) purchase(state.market, buy);
      return hold(state, res);
    case 'drop':
      req.socket.destroy();
      return;
    case 'completeThenDrop':
      if (buy) purchase(state.market, buy);
      req.socket.destroy();
      return;
  }
}

type Route = 'account' | 'buy' | 'lookup';

function routeOf(method: string, path: string): Route | undefined {
  if (method === 'POST' && path === '/account') return 'account';
  if (method === 'POST' && path === '/buy-pass') return 'buy';
  if (method === 'GET' && /^\/purchases\/[^/?]+$/.test(path)) return 'lookup';
  return undefined;
}

export function handleGateway(state: FakeState, req: IncomingMessage, res: ServerResponse, path: string, raw: string, body: unknown): void {
  const method = req.method ?? 'GET';
  state.requests.push({ method, path, headers: req.headers, body, rawBody: raw, at: Date.now() });
  if (req.headers['x-internal-secret'] !== state.secret) return send(res, 401, { success: false, message: 'Unauthorized' });

  const route = routeOf(method, path);
  if (!route) {
    // Only a script for 'any' path answers elsewhere (e.g. a gateway mounted under a base path).
    const action = takeScript(state.scripts, path, body);
    return action ? play(state, action, req, res, undefined) : send(res, 404, { success: false, message: 'Not found' });
  }
  if (route !== 'lookup' && !String(req.headers['content-type'] ?? '').startsWith('application/json')) {
    return send(res, 415, { success: false, message: 'Expected application/json' });
  }

  let buy: BuyBody | undefined;
  if (route === 'buy') {
    const problem = checkBuy(body, req.headers['idempotency-key']);
    if (typeof problem === 'string') return send(res, 400, { success: false, message: problem });
    buy = problem;
    state.market.seenKeys.add(buy.idempotencyKey);
  }

  const action = takeScript(state.scripts, path, body);
  if (action) return play(state, action, req, res, buy);
  if (route === 'account') return answerAccount(state.market, res, body);
  if (route === 'buy' && buy) {
    const answer = purchase(state.market, buy);
    return send(res, answer.status, answer.body);
  }
  return answerLookup(state.market, res, path);
}

function answerAccount(market: Market, res: ServerResponse, body: unknown): void {
  const account = accountFor(market, isRecord(body) ? body.robloxCookie : undefined);
  if (!account) return send(res, 400, { success: false, message: 'The Roblox cookie is invalid or expired' });
  const { username, userId, displayName, robux } = account;
  return send(res, 200, { success: true, userId, username, displayName, robux });
}

function answerLookup(market: Market, res: ServerResponse, path: string): void {
  let key: string;
  try {
    key = decodeURIComponent(path.slice('/purchases/'.length));
  } catch {
    return send(res, 400, { success: false, message: 'Bad key' });
  }
  const found = lookup(market, key);
  if (found === 'not-found') return send(res, 404, { status: 'not_found' });
  return send(res, 200, { status: found });
}
