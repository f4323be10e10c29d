// JSON answers over a size, compressed through Hono's `compress` when accepted. It would compress a
// tiny c.json() body too (no Content-Length), so the size is measured here; streams and files never.
import type { MiddlewareHandler } from 'hono';
import { compress } from 'hono/compress';

/** Smaller answers gain nothing from compression (a gzip header and footer are ~20 bytes). */
export const compressAboveBytes = 1024;

const json = /^application\/json(?:[;\s]|$)/i;

export function compressJson(thresholdBytes = compressAboveBytes): MiddlewareHandler {
  const compressing = compress({ threshold: thresholdBytes, contentTypeFilter: json });
  return (c, next) =>
    compressing(c, async () => {
      await next();
      const res = c.res;
      if (!res.body || res.headers.has('Content-Length') || res.headers.has('Content-Encoding')) return;
      if (!json.test(res.headers.get('Content-Type') ?? '')) return;
      // A JSON answer is already whole in memory: measuring it costs a copy, not a wait.
      const bytes = await res.arrayBuffer();
      c.res = new Response(bytes, res);
      c.res.headers.set('Content-Length', String(bytes.byteLength));
    });
}
