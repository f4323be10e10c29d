// The README's picture: the progress modal at 1280×800, mid-run, saved to docs/progress-modal.png.
import { mkdirSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../support/server-process.js';
import { addAccountViaUi, browserSuite, logIn, progressDialog } from './support/app.js';

const suite = browserSuite();
// Written where the README shows it only when asked (SAVE_SCREENSHOT=1), so a test run leaves
// the work tree clean; otherwise into a temporary folder.
export const screenshotPath = process.env.SAVE_SCREENSHOT
  ? join(repoRoot, 'docs', 'progress-modal.png')
  : join(mkdtempSync(join(tmpdir(), 'autopurchase-shot-')), 'progress-modal.png');

describe('the progress modal at 1280×800', () => {
  it('is captured mid-run to docs/progress-modal.png', async () => {
    const app = await suite.open({ viewport: { width: 1280, height: 800 }, env: { PURCHASE_DELAY_MS: '800' } });
    const { page } = app;
    await logIn(app);
    // The demo orders, bought one every 0.8 s, so the capture falls well inside the run.
    await addAccountViaUi(page, 'sandbox:alice:5000');
    const dialog = progressDialog(page);
    await dialog.locator('[data-testid="run-status"][data-status="running"]').waitFor({ timeout: 5_000 });
    // Mid-run: several rows settled (some completed, one failed), more still pending.
    await expect
      .poll(() => dialog.locator('tr[data-status="completed"], tr[data-status="failed"]').count(), { timeout: 20_000 })
      .toBeGreaterThanOrEqual(5);
    // A clean picture: the "created" toast gone (it lasts 4 s), the pointer out of the way.
    await page.getByText('Stock account created successfully', { exact: true }).waitFor({ state: 'hidden', timeout: 10_000 });
    await page.mouse.move(0, 0);
    mkdirSync(dirname(screenshotPath), { recursive: true });
    await page.screenshot({ path: screenshotPath, animations: 'disabled', caret: 'hide' });
    expect(await dialog.getByTestId('run-status').getAttribute('data-status'), 'still running when captured').toBe('running');
    expect(await dialog.locator('tr[data-status="pending"]').count(), 'rows still pending when captured').toBeGreaterThan(0);

    // A 1280×800 PNG.
    const png = readFileSync(screenshotPath);
    expect(png.subarray(1, 4).toString('latin1')).toBe('PNG');
    expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([1280, 800]);
    expect(statSync(screenshotPath).size).toBeGreaterThan(10_000);
  });
});
