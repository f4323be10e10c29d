// One timer for all of a process's streams: heartbeats (`: ping`) and the cut of connections whose
// writes stall. It runs only while some stream is open.
export interface TickedStream {
  ping(): void;
  /** When the stream last had bytes it could not write, if it still has. */
  stalledSince(): number | undefined;
  abort(reason: string): void;
}

export interface TickerOptions {
  heartbeatMs: number;
  stallMs: number;
  now(): number;
}

export type StreamTicker = ReturnType<typeof createStreamTicker>;

export function createStreamTicker(options: TickerOptions) {
  const streams = new Set<TickedStream>();
  const period = Math.max(10, Math.min(options.heartbeatMs, options.stallMs, 1000));
  let timer: ReturnType<typeof setInterval> | undefined;
  let lastPing = 0;

  const tick = () => {
    const now = options.now();
    const pinging = now - lastPing >= options.heartbeatMs - period / 2;
    if (pinging) lastPing = now;
    for (const stream of streams) {
      const since = stream.stalledSince();
      if (since !== undefined && now - since >= options.stallMs) stream.abort('stalled');
      else if (pinging) stream.ping();
    }
  };

  return {
    add(stream: TickedStream) {
      streams.add(stream);
      if (!timer) {
        lastPing = options.now();
        timer = setInterval(tick, period);
      }
    },
    remove(stream: TickedStream) {
      streams.delete(stream);
      if (streams.size === 0 && timer) {
        clearInterval(timer);
        timer = undefined;
      }
    },
    size: () => streams.size,
    running: () => timer !== undefined,
  };
}
