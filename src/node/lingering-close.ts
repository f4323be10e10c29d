// nginx's "lingering close" for an answer sent before its request's body was read (a 413 over
// 64 KB): the answer goes out, then the socket's sending side closes while its receiving side keeps
// reading and dropping the rest of the body, for a bounded time and amount. Closing at once resets
// a client still sending (EPIPE / ECONNRESET), and a reset can discard the answer it had not read.
import type { IncomingMessage, Server } from 'node:http';
import { Socket } from 'node:net';

export interface LingerLimits {
  /** The longest a socket lingers in all (nginx's lingering_time). */
  totalMs: number;
  /** Closes when the client sends nothing for this long (nginx's lingering_timeout). */
  idleMs: number;
  /** Closes once this much more has been dropped. */
  maxBytes: number;
}

export const defaultLingerLimits: LingerLimits = { totalMs: 30_000, idleMs: 5_000, maxBytes: 16 * 1024 * 1024 };

const lingering = new WeakSet<Socket>();
const destroySoon = Socket.prototype.destroySoon;

/** Makes every socket of `server` linger when it is closed before its request's body was received. */
export function lingerOnEarlyClose(server: Server, limits: LingerLimits = defaultLingerLimits): void {
  // Before the app's listener, so it is in place however fast the answer is written.
  server.prependListener('request', (req: IncomingMessage) => {
    const socket = req.socket;
    // Node closes a socket after a `Connection: close` answer (and @hono/node-server after a short
    // drain) with destroySoon(), which would reset the client: this request's socket lingers instead.
    socket.destroySoon = () => {
      if (lingering.has(socket)) return;
      if (req.complete) destroySoon.call(socket);
      else linger(socket, req, limits);
    };
  });
}

function linger(socket: Socket, req: IncomingMessage, limits: LingerLimits): void {
  lingering.add(socket);
  let dropped = 0;
  // Out of time, silent too long or over the amount: close whatever the state of the answer.
  const cut = () => socket.destroy();
  const idle = setTimeout(cut, limits.idleMs);
  const total = setTimeout(cut, limits.totalMs);
  idle.unref();
  total.unref();
  // The client sent everything, or closed its side: close once the answer is out.
  const done = () => {
    clearTimeout(idle);
    if (socket.writableFinished) socket.destroy();
    else socket.once('finish', cut);
  };
  const onData = (chunk: Buffer) => {
    dropped += chunk.length;
    if (dropped > limits.maxBytes) cut();
    else idle.refresh();
  };
  socket.once('close', () => {
    clearTimeout(idle);
    clearTimeout(total);
    req.off('data', onData);
  });
  socket.once('end', done);
  req.once('end', done);
  if (socket.writable) socket.end();
  // As Node's own dump of an unread body: no earlier reader keeps what is left; it is counted and dropped.
  req.removeAllListeners('data');
  req.on('data', onData);
  req.resume();
}
