// Bundles the Worker (src/edge/worker.ts) into one ES module, dist/edge/worker.js, with the SQL
// migrations inlined: what workerd runs locally (npm run dev:edge, the tests) and what
// `wrangler deploy` uploads (wrangler.toml points at the same entry and bundles it the same way).
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';

export const edgeBundlePath = fileURLToPath(new URL('../dist/edge/worker.js', import.meta.url));

export async function buildEdge(): Promise<string> {
  await build({
    entryPoints: [fileURLToPath(new URL('../src/edge/worker.ts', import.meta.url))],
    outfile: edgeBundlePath,
    bundle: true,
    format: 'esm',
    platform: 'neutral',
    target: 'es2022',
    conditions: ['workerd', 'worker', 'browser'],
    mainFields: ['module', 'main'],
    loader: { '.sql': 'text' },
    external: ['cloudflare:*'],
    sourcemap: 'linked',
    logLevel: 'warning',
  });
  return edgeBundlePath;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const path = await buildEdge();
  console.log(`built ${path}`);
}
