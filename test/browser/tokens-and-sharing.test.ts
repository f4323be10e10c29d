// API tokens and watch links end to end (SPEC §12), in real Chromium against a real server: a read
// token made on the Settings page and used by a script (the `eventsource` package, as a script
// would), then revoked from the page, which ends the script's stream at once; and a run's "Share
// live view" link opened in a second browser context with no cookie, following the run to the end.
import { EventSource } from 'eventsource';
import type { Page, Request } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import type { ApiTokenView, CreatedApiToken, WatchLink } from '../../src/domain/api.js';
import { runEventTypes } from '../../src/domain/run.js';
import {
  addAccountViaUi,
  browserSuite,
  expectModalToMatch,
  logIn,
  progressDialog,
  readModal,
  sleep,
  waitForRunEnd,
  type App,
} from './support/app.js';

const suite = browserSuite();

/** A call to the server from the test (the script), with this bearer token. */
async function withToken(app: App, token: string, method: string, path: string, body?: unknown): Promise<number> {
  const res = await fetch(`${app.server.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(5_000),
  });
  await res.body?.cancel();
  return res.status;
}

/** Everything of the page a secret could hide in: the markup, the text, every field's value, storage. */
function pageTexts(page: Page): Promise<string> {
  return page.evaluate(() =>
    [
      document.documentElement.outerHTML,
      document.body.innerText,
      ...[...document.querySelectorAll('input, textarea')].map((el) => (el as HTMLInputElement).value),
      JSON.stringify({ ...localStorage }),
      JSON.stringify({ ...sessionStorage }),
    ].join('\n'),
  );
}

describe('an API token made on the Settings page', () => {
  it('is shown once, reads but cannot write, and when revoked in the page the script’s stream ends and the token gets 401', async () => {
    // A slow run (1 s between purchases, 14 demo orders): still going when the token is revoked.
    const app = await suite.open({ env: { PURCHASE_DELAY_MS: '1000' } });
    const { page } = app;
    await logIn(app);
    await page.getByRole('link', { name: 'Settings', exact: true }).click();
    const tokensTable = page.getByRole('table', { name: 'API tokens', exact: true });
    await tokensTable.waitFor();

    // Create "ci script", scope Read, through the dialog.
    await page.getByRole('button', { name: 'Create token', exact: true }).click();
    const form = page.getByRole('dialog', { name: 'Create API token', exact: true });
    await form.getByLabel('Name', { exact: true }).fill('ci script');
    await form.getByLabel('Scope', { exact: true }).selectOption('read');
    const created = page.waitForResponse((res) => new URL(res.url()).pathname === '/api/tokens' && res.request().method() === 'POST');
    await form.getByRole('button', { name: 'Create', exact: true }).click();
    const answer = (await (await created).json()) as CreatedApiToken;
    expect(answer.apiToken).toMatchObject({ name: 'ci script', scope: 'read' });

    // The one-time field holds the token; Done closes the dialog and the token is nowhere after.
    const shown = page.getByRole('dialog', { name: 'Token created', exact: true });
    const token = await shown.getByLabel('New token', { exact: true }).inputValue();
    expect(token).toMatch(/^ap_/);
    expect(token).toBe(answer.token);
    await shown.getByRole('button', { name: 'Done', exact: true }).click();
    await shown.waitFor({ state: 'detached', timeout: 3_000 });
    const row = tokensTable.locator(`tr[data-key="${answer.apiToken.id}"]`);
    await row.waitFor({ timeout: 3_000 });
    expect(await row.textContent()).toContain('ci script');
    expect(await row.textContent()).toContain(`${answer.apiToken.prefix}…`);
    expect(answer.apiToken.prefix.length, 'the list shows only the first characters').toBeLessThan(token.length);
    const lastUsedCell = row.locator('td').nth(4);
    expect((await lastUsedCell.textContent())?.trim()).toBe('never');
    expect(await pageTexts(page), 'the token is gone from the page once the dialog closed').not.toContain(token);

    // The script: read is allowed, writing is not (403, not 401: the token is good, its scope is not).
    expect(await withToken(app, token, 'GET', '/api/transactions')).toBe(200);
    expect(await withToken(app, token, 'POST', '/api/transactions', { invoiceId: 'CI-1', gamepass: { id: 1, price: 10 } })).toBe(403);
    expect(await withToken(app, token, 'GET', '/api/tokens'), 'a read token cannot list tokens').toBe(403);

    // A run that lasts, started by the admin; the script follows it with the token as a bearer header.
    const started = await app.api<{ autoPurchase: { sessionId: string } }>('POST', '/api/admin/stock-accounts', { robloxCookie: 'sandbox:alice:5000' });
    expect(started.status).toBe(201);
    const sessionId = started.body.autoPurchase.sessionId;
    const streamRequests: { at: number; status?: number }[] = [];
    const received: { type: string; at: number }[] = [];
    const errors: { at: number; code: number | undefined }[] = [];
    const es = new EventSource(`${app.server.url}/api/auto-purchase/progress/${encodeURIComponent(sessionId)}/events`, {
      fetch: async (input, init) => {
        const entry: { at: number; status?: number } = { at: Date.now() };
        streamRequests.push(entry);
        const res = await fetch(input, { ...init, headers: { ...init.headers, Authorization: `Bearer ${token}` } });
        entry.status = res.status;
        return res;
      },
    });
    try {
      for (const type of ['snapshot', ...runEventTypes]) es.addEventListener(type, () => received.push({ type, at: Date.now() }));
      es.addEventListener('error', (event) => errors.push({ at: Date.now(), code: event.code }));
      await expect.poll(() => received.length, { timeout: 5_000, interval: 50 }).toBeGreaterThan(0);
      expect(received[0]?.type).toBe('snapshot');
      // A few live events after the snapshot: the stream is really flowing.
      await expect.poll(() => received.length, { timeout: 5_000, interval: 50 }).toBeGreaterThan(2);
      expect(errors).toEqual([]);

      // The page shows the token's last use once the list is loaded again.
      await page.reload();
      await expect.poll(async () => (await lastUsedCell.textContent())?.trim(), { timeout: 5_000 }).not.toBe('never');
      expect(await lastUsedCell.locator('time').count(), 'last used is a time').toBe(1);
      const listed = await app.api<{ tokens: ApiTokenView[] }>('GET', '/api/tokens');
      expect(listed.body.tokens.find((t) => t.id === answer.apiToken.id)?.lastUsedAt).not.toBeNull();

      // Revoke in the page, after its confirmation.
      await row.getByRole('button', { name: 'Revoke ci script', exact: true }).click();
      const confirm = page.getByRole('dialog', { name: 'Revoke token?', exact: true });
      await confirm.waitFor();
      const deleted = page.waitForResponse((res) => new URL(res.url()).pathname === `/api/tokens/${answer.apiToken.id}` && res.request().method() === 'DELETE');
      await confirm.getByRole('button', { name: 'Revoke', exact: true }).click();
      expect((await deleted).status()).toBe(204);
      const revokedAt = Date.now();
      expect((await app.snapshot(sessionId)).status, 'the run is still going when the token is revoked').toBe('running');
      await page.getByText('Token ci script revoked', { exact: true }).first().waitFor({ timeout: 3_000 });
      await row.waitFor({ state: 'detached', timeout: 3_000 });

      // The stream is cut at once (the first error comes well before the 3 s reconnect delay) ...
      await expect.poll(() => errors.length, { timeout: 2_000, interval: 20 }).toBeGreaterThan(0);
      expect(errors[0]!.at - revokedAt, 'the open stream closed at once').toBeLessThan(1_500);
      // ... the client's reconnect (after retry: 3000) is refused with 401, and it stops for good.
      await expect.poll(() => es.readyState, { timeout: 6_000, interval: 50 }).toBe(EventSource.CLOSED);
      expect(streamRequests.map((r) => r.status)).toEqual([200, 401]);
      expect(errors.at(-1)?.code).toBe(401);
      expect(received.map((e) => e.type), 'the run did not end: the stream was cut by the revocation').not.toContain('end');
      const countAtClose = received.length;
      await sleep(1_000);
      expect(received.length, 'no event after the stream ended').toBe(countAtClose);
      expect(streamRequests, 'no further reconnect').toHaveLength(2);
      expect((await app.snapshot(sessionId)).status, 'the run went on without the script').toBe('running');

      // And the token is refused everywhere now.
      expect(await withToken(app, token, 'GET', '/api/transactions')).toBe(401);
      expect(await pageTexts(page)).not.toContain(token);
    } finally {
      es.close();
    }
  });
});

describe('a watch link from "Share live view"', () => {
  it('opens the run read-only in a browser context with no cookie, follows it to the end, and opens no other run', async () => {
    // 600 ms between purchases: the run lasts about 8 s, long enough to be watched while running.
    const app = await suite.open({ env: { PURCHASE_DELAY_MS: '600' } });
    const { page, context } = app;
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: app.baseUrl });
    await logIn(app);
    const saved = await addAccountViaUi(page, 'sandbox:alice:5000');
    expect(saved.status).toBe(201);
    const dialog = progressDialog(page);
    await dialog.locator('[data-testid="run-status"][data-status="running"]').waitFor({ timeout: 5_000 });

    // Share live view: the POST makes the link, and the page copies it to the clipboard.
    const made = page.waitForResponse(
      (res) => new URL(res.url()).pathname === `/api/auto-purchase/progress/${saved.sessionId}/watch-links` && res.request().method() === 'POST',
    );
    await dialog.getByRole('button', { name: 'Share live view', exact: true }).click();
    const madeRes = await made;
    expect(madeRes.status()).toBe(201);
    const link = (await madeRes.json()) as WatchLink;
    await page.getByText('Link copied', { exact: true }).first().waitFor({ timeout: 3_000 });
    const copied = await page.evaluate(() => navigator.clipboard.readText());
    expect(copied).toBe(link.url);
    const url = new URL(copied);
    expect(url.pathname).toBe(`/watch/${saved.sessionId}`);
    const accessToken = url.searchParams.get('access_token');
    expect(accessToken).toMatch(/^wl1\./);

    const watcher = await suite.browser().newContext({ viewport: { width: 1280, height: 800 } });
    try {
      watcher.setDefaultTimeout(10_000);
      expect(await watcher.cookies(), 'the second context has no cookie').toEqual([]);
      const watch = await watcher.newPage();
      const requests: Request[] = [];
      const answers = new Map<Request, number>();
      watch.on('request', (request) => requests.push(request));
      watch.on('response', (response) => answers.set(response.request(), response.status()));
      const watchErrors: string[] = [];
      watch.on('pageerror', (error) => watchErrors.push(error.message));

      await watch.goto(copied);
      const main = watch.locator('main');
      await watch.getByRole('heading', { name: `Live view of run ${saved.sessionId}`, exact: true }).waitFor();
      // Seen running, live, before the end: it follows the run rather than showing a finished one.
      await main.locator('[data-testid="run-status"][data-status="running"]').waitFor({ timeout: 5_000 });
      await expect.poll(() => main.getByTestId('connection').textContent(), { timeout: 5_000 }).toBe('Live');
      expect((await app.snapshot(saved.sessionId)).status).toBe('running');

      // Read-only: no button, no navigation, no log-in form.
      expect(await watch.getByRole('button').count(), 'buttons on the watch page').toBe(0);
      expect(await watch.getByRole('navigation').count()).toBe(0);
      expect(await watch.getByRole('link').count()).toBe(0);
      expect(await watch.getByLabel('Admin token').count()).toBe(0);
      for (const name of ['Retry', 'Resolve', 'Log out', 'Pin', 'Close']) {
        expect(await watch.getByText(name, { exact: true }).count(), `"${name}" on the watch page`).toBe(0);
      }

      // To the end, equal to the stored run.
      await main.locator('[data-testid="run-status"]:not([data-status="running"])').waitFor({ timeout: 20_000 });
      const snapshot = await waitForRunEnd(app, saved.sessionId, 5_000);
      const shown = await readModal(main);
      expectModalToMatch(shown, snapshot);
      expect(shown.transactions).toHaveLength(14);
      expect(shown.connection).toBe('Ended');

      // Every API request it made was this run's snapshot or stream with the link's token; none
      // went to the log-in or session routes (the watcher is logged in nowhere).
      const api = requests.map((r) => new URL(r.url())).filter((u) => u.pathname.startsWith('/api/'));
      const runPath = `/api/auto-purchase/progress/${saved.sessionId}`;
      expect(api.length).toBeGreaterThan(0);
      for (const u of api) {
        expect([runPath, `${runPath}/events`], u.href).toContain(u.pathname);
        expect(u.searchParams.get('access_token'), u.href).toBe(accessToken);
      }
      expect(api.some((u) => u.pathname === `${runPath}/events`)).toBe(true);
      expect(requests.filter((r) => /\/api\/(auth|admin)\//.test(new URL(r.url()).pathname))).toEqual([]);
      expect(await watcher.cookies(), 'still no cookie after watching').toEqual([]);

      // The same token on another run's address: refused, and the page says the link is not valid.
      const other = await app.api<{ autoPurchase: { sessionId: string } }>('POST', '/api/admin/stock-accounts', { robloxCookie: 'sandbox:bob:8000' });
      expect(other.status).toBe(201);
      const otherId = other.body.autoPurchase.sessionId;
      expect(otherId).not.toBe(saved.sessionId);
      requests.length = 0;
      const swapped = new URL(copied);
      swapped.pathname = `/watch/${encodeURIComponent(otherId)}`;
      await watch.goto(swapped.href);
      await watch.getByRole('alert').filter({ hasText: 'This link has expired or is not valid' }).waitFor({ timeout: 5_000 });
      expect(await main.locator('[data-testid="run-status"]').count(), 'nothing of the other run is shown').toBe(0);
      expect(await main.getByRole('table').count()).toBe(0);
      const refused = requests.filter((r) => new URL(r.url()).pathname.startsWith(`/api/auto-purchase/progress/${otherId}`));
      expect(refused.length).toBeGreaterThan(0);
      expect(refused.map((r) => answers.get(r) ?? 'no answer').every((s) => s === 403), refused.map((r) => `${r.url()} ${answers.get(r)}`).join('\n')).toBe(
        true,
      );
      expect(watchErrors).toEqual([]);
    } finally {
      await watcher.close().catch(() => undefined);
    }
  });
});
