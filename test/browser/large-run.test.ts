// Big runs in the progress modal (SPEC §8): up to 1,000 transactions every row is in the DOM; above
// that the table may render a window, which must still show the right rows wherever it is scrolled.
import type { Locator } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import type { RunSnapshot } from '../../src/domain/run.js';
import { addAccountViaUi, browserSuite, logIn, modalTable, progressDialog, readModal, waitForRunEnd, type App } from './support/app.js';
import { seedPendingOrders } from './support/seed.js';

const suite = browserSuite();

async function followToEnd(app: App, orders: number): Promise<{ dialog: Locator; snapshot: RunSnapshot }> {
  const { page } = app;
  await logIn(app);
  const saved = await addAccountViaUi(page, `sandbox:kim:${orders * 10 * 2}`);
  const dialog = progressDialog(page);
  await dialog.waitFor();
  // Pinned, so it stays open for reading after the end.
  const clickAt = Date.now();
  await dialog.getByRole('button', { name: 'Pin', exact: true }).click();
  const started = Date.now();
  console.log(`[large run] ${orders} orders: the click on Pin took ${started - clickAt} ms (the page's main thread was that busy)`);
  const snapshot = await waitForRunEnd(app, saved.sessionId, 50_000);
  const serverEnded = Date.now();
  await dialog.locator(`[data-testid="run-status"][data-status="${snapshot.status}"]`).waitFor({ timeout: 30_000 });
  console.log(
    `[large run] ${orders} orders: the server ended the run ${serverEnded - started} ms after the modal opened; ` +
      `the modal showed the end ${Date.now() - serverEnded} ms after that`,
  );
  await expect.poll(() => dialog.getByTestId('connection').textContent(), { timeout: 10_000 }).toBe('Ended');
  return { dialog, snapshot };
}

function expectRowsMatch(rows: { key: string | null; status: string | null }[], snapshot: RunSnapshot) {
  const position = new Map(snapshot.transactions.map((t, i) => [t.invoiceId, i]));
  const keys = rows.map((r) => r.key!);
  expect(new Set(keys).size, 'no duplicate rows').toBe(keys.length);
  const at = keys.map((k) => position.get(k));
  expect(at.every((i) => i !== undefined), 'every rendered row is in the run').toBe(true);
  // A contiguous stretch of the run, in the run's order.
  at.forEach((i, n) => n > 0 && expect(i, `row ${n} follows row ${n - 1}`).toBe(at[n - 1]! + 1));
  for (const row of rows) expect(row.status, row.key!).toBe(snapshot.transactions[position.get(row.key!)!]!.status);
}

describe('big runs in the progress modal', () => {
  it('1,000 transactions: every row is in the DOM, equal to the snapshot', async () => {
    const app = await suite.open({ seed: (db) => seedPendingOrders(db, 1_000) });
    const { dialog, snapshot } = await followToEnd(app, 1_000);
    expect(snapshot.summary.totalTransactions).toBe(1_000);
    const modal = await readModal(dialog);
    expect(modal.cards.total).toBe(1_000);
    expect(modal.cards.processed).toBe(snapshot.summary.processedCount);
    expect(modal.transactions).toHaveLength(1_000);
    expectRowsMatch(modal.transactions, snapshot);
  });

  it('1,500 transactions: the rendered rows are right at the top and at the bottom of the table', async () => {
    const app = await suite.open({ seed: (db) => seedPendingOrders(db, 1_500) });
    const { dialog, snapshot } = await followToEnd(app, 1_500);
    const modal = await readModal(dialog);
    expect(modal.cards.total).toBe(1_500);
    expect(modal.cards.processed).toBe(snapshot.summary.processedCount);
    expectRowsMatch(modal.transactions, snapshot);

    // Scroll the table's own box to the top, then to the bottom.
    const table = modalTable(dialog, 'Transactions');
    const scrollTo = (where: 'top' | 'bottom') =>
      table.evaluate((el, where) => {
        let box: HTMLElement | null = el.parentElement;
        while (box && box.scrollHeight <= box.clientHeight) box = box.parentElement;
        if (!box) return false;
        box.scrollTop = where === 'top' ? 0 : box.scrollHeight;
        box.dispatchEvent(new Event('scroll'));
        return true;
      }, where);
    const rowOf = (key: string) => table.locator(`tr[data-key="${key}"]`);
    expect(await scrollTo('top')).toBe(true);
    await rowOf('BULK-00001').waitFor({ timeout: 5_000 });
    expectRowsMatch((await readModal(dialog)).transactions, snapshot);
    expect(await scrollTo('bottom')).toBe(true);
    await rowOf('BULK-01500').waitFor({ timeout: 5_000 });
    expect(await rowOf('BULK-01500').getAttribute('data-status')).toBe(snapshot.transactions.at(-1)!.status);
    expectRowsMatch((await readModal(dialog)).transactions, snapshot);
  });
});
