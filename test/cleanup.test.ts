import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCleanup, startCleanupJob } from '../src/jobs/cleanup.js';
import { addAccount, addOrder, eventsOf, gamepass, snapshotOf } from './support/run-fixtures.js';
import { buildTestApp, testToken, type TestApp } from './support/test-app.js';

const hour = 3_600_000;
const day = 24 * hour;
const policy = { progressRetentionMs: hour, historyRetentionMs: 30 * day };

async function readAll(res: Response): Promise<string> {
  return await res.text();
}

describe('retention (SPEC §7)', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await buildTestApp();
  });
  afterEach(() => t.close());

  it("deletes a finished run's events after PROGRESS_RETENTION; its snapshot, history and stream keep working", async () => {
    await addOrder(t, 'INV-1', gamepass(100));
    const { sessionId } = await addAccount(t, 'alice', 1000);
    const before = snapshotOf(t, sessionId);
    expect(eventsOf(t, sessionId).length).toBeGreaterThan(5);

    expect(runCleanup(t.db, Date.parse('2026-11-27T12:30:00Z'), policy).events).toBe(0);
    const removed = runCleanup(t.db, Date.parse('2026-11-27T13:30:00Z'), policy);
    expect(removed.events).toBeGreaterThan(5);
    expect(eventsOf(t, sessionId)).toEqual([]);

    expect((await t.api('GET', `/api/auto-purchase/progress/${sessionId}`)).json).toEqual(before);
    expect((await t.api('GET', '/api/auto-purchase/sessions')).json.sessions.map((s: any) => s.sessionId)).toContain(sessionId);
    const headers = { authorization: `Bearer ${testToken}` };
    const fresh = await readAll(await t.app.request(`/api/auto-purchase/progress/${sessionId}/events`, { headers }));
    expect(fresh).toMatch(/^retry: 3000\n\nid: \d+\nevent: snapshot\ndata: /);
    expect(JSON.parse(fresh.split('data: ')[1]!)).toEqual(before);
    // A client resuming from an id whose events are gone gets the snapshot instead, then the end.
    const resumed = await readAll(await t.app.request(`/api/auto-purchase/progress/${sessionId}/events`, { headers: { ...headers, 'last-event-id': '2' } }));
    expect(resumed).toMatch(/event: snapshot/);
    expect(resumed).not.toMatch(/event: step/);
    // The shop's records stay.
    expect(t.sqlite.prepare('select status from transactions').all()).toEqual([{ status: 'completed' }]);
  });

  it('never deletes the events of a running run', async () => {
    const running = await buildTestApp({ concurrent: true });
    try {
      await addOrder(running, 'INV-1', gamepass(100));
      running.gateway.faults.hang({ invoiceId: 'INV-1' });
      const { sessionId } = await addAccount(running, 'alice', 1000);
      while (!eventsOf(running, sessionId).some((e) => e.type === 'transaction')) await new Promise((r) => setTimeout(r, 5));
      const count = eventsOf(running, sessionId).length;
      expect(runCleanup(running.db, Date.parse('2026-12-31T00:00:00Z'), { progressRetentionMs: 1, historyRetentionMs: 1 })).toEqual({ events: 0, runs: 0 });
      expect(eventsOf(running, sessionId)).toHaveLength(count);
      expect(snapshotOf(running, sessionId).status).toBe('running');
    } finally {
      await running.engine.stop(50);
      running.close();
    }
  });

  it('deletes runs older than HISTORY_RETENTION with their rows, never transactions', async () => {
    await addOrder(t, 'INV-1', gamepass(100));
    const old = await addAccount(t, 'alice', 1000);
    t.advance(20 * day);
    const recent = (await t.api('POST', '/api/auto-purchase', {})).json.sessionId;
    const removed = runCleanup(t.db, Date.parse('2026-11-27T12:00:00Z') + 31 * day, policy);
    expect(removed.runs).toBe(1);
    expect((await t.api('GET', `/api/auto-purchase/progress/${old.sessionId}`)).status).toBe(404);
    expect((await t.api('GET', `/api/auto-purchase/progress/${recent}`)).status).toBe(200);
    for (const table of ['run_transactions', 'run_accounts', 'run_events']) {
      expect(t.sqlite.prepare(`select count(*) as n from ${table} where session_id = ?`).get(old.sessionId)).toEqual({ n: 0 });
    }
    expect(t.sqlite.prepare('select count(*) as n from transactions').get()).toEqual({ n: 1 });
  });

  it('the job runs every CLEANUP_INTERVAL_MS and stops when told', async () => {
    await addOrder(t, 'INV-1', gamepass(100));
    const { sessionId } = await addAccount(t, 'alice', 1000);
    const lines: string[] = [];
    const stop = startCleanupJob({
      db: t.db,
      clock: { now: () => Date.parse('2026-11-28T00:00:00Z') },
      logger: { debug() {}, info: (l) => lines.push(l), warn() {}, error: (l) => lines.push(l) },
      intervalMs: 20,
      policy,
    });
    try {
      const deadline = Date.now() + 2000;
      while (eventsOf(t, sessionId).length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      expect(eventsOf(t, sessionId)).toEqual([]);
      expect(lines.some((l) => /cleanup: deleted \d+ stream events/.test(l))).toBe(true);
    } finally {
      stop();
    }
  });
});
