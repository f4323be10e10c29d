// The admin client against the Worker (SPEC §13): the built client served as the Worker's static
// assets, the API and the progress stream by the shop's Durable Object, all in workerd through
// miniflare. Log in through the form, add a stock account through the UI, and the progress modal
// opens by itself, follows the run live to Completed and ends equal to the object's stored snapshot.
import { describe, expect, it } from 'vitest';
import { addAccountViaUi, browserSuite, expectModalToMatch, loginForm, adminToken, modalTable, progressDialog, readModal, runRequests } from './support/app.js';

const suite = browserSuite();

describe('the admin client on the Worker (workerd)', () => {
  it('logs in through the form, adds a stock account, and the progress modal follows the run live to Completed, equal to the stored snapshot', async () => {
    // A short delay between purchases (the object's alarm): the run lasts a few seconds, so the modal sees it running.
    const app = await suite.open({ runtime: 'workerd', env: { PURCHASE_DELAY_MS: '250' } });
    const { page } = app;

    // The page and its assets come from the Worker's assets, with the app's headers.
    const document = await page.goto('/');
    expect(document?.status()).toBe(200);
    expect(document?.headers()['content-security-policy']).toContain("default-src 'self'");

    const form = loginForm(page);
    await form.token.fill('not-the-admin-token-at-all');
    await form.submit.click();
    await page.getByText('Invalid token', { exact: true }).waitFor();
    await form.token.fill(adminToken);
    await form.submit.click();
    await page.getByRole('button', { name: 'Log out', exact: true }).waitFor();
    await page.getByRole('table', { name: 'Stock accounts', exact: true }).waitFor();

    const saved = await addAccountViaUi(page, 'sandbox:alice:5000');
    expect(saved.status).toBe(201);
    const dialog = progressDialog(page);
    await dialog.waitFor();

    // Live while running, over the object's event stream.
    await dialog.locator('[data-testid="run-status"][data-status="running"]').waitFor({ timeout: 10_000 });
    await expect.poll(() => dialog.getByTestId('connection').textContent(), { timeout: 10_000 }).toBe('Live');

    await dialog.locator('[data-testid="run-status"][data-status="completed"]').waitFor({ timeout: 30_000 });
    const modal = await readModal(dialog);
    const snapshot = await app.snapshot(saved.sessionId);
    expect(snapshot.status).toBe('completed');
    expect(snapshot.summary.totalTransactions).toBe(14);
    expectModalToMatch(modal, snapshot);
    expect(modal.connection).toBe('Ended');
    expect(modal.transactions).toHaveLength(14);
    const failed = modalTable(dialog, 'Transactions').locator('tr[data-key="DEMO-0004"]');
    expect(await failed.getAttribute('data-status')).toBe('failed');

    // Streamed (an EventSource), not polled.
    const asked = runRequests(app.requests, saved.sessionId);
    expect(asked.snapshot.length).toBeLessThanOrEqual(1);
    expect(asked.events.length).toBeGreaterThanOrEqual(1);
    expect(asked.events.every((r) => r.resourceType === 'eventsource')).toBe(true);
    // Only the two 401s of this test (the session check before logging in, the wrong token).
    expect(app.pageErrors.filter((e) => !e.includes('status of 401'))).toEqual([]);
  });
});
