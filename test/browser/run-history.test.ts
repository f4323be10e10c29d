// Run history: a stored run opens in the progress modal from its snapshot (SPEC §8).
import { describe, expect, it } from 'vitest';
import { browserSuite, expectModalToMatch, finishedRunViaApi, logIn, progressDialog, readModal, runRequests, sleep } from './support/app.js';

const suite = browserSuite();

describe('run history', () => {
  it('lists the stored run; a click opens it in the modal (Ended, equal to the snapshot, no auto-close), Enter too', async () => {
    const app = await suite.open();
    const { page } = app;
    const { snapshot } = await finishedRunViaApi(app, 'sandbox:dave:5000');
    expect(snapshot.status).toBe('completed');

    await logIn(app);
    await page.getByRole('link', { name: 'Run history', exact: true }).click();
    const table = page.getByRole('table', { name: 'Run history', exact: true });
    const row = table.locator(`tr[data-key="${snapshot.sessionId}"]`);
    await row.waitFor();
    expect(await row.getAttribute('data-status')).toBe('completed');

    await row.click();
    const dialog = progressDialog(page);
    await dialog.waitFor();
    await dialog.locator('[data-testid="run-status"][data-status="completed"]').waitFor();
    await expect.poll(() => dialog.getByTestId('connection').textContent()).toBe('Ended');
    const modal = await readModal(dialog);
    expectModalToMatch(modal, snapshot);
    expect(modal.transactions).toHaveLength(14);
    // A failed row's badge has its error as title (DEMO-0004 [NOT_FOR_SALE]).
    const failed = modal.transactions.find((r) => r.key === 'DEMO-0004');
    expect(failed?.status).toBe('failed');
    expect(failed?.titled.map((t) => t.title)).toContain('This game pass is not for sale');

    // Opened finished: from the stored snapshot, once; no auto-close (its end was not seen live).
    const asked = runRequests(app.requests, snapshot.sessionId);
    expect(asked.snapshot.length).toBeLessThanOrEqual(1);
    await sleep(4_000);
    expect(await dialog.isVisible(), 'a run opened finished does not close by itself').toBe(true);
    expect(runRequests(app.requests, snapshot.sessionId).snapshot.length).toBeLessThanOrEqual(1);

    // Esc closes it once the run has ended.
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached', timeout: 3_000 });

    // Keyboard: Enter on the focused row opens it again.
    await row.focus();
    await page.keyboard.press('Enter');
    await dialog.waitFor();
    await dialog.locator('[data-testid="run-status"][data-status="completed"]').waitFor();
    await dialog.getByRole('button', { name: 'Close', exact: true }).click();
    await dialog.waitFor({ state: 'detached', timeout: 3_000 });
    // One snapshot request per opening, never more.
    expect(runRequests(app.requests, snapshot.sessionId).snapshot.length).toBeLessThanOrEqual(2);
  });
});
