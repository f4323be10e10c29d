// Transactions page: an order the gateway never answers about ([TIMEOUT] → unknown) is resolved by
// hand through the "Resolve transaction" dialog; its robux go back, and the note shows beside it
// (SPEC §4, §8, §11).
import { describe, expect, it } from 'vitest';
import { browserSuite, finishedRunViaApi, logIn } from './support/app.js';

const suite = browserSuite();

interface ListedTransaction {
  invoiceId: string;
  status: string;
  usedAccount: string | null;
  gamepass: { price: number | null };
  resolution?: { outcome: string; note: string; at: string; actor: string };
}

describe('resolving an unknown order by hand', () => {
  it('Resolve… → Failed — not bought with a note: the order fails, its robux go back once, and the note shows beside it', async () => {
    const app = await suite.open();
    const { page } = app;
    const run = await finishedRunViaApi(app, 'sandbox:ivan:5000');
    const unknown = run.snapshot.transactions.find((t) => t.invoiceId === 'DEMO-0008');
    expect(unknown?.status).toBe('unknown');
    const balance = async () => {
      const res = await app.api<{ stockAccounts: { username: string; robux: number }[] }>('GET', '/api/admin/stock-accounts');
      return res.body.stockAccounts.find((a) => a.username === unknown!.usedAccount)!.robux;
    };
    const reserved = await balance();

    await logIn(app);
    await page.getByRole('link', { name: 'Transactions', exact: true }).click();
    const table = page.getByRole('table', { name: 'Transactions', exact: true });
    const row = table.locator('tr[data-key="DEMO-0008"]');
    await row.waitFor();
    expect(await row.getAttribute('data-status')).toBe('unknown');
    // Only unknown rows offer it.
    expect(await table.getByRole('button', { name: 'Resolve…', exact: true }).count()).toBe(1);

    await row.getByRole('button', { name: 'Resolve…', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: 'Resolve transaction', exact: true });
    await dialog.waitFor();
    await dialog.getByLabel('Outcome', { exact: true }).selectOption({ label: 'Failed — not bought' });
    await dialog.getByLabel('Note', { exact: true }).fill('Not in the Roblox history after two days');
    const answer = page.waitForResponse((res) => /\/api\/transactions\/\d+\/resolve$/.test(new URL(res.url()).pathname));
    await dialog.getByRole('button', { name: 'Save', exact: true }).click();
    const res = await answer;
    expect(res.status()).toBe(200);

    await page.getByText('DEMO-0008: resolved as not bought', { exact: false }).waitFor();
    await dialog.waitFor({ state: 'detached' });
    await expect.poll(() => row.getAttribute('data-status'), { timeout: 10_000 }).toBe('failed');
    const note = row.getByTestId('resolution');
    await expect.poll(() => note.textContent()).toContain('Resolved by hand: Not in the Roblox history after two days');
    expect(await note.textContent()).toContain('browser session');
    expect(await note.locator('time').count()).toBe(1);
    // No longer flagged above the table, and nothing to resolve any more.
    expect(await page.getByRole('region', { name: /needs? reconciling/ }).count()).toBe(0);
    expect(await table.getByRole('button', { name: 'Resolve…', exact: true }).count()).toBe(0);

    // The server agrees: failed, its price back on the account, the resolution by the browser session.
    expect(await balance()).toBe(reserved + unknown!.gamepassPrice!);
    const listed = await app.api<{ transactions: ListedTransaction[] }>('GET', '/api/transactions?limit=100');
    const stored = listed.body.transactions.find((t) => t.invoiceId === 'DEMO-0008')!;
    expect(stored).toMatchObject({
      status: 'failed',
      resolution: { outcome: 'failed', note: 'Not in the Roblox history after two days', actor: 'browser session' },
    });
    // Resolving again is refused, and gives nothing back twice.
    const again = await page.evaluate(async () => {
      const list = await (await fetch('/api/transactions?status=failed&limit=100')).json();
      const id = list.transactions.find((t: { invoiceId: string }) => t.invoiceId === 'DEMO-0008').id;
      const res = await fetch(`/api/transactions/${id}/resolve`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ outcome: 'failed', note: 'again' }),
      });
      return res.status;
    });
    expect(again).toBe(409);
    expect(await balance()).toBe(reserved + unknown!.gamepassPrice!);
    // (Console errors are the log-in check's 401 and such; an uncaught error is a bug.)
    expect(app.pageErrors.filter((e) => e.startsWith('pageerror:'))).toEqual([]);
  });
});
