// The admin client works under the server's Content-Security-Policy (SPEC §11 "Static files"): every
// page, the progress modal, a tooltip, the stats charts, with no violation reported by Chromium,
// and its scripts and styles arrive brotli-compressed.
import { describe, expect, it } from 'vitest';
import { addAccountViaUi, browserSuite, logIn, navLinks, progressDialog } from './support/app.js';

const suite = browserSuite();

describe('the Content-Security-Policy', () => {
  it('every page renders under it with no violation, and a violation would have been seen', async () => {
    const app = await suite.open({ env: { PURCHASE_DELAY_MS: '100' } });
    const { page } = app;
    const violations: string[] = [];
    await page.exposeFunction('reportCspViolation', (text: string) => violations.push(text));
    await page.addInitScript(() => {
      document.addEventListener('securitypolicyviolation', (e) =>
        (window as unknown as { reportCspViolation(text: string): void }).reportCspViolation(
          `${e.effectiveDirective} blocked ${e.blockedURI || 'inline'} at ${e.sourceFile}:${e.lineNumber}`,
        ),
      );
    });
    const assets: { path: string; encoding: string | undefined }[] = [];
    page.on('response', (res) => {
      const path = new URL(res.url()).pathname;
      if (path.startsWith('/assets/')) assets.push({ path, encoding: res.headers()['content-encoding'] });
    });

    const first = await page.goto('/');
    expect(first?.headers()['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(first?.headers()['x-content-type-options']).toBe('nosniff');
    await logIn(app);
    await page.getByRole('table', { name: 'Stock accounts', exact: true }).waitFor();

    // The progress modal, live to the end, and the tooltip of a failed order's badge in it.
    const saved = await addAccountViaUi(page, 'sandbox:alice:5000');
    expect(saved.status).toBe(201);
    const dialog = progressDialog(page);
    const failedBadge = dialog.locator('tr[data-key="DEMO-0004"] .cursor-help').first();
    await failedBadge.waitFor({ timeout: 30_000 });
    await failedBadge.hover();
    await page.getByRole('tooltip').first().waitFor();
    await dialog.locator('[data-testid="run-status"][data-status="completed"]').waitFor({ timeout: 30_000 });
    await page.keyboard.press('Escape');

    for (const name of navLinks) {
      await page.getByRole('link', { name, exact: true }).first().click();
      await page.waitForLoadState('networkidle');
    }
    await page.getByRole('link', { name: 'Stats', exact: true }).first().click();
    await page.locator('canvas').first().waitFor();

    expect(violations, app.pageErrors.join('\n')).toEqual([]);
    expect(app.pageErrors.filter((e) => e.startsWith('pageerror'))).toEqual([]);
    expect(assets.length).toBeGreaterThan(0);
    for (const asset of assets) expect(asset.encoding, asset.path).toBe('br');

    // The control: an inline style attribute is refused, and the listener above reports it.
    await page.evaluate(() => document.body.setAttribute('style', 'outline: 1px solid red'));
    await expect.poll(() => violations.length).toBe(1);
    expect(violations[0]).toMatch(/^style-src/);
  });
});
