// What the single executable carries (SPEC §10): `scripts/build-binary.ts` embeds the built client,
// the migrations and the SQLite addon as assets, with a manifest naming them. Outside the single
// executable (npm start, npm run dev, the tests) none of this is used.
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import sea from 'node:sea';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** The asset the build writes first: every other asset's key, by kind. */
export const manifestKey = 'manifest.json';

export interface SeaManifest {
  /** Keys under `public/`: the built admin client (dist/public), encodings beside their file. */
  client: string[];
  /** Keys under `migrations/`: drizzle-kit's journal and SQL files. */
  migrations: string[];
  /** The key of better_sqlite3.node, compiled for the Node inside. */
  addon: string;
}

export const clientPrefix = 'public/';
export const migrationsPrefix = 'migrations/';

export function inSingleExecutable(): boolean {
  return sea.isSea();
}

let manifest: SeaManifest | undefined;
export function seaManifest(): SeaManifest {
  manifest ??= JSON.parse(sea.getAsset(manifestKey, 'utf8')) as SeaManifest;
  return manifest;
}

/**
 * An asset's bytes, without a copy: a view of the executable's own memory (read-only; nothing
 * here writes to it).
 */
export function seaAssetBytes(key: string): Uint8Array {
  const raw = sea.getRawAsset(key);
  return typeof raw === 'string' ? new TextEncoder().encode(raw) : new Uint8Array(raw);
}

/**
 * Writes the embedded migrations to a fresh temporary folder for the time of `use` (drizzle's
 * reader takes a folder), then removes it.
 */
export function withSeaMigrationsFolder<T>(use: (folder: string) => T): T {
  const folder = mkdtempSync(join(tmpdir(), 'autopurchase-migrations-'));
  try {
    for (const key of seaManifest().migrations) {
      const file = join(folder, key.slice(migrationsPrefix.length));
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, seaAssetBytes(key));
    }
    return use(folder);
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}
