// The product's version for `autopurchase --version` (SPEC §10). The single executable's bundler
// defines AUTOPURCHASE_VERSION; from dist/cli/ or src/cli/ it is package.json's, two folders up.
import { readFileSync } from 'node:fs';

declare const AUTOPURCHASE_VERSION: string | undefined;

export const productVersion: string = typeof AUTOPURCHASE_VERSION !== 'undefined' ? AUTOPURCHASE_VERSION : packageVersion();

function packageVersion(): string {
  try {
    const manifest = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: unknown };
    return typeof manifest.version === 'string' ? manifest.version : 'unknown';
  } catch {
    return 'unknown';
  }
}

/** `autopurchase 0.1.0 (Node v24.11.0)`: the product and the runtime it runs on. */
export function versionLine(): string {
  return `autopurchase ${productVersion} (Node ${process.version})`;
}
