// Real clients of the progress stream (SPEC §5) for the stream tests: a small pure SSE parser, a
// raw fetch reader that keeps the bytes and their arrival times, a fold of what was received, and
// a few helpers for the admin API of a server child process. Everything talks to 127.0.0.1 only.
import { connect, type Socket } from 'node:net';
import { applyEvent, indexOf } from '../../src/domain/fold.js';
import type { RunEventBody, RunSnapshot } from '../../src/domain/run.js';
import { errorText } from '../../src/domain/error-text.js';
import { adminClientAt } from './admin-client.js';

// ---------------------------------------------------------------------------------------------
// The parser (the EventSource spec's "interpreting an event stream", without the BOM dance)

export type SseMessage =
  | { kind: 'comment'; text: string }
  | { kind: 'retry'; ms: number }
  /** `id` is the block's own `id:` field (undefined when it had none). */
  | { kind: 'event'; id: string | undefined; event: string; data: string };

/**
 * Feed it text as it arrives (any split, even inside a line or a CRLF); it answers the comments,
 * retries and events completed by that text, in order. An event is dispatched at a blank line and
 * only when it had a `data:` line, as the spec says.
 */
export class SseParser {
  private buffer = '';
  private data: string[] = [];
  private event = '';
  private id: string | undefined;
  private sawData = false;
  /** Lines that did not follow the format (a field without a known name), for assertions. */
  readonly unknownFields: string[] = [];

  push(text: string): SseMessage[] {
    this.buffer += text;
    const out: SseMessage[] = [];
    for (;;) {
      const match = /\r\n|\r|\n/.exec(this.buffer);
      if (!match) break;
      // A lone CR at the very end may be the first half of a CRLF: wait for more.
      if (match[0] === '\r' && match.index === this.buffer.length - 1) break;
      const line = this.buffer.slice(0, match.index);
      this.buffer = this.buffer.slice(match.index + match[0].length);
      this.line(line, out);
    }
    return out;
  }

  /** Text received after the last complete line (a stream cut mid-event leaves it here). */
  pending(): string {
    return this.buffer;
  }

  private line(line: string, out: SseMessage[]) {
    if (line === '') {
      if (this.sawData) out.push({ kind: 'event', id: this.id, event: this.event || 'message', data: this.data.join('\n') });
      this.data = [];
      this.event = '';
      this.id = undefined;
      this.sawData = false;
      return;
    }
    if (line.startsWith(':')) {
      out.push({ kind: 'comment', text: line.slice(1).replace(/^ /, '') });
      return;
    }
    const colon = line.indexOf(':');
    const name = colon === -1 ? line : line.slice(0, colon);
    const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
    switch (name) {
      case 'data':
        this.data.push(value);
        this.sawData = true;
        return;
      case 'event':
        this.event = value;
        return;
      case 'id':
        if (!value.includes('\0')) this.id = value;
        return;
      case 'retry':
        if (/^\d+$/.test(value)) out.push({ kind: 'retry', ms: Number(value) });
        return;
      default:
        this.unknownFields.push(line);
    }
  }
}

/** Parses a whole body at once. */
export function parseSse(text: string): SseMessage[] {
  return new SseParser().push(text);
}

// ---------------------------------------------------------------------------------------------
// Events as the tests see them

export interface ReceivedEvent {
  id: number;
  event: string;
  data: any;
  /** Date.now() when the chunk holding it arrived. */
  at: number;
}

/** The snapshot (when the stream opened with one) with the events after it, folded with the shared fold. */
export function foldReceived(events: readonly ReceivedEvent[], start?: RunSnapshot): RunSnapshot {
  let rest = events;
  let snapshot: RunSnapshot;
  if (events[0]?.event === 'snapshot') {
    snapshot = structuredClone(events[0].data as RunSnapshot);
    rest = events.slice(1);
  } else {
    if (!start) throw new Error('foldReceived: no snapshot received and no start given');
    snapshot = structuredClone(start);
  }
  const index = indexOf(snapshot);
  for (const event of rest) {
    if (event.event === 'snapshot') throw new Error(`a second snapshot at id ${event.id}`);
    applyEvent(snapshot, index, { type: event.event, data: event.data } as RunEventBody);
  }
  return snapshot;
}

/** Throws unless the ids are consecutive integers (the first one may be anything). */
export function assertConsecutive(events: readonly ReceivedEvent[], from?: number): void {
  let expected = from;
  for (const event of events) {
    if (expected !== undefined && event.id !== expected) {
      throw new Error(`id ${event.id} where ${expected} was due (ids: ${events.map((e) => e.id).join(',')})`);
    }
    expected = event.id + 1;
  }
}

// ---------------------------------------------------------------------------------------------
// The raw fetch reader

export interface ReadOptions {
  token: string;
  /** Sent as the `Last-Event-ID` header. */
  lastEventId?: string | number;
  headers?: Record<string, string>;
  /** Stop reading (and cancel the body: the client goes away) once this answers true. */
  stopWhen?: (event: ReceivedEvent, events: readonly ReceivedEvent[]) => boolean;
  /** Stop reading (and cancel) this long after the first chunk. */
  stopAfterMs?: number;
  /** The whole read gives up (rejects, with what was received) after this. */
  timeoutMs?: number;
  /** After `end`, how long the server has to close the stream. */
  closeWithinMs?: number;
  onMessage?: (message: SseMessage, at: number) => void;
}

export interface StreamRead {
  status: number;
  headers: Headers;
  /** Milliseconds from the call to the first body chunk. */
  firstChunkMs: number | undefined;
  /** The whole body as received. */
  text: string;
  messages: SseMessage[];
  events: ReceivedEvent[];
  comments: { text: string; at: number }[];
  /** `closed`: the server ended the body; `stopped`: the client stopped and cancelled. */
  outcome: 'closed' | 'stopped';
  /** Bytes the server sent after the `end` event. */
  bytesAfterEnd: number;
  /** The parsed body when the status was not 200. */
  body?: any;
}

/** Opens the stream with fetch, reads it to its end (or until told to stop), keeping every byte. */
export async function readStream(url: string, options: ReadOptions): Promise<StreamRead> {
  const timeoutMs = options.timeoutMs ?? 15_000;
  const controller = new AbortController();
  const headers: Record<string, string> = { authorization: `Bearer ${options.token}`, accept: 'text/event-stream', ...options.headers };
  if (options.lastEventId !== undefined) headers['last-event-id'] = String(options.lastEventId);
  const result: StreamRead = {
    status: 0,
    headers: new Headers(),
    firstChunkMs: undefined,
    text: '',
    messages: [],
    events: [],
    comments: [],
    outcome: 'closed',
    bytesAfterEnd: 0,
  };
  const giveUp = setTimeout(() => controller.abort(new Error(`no end within ${timeoutMs} ms`)), timeoutMs);
  const read: Reading = { options, controller, result, giveUp, timers: [giveUp], started: performance.now(), ended: false };
  try {
    const res = await fetch(url, { headers, signal: controller.signal });
    result.status = res.status;
    result.headers = res.headers;
    if (res.status !== 200 || !res.body) return await readAnswer(res, result);
    return await readEvents(res.body, read);
  } catch (error) {
    const reason = controller.signal.aborted ? controller.signal.reason : error;
    const message = errorText(reason);
    const partial = new Error(`${url}: ${message}; received ${result.events.length} events (last id ${result.events.at(-1)?.id})`);
    (partial as Error & { partial?: StreamRead }).partial = result;
    throw partial;
  } finally {
    for (const timer of read.timers) clearTimeout(timer);
  }
}

/** One read in progress: what it was asked, what it got so far, and the timers to clear at the end. */
interface Reading {
  options: ReadOptions;
  controller: AbortController;
  result: StreamRead;
  giveUp: ReturnType<typeof setTimeout>;
  timers: ReturnType<typeof setTimeout>[];
  started: number;
  /** Set once `end` arrived: later bytes are counted, and the server has closeWithinMs to close. */
  ended: boolean;
}

/** A non-200 answer: its body, parsed when it is JSON. */
async function readAnswer(res: Response, result: StreamRead): Promise<StreamRead> {
  const text = await res.text();
  result.text = text;
  try {
    result.body = text ? JSON.parse(text) : undefined;
  } catch {
    result.body = text;
  }
  return result;
}

async function readEvents(body: ReadableStream<Uint8Array>, read: Reading): Promise<StreamRead> {
  const { result, options } = read;
  const reader = body.getReader();
  const decoder = new TextDecoder();
  const parser = new SseParser();
  let stop: () => void = () => undefined;
  const stopped = new Promise<'stop'>((resolve) => {
    stop = () => resolve('stop');
  });
  const cancel = async () => {
    result.outcome = 'stopped';
    await reader.cancel();
    return result;
  };
  for (;;) {
    const chunk = await Promise.race([reader.read(), stopped]);
    if (chunk === 'stop') return cancel();
    if (chunk.done) break;
    const at = Date.now();
    if (result.firstChunkMs === undefined) {
      result.firstChunkMs = performance.now() - read.started;
      if (options.stopAfterMs !== undefined) read.timers.push(setTimeout(stop, options.stopAfterMs));
    }
    const text = decoder.decode(chunk.value, { stream: true });
    result.text += text;
    if (read.ended) result.bytesAfterEnd += chunk.value.byteLength;
    let stopNow = false;
    for (const message of parser.push(text)) {
      if (takeMessage(read, message, at, !stopNow)) stopNow = true;
    }
    if (stopNow) return cancel();
  }
  result.text += decoder.decode();
  if (parser.pending() !== '') throw new Error(`the stream ended inside an event: ${JSON.stringify(parser.pending())}`);
  return result;
}

/** Keeps one parsed message; true when `stopWhen` (asked only while `ask`) says to stop reading. */
function takeMessage(read: Reading, message: SseMessage, at: number, ask: boolean): boolean {
  const { result, options } = read;
  result.messages.push(message);
  options.onMessage?.(message, at);
  if (message.kind === 'comment') result.comments.push({ text: message.text, at });
  if (message.kind !== 'event') return false;
  if (message.id === undefined || !/^\d+$/.test(message.id)) throw new Error(`event without a numeric id: ${JSON.stringify(message)}`);
  const event: ReceivedEvent = { id: Number(message.id), event: message.event, data: JSON.parse(message.data), at };
  result.events.push(event);
  if (event.event === 'end' && !read.ended) {
    read.ended = true;
    // The server must close the stream right after `end`.
    clearTimeout(read.giveUp);
    const closeWithinMs = options.closeWithinMs ?? 2_000;
    read.timers.push(setTimeout(() => read.controller.abort(new Error(`the stream was still open ${closeWithinMs} ms after end`)), closeWithinMs));
  }
  return ask && Boolean(options.stopWhen?.(event, result.events));
}

// ---------------------------------------------------------------------------------------------
// The admin API of a server process

/** The shared admin client of a server process, with the calls the stream tests repeat. */
export function adminApi(baseUrl: string, token: string, timeoutMs = 5_000) {
  const call = adminClientAt(baseUrl, token, timeoutMs);
  return {
    call,
    eventsUrl: (sessionId: string, query = '') => `${baseUrl}/api/auto-purchase/progress/${encodeURIComponent(sessionId)}/events${query}`,
    /** Adds (or updates) an account from its sandbox credential; answers the run it triggered. */
    async addAccount(robloxCookie: string): Promise<{ accountId: string; sessionId: string }> {
      const res = await call('POST', '/api/admin/stock-accounts', { robloxCookie });
      if (res.status !== 201 && res.status !== 200) throw new Error(`add account: ${res.status} ${res.text}`);
      return { accountId: res.json.stockAccount.id, sessionId: res.json.autoPurchase.sessionId };
    },
    /** Records `count` pending orders priced `price`, `parallel` requests at a time. */
    async addOrders(prefix: string, count: number, price = 10, parallel = 16): Promise<void> {
      let next = 0;
      const worker = async () => {
        while (next < count) {
          const i = next++;
          const res = await call('POST', '/api/transactions', {
            invoiceId: `${prefix}-${String(i + 1).padStart(4, '0')}`,
            gamepass: { id: 5000 + i, name: `Pass ${prefix} ${i + 1}`, price, sellerId: 77 },
          });
          if (res.status !== 201) throw new Error(`order ${prefix}-${i + 1}: ${res.status} ${res.text}`);
        }
      };
      await Promise.all(Array.from({ length: Math.min(parallel, count) }, worker));
    },
    async snapshot(sessionId: string): Promise<RunSnapshot> {
      const res = await call('GET', `/api/auto-purchase/progress/${encodeURIComponent(sessionId)}`);
      if (res.status !== 200) throw new Error(`progress ${sessionId}: ${res.status} ${res.text}`);
      return res.json as RunSnapshot;
    },
    /** Polls the snapshot until the run is no longer running. */
    async ended(sessionId: string, timeoutMs = 15_000): Promise<RunSnapshot> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const snapshot = await this.snapshot(sessionId);
        if (snapshot.status !== 'running') return snapshot;
        if (Date.now() > deadline) throw new Error(`run ${sessionId} still running after ${timeoutMs} ms (${snapshot.currentStep})`);
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    },
  };
}

export type AdminApi = ReturnType<typeof adminApi>;

// ---------------------------------------------------------------------------------------------
// A client that never reads

/**
 * Opens the stream over a raw TCP socket, writing the HTTP request by hand, and never reads a
 * byte of the answer (the socket is paused before anything arrives): the kernel's buffers fill
 * and the server's writes to it stall.
 */
export async function openNeverReadingSocket(url: string, token: string): Promise<Socket> {
  const target = new URL(url);
  const socket = connect({ host: target.hostname, port: Number(target.port) });
  socket.pause();
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  socket.on('error', () => undefined);
  socket.write(
    `GET ${target.pathname}${target.search} HTTP/1.1\r\nHost: ${target.host}\r\nAuthorization: Bearer ${token}\r\nAccept: text/event-stream\r\n\r\n`,
  );
  return socket;
}
