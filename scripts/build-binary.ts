// `npm run build:binary`: dist/autopurchase, one executable file (SPEC §10) — Node 24's single
// executable application holding the bundled server and CLI, the built client, the migrations and
// better-sqlite3's addon compiled for that Node. Linux x64 (glibc) only, like the Node inside.
//
// Steps: the client build (npm run build) if dist/public is missing; Node 24 and the addon
// (scripts/node24.ts, cached under .cache/binary/); one esbuild bundle; the SEA blob made by Node
// 24 itself; a stripped copy of Node 24 with the blob injected by postject.
import { execFileSync, spawn } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { builtinModules, createRequire } from 'node:module';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import { clientPrefix, manifestKey, migrationsPrefix, type SeaManifest } from '../src/node/sea.js';
import { compileBetterSqlite3, fetchNode24 } from './node24.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const cacheDir = join(root, '.cache', 'binary');
const workDir = join(cacheDir, `work-${process.pid}`);
const output = join(root, 'dist', 'autopurchase');
/** postject, the injector Node's documentation uses (its CLI: its library prints LIEF's warnings). */
const postject = createRequire(import.meta.url).resolve('postject/dist/cli.js');
/** The fuse every Node binary carries, flipped by postject when a blob is injected. */
const seaFuse = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';

export async function buildBinary(): Promise<string> {
  const started = performance.now();
  const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
  if (!existsSync(join(root, 'dist', 'public', 'index.html'))) {
    console.log('build-binary: dist/public is missing: npm run build');
    execFileSync('npm', ['run', 'build', '--silent'], { cwd: root, stdio: 'inherit' });
  }
  const node24 = fetchNode24(cacheDir);
  const addon = compileBetterSqlite3(node24, cacheDir);

  rmSync(workDir, { recursive: true, force: true });
  mkdirSync(workDir, { recursive: true });
  const bundle = join(workDir, 'autopurchase.cjs');
  await bundleEntry(bundle, version);

  const assets = new Map<string, string>(); // key → file
  for (const file of filesUnder(join(root, 'dist', 'public'))) assets.set(clientPrefix + file.key, file.path);
  for (const file of filesUnder(join(root, 'migrations'))) {
    // drizzle's reader needs the journal and the SQL files; the snapshots are drizzle-kit's own.
    if (file.key === 'meta/_journal.json' || file.key.endsWith('.sql')) assets.set(migrationsPrefix + file.key, file.path);
  }
  assets.set('better_sqlite3.node', addon);
  const manifest: SeaManifest = {
    client: [...assets.keys()].filter((key) => key.startsWith(clientPrefix)),
    migrations: [...assets.keys()].filter((key) => key.startsWith(migrationsPrefix)),
    addon: 'better_sqlite3.node',
  };
  const manifestFile = join(workDir, 'manifest.json');
  writeFileSync(manifestFile, JSON.stringify(manifest));
  assets.set(manifestKey, manifestFile);

  const blob = join(workDir, 'sea-prep.blob');
  const config = join(workDir, 'sea-config.json');
  writeFileSync(
    config,
    JSON.stringify({
      main: bundle,
      output: blob,
      disableExperimentalSEAWarning: true,
      // V8's compiled code for the bundle, made now, so start-up skips most parsing.
      useCodeCache: true,
      assets: Object.fromEntries(assets),
    }),
  );
  // The blob must come from the Node that will run it.
  execFileSync(node24.node, ['--experimental-sea-config', config], { cwd: workDir, stdio: 'inherit' });

  mkdirSync(dirname(output), { recursive: true });
  const partial = `${output}.${process.pid}.tmp`;
  copyFileSync(node24.node, partial);
  chmodSync(partial, 0o755);
  execFileSync('strip', [partial]);
  // LIEF warns about the stripped binary's note sections ("Can't find string offset"): harmless,
  // so its output is shown only when the injection fails.
  try {
    execFileSync(process.execPath, [postject, partial, 'NODE_SEA_BLOB', blob, '--sentinel-fuse', seaFuse], { stdio: 'pipe' });
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: Buffer; stderr?: Buffer };
    throw new Error(`postject failed: ${String(stdout ?? '')}${String(stderr ?? '')}`);
  }
  renameSync(partial, output);
  rmSync(workDir, { recursive: true, force: true });

  // The file starts and its command line answers.
  execFileSync(output, ['--help'], { stdio: 'ignore' });
  console.log(
    `build-binary: ${relative(root, output)} (${(readFileSync(output).length / 2 ** 20).toFixed(1)} MiB, Node ${node24.version}, ` +
      `${assets.size} assets) in ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
  return output;
}

/**
 * One CommonJS script (a single executable's main runs as CommonJS, and its `require` loads
 * built-in modules only). esbuild refuses top-level await (src/cli/main.ts has one) in CommonJS
 * output, so the bundle is made as an ES module whose imports of built-in modules are turned into
 * `require` calls, then wrapped in an async function: a script with no import or export left.
 */
async function bundleEntry(outfile: string, version: string): Promise<void> {
  const esmFile = `${outfile}.mjs`;
  const result = await esbuild.build({
    entryPoints: [join(root, 'src', 'node', 'sea-main.ts')],
    outfile: esmFile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node24',
    minifySyntax: true,
    legalComments: 'none',
    logLevel: 'warning',
    define: {
      AUTOPURCHASE_VERSION: JSON.stringify(version),
      // Paths relative to a module mean nothing inside the file; code that needs one asks node:sea.
      'import.meta.url': '__autopurchaseBundleUrl',
    },
    plugins: [builtinsAsRequire, bindingsStub],
  });
  if (result.errors.length > 0) throw new Error('esbuild failed');
  const code = readFileSync(esmFile, 'utf8');
  const leftover = code.split('\n').find((line) => /^(import|export)\b/.test(line) || line.includes('import.meta'));
  if (leftover !== undefined) throw new Error(`the bundle still has an ES module statement: ${leftover.slice(0, 120)}`);
  writeFileSync(
    outfile,
    [
      '"use strict";',
      'var __autopurchaseBundleUrl = require("node:url").pathToFileURL(__filename).href;',
      '(async () => {',
      code,
      '})().catch((error) => {',
      '  console.error(`autopurchase: ${error && error.stack ? error.stack : error}`);',
      '  process.exit(1);',
      '});',
      '',
    ].join('\n'),
  );
  rmSync(esmFile);
}

const builtinNames = new Set(builtinModules.flatMap((name) => [name, `node:${name}`]));
/** `import x from 'node:fs'` becomes esbuild's interop over `require('node:fs')`. */
const builtinsAsRequire: esbuild.Plugin = {
  name: 'builtins-as-require',
  setup(build) {
    build.onResolve({ filter: /^(node:)?[a-z0-9_/]+$/ }, (args) => {
      if (!builtinNames.has(args.path) && !args.path.startsWith('node:')) return undefined;
      if (args.kind === 'require-call') return { path: args.path, external: true };
      return { path: args.path, namespace: 'builtin' };
    });
    build.onLoad({ filter: /.*/, namespace: 'builtin' }, (args) => ({
      contents: `module.exports = require(${JSON.stringify(args.path)});`,
      loader: 'js',
    }));
  },
};

/** better-sqlite3 gets its addon through `nativeBinding` (src/node/sea-addon.ts), never `bindings`. */
const bindingsStub: esbuild.Plugin = {
  name: 'bindings-stub',
  setup(build) {
    build.onResolve({ filter: /^bindings$/ }, () => ({ path: 'bindings', namespace: 'bindings-stub' }));
    build.onLoad({ filter: /.*/, namespace: 'bindings-stub' }, () => ({
      contents: 'module.exports = () => { throw new Error("better-sqlite3 must be given its nativeBinding in the single executable"); };',
      loader: 'js',
    }));
  },
};

/** Every file under `dir`, with its path relative to it ('/'-separated); dot-files left out. */
function filesUnder(dir: string): { key: string; path: string }[] {
  const files: { key: string; path: string }[] = [];
  const walk = (folder: string) => {
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      if (entry.name.startsWith('.')) continue;
      const path = join(folder, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.isFile()) files.push({ key: relative(dir, path).split(sep).join('/'), path });
    }
  };
  walk(dir);
  return files.sort((a, b) => a.key.localeCompare(b.key));
}

/**
 * `npm run build:binary -- --measure`: the file's size, and over `rounds` empty folders the time
 * from spawn to the first 200 on /healthz and the RSS a second later, for a first start (the addon
 * written, migrations, demo orders seeded) and a second start on the same folder.
 */
async function measure(binary: string, rounds = 5): Promise<void> {
  const firsts: { ms: number; rssMb: number }[] = [];
  const seconds: { ms: number; rssMb: number }[] = [];
  for (let round = 0; round < rounds; round++) {
    const folder = mkdtempSync(join(tmpdir(), 'autopurchase-measure-'));
    try {
      const file = join(folder, 'autopurchase');
      copyFileSync(binary, file);
      mkdirSync(join(folder, 'no-node'));
      firsts.push(await startOnce(file, folder));
      seconds.push(await startOnce(file, folder));
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  }
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  const line = (what: string, runs: { ms: number; rssMb: number }[]) =>
    `${what}: spawn → first /healthz 200 median ${median(runs.map((r) => r.ms)).toFixed(0)} ms ` +
    `(${runs.map((r) => r.ms.toFixed(0)).join(', ')}); RSS 1 s later median ${median(runs.map((r) => r.rssMb)).toFixed(0)} MB`;
  console.log(`size: ${statSync(binary).size} bytes (${(statSync(binary).size / 2 ** 20).toFixed(1)} MiB)`);
  console.log(line('first start, empty folder', firsts));
  console.log(line('second start, same folder', seconds));
}

async function startOnce(file: string, folder: string): Promise<{ ms: number; rssMb: number }> {
  const port = await new Promise<number>((done) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => done(port));
    });
  });
  const started = performance.now();
  const child = spawn(file, ['serve'], {
    cwd: folder,
    stdio: 'ignore',
    env: { PATH: join(folder, 'no-node'), HOME: folder, HOST: '127.0.0.1', PORT: String(port), PURCHASE_DELAY_MS: '0', LOG_LEVEL: 'warn' },
  });
  const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
  try {
    let ms: number | undefined;
    while (ms === undefined) {
      if (performance.now() - started > 15_000) throw new Error('no answer on /healthz within 15 s');
      const ok = await fetch(`http://127.0.0.1:${port}/healthz`).then((res) => res.status === 200, () => false);
      if (ok) ms = performance.now() - started;
      else await new Promise((done) => setTimeout(done, 2));
    }
    await new Promise((done) => setTimeout(done, 1_000));
    const rssKb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1]);
    return { ms, rssMb: (rssKb * 1024) / 1e6 };
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  buildBinary()
    .then((binary) => (process.argv.includes('--measure') ? measure(binary) : undefined))
    .catch((error: unknown) => {
      console.error(`build-binary: ${error instanceof Error ? error.message : String(error)}`);
      process.exit(1);
    });
}
