// The app factory and everything it imports must run on any Web-standard runtime.
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const srcDir = resolve(import.meta.dirname, '../src');
const forbidden = [/^node:/, /^better-sqlite3$/, /^@hono\/node-server/, /^(fs|path|os|child_process|http|https|net|crypto|url|stream)$/];

/** Every module specifier in a file: static imports, re-exports and dynamic imports. */
export function importsOf(source: string): string[] {
  const found: string[] = [];
  const patterns = [/\bfrom\s+['"]([^'"]+)['"]/g, /\bimport\s+['"]([^'"]+)['"]/g, /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g, /\brequire\(\s*['"]([^'"]+)['"]\s*\)/g];
  for (const pattern of patterns) for (const match of source.matchAll(pattern)) found.push(match[1]!);
  return found;
}

/** The files reachable from an entry through relative imports. */
function reachable(entry: string): Map<string, string[]> {
  const seen = new Map<string, string[]>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    const specifiers = importsOf(readFileSync(file, 'utf8'));
    seen.set(file, specifiers);
    for (const specifier of specifiers) {
      if (specifier.startsWith('.')) visit(join(dirname(file), specifier).replace(/\.js$/, '.ts'));
    }
  };
  visit(entry);
  return seen;
}

describe('edge-friendly app factory', () => {
  it('reads imports of every kind', () => {
    expect(importsOf(`import a from 'node:fs';\nexport { b } from "./b.js";\nimport './c.js';\nconst d = await import('better-sqlite3');`)).toEqual([
      'node:fs',
      './b.js',
      './c.js',
      'better-sqlite3',
    ]);
  });

  it('src/app.ts and all it imports use no node:*, better-sqlite3 or @hono/node-server', () => {
    const files = reachable(join(srcDir, 'app.ts'));
    expect(files.size).toBeGreaterThan(10);
    const offending: string[] = [];
    for (const [file, specifiers] of files) {
      for (const specifier of specifiers) {
        if (forbidden.some((pattern) => pattern.test(specifier))) offending.push(`${file.slice(srcDir.length + 1)} imports ${specifier}`);
      }
    }
    expect(offending).toEqual([]);
  });

  it('src/server.ts (the one wiring of hub, engine and app) and all it imports use none either', () => {
    const files = reachable(join(srcDir, 'server.ts'));
    expect([...files.keys()].map((f) => f.slice(srcDir.length + 1))).toEqual(expect.arrayContaining(['app.ts', 'engine/auto-purchase.ts', 'stream/run-hub.ts']));
    const offending = [...files].flatMap(([file, specifiers]) =>
      specifiers.filter((s) => forbidden.some((p) => p.test(s))).map((s) => `${file.slice(srcDir.length + 1)} imports ${s}`),
    );
    expect(offending).toEqual([]);
  });

  it('the check would catch a Node import (the Node entry has them)', () => {
    const files = reachable(join(srcDir, 'main.ts'));
    const nodeImports = [...files.values()].flat().filter((s) => forbidden.some((p) => p.test(s)));
    expect(nodeImports).toEqual(expect.arrayContaining(['@hono/node-server', 'better-sqlite3']));
  });
});
