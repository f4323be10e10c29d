// One log line per request: method, path (no query), status, milliseconds. Never a body or header.
// The path is decoded (`%0A` is a newline): the logger escapes it, keeping this one line.
import type { MiddlewareHandler } from 'hono';
import type { Logger } from '../logger.js';

export function requestLog(logger: Logger): MiddlewareHandler {
  return async (c, next) => {
    const started = performance.now();
    await next();
    const ms = Math.round((performance.now() - started) * 10) / 10;
    const line = `${c.req.method} ${c.req.path} ${c.res.status} ${ms}ms`;
    if (c.res.status >= 500) logger.error(line);
    else logger.info(line);
  };
}
