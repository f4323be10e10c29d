// workerd on this machine through miniflare: the bundled Worker (scripts/build-edge.ts), its shop
// object on SQLite storage, the admin client as static assets, the environment as variables and
// secrets. `npm run dev:edge` and the tests (test/support/edge-server.ts) both start it this way.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Miniflare, type MiniflareOptions } from 'miniflare';
import { buildEdge } from './build-edge.js';

export const edgeCompatibilityDate = '2025-11-01';
const publicDir = fileURLToPath(new URL('../dist/public', import.meta.url));

export interface EdgeOptions {
  /** Variables and secrets of the Worker (ADMIN_TOKEN, CREDENTIAL_KEY, the §7 variables). */
  vars: Record<string, string>;
  port?: number;
  host?: string;
  /** A folder for the object's storage across restarts (none: in memory). */
  persistTo?: string;
  /** Bundle again first (default true). */
  build?: boolean;
  /** Takes workerd's stdout and stderr (the object's log lines); by default miniflare prints them. */
  handleRuntimeStdio?: MiniflareOptions['handleRuntimeStdio'];
}

export interface LocalEdge {
  url: URL;
  miniflare: Miniflare;
  dispose(): Promise<void>;
}

export async function startEdge(options: EdgeOptions): Promise<LocalEdge> {
  const scriptPath = options.build === false ? fileURLToPath(new URL('../dist/edge/worker.js', import.meta.url)) : await buildEdge();
  const config: MiniflareOptions = {
    modules: true,
    scriptPath,
    compatibilityDate: edgeCompatibilityDate,
    compatibilityFlags: ['nodejs_compat_v2'],
    durableObjects: { SHOP: { className: 'Shop', useSQLite: true } },
    bindings: options.vars,
    port: options.port ?? 0,
    host: options.host ?? '127.0.0.1',
    ...(options.persistTo ? { durableObjectsPersist: options.persistTo } : {}),
    ...(options.handleRuntimeStdio ? { handleRuntimeStdio: options.handleRuntimeStdio } : {}),
    ...(existsSync(publicDir) ? { assets: { directory: publicDir, binding: 'ASSETS', routerConfig: { has_user_worker: true, invoke_user_worker_ahead_of_assets: true }, assetConfig: { not_found_handling: 'single-page-application' } } } : {}),
  } as MiniflareOptions;
  const miniflare = new Miniflare(config);
  const url = await miniflare.ready;
  return { url, miniflare, dispose: () => miniflare.dispose() };
}
