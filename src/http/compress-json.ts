// JSON answers over a size, gzip- or deflate-compressed when the client accepts it: Hono's
// `compress` (the Web-standard CompressionStream), which adds `Vary: Accept-Encoding`. It
// compresses a body whose size it does not know (c.json() sets no Content-Length) however small,
// so the size is measured here first. Only application/json: never a stream (SPEC §5), whose
// answer also says `no-transform`, nor the client's files, which come pre-compressed.
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
