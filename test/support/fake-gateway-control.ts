// Out-of-process scripting of the fake buy-pass service under /__control/: what a test does
// in-process with the FakeGateway methods, a test driving the standalone process does over HTTP.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { errorText } from '../../src/domain/error-text.js';
import { addAccount, isRecord, refusalCodes, resetMarket } from './fake-gateway-market.js';
import { addScript, pendingScripts, type ScriptAction, type ScriptMatch } from './fake-gateway-scripts.js';
import { send, type FakeState } from './fake-gateway-wire.js';

export function resetState(state: FakeState): void {
  state.scripts.length = 0;
  state.requests.length = 0;
  resetMarket(state.market);
}

export function handleControl(state: FakeState, req: IncomingMessage, res: ServerResponse, path: string, body: unknown): void {
  const { market, requests } = state;
  const route = `${req.method ?? 'GET'} ${path}`;
  try {
    switch (route) {
      case 'POST /__control/script': {
        const scripted = scriptOf(body);
        if (typeof scripted === 'string') return send(res, 400, { error: scripted });
        addScript(state.scripts, scripted.action, scripted.match);
        return send(res, 200, { ok: true, pending: pendingScripts(state.scripts) });
      }
      case 'GET /__control/purchases':
        return send(res, 200, market.purchaseLog.map(({ idempotencyKey, invoiceId, price, username }) => ({ idempotencyKey, invoiceId, price, username })));
      case 'POST /__control/accounts':
        if (!isRecord(body) || typeof body.cookie !== 'string' || typeof body.username !== 'string' || typeof body.robux !== 'number') {
          return send(res, 400, { error: 'expected {cookie, username, robux, userId?, displayName?}' });
        }
        addAccount(market, body.cookie, {
          username: body.username,
          robux: body.robux,
          ...(typeof body.userId === 'number' ? { userId: body.userId } : {}),
          ...(typeof body.displayName === 'string' ? { displayName: body.displayName } : {}),
        });
        return send(res, 200, { ok: true });
      case 'GET /__control/accounts':
        return send(res, 200, [...market.accounts.values()].map(({ username, userId, displayName, robux }) => ({ username, userId, displayName, robux })));
      case 'GET /__control/requests':
        return send(res, 200, requests.map(({ method, path: p, headers, body: b }) => ({ method, path: p, headers, body: b })));
      case 'GET /__control/state': {
        const counts = { pendingScripts: pendingScripts(state.scripts), hanging: state.held.size, requests: requests.length };
        return send(res, 200, { ...counts, purchases: market.purchaseLog.length });
      }
      case 'POST /__control/reset':
        resetState(state);
        return send(res, 200, { ok: true });
      default:
        return send(res, 404, { error: 'unknown control path' });
    }
  } catch (error) {
    return send(res, 400, { error: errorText(error) });
  }
}

/**
 * The script a control body asks for: {kind: 'completeThenHang'|'hang'|'fail'|'drop'|
 * 'completeThenDrop'|'rateLimit'|'refuse'|'respond', status?, times?, invoiceId?, path?,
 * retryAfter?, code?, message?, body?}; or what is wrong with it.
 */
function scriptOf(body: unknown): { action: ScriptAction; match: ScriptMatch } | string {
  if (!isRecord(body) || typeof body.kind !== 'string') return 'expected {kind}';
  const match: ScriptMatch = {};
  if (typeof body.times === 'number') match.times = body.times;
  if (typeof body.invoiceId === 'string') match.invoiceId = body.invoiceId;
  if (typeof body.path === 'string') match.path = body.path as ScriptMatch['path'];
  const status = typeof body.status === 'number' ? body.status : undefined;
  switch (body.kind) {
    case 'fail':
      return { action: { kind: 'respond', status: status ?? 503, body: { success: false, message: 'Injected failure' } }, match };
    case 'respond':
      return { action: { kind: 'respond', status: status ?? 200, body: body.body }, match };
    case 'refuse': {
      const code = body.code;
      if (typeof code !== 'string' || !(refusalCodes as readonly string[]).includes(code)) return 'unknown code';
      const message = typeof body.message === 'string' ? body.message : code;
      return { action: { kind: 'respond', status: status ?? (code === 'RATE_LIMITED' ? 429 : 200), body: { success: false, code, message } }, match };
    }
    case 'rateLimit': {
      const retryAfter = typeof body.retryAfter === 'string' || typeof body.retryAfter === 'number' ? { retryAfter: body.retryAfter } : {};
      return { action: { kind: 'rateLimit', ...retryAfter }, match };
    }
    case 'hang':
    case 'completeThenHang':
    case 'drop':
    case 'completeThenDrop':
      return { action: { kind: body.kind }, match };
    default:
      return `unknown kind ${body.kind}`;
  }
}
