// Secrets the server makes for itself on first start, kept in the data folder with owner-only access.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface KeptSecret {
  value: string;
  /** True when this start generated it (and so the caller may show it once). */
  created: boolean;
  path: string;
}

/**
 * The secret in `dir/name`, made by `generate` when missing. The file is created exclusively
 * (mode 0600), so two processes starting at once agree on one value.
 */
export function keptSecret(dir: string, name: string, generate: () => string): KeptSecret {
  const path = join(dir, name);
  try {
    writeFileSync(path, `${generate()}\n`, { mode: 0o600, flag: 'wx' });
    return { value: readSecret(path), created: true, path };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return { value: readSecret(path), created: false, path };
  }
}

function readSecret(path: string): string {
  const value = readFileSync(path, 'utf8').trim();
  if (!value) throw new Error(`${path} is empty: delete it to have a new secret generated`);
  return value;
}
