// Every HTTP route of the API in one table: method, path, who may call it, the valibot schemas its
// handler validates with, and its answers. The OpenAPI document (src/http/openapi.ts) is built from
// it, test/openapi.test.ts walks the app's real routes against it, the access check (src/http/access.ts)
// enforces each route's scope, and test/scopes.test.ts walks every route × credential against it.
import type * as v from 'valibot';
import type { RunEventType } from '../domain/run.js';
import type { TokenScope } from '../domain/scopes.js';
import { loginBody } from '../routes/auth.js';
import { sessionsQuery, triggerBody } from '../routes/auto-purchase.js';
import { auditQuery } from '../routes/audit.js';
import { statsQuery } from '../routes/stats.js';
import { createTokenBody } from '../routes/tokens.js';
import { watchLinkBody } from '../routes/watch-links.js';
import { addAccountBody, updateAccountBody } from '../routes/stock-accounts.js';
import { orderBody, resolveBody, transactionsQuery } from '../routes/transactions.js';

export type ApiMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/**
 * Who may call a route (SPEC §12): anyone; a credential whose scope is at least this one (the admin
 * token and the browser session are `admin`); or, for `metrics`, METRICS_TOKEN or an admin credential.
 */
export type RouteScope = 'public' | 'metrics' | TokenScope;

/** The media types answers come in; an error (4xx, 5xx) is always `{error:{code,message}}` JSON. */
export type AnswerMedia = 'application/json' | 'text/event-stream' | 'text/plain' | 'none';

export interface Answer {
  description: string;
  media: AnswerMedia;
}

/** A strict object of query parameters, as the handler checks `c.req.query()` with it. */
export type QuerySchema = v.StrictObjectSchema<v.ObjectEntries, v.ErrorMessage<v.StrictObjectIssue> | undefined>;

/** A header or query parameter a handler reads by hand (not through a schema). */
export interface NamedParam {
  name: string;
  description: string;
  pattern?: string;
}

export interface ApiRoute {
  method: ApiMethod;
  /** Hono's form: `/api/transactions/:id/retry`. */
  path: string;
  tag: string;
  summary: string;
  description?: string;
  scope: RouteScope;
  /** A watch link for the run named by `:sessionId` opens this route too (SPEC §12). */
  watchable?: true;
  /** The schema `readJson` checks the JSON body against; `optional` when no body at all is fine. */
  body?: { schema: v.GenericSchema; optional?: true };
  query?: QuerySchema;
  headers?: readonly NamedParam[];
  /** Query parameters read by hand, for routes without a query schema. */
  queryParams?: readonly NamedParam[];
  /** Path parameters' descriptions, by name (each `:name` of the path is one). */
  params?: Readonly<Record<string, string>>;
  /** The answers this route gives besides the ones every route of its kind may give (see openapi.ts). */
  answers: Readonly<Partial<Record<number, Answer>>>;
}

const json = (description: string): Answer => ({ description, media: 'application/json' });
const empty = (description: string): Answer => ({ description, media: 'none' });
const error = json;

/** The events of `GET /api/auto-purchase/progress/:sessionId/events` (SPEC §5): every type the stream sends. */
export const streamEvents: Readonly<Record<'snapshot' | RunEventType, string>> = {
  snapshot:
    'The whole snapshot (as GET …/progress/{sessionId} answers), sent first without Last-Event-ID or when that id is no longer kept; its id is the last sequence number folded into it.',
  step: '`{currentStep}`: the step the run is at.',
  accounts: '`{stockAccounts}`: the whole list of stock accounts as the run sees them.',
  account: '`{id, robux, status}`: one stock account changed.',
  transactions: '`{transactions, totalTransactions}`: the list of transactions at fetch time.',
  transaction: '`{invoiceId, status, usedAccount?, error?, timestamp}`: one transaction changed.',
  summary: '`{totalTransactions, processedCount, skippedCount, failedCount, unknownCount}`.',
  end: '`{status, endTime, error?}`: the last event; the server then closes the stream.',
};

const sessionId = { sessionId: 'The run’s session id' };
const transactionId = { id: 'The transaction’s numeric id' };
const accountId = { id: 'The stock account’s id' };

export const apiRoutes: readonly ApiRoute[] = [
  {
    method: 'GET',
    path: '/healthz',
    tag: 'health',
    summary: 'Liveness and database check',
    scope: 'public',
    answers: { 200: json('`{ok: true}`'), 503: error('The database cannot be read or written') },
  },
  {
    method: 'GET',
    path: '/metrics',
    tag: 'health',
    summary: 'Prometheus metrics',
    description: 'Prometheus text exposition format. Admin credentials or `Authorization: Bearer <METRICS_TOKEN>`.',
    scope: 'metrics',
    answers: { 200: { description: 'The metrics, Prometheus text format', media: 'text/plain' } },
  },
  {
    method: 'POST',
    path: '/api/auth/login',
    tag: 'auth',
    summary: 'Log in: set the session cookie',
    description: 'Sets the HttpOnly, SameSite=Strict session cookie when `token` is the admin token. Failed log-ins are throttled per client address.',
    scope: 'public',
    body: { schema: loginBody },
    answers: {
      204: empty('Logged in: the session cookie is set'),
      401: error('The token is not the admin token'),
      429: error('Too many failed log-ins from this address; see Retry-After'),
    },
  },
  {
    method: 'POST',
    path: '/api/auth/logout',
    tag: 'auth',
    summary: 'Log out: end the session and clear the cookie',
    scope: 'public',
    answers: { 204: empty('Logged out'), 403: error('A cookie-authenticated request from another origin') },
  },
  {
    method: 'GET',
    path: '/api/admin/stock-accounts',
    tag: 'stock accounts',
    summary: 'List the stock accounts',
    scope: 'read',
    answers: { 200: json('`{stockAccounts: [...]}`') },
  },
  {
    method: 'POST',
    path: '/api/admin/stock-accounts',
    tag: 'stock accounts',
    summary: 'Add a stock account',
    description: 'Verifies the cookie with the purchase gateway, stores it (encrypted) and triggers a run.',
    scope: 'admin',
    body: { schema: addAccountBody },
    answers: {
      201: json('`{stockAccount, autoPurchase: {sessionId}}`'),
      200: json('The account was already stored: `{stockAccount, autoPurchase: {sessionId}}`'),
      422: error('The gateway rejected the cookie; nothing was saved'),
      502: error('The gateway failed or did not answer; nothing was changed'),
    },
  },
  {
    method: 'PUT',
    path: '/api/admin/stock-accounts/:id',
    tag: 'stock accounts',
    summary: 'Update a stock account',
    description: 'Updates the cookie and/or status, re-checks the balance and triggers a run.',
    scope: 'admin',
    params: accountId,
    body: { schema: updateAccountBody },
    answers: {
      200: json('`{stockAccount, autoPurchase: {sessionId}}`'),
      404: error('No such stock account'),
      422: error('The gateway rejected the cookie; nothing was saved'),
      502: error('The gateway failed or did not answer; nothing was changed'),
    },
  },
  {
    method: 'DELETE',
    path: '/api/admin/stock-accounts/:id',
    tag: 'stock accounts',
    summary: 'Delete a stock account',
    scope: 'admin',
    params: accountId,
    answers: {
      204: empty('Deleted'),
      404: error('No such stock account'),
      409: error('A run is buying with this account right now'),
    },
  },
  {
    method: 'POST',
    path: '/api/transactions',
    tag: 'transactions',
    summary: 'Record a paid order',
    description: 'Records the order as pending. The same `invoiceId` again is a no-op answering the stored one.',
    scope: 'operate',
    body: { schema: orderBody },
    answers: { 201: json('Recorded: `{transaction}`'), 200: json('Already recorded: `{transaction}`') },
  },
  {
    method: 'GET',
    path: '/api/transactions',
    tag: 'transactions',
    summary: 'List the transactions, newest first',
    scope: 'read',
    query: transactionsQuery,
    answers: { 200: json('`{transactions: [...], nextCursor?}`; no `nextCursor` on the last page') },
  },
  {
    method: 'POST',
    path: '/api/transactions/:id/retry',
    tag: 'transactions',
    summary: 'Retry a failed transaction',
    description: 'Puts a `failed` transaction back to `pending`, then triggers a run.',
    scope: 'operate',
    params: transactionId,
    answers: {
      202: json('`{transaction, autoPurchase: {sessionId}}`'),
      404: error('No such transaction'),
      409: error('The transaction is not `failed`'),
    },
  },
  {
    method: 'POST',
    path: '/api/transactions/:id/reconcile',
    tag: 'transactions',
    summary: 'Ask the gateway about an unknown transaction now',
    scope: 'operate',
    params: transactionId,
    answers: { 200: json('`{transaction}`'), 404: error('No such transaction'), 409: error('The transaction is not `unknown`') },
  },
  {
    method: 'POST',
    path: '/api/transactions/:id/resolve',
    tag: 'transactions',
    summary: 'Settle an unknown transaction by hand',
    description: 'Recorded in the audit log with the caller and the note.',
    scope: 'operate',
    params: transactionId,
    body: { schema: resolveBody },
    answers: { 200: json('`{transaction}`'), 404: error('No such transaction'), 409: error('The transaction is not `unknown`') },
  },
  {
    method: 'POST',
    path: '/api/auto-purchase',
    tag: 'runs',
    summary: 'Start a run by hand',
    description: 'An empty body (or none) starts a run with no trigger account.',
    scope: 'operate',
    body: { schema: triggerBody, optional: true },
    answers: {
      202: json('`{sessionId}`'),
      404: error('No such stock account'),
      503: error('The server is shutting down, or the database cannot be written'),
    },
  },
  {
    method: 'GET',
    path: '/api/auto-purchase/progress/:sessionId',
    tag: 'runs',
    summary: 'A run’s snapshot',
    scope: 'read',
    watchable: true,
    params: sessionId,
    answers: { 200: json('The snapshot: `{sessionId, status, currentStep, stockAccounts, transactions, summary, ...}`'), 404: error('No such run') },
  },
  {
    method: 'GET',
    path: '/api/auto-purchase/progress/:sessionId/events',
    tag: 'runs',
    summary: 'A run’s live progress stream (Server-Sent Events)',
    description:
      'Opens with `retry: 3000`, then a `snapshot` event (without Last-Event-ID) or the stored events after Last-Event-ID, then live events until `end`. ' +
      'Each event’s `id:` is its sequence number within the run (consecutive from 1); each `data:` is one JSON object. ' +
      'A `: ping` comment line keeps the connection open. Event types are listed in `x-event-types`.',
    scope: 'read',
    watchable: true,
    params: sessionId,
    headers: [
      {
        name: 'Last-Event-ID',
        description: 'Resume after this sequence number: the stored events after it are replayed, with no gap and no duplicate.',
        pattern: '^\\d{1,15}$',
      },
    ],
    queryParams: [
      { name: 'lastEventId', description: 'The same as Last-Event-ID, for clients that cannot set headers; the header wins.', pattern: '^\\d{1,15}$' },
    ],
    answers: {
      200: { description: 'The event stream', media: 'text/event-stream' },
      204: empty('The run has ended and its `end` event was already sent (Last-Event-ID ≥ its last sequence number)'),
      400: error('Last-Event-ID / lastEventId is not a non-negative integer (`invalid_event_id`)'),
      404: error('No such run'),
      429: error('This credential holds too many open progress streams'),
    },
  },
  {
    method: 'POST',
    path: '/api/auto-purchase/progress/:sessionId/watch-links',
    tag: 'runs',
    summary: 'Make a watch link for a run',
    description:
      'A signed link that opens only this run’s snapshot and event stream, passed as `?access_token=` (EventSource cannot send headers). ' +
      '`expiresIn`: a duration such as `15m`, `24h`, `7d` (default 24 h, at most 30 days). Answers `{url, eventsUrl, expiresAt}`: ' +
      '`url` the read-only live page, `eventsUrl` the stream for `new EventSource(eventsUrl)`. The link is not stored: it ends at its expiry, or when ADMIN_TOKEN changes.',
    scope: 'operate',
    body: { schema: watchLinkBody, optional: true },
    params: sessionId,
    answers: {
      201: json('`{url, eventsUrl, expiresAt}`'),
      400: error('`expiresIn` is not a duration with a unit (`invalid_field`), or is 0 or over 30 days (`invalid_expiry`)'),
      404: error('No such run'),
    },
  },
  {
    method: 'GET',
    path: '/api/auto-purchase/sessions',
    tag: 'runs',
    summary: 'Run history, newest first',
    scope: 'read',
    query: sessionsQuery,
    answers: { 200: json('`{sessions: [...], nextCursor?}`; no `nextCursor` on the last page') },
  },
  {
    method: 'GET',
    path: '/api/stats',
    tag: 'stats',
    summary: 'Success rate, purchases and robux spent, per account and per day',
    scope: 'read',
    query: statsQuery,
    answers: {
      200: json('The stats over the range'),
      400: error('An unknown or invalid parameter, or `from` after `to` (`invalid_range`)'),
    },
  },
  {
    method: 'GET',
    path: '/api/audit',
    tag: 'audit',
    summary: 'The audit log, newest first',
    description:
      'Every state change and log-in/out: time, actor, action, target, outcome, note. `action` and `target` match exactly, ' +
      'or as a prefix when they end in `.` / `:` (`action=account.`, `target=transaction:`); `actor` matches exactly; ' +
      '`from` / `to` bound the time (a date-only `to` is the whole day). Paging like the run history.',
    scope: 'read',
    query: auditQuery,
    answers: {
      200: json('`{entries: [...], nextCursor?}`; no `nextCursor` on the last page'),
      400: error('An unknown or invalid parameter, a cursor not handed out, or `from` after `to` (`invalid_range`)'),
    },
  },
  {
    method: 'POST',
    path: '/api/tokens',
    tag: 'tokens',
    summary: 'Make an API token',
    description: 'Answers the token (`ap_…`) this once; only its SHA-256 is stored. Audited as `token.create`.',
    scope: 'admin',
    body: { schema: createTokenBody },
    answers: { 201: json('`{token, apiToken}`: the token, shown this once, and how lists show it'), 400: error('A bad name, scope or expiry (`invalid_expiry`: not in the future)') },
  },
  {
    method: 'GET',
    path: '/api/tokens',
    tag: 'tokens',
    summary: 'List the API tokens, newest first',
    description: 'Name, scope, prefix, created, last used, expiry: never a token.',
    scope: 'admin',
    answers: { 200: json('`{tokens: [...]}`') },
  },
  {
    method: 'DELETE',
    path: '/api/tokens/:id',
    tag: 'tokens',
    summary: 'Revoke an API token',
    description: 'At once: its next request answers 401 and its open progress streams close. Audited as `token.revoke`.',
    scope: 'admin',
    params: { id: 'The token’s numeric id' },
    answers: { 204: empty('Revoked'), 404: error('No such token') },
  },
  {
    method: 'GET',
    path: '/api/openapi.json',
    tag: 'meta',
    summary: 'This OpenAPI 3.1 document',
    scope: 'read',
    answers: { 200: json('The OpenAPI document') },
  },
];
