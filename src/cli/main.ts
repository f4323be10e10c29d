#!/usr/bin/env node
// `autopurchase serve | watch <sessionId | watch link> | run [--account ID] | backup <file> | --version` (SPEC §9, §10).
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { escapeControl } from '../domain/escape-control.js';
import { watchRun } from './watch.js';
import { linkTarget, looksLikeUrl, sessionTarget } from './watch-target.js';
import { versionLine } from './version.js';
import { errorText } from '../domain/error-text.js';

const usage = `usage:
  autopurchase serve                       start the server (what npm start runs)
  autopurchase watch <sessionId> [--json]  follow a run live
  autopurchase watch <link> [--json]       follow the run of a watch link (…/watch/<id>?access_token=…
                                           or its eventsUrl), as copied; the admin token is never sent
  autopurchase run [--account ID] [--json] start a run and follow it
  autopurchase backup <file> [--force]     copy the live database (DATABASE_PATH, default
                                           ./data/autopurchase.db) to <file>, owner-only
  autopurchase --version                   print the version and Node's
options: --url URL (or AUTOPURCHASE_URL, default http://localhost:3000)
         --token TOKEN (or ADMIN_TOKEN, else ./data/admin-token; used with a session id only)`;

export async function cli(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        url: { type: 'string' },
        token: { type: 'string' },
        account: { type: 'string' },
        json: { type: 'boolean', default: false },
        force: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
        version: { type: 'boolean', short: 'v', default: false },
      },
    });
  } catch (error) {
    console.error(`autopurchase: ${errorText(error)}\n${usage}`);
    return 2;
  }
  const [command, ...rest] = parsed.positionals;
  const { values } = parsed;
  if (values.help) {
    console.log(usage);
    return 0;
  }
  if (values.version && command === undefined) {
    console.log(versionLine());
    return 0;
  }
  if (command === 'serve' && rest.length === 0) {
    await import('../main.js');
    return -1;
  }
  if (command === 'backup' && rest.length === 1) {
    const { backupCommand, defaultDatabasePath } = await import('./backup.js');
    return backupCommand({
      target: rest[0]!,
      force: values.force,
      databasePath: process.env.DATABASE_PATH || defaultDatabasePath,
      out: (line) => console.log(escapeControl(line)),
      err: (line) => console.error(escapeControl(line)),
    });
  }
  const url = values.url ?? process.env.AUTOPURCHASE_URL ?? 'http://localhost:3000';
  const token = values.token ?? process.env.ADMIN_TOKEN ?? tokenFromDataFolder();
  // The terminal's boundary: every line printed from here on may hold server text (ids, steps,
  // errors), so none reaches the terminal with a control character in it.
  const out = (line: string) => console.log(escapeControl(line));
  const err = (line: string) => console.error(escapeControl(line));
  if (command === 'watch' && rest.length === 1 && looksLikeUrl(rest[0]!)) {
    const target = linkTarget(rest[0]!);
    if ('error' in target) {
      err(`autopurchase: ${target.error}`);
      return 2;
    }
    // A URL names its own host, which may be anyone's: the admin token never goes with it. linkTarget
    // refuses a URL without a non-empty access_token, and no token is handed to watchRun here.
    return watchRun({ target, token: undefined, json: values.json, out, err });
  }
  if ((command === 'watch' && rest.length === 1) || (command === 'run' && rest.length === 0)) {
    if (!token) {
      err('autopurchase: no admin token: pass --token or set ADMIN_TOKEN');
      return 2;
    }
    let sessionId = rest[0];
    if (command === 'run') {
      const started = await startRun(url, token, values.account);
      if ('error' in started) {
        err(`autopurchase: ${started.error}`);
        return 2;
      }
      sessionId = started.sessionId;
      if (!values.json) out(`Started run ${sessionId}`);
    }
    return watchRun({ target: sessionTarget(url, sessionId!), token, json: values.json, out, err });
  }
  console.error(usage);
  return 2;
}

async function startRun(url: string, token: string, account: string | undefined): Promise<{ sessionId: string } | { error: string }> {
  try {
    const res = await fetch(`${url.replace(/\/$/, '')}/api/auto-purchase`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(account ? { stockAccountId: account } : {}),
    });
    const body = (await res.json().catch(() => ({}))) as { sessionId?: string; error?: { message?: string } };
    if (res.status !== 202 || !body.sessionId) return { error: `the server answered HTTP ${res.status}: ${body.error?.message ?? 'no run started'}` };
    return { sessionId: body.sessionId };
  } catch (error) {
    return { error: `cannot reach ${url}: ${errorText(error)}` };
  }
}

function tokenFromDataFolder(): string | undefined {
  try {
    return readFileSync(resolve(process.env.DATABASE_PATH ? resolve(process.env.DATABASE_PATH, '..') : 'data', 'admin-token'), 'utf8').trim();
  } catch {
    return undefined;
  }
}

const code = await cli(process.argv.slice(2));
// `serve` keeps running; every other command exits with its code.
if (code >= 0) process.exit(code);
