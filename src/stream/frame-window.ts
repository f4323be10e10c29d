// The recent encoded frames of one run, shared by every connection of it in this process. Bounded:
// a connection behind it reads from the store on its own, so none holds a queue of its own.
import { chunkOf, type Chunk, type Frame } from './frames.js';

export class FrameWindow {
  private frames: Frame[] = [];
  private last: number;
  /** Chunks by the cursor they follow: most connections of a run are at the same cursor. */
  private joined = new Map<number, Chunk>();

  constructor(
    startSeq: number,
    private readonly capacity: number,
  ) {
    this.last = startSeq;
  }

  /** The last seq read into the window (or the run's last seq when the window was opened). */
  lastSeq(): number {
    return this.last;
  }

  /** Frames after `seq`, or undefined when `seq` is behind the window. */
  framesAfter(seq: number): Frame[] | undefined {
    if (seq >= this.last) return [];
    const first = this.frames[0];
    if (!first || seq + 1 < first.seq) return undefined;
    return this.frames.slice(seq + 1 - first.seq);
  }

  /** The same frames as one chunk, joined once for every connection at this cursor; undefined when none or behind. */
  bytesAfter(seq: number): Chunk | undefined {
    let chunk = this.joined.get(seq);
    if (!chunk) {
      const frames = this.framesAfter(seq);
      if (!frames || frames.length === 0) return undefined;
      chunk = chunkOf(frames);
      this.joined.set(seq, chunk);
    }
    return chunk;
  }

  add(frames: readonly Frame[]): void {
    if (!frames.length) return;
    this.joined.clear();
    this.frames.push(...frames);
    if (this.frames.length > this.capacity) this.frames = this.frames.slice(this.frames.length - this.capacity);
    this.last = frames[frames.length - 1]!.seq;
  }
}
