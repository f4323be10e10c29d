// The variables of `npm run dev:edge` (SPEC §13): every §7 variable set in the environment, plus a
// `.dev.vars` file (dotenv form, as wrangler reads it) that may add to them. The environment wins.
import { existsSync, readFileSync } from 'node:fs';
import { configVariables } from '../src/config.js';

/** The Worker's own variables besides §7's: the shop its object is named for (src/edge/worker.ts). */
const workerVariables = ['SHOP_NAME'] as const;

/** The script's own settings, not the Worker's: it listens on PORT/HOST; the object has no file. */
const notForTheWorker: ReadonlySet<string> = new Set(['PORT', 'HOST', 'DATABASE_PATH']);

export class DevVarsError extends Error {}

/**
 * `KEY=value` lines; blank lines and `#` comments skipped; an optional `export ` prefix; a value in
 * single or double quotes taken as is (double quotes understand \n, \" and \\); an unquoted value
 * ends at ` #`. A line that is none of these is an error naming its line number, never its text
 * (it may hold a secret).
 */
export function parseDevVars(text: string): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const [index, raw] of text.split(/\r?\n/).entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const match = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(line);
    if (!match) throw new DevVarsError(`.dev.vars line ${index + 1}: expected KEY=value`);
    vars[match[1]!] = valueOf(match[2]!, index + 1);
  }
  return vars;
}

function valueOf(text: string, lineNumber: number): string {
  const quote = text[0];
  if (quote === '"' || quote === "'") {
    // A double-quoted value may hold an escaped quote: its closing one is the first unescaped.
    const close = quote === '"' ? closingDoubleQuote(text) : text.indexOf(quote, 1);
    if (close < 0) throw new DevVarsError(`.dev.vars line ${lineNumber}: unterminated ${quote === '"' ? 'double' : 'single'} quote`);
    const rest = text.slice(close + 1).trim();
    if (rest !== '' && !rest.startsWith('#')) throw new DevVarsError(`.dev.vars line ${lineNumber}: text after the closing quote`);
    const inner = text.slice(1, close);
    return quote === '"' ? inner.replace(/\\([n"\\])/g, (_, c: string) => (c === 'n' ? '\n' : c)) : inner;
  }
  const comment = text.search(/\s#/);
  return (comment >= 0 ? text.slice(0, comment) : text).trim();
}

function closingDoubleQuote(text: string): number {
  for (let i = 1; i < text.length; i++) {
    if (text[i] === '\\') i++;
    else if (text[i] === '"') return i;
  }
  return -1;
}

/** The Worker's variables: the file's, then every §7 variable (and SHOP_NAME) of the environment over them. */
export function devVars(env: NodeJS.ProcessEnv, fileText: string | undefined): Record<string, string> {
  const vars: Record<string, string> = fileText === undefined ? {} : parseDevVars(fileText);
  for (const name of notForTheWorker) delete vars[name];
  for (const name of [...configVariables, ...workerVariables]) {
    const value = env[name];
    if (value !== undefined && value !== '' && !notForTheWorker.has(name)) vars[name] = value;
  }
  return vars;
}

/** `.dev.vars` of the folder, or undefined when there is none. */
export function readDevVarsFile(path: string): string | undefined {
  return existsSync(path) ? readFileSync(path, 'utf8') : undefined;
}
