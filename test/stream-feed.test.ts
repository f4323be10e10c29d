// The stream over a feed that is not SQLite: the hub, a connection's catch-up and the opening
// decisions depend only on RunFeed (the seam another runtime plugs its storage into).
import { describe, expect, it } from 'vitest';
import { emptyRun, foldEvents } from '../src/domain/fold.js';
import type { RunEvent, RunEventBody } from '../src/domain/run.js';
import { chunkOf, eventFrame, type Frame } from '../src/stream/frames.js';
import { openRunEvents } from '../src/stream/open-run-events.js';
import type { FeedEvent, RunFeed } from '../src/stream/run-feed.js';
import { createRunHub } from '../src/stream/run-hub.js';
import { createSnapshotCache } from '../src/stream/snapshot-cache.js';
import { createStreamTicker } from '../src/stream/stream-ticker.js';

const noLog = { debug() {}, info() {}, warn() {}, error() {} };
const decoder = new TextDecoder();
const nextTurn = () => new Promise((resolve) => setImmediate(resolve));
const header = { sessionId: 'r1', startTime: '2026-11-27T12:00:00.000Z', createdAt: '2026-11-27T12:00:00.000Z' };

/** One run kept in memory, its events prunable, its subscribers told by `tell`. */
function memoryFeed() {
  const all: RunEvent[] = [];
  let stored: FeedEvent[] = [];
  const subscribers = new Set<() => void>();
  let reads = 0;
  const feed: RunFeed = {
    subscribe(_sessionId, onStored) {
      subscribers.add(onStored);
      return () => subscribers.delete(onStored);
    },
    eventsAfter(_sessionId, afterSeq, range = {}) {
      reads++;
      return stored.filter((e) => e.seq > afterSeq && e.seq <= (range.toSeq ?? Infinity)).slice(0, range.limit ?? 1000);
    },
    head: (sessionId) => (sessionId === 'r1' ? { lastSeq: all.length, ended: all.at(-1)?.type === 'end' } : undefined),
    snapshot: (sessionId) => (sessionId === 'r1' ? { snapshot: foldEvents(emptyRun(header), all), seq: all.length } : undefined),
  };
  return {
    feed,
    append(...bodies: RunEventBody[]) {
      for (const body of bodies) {
        const event = { ...body, seq: all.length + 1 } as RunEvent;
        all.push(event);
        stored.push({ seq: event.seq, type: event.type, data: JSON.stringify(event.data) });
      }
    },
    tell: () => subscribers.forEach((stored) => stored()),
    prune: (upTo: number) => (stored = stored.filter((e) => e.seq > upTo)),
    reads: () => reads,
    subscribers: () => subscribers.size,
  };
}

const step = (currentStep: string): RunEventBody => ({ type: 'step', data: { currentStep } });
const frameText = (seq: number, currentStep: string) => `id: ${seq}\nevent: step\ndata: ${JSON.stringify({ currentStep })}\n\n`;

describe('frames', () => {
  it('chunkOf joins frames in order, stands at the last seq, and ends only with an end event', () => {
    const frames: Frame[] = [1, 2].map((seq) => ({ seq, type: 'step', bytes: eventFrame(seq, 'step', `{"currentStep":"s${seq}"}`) }));
    const joined = chunkOf(frames);
    expect(decoder.decode(joined.bytes)).toBe(frameText(1, 's1') + frameText(2, 's2'));
    expect(joined.lastSeq).toBe(2);
    expect(joined.ends).toBe(false);
    const end: Frame = { seq: 3, type: 'end', bytes: eventFrame(3, 'end', '{}') };
    expect(chunkOf([...frames, end])).toMatchObject({ lastSeq: 3, ends: true });
    // One frame is written as it is, not copied.
    expect(chunkOf([end]).bytes).toBe(end.bytes);
  });
});

describe('the hub over a feed that is not SQLite', () => {
  it('reads the new events once per turn, whatever the number of listeners and tells, and stops its subscription with the last listener', async () => {
    const memory = memoryFeed();
    const hub = createRunHub(memory.feed, noLog);
    let wakes = 0;
    const a = hub.subscribe('r1', { wake: () => wakes++ });
    const b = hub.subscribe('r1', { wake: () => wakes++ });
    expect(memory.subscribers()).toBe(1);
    memory.append(step('one'), step('two'), step('three'));
    memory.tell();
    memory.tell();
    const before = memory.reads();
    await nextTurn();
    expect(memory.reads() - before).toBe(1);
    expect(wakes).toBe(2);
    expect(a.frames.lastSeq()).toBe(3);
    a.unsubscribe();
    expect(memory.subscribers()).toBe(1);
    b.unsubscribe();
    expect(memory.subscribers()).toBe(0);
    expect(hub.stats()).toEqual({ feeds: 0, listeners: 0, watching: false });
  });

  it('a run whose first read fails leaves no subscription behind', () => {
    const memory = memoryFeed();
    const failing: RunFeed = { ...memory.feed, head: () => { throw new Error('disk I/O error'); } };
    const hub = createRunHub(failing, noLog);
    expect(() => hub.subscribe('r1', { wake() {} })).toThrow('disk I/O error');
    expect(memory.subscribers()).toBe(0);
  });

  it('a connection behind the window catches up from the feed in one chunk; events pruned under it are a gap', async () => {
    const memory = memoryFeed();
    const hub = createRunHub(memory.feed, noLog, { windowFrames: 2 });
    const { frames, unsubscribe } = hub.subscribe('r1', { wake: () => {} });
    memory.append(step('s1'), step('s2'), step('s3'), step('s4'), step('s5'));
    memory.tell();
    await nextTurn();
    expect(frames.framesAfter(0)).toBeUndefined();
    const caughtUp = frames.chunkAfter(0);
    expect(caughtUp !== 'gap' && decoder.decode(caughtUp?.bytes)).toBe([1, 2, 3, 4, 5].map((seq) => frameText(seq, `s${seq}`)).join(''));
    // Inside the window: the shared chunk.
    expect(frames.chunkAfter(3)).toBe(frames.bytesAfter(3));
    expect(frames.chunkAfter(5)).toBeUndefined();
    memory.prune(2);
    expect(frames.chunkAfter(1)).toBe('gap');
    unsubscribe();
  });
});

describe('opening a run\'s events over a feed that is not SQLite', () => {
  const depsOver = (memory: ReturnType<typeof memoryFeed>) => ({
    hub: createRunHub(memory.feed, noLog),
    ticker: createStreamTicker({ heartbeatMs: 60_000, stallMs: 60_000, now: Date.now }),
    snapshots: createSnapshotCache(memory.feed),
    now: Date.now,
  });
  const open = (memory: ReturnType<typeof memoryFeed>, lastEventId: number | undefined, head = false) =>
    openRunEvents(depsOver(memory), { sessionId: 'r1', lastEventId, credential: 'x', head });
  /** The text of the stream's first `chunks` writes. */
  const firstBytes = async (body: ReadableStream<Uint8Array> | null, chunks: number) => {
    const reader = body!.getReader();
    let text = '';
    for (let i = 0; i < chunks; i++) text += decoder.decode((await reader.read()).value);
    await reader.cancel();
    return text;
  };

  it('answers 404 for no such run, 204 once the end was sent, and no body to a HEAD', async () => {
    const memory = memoryFeed();
    memory.append(step('one'), { type: 'end', data: { status: 'completed', endTime: header.startTime } });
    await expect(openRunEvents(depsOver(memory), { sessionId: 'nope', credential: 'x', head: false })).rejects.toMatchObject({ status: 404 });
    expect(await open(memory, 2)).toEqual({ status: 204 });
    expect(await open(memory, 1, true)).toEqual({ status: 200, body: null });
  });

  it('resumes after Last-Event-ID while every later event is stored, and opens with a snapshot once they are pruned', async () => {
    const memory = memoryFeed();
    memory.append(step('one'), step('two'), step('three'));
    const resumed = await open(memory, 1);
    expect(resumed.status === 200 && (await firstBytes(resumed.body, 2))).toBe('retry: 3000\n\n' + frameText(2, 'two') + frameText(3, 'three'));
    memory.prune(2);
    const reopened = await open(memory, 1);
    const text = reopened.status === 200 ? await firstBytes(reopened.body, 4) : '';
    expect(text).toMatch(/^retry: 3000\n\nid: 3\nevent: snapshot\ndata: /);
    expect(JSON.parse(text.split('data: ')[1]!)).toMatchObject({ sessionId: 'r1', currentStep: 'three' });
  });
});
