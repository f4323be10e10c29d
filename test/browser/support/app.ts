// The browser tests' harness: a real server child process (fresh data folder, sandbox gateway,
// 14 demo orders), Debian's Chromium on it, every request the page makes recorded, and the
// helpers that read the progress modal the way SPEC §8's names describe it.
//
// `browserSuite()` registers the hooks: the client is built (when stale) and Chromium launched once
// per file; each test gets its own server, browser context and page, all closed after it, even
// when it failed (then the page's errors, the server's output and a screenshot path are printed).
import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import type { RunSnapshot } from '../../../src/domain/run.js';
import { cleanUp, makeTempDir, startServer, type ServerProcess, type StartOptions } from '../../support/server-process.js';
import { startEdgeServer } from '../../support/edge-server.js';
import { launchChromium } from './browser.js';
import { ensureClientBuilt } from './build-client.js';
import { startTcpProxy, type TcpProxy } from './tcp-proxy.js';

export const adminToken = 'browser-tests-admin-token-0123456789';

export interface RecordedRequest {
  method: string;
  url: string;
  /** The URL's pathname. */
  path: string;
  search: string;
  resourceType: string;
  headers: Record<string, string>;
  at: number;
}

export interface AppOptions {
  /** Server environment on top of the test defaults (ADMIN_TOKEN, PURCHASE_DELAY_MS=0). */
  env?: Record<string, string>;
  viewport?: { width: number; height: number };
  /** A phone: the meta viewport is honoured and touch is on. */
  mobile?: boolean;
  /** Put a TCP proxy between the browser and the server (the page is opened at the proxy). */
  proxy?: boolean;
  /** Writes into the database file before the server first starts (then no demo orders). */
  seed?: (databasePath: string) => void;
  /**
   * 'workerd': the Worker in workerd through miniflare (test/support/edge-server.ts) instead of a
   * Node process; its object's data is in memory, so no `seed` and no `restartServer` there.
   */
  runtime?: 'node' | 'workerd';
}

export interface App {
  server: ServerProcess;
  dataDir: string;
  /** Stops the server (SIGTERM) and starts it again on the same data folder (on a new port). */
  restartServer(): Promise<void>;
  proxy: TcpProxy | undefined;
  /** Where the page goes: the server, or the proxy in front of it. */
  baseUrl: string;
  context: BrowserContext;
  page: Page;
  /** Every request the page made, in order. */
  requests: RecordedRequest[];
  /** Uncaught page errors and console errors. */
  pageErrors: string[];
  /** A call to the server with the admin token, from the test (never through the page). */
  api<T = unknown>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }>;
  snapshot(sessionId: string): Promise<RunSnapshot>;
}

export interface BrowserSuite {
  /** Starts a server and opens a page on it; everything is closed after the test. */
  open(options?: AppOptions): Promise<App>;
  browser(): Browser;
}

export function browserSuite(): BrowserSuite {
  let browser: Browser | undefined;
  const opened: App[] = [];

  beforeAll(async () => {
    await ensureClientBuilt();
    browser = await launchChromium();
  });

  afterEach(async (context) => {
    const failed = context.task.result?.state === 'fail';
    const apps = opened.splice(0);
    for (const app of apps) {
      if (failed) await reportFailure(context.task.name, app);
      await app.context.close().catch(() => undefined);
      await app.proxy?.close().catch(() => undefined);
    }
    await cleanUp();
  });

  afterAll(async () => {
    await browser?.close().catch(() => undefined);
    browser = undefined;
    await cleanUp();
  });

  return {
    browser() {
      if (!browser) throw new Error('Chromium is not launched (beforeAll failed?)');
      return browser;
    },
    async open(options = {}) {
      if (!browser) throw new Error('Chromium is not launched (beforeAll failed?)');
      const dataDir = makeTempDir('autopurchase-browser-');
      const serverEnv = { ADMIN_TOKEN: adminToken, PURCHASE_DELAY_MS: '0', LOG_LEVEL: 'warn', ...options.env };
      const onWorkerd = options.runtime === 'workerd';
      if (onWorkerd && options.seed) throw new Error('seed writes a database file: for a Node server only');
      const start = (startOptions: StartOptions) => (onWorkerd ? startEdgeServer(startOptions) : startServer(startOptions));
      options.seed?.(join(dataDir, 'autopurchase.db'));
      const server = await start({ dataDir, env: serverEnv, readyBy: 'healthz' });
      const proxy = options.proxy ? await startTcpProxy(server.port) : undefined;
      const baseUrl = proxy?.url ?? server.url;
      const context = await browser.newContext({
        viewport: options.viewport ?? { width: 1280, height: 800 },
        baseURL: baseUrl,
        ...(options.mobile ? { isMobile: true, hasTouch: true, deviceScaleFactor: 2 } : {}),
      });
      context.setDefaultTimeout(15_000);
      const page = await context.newPage();
      const requests: RecordedRequest[] = [];
      const pageErrors: string[] = [];
      page.on('request', (request) => {
        const url = new URL(request.url());
        const recorded: RecordedRequest = {
          method: request.method(),
          url: request.url(),
          path: url.pathname,
          search: url.search,
          resourceType: request.resourceType(),
          headers: request.headers(),
          at: Date.now(),
        };
        requests.push(recorded);
        // The headers the network stack added too (an EventSource's Last-Event-ID, cookies).
        request.allHeaders().then(
          (all) => (recorded.headers = all),
          () => undefined,
        );
      });
      page.on('pageerror', (error) => pageErrors.push(`pageerror: ${error.message}`));
      page.on('console', (message) => {
        if (message.type() === 'error') pageErrors.push(`console.error: ${message.text()}`);
      });
      const api = async <T>(method: string, path: string, body?: unknown) => {
        const res = await fetch(`${app.server.url}${path}`, {
          method,
          headers: {
            authorization: `Bearer ${adminToken}`,
            ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          },
          body: body === undefined ? undefined : JSON.stringify(body),
          signal: AbortSignal.timeout(10_000),
        });
        const text = await res.text();
        return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
      };
      const app: App = {
        server,
        dataDir,
        async restartServer() {
          if (onWorkerd) throw new Error('restartServer: the workerd object keeps its data in memory only');
          await app.server.stop('SIGTERM', 10_000);
          app.server = await startServer({ dataDir, env: serverEnv, readyBy: 'healthz' });
        },
        proxy,
        baseUrl,
        context,
        page,
        requests,
        pageErrors,
        api,
        async snapshot(sessionId) {
          const res = await api<RunSnapshot>('GET', `/api/auto-purchase/progress/${encodeURIComponent(sessionId)}`);
          if (res.status !== 200) throw new Error(`GET progress/${sessionId} answered ${res.status}`);
          return res.body;
        },
      };
      opened.push(app);
      return app;
    },
  };
}

async function reportFailure(testName: string, app: App): Promise<void> {
  const dir = join(tmpdir(), 'autopurchase-browser-failures');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${testName.replace(/[^\w.-]+/g, '_').slice(0, 80)}-${Date.now()}.png`);
  const shot = await app.page
    .screenshot({ path: file, fullPage: true, timeout: 5_000 })
    .then(() => file)
    .catch((error: unknown) => `no screenshot (${String(error)})`);
  console.log(
    [
      `--- "${testName}" failed: page ${app.page.url()}`,
      `screenshot: ${shot}`,
      `page errors:\n${app.pageErrors.join('\n') || '(none)'}`,
      `requests:\n${app.requests.map((r) => `${r.method} ${r.path}${r.search} [${r.resourceType}]`).join('\n')}`,
      `server stderr:\n${app.server.stderr().slice(-4000)}`,
    ].join('\n'),
  );
}

// ── Pages ────────────────────────────────────────────────────────────────────────────────────────

export const navLinks = ['Stock accounts', 'Transactions', 'Run history', 'Stats', 'Settings'] as const;

export function loginForm(page: Page) {
  return {
    token: page.getByLabel('Admin token', { exact: true }),
    submit: page.getByRole('button', { name: 'Log in', exact: true }),
  };
}

/** Opens the app and logs in with the admin token; resolves once the navigation shows. */
export async function logIn(app: App, path = '/'): Promise<void> {
  const { page } = app;
  await page.goto(path);
  const form = loginForm(page);
  await form.token.fill(adminToken);
  await form.submit.click();
  // On a phone the button is folded behind "Menu" (hidden, but there).
  await page.getByRole('button', { name: 'Log out', exact: true, includeHidden: true }).waitFor({ state: 'attached' });
}

export function progressDialog(page: Page): Locator {
  return page.getByRole('dialog', { name: 'Auto-purchase progress', exact: true });
}

/** The Add form on the Stock accounts page; resolves with what the POST answered. */
export async function addAccountViaUi(page: Page, cookie: string): Promise<{ sessionId: string; accountId: string; status: number }> {
  await page.getByRole('button', { name: 'Add stock account', exact: true }).click();
  const form = page.getByRole('dialog', { name: 'Add stock account', exact: true });
  await form.getByLabel('Roblox cookie', { exact: true }).fill(cookie);
  const answer = page.waitForResponse((res) => new URL(res.url()).pathname === '/api/admin/stock-accounts' && res.request().method() === 'POST');
  await form.getByRole('button', { name: 'Save', exact: true }).click();
  const res = await answer;
  const body = (await res.json()) as { stockAccount: { id: string }; autoPurchase: { sessionId: string } };
  return { sessionId: body.autoPurchase.sessionId, accountId: body.stockAccount.id, status: res.status() };
}

/** Polls the snapshot from the test (not from the page) until the run has ended. */
export async function waitForRunEnd(app: App, sessionId: string, timeoutMs = 30_000): Promise<RunSnapshot> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const snapshot = await app.snapshot(sessionId);
    if (snapshot.status !== 'running') return snapshot;
    if (Date.now() > deadline) throw new Error(`run ${sessionId} still running after ${timeoutMs} ms: ${snapshot.currentStep}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Adds an account with the API (not the page) and waits for the run it started to end. */
export async function finishedRunViaApi(app: App, cookie = 'sandbox:alice:5000'): Promise<{ accountId: string; snapshot: RunSnapshot }> {
  const res = await app.api<{ stockAccount: { id: string }; autoPurchase: { sessionId: string } }>('POST', '/api/admin/stock-accounts', {
    robloxCookie: cookie,
  });
  expect(res.status).toBe(201);
  const snapshot = await waitForRunEnd(app, res.body.autoPurchase.sessionId);
  return { accountId: res.body.stockAccount.id, snapshot };
}

// ── Reading the progress modal ───────────────────────────────────────────────────────────────────

export const cardNames = ['total', 'processed', 'failed', 'skipped', 'unknown'] as const;
export type CardName = (typeof cardNames)[number];

export interface ModalRow {
  key: string | null;
  status: string | null;
  text: string;
  /** Every element in the row with a `title`, with its own text. */
  titled: { title: string; text: string }[];
}

export interface ModalState {
  status: string | null;
  statusText: string;
  step: string;
  connection: string;
  /** The number in each card; null when the card is not shown. */
  cards: Record<CardName, number | null>;
  transactions: ModalRow[];
  accounts: ModalRow[];
}

function readRows(table: Locator): Promise<ModalRow[]> {
  return table.evaluate((element) =>
    [...element.querySelectorAll('tbody tr')]
      .filter((row) => row.hasAttribute('data-key'))
      .map((row) => ({
        key: row.getAttribute('data-key'),
        status: row.getAttribute('data-status'),
        text: (row.textContent ?? '').replace(/\s+/g, ' ').trim(),
        titled: [...row.querySelectorAll('[title]')].map((el) => ({
          title: el.getAttribute('title') ?? '',
          text: (el.textContent ?? '').replace(/\s+/g, ' ').trim(),
        })),
      })),
  );
}

export function modalTable(dialog: Locator, name: 'Transactions' | 'Stock accounts'): Locator {
  return dialog.getByRole('table', { name, exact: true });
}

/** Everything SPEC §8 names in the modal, read from the DOM. */
export async function readModal(dialog: Locator): Promise<ModalState> {
  const header = await dialog.evaluate((element) => {
    const text = (selector: string) => (element.querySelector(selector)?.textContent ?? '').replace(/\s+/g, ' ').trim();
    const cards: Record<string, number | null> = {};
    for (const name of ['total', 'processed', 'failed', 'skipped', 'unknown']) {
      const card = element.querySelector(`[data-testid="card-${name}"]`);
      const digits = (card?.textContent ?? '').replace(/\D/g, '');
      cards[name] = card ? (digits === '' ? Number.NaN : Number(digits)) : null;
    }
    return {
      status: element.querySelector('[data-testid="run-status"]')?.getAttribute('data-status') ?? null,
      statusText: text('[data-testid="run-status"]'),
      step: text('[data-testid="current-step"]'),
      connection: text('[data-testid="connection"]'),
      cards: cards as Record<CardName, number | null>,
    };
  });
  const [transactions, accounts] = await Promise.all([readRows(modalTable(dialog, 'Transactions')), readRows(modalTable(dialog, 'Stock accounts'))]);
  return { ...header, transactions, accounts };
}

const statusText: Record<string, string> = { running: 'Running', completed: 'Completed', failed: 'Failed' };

/** Asserts the modal shows exactly the stored snapshot (SPEC §8's names only). */
export function expectModalToMatch(modal: ModalState, snapshot: RunSnapshot): void {
  expect({ status: modal.status, step: modal.step }).toEqual({ status: snapshot.status, step: snapshot.currentStep });
  expect(modal.statusText).toContain(statusText[snapshot.status]);
  const s = snapshot.summary;
  expect(modal.cards).toEqual({
    total: s.totalTransactions,
    processed: s.processedCount,
    failed: s.failedCount,
    skipped: s.skippedCount,
    unknown: s.unknownCount > 0 ? s.unknownCount : null,
  });
  // Rows: same keys in the same order, same statuses, no duplicates.
  expect(modal.transactions.map((r) => ({ key: r.key, status: r.status }))).toEqual(
    snapshot.transactions.map((t) => ({ key: t.invoiceId, status: t.status })),
  );
  expect(modal.accounts.map((r) => ({ key: r.key, status: r.status }))).toEqual(snapshot.stockAccounts.map((a) => ({ key: a.id, status: a.status })));
  for (const t of snapshot.transactions) {
    const row = modal.transactions.find((r) => r.key === t.invoiceId)!;
    if (t.usedAccount) expect(row.text, `${t.invoiceId}'s used account`).toContain(t.usedAccount);
    if (t.status === 'failed') {
      // The failed badge: an element whose text says Failed and whose title is the error.
      expect(row.titled, `${t.invoiceId}'s failed badge title`).toContainEqual({ title: t.error, text: expect.stringMatching(/failed/i) });
    }
  }
  for (const a of snapshot.stockAccounts) {
    const row = modal.accounts.find((r) => r.key === a.id)!;
    expect(row.text, `${a.username}'s row`).toContain(a.username);
    const robux = [String(a.robux), a.robux.toLocaleString('en-US')];
    expect(robux.some((r) => row.text.includes(r)), `${a.username}'s robux ${a.robux} in "${row.text}"`).toBe(true);
  }
}

/** The page's requests for this run's snapshot (not its stream) and for its stream. */
export function runRequests(requests: RecordedRequest[], sessionId: string) {
  const base = `/api/auto-purchase/progress/${encodeURIComponent(sessionId)}`;
  return {
    snapshot: requests.filter((r) => r.method === 'GET' && r.path === base),
    events: requests.filter((r) => r.method === 'GET' && r.path === `${base}/events`),
  };
}

/** The document does not scroll sideways at this viewport width. */
export async function horizontalOverflow(page: Page): Promise<{ scrollWidth: number; innerWidth: number }> {
  return page.evaluate(() => ({ scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth }));
}

/**
 * Visible elements that stick out of the viewport sideways and are not inside a box that scrolls
 * or clips sideways on purpose (a wide table in its own scroll box is fine): what a phone user
 * would find cut off, even where `overflow-x: hidden` on the page hides the scrollbar.
 */
export async function cutOffElements(page: Page, within?: Locator): Promise<string[]> {
  const run = (root: Element | null) => {
    const width = window.innerWidth;
    const describe = (el: Element) => {
      const r = el.getBoundingClientRect();
      const id = el.id ? `#${el.id}` : '';
      const label = el.getAttribute('aria-label') ?? el.getAttribute('data-testid') ?? (el.textContent ?? '').trim().slice(0, 40);
      return `<${el.tagName.toLowerCase()}${id}> "${label}" spans ${Math.round(r.left)}..${Math.round(r.right)} px`;
    };
    const clippedByAncestor = (el: Element) => {
      for (let a = el.parentElement; a && a !== document.documentElement && a !== document.body; a = a.parentElement) {
        const ox = getComputedStyle(a).overflowX;
        if (ox === 'auto' || ox === 'scroll' || ox === 'hidden' || ox === 'clip') {
          const box = a.getBoundingClientRect();
          if (box.left >= -1 && box.right <= width + 1) return true;
        }
      }
      return false;
    };
    const out: string[] = [];
    for (const el of (root ?? document.body).querySelectorAll('*')) {
      const r = el.getBoundingClientRect();
      if (r.width === 0 || r.height === 0) continue;
      const style = getComputedStyle(el);
      if (style.visibility === 'hidden') continue;
      if ((r.right > width + 1 || r.left < -1) && !clippedByAncestor(el)) out.push(describe(el));
    }
    return out.slice(0, 20);
  };
  return within ? within.evaluate(run) : page.evaluate(run, null);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
