// The Stock accounts page beyond Add: Update (toast, progress modal by itself, table refreshed),
// Delete after a confirmation, and the credential never shown back (SPEC §8).
import { describe, expect, it } from 'vitest';
import { addAccountViaUi, browserSuite, expectModalToMatch, logIn, progressDialog, readModal, runRequests, waitForRunEnd } from './support/app.js';

const suite = browserSuite();

describe('stock accounts page', () => {
  it('Update switches an account to inactive (toast, the progress modal on its run), and Delete removes it after a confirmation', async () => {
    const app = await suite.open();
    const { page } = app;
    await logIn(app);
    const cookie = 'sandbox:hana:5000';
    const saved = await addAccountViaUi(page, cookie);
    const dialog = progressDialog(page);
    await dialog.locator('[data-testid="run-status"][data-status="completed"]').waitFor({ timeout: 30_000 });
    await dialog.waitFor({ state: 'detached', timeout: 8_000 });

    const table = page.getByRole('table', { name: 'Stock accounts', exact: true });
    const row = table.locator(`tr[data-key="${saved.accountId}"]`);
    await row.waitFor();
    // The credential is never shown back: not in the page, and the Add form opens empty.
    expect(await page.content()).not.toContain(cookie);
    await page.getByRole('button', { name: 'Add stock account', exact: true }).click();
    const addForm = page.getByRole('dialog', { name: 'Add stock account', exact: true });
    expect(await addForm.getByLabel('Roblox cookie', { exact: true }).inputValue()).toBe('');
    await page.keyboard.press('Escape');
    await addForm.waitFor({ state: 'detached' });

    // Update: the optional cookie left empty, Status → inactive.
    await row.getByRole('button', { name: 'Update', exact: true }).click();
    const updateForm = page.getByRole('dialog', { name: 'Update stock account', exact: true });
    await updateForm.waitFor();
    expect(await updateForm.getByLabel('Roblox cookie', { exact: true }).getAttribute('type')).toBe('password');
    expect(await updateForm.getByLabel('Roblox cookie', { exact: true }).inputValue()).toBe('');
    const status = updateForm.getByLabel('Status', { exact: true });
    const options = await status.locator('option').evaluateAll((all) => all.map((o) => (o as HTMLOptionElement).value));
    expect(options).toEqual(expect.arrayContaining(['active', 'inactive']));
    await status.selectOption('inactive');
    const answer = page.waitForResponse(
      (res) => new URL(res.url()).pathname === `/api/admin/stock-accounts/${saved.accountId}` && res.request().method() === 'PUT',
    );
    await updateForm.getByRole('button', { name: 'Save', exact: true }).click();
    const res = await answer;
    expect(res.status()).toBe(200);
    const { autoPurchase } = (await res.json()) as { autoPurchase: { sessionId: string } };
    await page.getByText('Stock account updated successfully', { exact: true }).first().waitFor();
    await updateForm.waitFor({ state: 'detached' });

    // The progress modal opened by itself on that run.
    await dialog.waitFor();
    await expect.poll(() => runRequests(app.requests, autoPurchase.sessionId).snapshot.length + runRequests(app.requests, autoPurchase.sessionId).events.length).toBeGreaterThan(0);
    const snapshot = await waitForRunEnd(app, autoPurchase.sessionId);
    await dialog.locator(`[data-testid="run-status"][data-status="${snapshot.status}"]`).waitFor({ timeout: 10_000 });
    expectModalToMatch(await readModal(dialog), snapshot);
    await dialog.getByRole('button', { name: 'Close', exact: true }).click();
    await dialog.waitFor({ state: 'detached' });
    await expect.poll(() => row.getAttribute('data-status')).toBe('inactive');

    // Delete, confirmed.
    await row.getByRole('button', { name: 'Delete', exact: true }).click();
    const confirm = page.getByRole('dialog').filter({ hasText: 'hana' });
    await confirm.waitFor();
    await confirm.getByRole('button', { name: 'Delete', exact: true }).click();
    await row.waitFor({ state: 'detached' });
    const left = await app.api<{ stockAccounts: { id: string }[] }>('GET', '/api/admin/stock-accounts');
    expect(left.body.stockAccounts.map((a) => a.id)).not.toContain(saved.accountId);
  });
});
