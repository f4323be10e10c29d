// wrangler.toml (SPEC §13, README "Run it on Cloudflare") agrees with the code it deploys: the
// entry, the object's binding and class, the SQLite migration, the assets as the Worker and
// scripts/edge-local.ts expect them, the compatibility date, and no secret among the variables.
// wrangler itself needs Node 22 (every 4.x release), so the file is read here with a small TOML
// reader covering what the file uses: [table], [[array-of-tables]], dotted headers, and
// key = "string" | true/false | ["strings"] lines with # comments.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { edgeCompatibilityDate } from '../scripts/edge-local.js';
import { configVariables } from '../src/config.js';
import { repoRoot } from './support/server-process.js';

type Value = string | boolean | string[];
interface Table {
  [key: string]: Value | Table | Table[];
}

function parseValue(text: string, lineNumber: number): Value {
  if (text === 'true' || text === 'false') return text === 'true';
  if (text.startsWith('"')) return JSON.parse(text) as string;
  if (text.startsWith('[')) return JSON.parse(text) as string[];
  throw new Error(`wrangler.toml line ${lineNumber}: a value this reader does not know: ${text}`);
}

function stripComment(line: string): string {
  let inString = false;
  for (let i = 0; i < line.length; i++) {
    if (line[i] === '"' && line[i - 1] !== '\\') inString = !inString;
    else if (line[i] === '#' && !inString) return line.slice(0, i);
  }
  return line;
}

function descend(root: Table, path: string[], arrayTable: boolean): Table {
  let table = root;
  path.forEach((key, index) => {
    const last = index === path.length - 1;
    if (last && arrayTable) {
      const list = (table[key] ??= []) as Table[];
      const entry: Table = {};
      list.push(entry);
      table = entry;
      return;
    }
    const next = (table[key] ??= {}) as Table | Table[];
    table = Array.isArray(next) ? next[next.length - 1]! : next;
  });
  return table;
}

export function parseToml(text: string): Table {
  const root: Table = {};
  let current = root;
  for (const [index, raw] of text.split('\n').entries()) {
    const line = stripComment(raw).trim();
    if (line === '') continue;
    const header = /^(\[\[?)\s*([A-Za-z0-9_.-]+)\s*\]\]?$/.exec(line);
    if (header) {
      current = descend(root, header[2]!.split('.'), header[1] === '[[');
      continue;
    }
    const pair = /^([A-Za-z0-9_-]+)\s*=\s*(.+)$/.exec(line);
    if (!pair) throw new Error(`wrangler.toml line ${index + 1}: not a header or key = value`);
    if (pair[1]! in current) throw new Error(`wrangler.toml line ${index + 1}: ${pair[1]} given twice`);
    current[pair[1]!] = parseValue(pair[2]!.trim(), index + 1);
  }
  return root;
}

const config = parseToml(readFileSync(join(repoRoot, 'wrangler.toml'), 'utf8'));
const workerSource = readFileSync(join(repoRoot, 'src', 'edge', 'worker.ts'), 'utf8');
const edgeLocal = readFileSync(join(repoRoot, 'scripts', 'edge-local.ts'), 'utf8');

describe('the TOML reader', () => {
  it('reads tables, arrays of tables, comments and the value kinds the file uses', () => {
    expect(parseToml('a = "x # y" # c\n[t]\nb = true\n[[l.m]]\nc = ["p", "q"]\n[[l.m]]\nc = []\n')).toEqual({
      a: 'x # y',
      t: { b: true },
      l: { m: [{ c: ['p', 'q'] }, { c: [] }] },
    });
    expect(() => parseToml('a = 1\n')).toThrow(/does not know/);
    expect(() => parseToml('a = "x"\na = "y"\n')).toThrow(/given twice/);
  });
});

describe('wrangler.toml', () => {
  it('deploys src/edge/worker.ts on the compatibility date and flags the local runtime uses', () => {
    expect(config.main).toBe('src/edge/worker.ts');
    expect(workerSource).toMatch(/^export default \{\n  async fetch\(/m);
    expect(config.compatibility_date).toBe(edgeCompatibilityDate);
    expect(edgeLocal).toMatch(/compatibilityFlags: \['nodejs_compat_v2'\]/);
    expect(config.compatibility_flags).toEqual(['nodejs_compat_v2']);
    expect(typeof config.name).toBe('string');
  });

  it('binds the class the Worker exports as SHOP, on SQLite from the first migration', () => {
    const bindings = (config.durable_objects as Table).bindings as Table[];
    expect(bindings).toEqual([{ name: 'SHOP', class_name: 'Shop' }]);
    // The Worker module exports the class (vitest cannot import it: its SQL imports are for the bundler).
    expect(workerSource).toMatch(/^export \{ Shop \} from '\.\/shop\.js';$/m);
    expect(readFileSync(join(repoRoot, 'src', 'edge', 'shop.ts'), 'utf8')).toMatch(/^export class Shop \{/m);
    expect(workerSource).toContain('env.SHOP.get(env.SHOP.idFromName(');
    expect(edgeLocal).toMatch(/durableObjects: \{ SHOP: \{ className: 'Shop', useSQLite: true \} \}/);
    expect(config.migrations).toEqual([{ tag: 'v1', new_sqlite_classes: ['Shop'] }]);
  });

  it('serves dist/public as ASSETS, the Worker first, index.html for the client’s pages', () => {
    expect(config.assets).toEqual({ directory: 'dist/public', binding: 'ASSETS', not_found_handling: 'single-page-application', run_worker_first: true });
    expect(edgeLocal).toContain("binding: 'ASSETS'");
    expect(edgeLocal).toContain('invoke_user_worker_ahead_of_assets: true');
    expect(edgeLocal).toContain("not_found_handling: 'single-page-application'");
    expect(edgeLocal).toMatch(/new URL\('\.\.\/dist\/public'/);
  });

  it('bundles the SQL migrations as text, as scripts/build-edge.ts does', () => {
    expect(config.rules).toEqual([{ type: 'Text', globs: ['**/*.sql'], fallthrough: true }]);
    expect(readFileSync(join(repoRoot, 'scripts', 'build-edge.ts'), 'utf8')).toContain("loader: { '.sql': 'text' }");
  });

  it('sets only known, non-secret variables; the secrets are named for `wrangler secret put`', () => {
    const vars = config.vars as Record<string, string>;
    const known = new Set<string>([...configVariables, 'SHOP_NAME']);
    for (const name of Object.keys(vars)) expect(known.has(name), name).toBe(true);
    for (const secret of ['ADMIN_TOKEN', 'CREDENTIAL_KEY', 'GATEWAY_SECRET', 'METRICS_TOKEN', 'NOTIFY_WEBHOOK_SECRET', 'NOTIFY_WEBHOOK_URL']) {
      expect(vars).not.toHaveProperty(secret);
    }
    const text = readFileSync(join(repoRoot, 'wrangler.toml'), 'utf8');
    expect(text).toContain('secret put ADMIN_TOKEN');
    expect(text).toContain('secret put CREDENTIAL_KEY');
    expect(vars.GATEWAY).toBe('sandbox');
  });
});
