// Run snapshots encoded once per (run, seq), shared by `GET …/progress/:id` and the stream's
// opening `snapshot` event: a burst of clients asking for the same run (a reconnect storm, a
// dashboard polling in many tabs) costs one read and one serialisation of a run that may weigh
// megabytes, and one compression. The most recent few are kept, bounded in count and bytes.
import type { Db } from '../db/types.js';
import { runSnapshot } from '../stores/run-events.js';
import { runRow } from '../stores/runs.js';
import { eventFrameAround } from './frames.js';

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

export function createSnapshotCache(db: Db, limits: SnapshotCacheLimits = {}) {
  const maxEntries = limits.maxEntries ?? 8;
  const maxBytes = limits.maxBytes ?? 32 * 1024 * 1024;
  // By run, least recently used first (a Map keeps insertion order; a hit moves to the end).
  const entries = new Map<string, Entry>();
  let bytes = 0;
  let encodes = 0;
  const encoder = new TextEncoder();

  interface Entry extends EncodedSnapshot {
    size: number;
  }

  const drop = (sessionId: string) => {
    const entry = entries.get(sessionId);
    if (!entry) return;
    entries.delete(sessionId);
    bytes -= entry.size;
  };
  const trim = () => {
    for (const sessionId of entries.keys()) {
      if (entries.size <= maxEntries && bytes <= maxBytes) return;
      drop(sessionId);
    }
  };
  /** Counts bytes added to an entry while it is kept. */
  const grow = (entry: Entry, added: number) => {
    entry.size += added;
    if (entries.get(entry.sessionId) === entry) {
      bytes += added;
      trim();
    }
  };

  const encode = (sessionId: string): Entry | undefined => {
    const found = runSnapshot(db, sessionId);
    if (!found) return undefined;
    encodes++;
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
  };

  return {
    /** The run's snapshot at its last seq, encoded; undefined when there is no such run. */
    get(sessionId: string): EncodedSnapshot | undefined {
      // One indexed row tells whether the kept encoding is still the run's latest.
      const row = runRow(db, sessionId);
      if (!row) {
        drop(sessionId);
        return undefined;
      }
      const kept = entries.get(sessionId);
      if (kept && kept.seq === row.lastSeq) {
        entries.delete(sessionId);
        entries.set(sessionId, kept);
        return kept;
      }
      const entry = encode(sessionId);
      drop(sessionId);
      if (!entry) return undefined;
      entries.set(sessionId, entry);
      bytes += entry.size;
      trim();
      return entry;
    },

    /** For tests and the benchmark: how many snapshots were encoded, and what is kept. */
    stats() {
      return { encodes, entries: entries.size, bytes };
    },
  };
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
