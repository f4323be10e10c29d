// Log in and out in real Chromium against a real server (SPEC §8, "Log in").
import { describe, expect, it } from 'vitest';
import { adminToken, browserSuite, loginForm, navLinks } from './support/app.js';

const suite = browserSuite();

describe('log in', () => {
  it('refuses a wrong token with "Invalid token", then lets the right one in, and logs out', async () => {
    const app = await suite.open();
    const { page } = app;
    await page.goto('/');
    const form = loginForm(page);
    await form.token.waitFor();
    expect(await form.token.getAttribute('type')).toBe('password');

    await form.token.fill('not-the-admin-token-at-all');
    await form.submit.click();
    await page.getByText('Invalid token', { exact: true }).waitFor();
    // Still the form, nothing of the app.
    expect(await page.getByRole('button', { name: 'Log out', exact: true }).count()).toBe(0);

    await form.token.fill(adminToken);
    await form.submit.click();
    const logOut = page.getByRole('button', { name: 'Log out', exact: true });
    await logOut.waitFor();
    for (const name of navLinks) {
      await page.getByRole('link', { name, exact: true }).waitFor();
      expect(await page.getByRole('link', { name, exact: true }).isVisible(), `link "${name}" visible at 1280 px`).toBe(true);
    }
    // The cookie is HttpOnly: the page's script cannot read it, and the token was not kept anywhere.
    expect(await page.evaluate(() => document.cookie)).toBe('');
    const stored = await page.evaluate(() => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }));
    expect(stored).not.toContain(adminToken);

    await logOut.click();
    await form.token.waitFor();
    // Logged out for real: a reload still shows the form.
    await page.reload();
    await form.token.waitFor();
    expect(await page.getByRole('button', { name: 'Log out', exact: true }).count()).toBe(0);
  });

  it('keeps the session across a server restart (same data folder and token)', async () => {
    const app = await suite.open();
    const { page } = app;
    await page.goto('/');
    await loginForm(page).token.fill(adminToken);
    await loginForm(page).submit.click();
    await page.getByRole('button', { name: 'Log out', exact: true }).waitFor();

    // SIGTERM, then the same data folder and token again (on another port: a cookie is per host,
    // not per port, so the browser sends it there too).
    await app.restartServer();
    await page.goto(`${app.server.url}/`);
    await page.getByRole('button', { name: 'Log out', exact: true }).waitFor();
    expect(await loginForm(page).token.count()).toBe(0);
    await page.getByRole('link', { name: 'Transactions', exact: true }).click();
    await page.getByRole('table', { name: 'Transactions', exact: true }).locator('tbody tr[data-key]').first().waitFor();
  });
});
