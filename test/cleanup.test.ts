import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { write } from '../src/db/write.js';
import { appendEvents } from '../src/stores/run-events.js';
import { insertRun } from '../src/stores/runs.js';
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

    expect((await runCleanup(t.db, Date.parse('2026-11-27T12:30:00Z'), policy)).events).toBe(0);
    const removed = await runCleanup(t.db, Date.parse('2026-11-27T13:30:00Z'), policy);
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
      expect(await runCleanup(running.db, Date.parse('2026-12-31T00:00:00Z'), { progressRetentionMs: 1, historyRetentionMs: 1 })).toEqual({ events: 0, runs: 0 });
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
    const removed = await runCleanup(t.db, Date.parse('2026-11-27T12:00:00Z') + 31 * day, policy);
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
      // The job works in batches: its log line comes once the last batch has committed.
      const logged = () => lines.some((l) => /cleanup: deleted \d+ stream events/.test(l));
      while ((eventsOf(t, sessionId).length > 0 || !logged()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      expect(eventsOf(t, sessionId)).toEqual([]);
      expect(lines.some((l) => /cleanup: deleted \d+ stream events/.test(l))).toBe(true);
    } finally {
      stop();
    }
  });

  it('in batches of a few rows each, across runs and rows of the same millisecond: keeps the running run\'s and recent events, deletes the rest and old runs with their rows', async () => {
    const now = Date.parse('2026-12-31T00:00:00Z');
    const old = now - 2 * hour;
    const ancient = now - 31 * day;
    const step = (i: number) => ({ type: 'step' as const, data: { currentStep: `step ${i}` } });
    const end = (at: number) => ({ type: 'end' as const, data: { status: 'completed' as const, endTime: new Date(at).toISOString() } });
    write(t.db, (tx) => {
      insertRun(tx, { sessionId: 'running', now: old });
      insertRun(tx, { sessionId: 'done-a', now: old });
      insertRun(tx, { sessionId: 'done-b', now: old });
      insertRun(tx, { sessionId: 'recent', now: now - 600_000 });
      insertRun(tx, { sessionId: 'ancient', now: ancient });
      // Started past HISTORY_RETENTION, its last events are recent: it goes with all of them.
      insertRun(tx, { sessionId: 'long-ago', now: ancient });
      appendEvents(tx, 'ancient', [{ type: 'transactions', data: { transactions: [{ invoiceId: 'OLD-1', gamepassName: 'Old', gamepassPrice: 1, status: 'completed', timestamp: new Date(ancient).toISOString() }], totalTransactions: 1 } }], ancient);
      // Interleaved, most of them in one millisecond: batches end in the middle of a run and of a millisecond.
      for (let i = 0; i < 30; i++) {
        appendEvents(tx, 'ancient', [step(i)], ancient);
        appendEvents(tx, 'running', [step(i)], old);
        appendEvents(tx, 'done-a', [step(i)], old);
        if (i < 25) appendEvents(tx, 'done-b', [step(i)], old + 1);
        if (i < 10) appendEvents(tx, 'recent', [step(i)], now - 600_000);
        if (i < 12) appendEvents(tx, 'long-ago', [step(i)], now - 600_000);
      }
      appendEvents(tx, 'ancient', [end(ancient)], ancient);
      appendEvents(tx, 'done-a', [end(old)], old);
      appendEvents(tx, 'done-b', [end(old + 1)], old + 1);
      appendEvents(tx, 'recent', [end(now)], now - 600_000);
      appendEvents(tx, 'long-ago', [end(now)], now - 600_000);
    });
    let yields = 0;
    const report = await runCleanup(t.db, now, policy, {
      batchRows: 7,
      sleep: async () => {
        yields++;
      },
    });
    expect(report).toEqual({ events: 31 + 26 + 32 + 13, runs: 2 });
    expect(yields).toBeGreaterThanOrEqual(Math.ceil((31 + 26 + 32 + 13) / 7));
    const left = (sessionId: string) => (t.sqlite.prepare('select count(*) as n from run_events where session_id = ?').get(sessionId) as { n: number }).n;
    expect(left('running')).toBe(30);
    expect(left('recent')).toBe(11);
    expect(left('done-a') + left('done-b')).toBe(0);
    expect(t.sqlite.prepare('select session_id from runs order by session_id').all()).toEqual(
      ['done-a', 'done-b', 'recent', 'running'].map((sessionId) => ({ session_id: sessionId })),
    );
    expect(t.sqlite.prepare("select count(*) as n from run_transactions where session_id = 'ancient'").get()).toEqual({ n: 0 });
    expect(left('long-ago')).toBe(0);
  });
});
