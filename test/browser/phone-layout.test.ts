// The 390-px phone layout (SPEC §8: "readable … on a 390-px phone"): no page scrolls sideways or
// cuts anything off, the navigation folds behind a "Menu" button, and the progress modal fits.
import { describe, expect, it } from 'vitest';
import {
  addAccountViaUi,
  browserSuite,
  cutOffElements,
  expectModalToMatch,
  horizontalOverflow,
  loginForm,
  logIn,
  navLinks,
  progressDialog,
  readModal,
  waitForRunEnd,
} from './support/app.js';

const suite = browserSuite();
const phone = { width: 390, height: 844 };

describe('on a 390-px phone', () => {
  it('no page scrolls sideways, "Menu" reveals the links, and the progress modal fits the width', async () => {
    const app = await suite.open({ viewport: phone, mobile: true, env: { PURCHASE_DELAY_MS: '200' } });
    const { page } = app;

    await page.goto('/');
    await loginForm(page).token.waitFor();
    expect((await horizontalOverflow(page)).scrollWidth, 'log-in page width').toBeLessThanOrEqual(phone.width);
    expect(await cutOffElements(page), 'log-in page: elements cut off').toEqual([]);

    await logIn(app);
    const menu = page.getByRole('button', { name: 'Menu', exact: true });
    await menu.waitFor();
    // Folded: the links are not shown until Menu is pressed.
    for (const name of navLinks) {
      expect(await page.getByRole('link', { name, exact: true }).isVisible(), `"${name}" hidden before Menu`).toBe(false);
    }

    const pages: { link: (typeof navLinks)[number]; ready: () => Promise<unknown> }[] = [
      { link: 'Transactions', ready: () => page.getByRole('table', { name: 'Transactions', exact: true }).locator('tbody tr[data-key]').first().waitFor() },
      { link: 'Run history', ready: () => page.getByRole('table', { name: 'Run history', exact: true }).waitFor() },
      { link: 'Stats', ready: () => page.getByRole('heading', { name: 'Stats' }).first().waitFor() },
      { link: 'Settings', ready: () => page.getByRole('heading', { name: 'Audit log' }).first().waitFor() },
      { link: 'Stock accounts', ready: () => page.getByRole('table', { name: 'Stock accounts', exact: true }).waitFor() },
    ];
    for (const { link, ready } of pages) {
      await menu.click();
      for (const name of navLinks) {
        await page.getByRole('link', { name, exact: true }).waitFor({ state: 'visible', timeout: 3_000 });
      }
      expect(await page.getByRole('button', { name: 'Log out', exact: true }).isVisible(), 'Log out shown with the links').toBe(true);
      // The open menu itself fits.
      expect((await horizontalOverflow(page)).scrollWidth, 'width with the menu open').toBeLessThanOrEqual(phone.width);
      await page.getByRole('link', { name: link, exact: true }).click();
      await ready();
      await page.waitForTimeout(300); // charts and tables settle their widths
      const { scrollWidth } = await horizontalOverflow(page);
      expect(scrollWidth, `${link} page: document.documentElement.scrollWidth`).toBeLessThanOrEqual(phone.width);
      expect(await cutOffElements(page), `${link} page: elements cut off`).toEqual([]);
    }

    // The progress modal on a phone.
    const saved = await addAccountViaUi(page, 'sandbox:gina:5000');
    const dialog = progressDialog(page);
    await dialog.locator('[data-testid="run-status"]').waitFor();
    await modalFits();
    await dialog.locator('[data-testid="run-status"][data-status="completed"]').waitFor({ timeout: 30_000 });
    await modalFits();
    expectModalToMatch(await readModal(dialog), await waitForRunEnd(app, saved.sessionId));

    async function modalFits() {
      const box = await dialog.boundingBox();
      expect(box, 'the dialog has a box').not.toBeNull();
      expect(box!.x, 'dialog left edge').toBeGreaterThanOrEqual(0);
      expect(box!.x + box!.width, 'dialog right edge').toBeLessThanOrEqual(phone.width);
      const inner = await dialog.evaluate((el) => ({ scrollWidth: el.scrollWidth, clientWidth: el.clientWidth }));
      expect(inner.scrollWidth, 'the dialog does not scroll sideways itself').toBeLessThanOrEqual(inner.clientWidth);
      expect((await horizontalOverflow(page)).scrollWidth, 'page width with the modal open').toBeLessThanOrEqual(phone.width);
      expect(await cutOffElements(page, dialog), 'modal: elements cut off').toEqual([]);
      for (const name of ['Pin', 'Close']) {
        const button = await dialog.getByRole('button', { name, exact: true }).boundingBox();
        expect(button && button.x >= 0 && button.x + button.width <= phone.width, `"${name}" button on screen`).toBe(true);
      }
    }
  });
});
