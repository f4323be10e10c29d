// Serves the built admin client (dist/public): its files by path, and index.html for any other page
// so deep links work. The folder is read once, at start-up, into memory: it does not change while the
// process runs, and a request then only looks a key up, so no request path ever reaches the disk.
// The single executable carries the same files as assets (src/node/sea.ts), served from its memory.
import { existsSync, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { isAbsolute, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Context, MiddlewareHandler } from 'hono';
import { accepts } from 'hono/accepts';
import { getMimeType } from 'hono/utils/mime';
import { clientPrefix, inSingleExecutable, seaAssetBytes, seaManifest } from './sea.js';

/** Where the built client is: a folder, or the single executable's own assets. */
export type ClientSource = string | typeof embeddedClient;
export const embeddedClient = { embedded: 'single-executable' } as const;

/**
 * dist/public, whether this runs from dist/ (npm start) or from src/ (npm run dev); in the single
 * executable, its embedded copy.
 */
export function clientDirectory(): ClientSource | undefined {
  if (inSingleExecutable()) return seaManifest().client.includes(`${clientPrefix}index.html`) ? embeddedClient : undefined;
  const candidates = ['../public', '../../dist/public'].map((relative) => fileURLToPath(new URL(relative, import.meta.url)));
  return candidates.find((dir) => existsSync(join(dir, 'index.html')));
}

/** Content codings the build writes beside a file (vite.config.ts), best first, with their suffix. */
const codings = [
  { name: 'br', suffix: '.br' },
  { name: 'gzip', suffix: '.gz' },
] as const;
type Coding = (typeof codings)[number]['name'];

export interface ClientFile {
  contentType: string;
  cacheControl: string;
  identity: Uint8Array;
  encoded: Partial<Record<Coding, Uint8Array>>;
}

/**
 * Every file under `dir` by its URL path ('/assets/app-abc.js'). A file or folder whose real path
 * (symlinks followed) is outside `dir` is left out, and so are dot-files; `x.js.br` / `x.js.gz`
 * are kept as `x.js`'s encodings, not served on their own.
 */
export function loadClientFiles(source: ClientSource): Map<string, ClientFile> {
  const found = typeof source === 'string' ? filesInFolder(source) : embeddedFiles();
  const files = new Map<string, ClientFile>();
  for (const [url, read] of found) {
    if (codings.some(({ suffix }) => url.endsWith(suffix) && found.has(url.slice(0, -suffix.length)))) continue;
    const encoded: ClientFile['encoded'] = {};
    for (const { name, suffix } of codings) {
      const sibling = found.get(url + suffix);
      if (sibling) encoded[name] = sibling();
    }
    files.set(url, {
      contentType: getMimeType(url) ?? 'application/octet-stream',
      // Hashed names change with their content: kept for good. Anything else is revalidated.
      cacheControl: url.startsWith('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache',
      identity: read(),
      encoded,
    });
  }
  return files;
}

/** Each file of the folder by URL path, with how to read it. */
function filesInFolder(dir: string): Map<string, () => Uint8Array> {
  const root = realpathSync(dir);
  const found = new Map<string, () => Uint8Array>();
  const seenFolders = new Set([root]);
  const walk = (folder: string, urlPrefix: string) => {
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      if (entry.name.startsWith('.')) continue;
      let real: string;
      try {
        real = realpathSync(join(folder, entry.name));
      } catch {
        continue; // a dangling symlink
      }
      if (!isInside(root, real)) continue;
      const stats = statSync(real);
      const url = `${urlPrefix}/${entry.name}`;
      if (stats.isDirectory()) {
        // A symlink back up the tree would walk for ever.
        if (seenFolders.has(real)) continue;
        seenFolders.add(real);
        walk(real, url);
      } else if (stats.isFile()) found.set(url, () => readFileSync(real));
    }
  };
  walk(root, '');
  return found;
}

/** The embedded copy of dist/public: views of the executable's memory, nothing copied. */
function embeddedFiles(): Map<string, () => Uint8Array> {
  const found = new Map<string, () => Uint8Array>();
  for (const key of seaManifest().client) {
    const url = `/${key.slice(clientPrefix.length)}`;
    if (key.startsWith(clientPrefix) && !isHostilePath(url)) found.set(url, () => seaAssetBytes(key));
  }
  return found;
}

function isInside(root: string, real: string): boolean {
  const path = relative(root, real);
  return path !== '' && !isAbsolute(path) && path.split(sep)[0] !== '..';
}

/** A path no file of ours can have: a dot segment, a backslash, a NUL, or a still-encoded byte. */
function isHostilePath(path: string): boolean {
  return /[\\\0%]/.test(path) || path.split('/').some((segment) => segment === '.' || segment === '..');
}

/** A request for a file (it has an extension, or is under /assets/) rather than for a page. */
function looksLikeFile(path: string): boolean {
  return path.startsWith('/assets/') || /\.[^/.]+$/.test(path);
}

export function clientAssets(source: ClientSource): MiddlewareHandler {
  const files = loadClientFiles(source);
  const page = files.get('/index.html');
  return async (c, next) => {
    const path = c.req.path; // already percent-decoded by Hono, except reserved bytes such as %2F
    if (isHostilePath(path)) return next();
    const file = files.get(path) ?? (path === '/' || !looksLikeFile(path) ? page : undefined);
    if (!file) return next(); // the app's JSON 404: a missing script must not come back as a page

    const available = codings.map(({ name }) => name).filter((name) => file.encoded[name]);
    const coding = available.length === 0 ? 'identity' : preferredCoding(c, available);
    c.header('Content-Type', file.contentType);
    c.header('Cache-Control', file.cacheControl);
    if (available.length > 0) c.header('Vary', 'Accept-Encoding', { append: true });
    if (coding !== 'identity') c.header('Content-Encoding', coding);
    return c.body((coding === 'identity' ? file.identity : file.encoded[coding]!) as Uint8Array<ArrayBuffer>);
  };
}

/** The accepted coding with the highest q among those the file has (brotli on a tie). */
function preferredCoding(c: Context, available: Coding[]): Coding | 'identity' {
  return accepts(c, {
    header: 'Accept-Encoding',
    supports: available,
    default: 'identity',
    match: (list, { supports }) => {
      const q = (name: string) => (list.find((accept) => accept.type.toLowerCase() === name) ?? list.find((accept) => accept.type === '*'))?.q ?? 0;
      let best = { name: 'identity', q: 0 };
      for (const name of supports) if (q(name) > best.q) best = { name, q: q(name) };
      return best.name;
    },
  }) as Coding | 'identity';
}
