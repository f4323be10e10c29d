// Debian's Chromium driven by playwright-core: never a browser that Playwright downloads (none can
// be downloaded here). `scripts/ensure-chromium.sh` installs /usr/bin/chromium.
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

export const chromiumPath = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

/** The machine's flags: headless, no sandbox (root), no GPU, and nothing that calls home. */
export const chromiumArgs = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * A fresh Chromium. Playwright's `launch` gives it a new temporary user-data-dir, removed on
 * close, so no profile, cookie or cache is shared between launches.
 */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(chromiumPath)) {
    throw new Error(`${chromiumPath} is missing: run \`bash scripts/ensure-chromium.sh\` (as root) to install Debian's chromium`);
  }
  return chromium.launch({ executablePath: chromiumPath, headless: true, args: chromiumArgs, timeout: 30_000 });
}
