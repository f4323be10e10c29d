// better-sqlite3's native addon inside the single executable. `require` there loads built-in
// modules only, so the embedded better_sqlite3.node is written once beside the database, under a
// name holding its content hash (a temporary file, then a rename: a reader never sees half a file),
// and loaded with process.dlopen; its module object is better-sqlite3's `nativeBinding`.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inSingleExecutable, seaAssetBytes, seaManifest } from './sea.js';

const addonPrefix = 'autopurchase-sqlite-';

let loaded: object | undefined;

/**
 * The `nativeBinding` for `new Database(path, { nativeBinding })`: the embedded addon, written to
 * `folder` (the data folder) if not there yet; undefined outside the single executable, where
 * better-sqlite3 finds its own build.
 */
export function sqliteNativeBinding(folder: string): object | undefined {
  if (!inSingleExecutable()) return undefined;
  if (loaded) return loaded;
  const bytes = seaAssetBytes(seaManifest().addon);
  const hash = createHash('sha256').update(bytes).digest('hex').slice(0, 16);
  const name = `${addonPrefix}${hash}.node`;
  const file = join(folder, name);
  if (!existsSync(file)) {
    mkdirSync(folder, { recursive: true, mode: 0o700 });
    const temporary = `${file}.${process.pid}.tmp`;
    // Readable by all (it holds no secret; the folder itself is owner-only): written by root running
    // `autopurchase backup` on the service's folder, it must still load for the service's user.
    writeFileSync(temporary, bytes, { mode: 0o644 });
    renameSync(temporary, file);
  }
  const module = { exports: {} };
  process.dlopen(module, file);
  loaded = module.exports;
  removeOtherVersions(folder, name);
  return loaded;
}

/** Addons an earlier version wrote (a process still running it keeps its mapping). */
function removeOtherVersions(folder: string, current: string): void {
  for (const entry of readdirSync(folder)) {
    if (entry.startsWith(addonPrefix) && entry.endsWith('.node') && entry !== current) rmSync(join(folder, entry), { force: true });
  }
}
