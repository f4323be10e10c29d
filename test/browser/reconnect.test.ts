// A dropped stream resumes from its last id (SPEC §5 and §8): the page talks to the server through
// a TCP proxy that the test cuts mid-run, open SSE connection included.
import { describe, expect, it } from 'vitest';
import { addAccountViaUi, browserSuite, expectModalToMatch, logIn, progressDialog, readModal, runRequests, sleep, waitForRunEnd } from './support/app.js';

const suite = browserSuite();

describe('the progress modal after the connection drops', () => {
  it('shows Reconnecting…, then Live again, and ends equal to the stored snapshot with no duplicate row', async () => {
    const app = await suite.open({ env: { PURCHASE_DELAY_MS: '500' }, proxy: true });
    const { page, proxy } = app;
    await logIn(app);
    const saved = await addAccountViaUi(page, 'sandbox:carol:6000');
    const dialog = progressDialog(page);
    const connection = dialog.getByTestId('connection');
    await dialog.locator('[data-testid="run-status"][data-status="running"]').waitFor({ timeout: 5_000 });
    await expect.poll(() => connection.textContent(), { timeout: 5_000 }).toBe('Live');
    // Let a few rows settle first, so the cut falls in the middle of the run.
    await expect
      .poll(() => dialog.locator('tr[data-status="completed"], tr[data-status="failed"]').count(), { timeout: 10_000 })
      .toBeGreaterThanOrEqual(2);
    const before = await app.snapshot(saved.sessionId);
    expect(before.status, 'the run must still be going when the connection is cut').toBe('running');

    // Cut every connection (the open stream with them) and refuse new ones for 1 s.
    const cut = proxy!.cut(1_000);
    expect(cut).toBeGreaterThanOrEqual(1);
    await expect.poll(() => connection.textContent(), { timeout: 3_000, interval: 50 }).toBe('Reconnecting…');
    // The browser reconnects by itself (retry: 3000) with Last-Event-ID, and goes live again.
    await expect.poll(() => connection.textContent(), { timeout: 15_000, interval: 50 }).toBe('Live');
    expect((await app.snapshot(saved.sessionId)).status, 'still running when Live again (a real resume, not a finished run)').toBe('running');

    await dialog.locator('[data-testid="run-status"][data-status="completed"]').waitFor({ timeout: 40_000 });
    const snapshot = await waitForRunEnd(app, saved.sessionId);
    const modal = await readModal(dialog);
    expectModalToMatch(modal, snapshot);
    const keys = modal.transactions.map((r) => r.key);
    expect(new Set(keys).size, 'no duplicate transaction rows').toBe(keys.length);
    expect(keys).toHaveLength(snapshot.transactions.length);

    // It resumed the stream (a second stream request, from the last id it had) rather than
    // polling the snapshot: still at most one snapshot request for this opening.
    const asked = runRequests(app.requests, saved.sessionId);
    expect(asked.snapshot.length).toBeLessThanOrEqual(1);
    expect(asked.events.length, 'the stream was opened again after the cut').toBeGreaterThanOrEqual(2);
    const resumed = asked.events.slice(1);
    const lastIdOf = (r: (typeof resumed)[number]) => Number(r.headers['last-event-id'] ?? new URLSearchParams(r.search).get('lastEventId') ?? NaN);
    expect(
      resumed.some((r) => lastIdOf(r) > 0),
      `a resumed stream request carries the last id: ${resumed.map((r) => `${r.url} last-event-id=${r.headers['last-event-id']}`).join(', ')}`,
    ).toBe(true);

    // The run went on while the page was cut off; the modal still ends Ended, not stuck.
    await sleep(200);
    expect((await readModal(dialog)).connection).toBe('Ended');
  });
});
