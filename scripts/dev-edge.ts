// `npm run dev:edge` (SPEC §13): the Worker in workerd on this machine, started like `npm start`:
// PORT (default 8787) and HOST (default 127.0.0.1), ADMIN_TOKEN, CREDENTIAL_KEY and the other §7
// variables from the environment, a `.dev.vars` file in the current folder adding to them. The
// client is built first if dist/public is missing; the shop object's data lives in ./data/edge,
// so it survives a restart like the Node server's data folder. Stops on SIGINT or SIGTERM.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DevVarsError, devVars, readDevVarsFile } from './dev-vars.js';
import { startEdge } from './edge-local.js';

const root = fileURLToPath(new URL('..', import.meta.url));

function fail(message: string, code = 2): never {
  console.error(message);
  process.exit(code);
}

function listenSettings(env: NodeJS.ProcessEnv): { port: number; host: string } {
  const portText = env.PORT && env.PORT !== '' ? env.PORT : '8787';
  const port = /^\d+$/.test(portText) ? Number(portText) : NaN;
  if (!(port >= 0 && port <= 65_535)) fail(`PORT must be an integer from 0 to 65535, not ${JSON.stringify(portText)}`);
  return { port, host: env.HOST && env.HOST !== '' ? env.HOST : '127.0.0.1' };
}

function workerVars(): Record<string, string> {
  const file = join(process.cwd(), '.dev.vars');
  let vars: Record<string, string>;
  try {
    vars = devVars(process.env, readDevVarsFile(file));
  } catch (error) {
    if (error instanceof DevVarsError) fail(error.message);
    throw error;
  }
  const missing = ['ADMIN_TOKEN', 'CREDENTIAL_KEY'].filter((name) => !vars[name]);
  if (missing.length > 0) {
    fail(
      `${missing.join(' and ')} ${missing.length > 1 ? 'are' : 'is'} not set. The Worker does not generate secrets: set ${missing.length > 1 ? 'them' : 'it'} in the environment or in ${file}, e.g.\n` +
        missing.map((name) => `  ${name}=$(openssl rand -base64 32)`).join('\n') +
        '\n(ADMIN_TOKEN: at least 16 characters; CREDENTIAL_KEY: base64 of 32 bytes, and keep it: it decrypts the stored credentials)',
    );
  }
  return vars;
}

function buildClientIfMissing(): void {
  if (existsSync(join(root, 'dist', 'public', 'index.html'))) return;
  console.log('dist/public is missing: building the client (npm run build)');
  const built = spawnSync('npm', ['run', 'build', '--silent'], { cwd: root, stdio: 'inherit' });
  if (built.status !== 0) fail('npm run build failed', 1);
}

async function main(): Promise<void> {
  const { port, host } = listenSettings(process.env);
  const vars = workerVars();
  const persistTo = resolve('data', 'edge');
  buildClientIfMissing();
  // miniflare names the bundle's modules relative to the working folder, and workerd refuses a
  // path out of it ("can't use .. to break out"): from here on, work in the repository.
  process.chdir(root);
  const edge = await startEdge({ vars, port, host, persistTo });
  const shown = host.includes(':') ? `[${host}]` : host;
  console.log(`listening on http://${shown}:${edge.url.port} (workerd)`);
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal}: stopping workerd`);
    edge.dispose().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(`workerd did not stop cleanly: ${error instanceof Error ? error.message : String(error)}`);
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: unknown) => fail(`dev:edge failed to start: ${error instanceof Error ? error.message : String(error)}`, 1));
