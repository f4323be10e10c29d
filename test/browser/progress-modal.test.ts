// Adding a stock account opens the progress modal by itself, which follows the run live from its
// event stream to the end (SPEC §8 and §5), then closes itself 3 s later unless pinned.
import { describe, expect, it } from 'vitest';
import {
  addAccountViaUi,
  browserSuite,
  expectModalToMatch,
  logIn,
  modalTable,
  progressDialog,
  readModal,
  runRequests,
  sleep,
  waitForRunEnd,
} from './support/app.js';

const suite = browserSuite();

describe('the progress modal on a new stock account', () => {
  it('opens by itself, follows the run live to Completed, equals the stored snapshot, never polls, and closes 3 s after the end', async () => {
    // A short delay between purchases: the run lasts a few seconds, so the modal sees it running.
    const app = await suite.open({ env: { PURCHASE_DELAY_MS: '250' } });
    const { page } = app;
    await logIn(app);
    await page.getByRole('table', { name: 'Stock accounts', exact: true }).waitFor();

    const saved = await addAccountViaUi(page, 'sandbox:alice:5000');
    expect(saved.status).toBe(201);
    await page.getByText('Stock account created successfully', { exact: true }).first().waitFor();
    // The form closed, and the progress modal opened without a click.
    await page.getByRole('dialog', { name: 'Add stock account', exact: true }).waitFor({ state: 'detached' });
    const dialog = progressDialog(page);
    await dialog.waitFor();
    // It says it is modal (WAI-ARIA dialog pattern), as it keeps focus inside.
    expect(await dialog.getAttribute('aria-modal')).toBe('true');

    // Live while running: the blue Running badge, the step, and the Live indicator.
    await dialog.locator('[data-testid="run-status"][data-status="running"]').waitFor({ timeout: 5_000 });
    expect(await dialog.getByTestId('run-status').textContent()).toContain('Running');
    await expect.poll(() => dialog.getByTestId('connection').textContent(), { timeout: 5_000 }).toBe('Live');
    expect((await dialog.getByTestId('current-step').textContent())?.trim()).not.toBe('');
    expect(await dialog.getByRole('button', { name: 'Close', exact: true }).isDisabled(), 'Close disabled while running').toBe(true);

    // To the end.
    await dialog.locator('[data-testid="run-status"][data-status="completed"]').waitFor({ timeout: 30_000 });
    const endSeenAt = Date.now();
    const modal = await readModal(dialog);
    const snapshot = await app.snapshot(saved.sessionId);
    expect(snapshot.status).toBe('completed');
    expectModalToMatch(modal, snapshot);
    expect(modal.connection).toBe('Ended');
    expect(modal.transactions).toHaveLength(14);

    // The demo order DEMO-0004 [NOT_FOR_SALE] failed: its badge's title is the gateway's message.
    const failed = modalTable(dialog, 'Transactions').locator('tr[data-key="DEMO-0004"]');
    expect(await failed.getAttribute('data-status')).toBe('failed');
    expect(await failed.locator('[title="This game pass is not for sale"]').count()).toBeGreaterThan(0);

    // Streamed, not polled: the snapshot was asked for at most once for this one opening, and the
    // stream was opened as an EventSource.
    const asked = runRequests(app.requests, saved.sessionId);
    expect(asked.snapshot.length, asked.snapshot.map((r) => r.url).join('\n')).toBeLessThanOrEqual(1);
    expect(asked.events.length).toBeGreaterThanOrEqual(1);
    expect(asked.events.every((r) => r.resourceType === 'eventsource')).toBe(true);

    // Auto-close: gone about 3 s after the end was seen live.
    await dialog.waitFor({ state: 'detached', timeout: 10_000 });
    const closedAfter = Date.now() - endSeenAt;
    expect(closedAfter, 'auto-close delay after the end').toBeGreaterThanOrEqual(2_400);
    expect(closedAfter, 'auto-close delay after the end').toBeLessThanOrEqual(6_000);

    // Still no polling after the end, and the accounts table refreshed when the modal closed: the
    // demo's [INVALID_CREDENTIAL] order marked the account invalid during the run.
    await sleep(1_000);
    expect(runRequests(app.requests, saved.sessionId).snapshot.length).toBeLessThanOrEqual(1);
    const accounts = await app.api<{ stockAccounts: { id: string; status: string }[] }>('GET', '/api/admin/stock-accounts');
    const stored = accounts.body.stockAccounts.find((a) => a.id === saved.accountId)!;
    const row = page.getByRole('table', { name: 'Stock accounts', exact: true }).locator(`tr[data-key="${saved.accountId}"]`);
    await expect.poll(() => row.getAttribute('data-status'), { timeout: 5_000 }).toBe(stored.status);
  });

  it('stays open when pinned (aria-pressed), keeps focus inside, ignores Esc while running, and Close closes it', async () => {
    const app = await suite.open({ env: { PURCHASE_DELAY_MS: '300' } });
    const { page } = app;
    await logIn(app);
    const saved = await addAccountViaUi(page, 'sandbox:bob:8000');
    const dialog = progressDialog(page);
    await dialog.locator('[data-testid="run-status"][data-status="running"]').waitFor({ timeout: 5_000 });

    // An accessible modal: focus is inside it and stays inside.
    expect(await dialog.evaluate((el) => el.contains(document.activeElement))).toBe(true);
    for (let i = 0; i < 8; i++) {
      await page.keyboard.press('Tab');
      expect(await dialog.evaluate((el) => el.contains(document.activeElement)), `focus after ${i + 1} Tab`).toBe(true);
    }
    // Esc does not close a running run.
    await page.keyboard.press('Escape');
    await sleep(300);
    expect(await dialog.isVisible(), 'still open after Esc while running').toBe(true);

    const pin = dialog.getByRole('button', { name: 'Pin', exact: true });
    expect(await pin.getAttribute('aria-pressed')).toBe('false');
    await pin.click();
    expect(await pin.getAttribute('aria-pressed')).toBe('true');
    // Same name pressed or not.
    expect(await dialog.getByRole('button', { name: 'Pin', exact: true, pressed: true }).count()).toBe(1);

    await dialog.locator('[data-testid="run-status"][data-status="completed"]').waitFor({ timeout: 40_000 });
    const snapshot = await waitForRunEnd(app, saved.sessionId);
    expectModalToMatch(await readModal(dialog), snapshot);

    // Pinned: well past the 3 s, still open.
    await sleep(4_500);
    expect(await dialog.isVisible(), 'pinned modal still open 4.5 s after the end').toBe(true);
    const close = dialog.getByRole('button', { name: 'Close', exact: true });
    expect(await close.isEnabled()).toBe(true);
    await close.click();
    await dialog.waitFor({ state: 'detached', timeout: 3_000 });
    expect(runRequests(app.requests, saved.sessionId).snapshot.length).toBeLessThanOrEqual(1);
  });
});
