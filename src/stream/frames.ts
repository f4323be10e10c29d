// Server-Sent Events framing (the EventSource spec): each event is encoded once, as bytes that
// every connection of the run can share.
const encoder = new TextEncoder();

/** An event's bytes. `data` is one line of JSON (JSON has no raw newlines). */
export function eventFrame(id: number, type: string, data: string): Uint8Array {
  return encoder.encode(`id: ${id}\nevent: ${type}\ndata: ${data}\n\n`);
}

const frameEnd = encoder.encode('\n\n');

/** An event whose data is already encoded, as chunks around those bytes, so a big one is not copied. */
export function eventFrameAround(id: number, type: string, data: Uint8Array): readonly Uint8Array[] {
  return [encoder.encode(`id: ${id}\nevent: ${type}\ndata: `), data, frameEnd];
}

export const retryFrame = (ms: number) => encoder.encode(`retry: ${ms}\n\n`);

export const pingFrame = encoder.encode(': ping\n\n');

/** One event's frame, with what a stream needs to know of it without decoding it. */
export interface Frame {
  seq: number;
  type: string;
  bytes: Uint8Array;
}

/** Consecutive frames joined into one write: the seq it brings a cursor to, and whether it ends the stream. */
export interface Chunk {
  bytes: Uint8Array;
  lastSeq: number;
  ends: boolean;
}

/** Frames (at least one) joined into one chunk: one write to the socket instead of one per event. */
export function chunkOf(frames: readonly Frame[]): Chunk {
  const last = frames[frames.length - 1]!;
  return { bytes: concatFrames(frames.map((frame) => frame.bytes)), lastSeq: last.seq, ends: last.type === 'end' };
}

export function concatFrames(frames: readonly Uint8Array[]): Uint8Array {
  if (frames.length === 1) return frames[0]!;
  let length = 0;
  for (const frame of frames) length += frame.length;
  const joined = new Uint8Array(length);
  let at = 0;
  for (const frame of frames) {
    joined.set(frame, at);
    at += frame.length;
  }
  return joined;
}

export const sseHeaders = {
  'Content-Type': 'text/event-stream',
  'Cache-Control': 'no-cache, no-transform',
  'X-Accel-Buffering': 'no',
} as const;
