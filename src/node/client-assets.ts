// Serves the built admin client (dist/public) from disk: files by path, and index.html for any
// other page, so deep links work. Hashed assets are cached for good; the page never is.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serveStatic } from '@hono/node-server/serve-static';
import type { Context, MiddlewareHandler } from 'hono';

/** dist/public, whether this runs from dist/ (npm start) or from src/ (npm run dev). */
export function clientDirectory(): string | undefined {
  const candidates = ['../public', '../../dist/public'].map((relative) => fileURLToPath(new URL(relative, import.meta.url)));
  return candidates.find((dir) => existsSync(join(dir, 'index.html')));
}

export function clientAssets(dir: string): MiddlewareHandler {
  const cacheHeaders = (path: string, c: Context) => {
    c.header('Cache-Control', /[\\/]assets[\\/]/.test(path) ? 'public, max-age=31536000, immutable' : 'no-cache');
  };
  const files = serveStatic({ root: dir, onFound: cacheHeaders });
  const page = serveStatic({ root: dir, path: 'index.html', onFound: cacheHeaders });
  return async (c, next) => {
    const served = await files(c, async () => {
      const shell = await page(c, next);
      if (shell) c.res = shell;
    });
    return served ?? c.res;
  };
}
