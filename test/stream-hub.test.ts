// The hub and one connection, in process: coalesced wakes, the shared window, the stall cut.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { appendEvents } from '../src/stores/run-events.js';
import { insertRun } from '../src/stores/runs.js';
import { createRunHub, type HubOptions } from '../src/stream/run-hub.js';
import { openRunStream } from '../src/stream/run-stream.js';
import { createSqliteFeed, type SqliteFeedOptions } from '../src/stream/sqlite-feed.js';
import { createStreamTicker } from '../src/stream/stream-ticker.js';
import { buildTestApp, testToken, type TestApp } from './support/test-app.js';

const noLog = { debug() {}, info() {}, warn() {}, error() {} };
const decoder = new TextDecoder();
/** A hub over a SQLite feed, with the feed's notify (what the engine calls) at hand. */
const sqliteHub = (db: TestApp['db'], options: HubOptions & SqliteFeedOptions = {}) => {
  const feed = createSqliteFeed(db, noLog, options);
  return Object.assign(createRunHub(feed, noLog, options), { notify: feed.notify });
};
/** The hub flushes on the next turn of the event loop. */
const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

describe('run hub', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await buildTestApp();
    insertRun(t.db, { sessionId: 's1', now: 0 });
  });
  afterEach(() => t.close());

  const append = (n: number) => {
    for (let i = 0; i < n; i++) appendEvents(t.db, 's1', [{ type: 'step', data: { currentStep: `step ${i}` } }], 0);
  };

  it('many appends in one tick wake each listener once, and the rows are read once', async () => {
    const hub = sqliteHub(t.db);
    let wakes = 0;
    const { frames: feed, unsubscribe } = hub.subscribe('s1', { wake: () => wakes++ });
    append(100);
    for (let seq = 1; seq <= 100; seq++) hub.notify('s1', seq);
    await nextTurn();
    expect(wakes).toBe(1);
    expect(feed.lastSeq()).toBe(100);
    expect(feed.framesAfter(0)!.map((f) => f.seq)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    expect(decoder.decode(feed.framesAfter(99)![0]!.bytes)).toBe('id: 100\nevent: step\ndata: {"currentStep":"step 99"}\n\n');
    unsubscribe();
  });

  it('keeps a bounded window; a reader behind it is told to read from the database', async () => {
    const hub = sqliteHub(t.db, { windowFrames: 10 });
    const { frames: feed, unsubscribe } = hub.subscribe('s1', { wake: () => {} });
    append(25);
    hub.notify('s1', 25);
    await nextTurn();
    expect(feed.framesAfter(15)!.map((f) => f.seq)).toEqual([16, 17, 18, 19, 20, 21, 22, 23, 24, 25]);
    // Joined once for every connection at the same cursor.
    expect(feed.bytesAfter(15)).toBe(feed.bytesAfter(15));
    expect(feed.bytesAfter(15)!.lastSeq).toBe(25);
    expect(feed.bytesAfter(14)).toBeUndefined();
    expect(feed.framesAfter(14)).toBeUndefined();
    expect(hub.readFrames('s1', 3, 6).map((f) => f.seq)).toEqual([4, 5, 6]);
    unsubscribe();
  });

  it('notices appends made through another connection (data_version) without a notify', async () => {
    const Database = (await import('better-sqlite3')).default;
    // A second connection to the same in-memory database is impossible: use a file.
    const { openDatabase } = await import('../src/db/open.js');
    const { mkdtempSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const folder = mkdtempSync(join(tmpdir(), 'hub-'));
    const file = join(folder, 'a.db');
    const mine = openDatabase(file);
    const other = new Database(file);
    try {
      insertRun(mine.db, { sessionId: 's2', now: 0 });
      const fileHub = sqliteHub(mine.db, { watchMs: 10, dataVersion: mine.dataVersion });
      let woke = 0;
      const { frames: feed, unsubscribe } = fileHub.subscribe('s2', { wake: () => woke++ });
      // As an append commits: the event and the run's last seq, in one transaction.
      other.transaction(() => {
        other.prepare("insert into run_events values ('s2', 1, 'step', '{\"currentStep\":\"x\"}', 0)").run();
        other.prepare("update runs set last_seq = 1 where session_id = 's2'").run();
      })();
      const deadline = Date.now() + 1000;
      while (feed.lastSeq() < 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
      expect(feed.lastSeq()).toBe(1);
      expect(woke).toBeGreaterThan(0);
      unsubscribe();
      expect(fileHub.stats()).toEqual({ feeds: 0, listeners: 0, watching: false });
    } finally {
      other.close();
      mine.close();
      rmSync(folder, { recursive: true, force: true });
    }
  });
});

describe('one connection', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await buildTestApp();
    insertRun(t.db, { sessionId: 's1', now: 0 });
  });
  afterEach(() => t.close());

  it('a client that stops reading holds a bounded amount, is cut after the stall time, and releases everything', async () => {
    const hub = sqliteHub(t.db);
    const ticker = createStreamTicker({ heartbeatMs: 10_000, stallMs: 150, now: Date.now });
    let aborted = 0;
    const stream = openRunStream({ hub, ticker, sessionId: 's1', start: { seq: 0 }, now: Date.now, maxUnsentBytes: 4096, abortConnection: () => aborted++ });
    const reader = stream.getReader();
    // 2,000 events of ~100 bytes: far past the 4 KB budget.
    for (let i = 0; i < 2000; i++) appendEvents(t.db, 's1', [{ type: 'step', data: { currentStep: `a step with some text ${i}` } }], 0);
    hub.notify('s1', 2000);
    await new Promise((r) => setTimeout(r, 20));
    expect(hub.stats().listeners).toBe(1);
    await new Promise((r) => setTimeout(r, 400));
    expect(aborted).toBe(1);
    expect(hub.stats()).toEqual({ feeds: 0, listeners: 0, watching: false });
    expect(ticker.running()).toBe(false);
    // What was queued stayed under the budget (plus the one batch that crossed it); then the error.
    let received = 0;
    await expect(
      (async () => {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) return;
          received += value.length;
        }
      })(),
    ).rejects.toThrow(/stalled/);
    expect(received).toBeLessThan(4096 + 64 * 1024);
  });

  it('a cancelled connection releases its listener and the shared timers at once', async () => {
    const res = await t.app.request('/api/auto-purchase/progress/s1/events', { headers: { authorization: `Bearer ${testToken}` } });
    const reader = res.body!.getReader();
    expect(decoder.decode((await reader.read()).value)).toBe('retry: 3000\n\n');
    expect(t.hub.stats()).toEqual({ feeds: 1, listeners: 1, watching: true });
    await reader.cancel();
    expect(t.hub.stats()).toEqual({ feeds: 0, listeners: 0, watching: false });
  });
});
