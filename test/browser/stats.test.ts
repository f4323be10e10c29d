// The Stats page draws after a run: its charts are on the page and nothing throws (SPEC §8).
import { describe, expect, it } from 'vitest';
import { browserSuite, finishedRunViaApi, logIn } from './support/app.js';

const suite = browserSuite();

describe('stats page', () => {
  it('shows the figures and the charts of a finished run without a page error', async () => {
    const app = await suite.open();
    const { page } = app;
    await finishedRunViaApi(app, 'sandbox:judy:5000');
    await logIn(app);
    await page.getByRole('link', { name: 'Stats', exact: true }).click();
    await page.getByRole('heading', { name: 'Stats', exact: true }).first().waitFor();
    // The charts are images to assistive technology, drawn on canvases.
    await page.locator('[role="img"] canvas').first().waitFor({ timeout: 10_000 });
    const charts = await page.locator('[role="img"]').evaluateAll((all) =>
      all.map((el) => ({ label: el.getAttribute('aria-label'), canvases: el.querySelectorAll('canvas').length, width: el.getBoundingClientRect().width })),
    );
    expect(charts.filter((c) => c.canvases > 0 && c.width > 0).length, JSON.stringify(charts)).toBeGreaterThanOrEqual(1);
    // The purchases of that run are counted: the account's name is on the page.
    await page.getByText('judy').first().waitFor();
    expect(app.pageErrors.filter((e) => e.startsWith('pageerror')), app.pageErrors.join('\n')).toEqual([]);
  });
});
