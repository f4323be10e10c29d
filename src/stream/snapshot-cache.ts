// Run snapshots encoded once per (run, seq), shared by `GET …/progress/:id` and the stream's
// opening `snapshot` event: a burst of clients asking for one run (a reconnect storm, many tabs)
// costs one read, one serialisation and one compression of a run that may weigh megabytes.
import { eventFrameAround } from './frames.js';
import type { RunFeed } from './run-feed.js';

export interface EncodedSnapshot {
  readonly sessionId: string;
  readonly seq: number;
  /** The run has ended: nothing will follow the snapshot. */
  readonly ended: boolean;
  /** The snapshot as JSON, UTF-8: the body of `GET …/progress/:id`. */
  readonly json: Uint8Array<ArrayBuffer>;
  /** The stream's `snapshot` event, as chunks around the same bytes (not a copy of them). */
  frame(): readonly Uint8Array[];
  /** The JSON gzip-compressed, compressed once however many ask at the same time. */
  gzip(): Promise<Uint8Array<ArrayBuffer>>;
}

export interface SnapshotCacheLimits {
  /** Runs kept (one seq each: the latest asked for). */
  maxEntries?: number;
  /** Bytes kept, JSON and compressed copies together; a bigger snapshot is served but not kept. */
  maxBytes?: number;
}

export type SnapshotCache = ReturnType<typeof createSnapshotCache>;

export function createSnapshotCache(feed: Pick<RunFeed, 'head' | 'snapshot'>, limits: SnapshotCacheLimits = {}) {
  const kept = new KeptSnapshots(limits.maxEntries ?? 8, limits.maxBytes ?? 32 * 1024 * 1024);
  let encodes = 0;
  return {
    /** The run's snapshot at its last seq, encoded; undefined when there is no such run. */
    get(sessionId: string): EncodedSnapshot | undefined {
      // One indexed row tells whether the kept encoding is still the run's latest.
      const head = feed.head(sessionId);
      const hit = head && kept.at(sessionId, head.lastSeq);
      if (hit) return hit;
      kept.drop(sessionId);
      const found = head && feed.snapshot(sessionId);
      if (!found) return undefined;
      encodes++;
      return kept.add(encodeSnapshot(sessionId, found, (entry, added) => kept.grow(entry, added)));
    },

    /** For tests and the benchmark: how many snapshots were encoded, and what is kept. */
    stats() {
      return { encodes, entries: kept.size, bytes: kept.bytes };
    },
  };
}

interface Entry extends EncodedSnapshot {
  size: number;
}

/** The most recently asked-for snapshots, bounded in count and bytes. */
class KeptSnapshots {
  // By run, least recently used first (a Map keeps insertion order; a hit moves to the end).
  private entries = new Map<string, Entry>();
  bytes = 0;

  constructor(
    private readonly maxEntries: number,
    private readonly maxBytes: number,
  ) {}

  get size() {
    return this.entries.size;
  }

  /** The kept encoding of the run at `seq`, marked as just used. */
  at(sessionId: string, seq: number): Entry | undefined {
    const entry = this.entries.get(sessionId);
    if (!entry || entry.seq !== seq) return undefined;
    this.entries.delete(sessionId);
    this.entries.set(sessionId, entry);
    return entry;
  }

  add(entry: Entry): Entry {
    this.entries.set(entry.sessionId, entry);
    this.bytes += entry.size;
    this.trim();
    return entry;
  }

  drop(sessionId: string) {
    const entry = this.entries.get(sessionId);
    if (!entry) return;
    this.entries.delete(sessionId);
    this.bytes -= entry.size;
  }

  /** Counts bytes added to an entry (its compressed copy) while it is kept. */
  grow(entry: Entry, added: number) {
    entry.size += added;
    if (this.entries.get(entry.sessionId) !== entry) return;
    this.bytes += added;
    this.trim();
  }

  private trim() {
    for (const sessionId of this.entries.keys()) {
      if (this.entries.size <= this.maxEntries && this.bytes <= this.maxBytes) return;
      this.drop(sessionId);
    }
  }
}

const encoder = new TextEncoder();

function encodeSnapshot(sessionId: string, found: NonNullable<ReturnType<RunFeed['snapshot']>>, grow: (entry: Entry, added: number) => void): Entry {
  const json = encoder.encode(JSON.stringify(found.snapshot));
  let gzipped: Promise<Uint8Array<ArrayBuffer>> | undefined;
  const entry: Entry = {
    sessionId,
    seq: found.seq,
    ended: found.snapshot.status !== 'running',
    json,
    size: json.length,
    frame: () => eventFrameAround(found.seq, 'snapshot', json),
    gzip: () => {
      gzipped ??= gzip(json).then(
        (compressed) => {
          grow(entry, compressed.length);
          return compressed;
        },
        (error: unknown) => {
          gzipped = undefined;
          throw error;
        },
      );
      return gzipped;
    },
  };
  return entry;
}

/** gzip through the Web-standard CompressionStream (zlib off the main thread on Node). */
async function gzip(bytes: Uint8Array<ArrayBuffer>): Promise<Uint8Array<ArrayBuffer>> {
  const source = new ReadableStream<BufferSource>({
    start(controller) {
      controller.enqueue(bytes);
      controller.close();
    },
  });
  const compressed = source.pipeThrough(new CompressionStream('gzip'));
  return new Uint8Array(await new Response(compressed).arrayBuffer());
}
