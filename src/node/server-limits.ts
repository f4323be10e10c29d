// The Node server's limits on what a peer may hold (SPEC §11): deadlines for receiving a request,
// a cap on open sockets, and a lingering close for answers sent before the body was read.
import type { Server, ServerOptions } from 'node:http';
import type { Logger } from '../logger.js';
import { lingerOnEarlyClose } from './lingering-close.js';

/**
 * Node's defaults (60 s for headers, 300 s for a request, checked every 30 s) let half-sent
 * requests hold sockets for minutes. Both deadlines cover receiving the request only: an answer
 * being sent (a progress stream) is never cut by them. Bodies here are at most 64 KB.
 */
export const requestDeadlines = {
  headersTimeout: 10_000,
  requestTimeout: 30_000,
  /** An idle kept-alive socket closes after this (Node's default, said out loud). */
  keepAliveTimeout: 5_000,
  /** How often Node checks the deadlines: it is as late as this at most. */
  connectionsCheckingInterval: 1_000,
} satisfies ServerOptions;

/** Sockets over the cap are closed as they arrive; the operator sees a warning at most once a minute. */
export function applyServerLimits(server: Server, { maxConnections, logger }: { maxConnections: number; logger: Logger }): void {
  server.maxConnections = maxConnections;
  let dropped = 0;
  let warnedAt = -Infinity;
  server.on('drop', () => {
    dropped++;
    const now = Date.now();
    if (now - warnedAt < 60_000) return;
    warnedAt = now;
    logger.warn(`MAX_CONNECTIONS (${maxConnections}) reached: ${dropped} connection(s) refused so far`);
  });
  lingerOnEarlyClose(server);
}
