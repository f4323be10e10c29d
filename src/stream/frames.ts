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
