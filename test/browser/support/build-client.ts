// Builds the admin client (client/ → dist/public) for the browser tests, once, and only when the
// build is missing or older than a client source. Cheap when fresh (a walk over client/'s mtimes).
//
// The build goes to a temporary folder beside dist/public and is swapped in with two renames, so a
// server already serving dist/public (another test, `npm start`) never sees a half-written folder.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { repoRoot } from '../../support/server-process.js';

export const clientSourceDir = join(repoRoot, 'client');
export const clientBuildDir = join(repoRoot, 'dist', 'public');
const builtIndex = join(clientBuildDir, 'index.html');

/** Files whose change makes the built client stale: client/ less its tests, plus the shared code. */
function sourceFiles(): string[] {
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== 'node_modules' && !entry.name.startsWith('.')) walk(path);
      } else if (!/\.test\.[cm]?[jt]sx?$/.test(entry.name)) files.push(path);
    }
  };
  walk(clientSourceDir);
  // The client imports the fold and the run types from src/domain.
  walk(join(repoRoot, 'src', 'domain'));
  for (const extra of ['vite.config.ts', 'package-lock.json']) {
    const path = join(repoRoot, extra);
    if (existsSync(path)) files.push(path);
  }
  return files;
}

/** Why the build must be redone, or undefined when dist/public is newer than every source. */
export function staleReason(): string | undefined {
  if (!existsSync(builtIndex)) return `${relative(repoRoot, builtIndex)} is missing`;
  const builtAt = statSync(builtIndex).mtimeMs;
  let newest = { path: '', at: 0 };
  for (const file of sourceFiles()) {
    const at = statSync(file).mtimeMs;
    if (at > newest.at) newest = { path: file, at };
  }
  return newest.at > builtAt ? `${relative(repoRoot, newest.path)} is newer than the build` : undefined;
}

let built: Promise<void> | undefined;

/**
 * Runs `npx vite build` when the client build is missing or stale; at most once per test process.
 * Throws with vite's output when the build fails (e.g. a client file being edited right now).
 */
export function ensureClientBuilt(): Promise<void> {
  built ??= (async () => {
    const reason = staleReason();
    if (!reason) return;
    const staging = join(repoRoot, 'dist', `.public-build-${process.pid}`);
    rmSync(staging, { recursive: true, force: true });
    const started = Date.now();
    const result = spawnSync('npx', ['vite', 'build', '--outDir', staging, '--emptyOutDir', '--logLevel', 'warn'], {
      cwd: repoRoot,
      encoding: 'utf8',
      timeout: 110_000,
      env: { ...process.env, NODE_ENV: 'production' },
    });
    if (result.status !== 0 || !existsSync(join(staging, 'index.html'))) {
      rmSync(staging, { recursive: true, force: true });
      throw new Error(
        `npx vite build failed (${reason}; exit ${result.status}, signal ${result.signal}, ${result.error?.message ?? 'no spawn error'}):\n` +
          `${result.stdout}\n${result.stderr}`,
      );
    }
    const old = join(repoRoot, 'dist', `.public-old-${process.pid}`);
    // Another test process may be swapping its own build in at the same moment: try again.
    for (let attempt = 1; ; attempt++) {
      rmSync(old, { recursive: true, force: true });
      try {
        if (existsSync(clientBuildDir)) renameSync(clientBuildDir, old);
      } catch {
        // gone meanwhile
      }
      try {
        renameSync(staging, clientBuildDir);
        break;
      } catch (error) {
        if (attempt >= 5) throw error;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    rmSync(old, { recursive: true, force: true });
    console.log(`[browser tests] client built in ${Date.now() - started} ms (${reason})`);
  })();
  // A failed build is not remembered: the next file tries again (the source may be fixed by then).
  built.catch(() => {
    built = undefined;
  });
  return built;
}
