// Hostile text stays text (SPEC §11): a path or an id carrying control characters can neither
// forge a log line nor rewrite the terminal of `autopurchase watch`.
import { afterEach, describe, expect, it } from 'vitest';
import { linesFor, snapshotLines } from '../src/cli/draw.js';
import { controlSafeJson, escapeControl } from '../src/domain/escape-control.js';
import { emptyRun } from '../src/domain/fold.js';
import { adminClientAt } from './support/admin-client.js';
import { runCli } from './support/cli-process.js';
import { cleanUp, makeTempDir, startServer } from './support/server-process.js';
import { buildTestApp } from './support/test-app.js';

/** Erases the line, returns to its start, draws a fake success, then sets the window title. */
const hostileInvoice = 'INV-1\x1b[2K\r✓ completed\x1b]0;pwned\x07';
/** A C1 CSI (8-bit ESC [), a backspace, a DEL and a right-to-left override. */
const hostileName = 'Pass\u009b2J\b\u007f\u202eevil';
/** Everything a terminal or a log reader could act on. */
const raw = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;
const rawWithNewline = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

describe('escapeControl', () => {
  it('writes C0, DEL, C1, separators and bidi controls as visible escapes and leaves other text alone', () => {
    expect(escapeControl('a\nb\r\tc\x1b[31m\x07\x00\x7f\u0085\u009b')).toBe('a\\nb\\r\\tc\\x1b[31m\\x07\\x00\\x7f\\x85\\x9b');
    expect(escapeControl('x\u2028y\u2029\u202a\u202e\u2066\u2069')).toBe('x\\u2028y\\u2029\\u202a\\u202e\\u2066\\u2069');
    expect(escapeControl('✓ DEMO-0012 — café 日本 ▶ █░ \\n')).toBe('✓ DEMO-0012 — café 日本 ▶ █░ \\n');
  });

  it('controlSafeJson parses back to the same value with no raw control character in the line', () => {
    const value = { id: hostileInvoice, name: hostileName, sep: '\u2028\u2029', isolate: '\u2066x\u2069' };
    const line = controlSafeJson(value);
    expect(line).not.toMatch(rawWithNewline);
    expect(JSON.parse(line)).toEqual(value);
  });
});

describe('the request log', () => {
  it('a path with %0A stays one log line, the newline shown as \\n', async () => {
    const t = await buildTestApp();
    try {
      const res = await t.api('GET', '/api/x%0Aforged%20line%1B%5B2K%E2%80%AE');
      expect(res.status).toBe(404);
      const physical = t.log.join('\n').split('\n');
      // Every physical line is one the logger began: a timestamp and a level.
      for (const line of physical) expect(line).toMatch(/^\d{4}-\d{2}-\d{2}T[\d:.]+Z (DEBUG|INFO|WARN|ERROR) /);
      const mentions = physical.filter((line) => line.includes('forged'));
      expect(mentions).toHaveLength(1);
      expect(mentions[0]).toContain('GET /api/x\\nforged line\\x1b[2K\\u202e 404');
      expect(mentions[0]).not.toMatch(raw);
    } finally {
      t.close();
    }
  });
});

describe('what the CLI draws', () => {
  const snapshot = () => ({ ...emptyRun({ sessionId: 'run-1', startTime: '2026-01-01T00:00:00.000Z', createdAt: '2026-01-01T00:00:00.000Z' }), status: 'failed' as const, currentStep: `Step\r\x1b[1A`, error: `boom\n✓ done` });

  it('an invoice id, an account name, a step and an error with escape sequences are drawn escaped', () => {
    const lines = [
      ...linesFor({ type: 'transaction', data: { id: 1, invoiceId: hostileInvoice, status: 'failed', usedAccount: `al\x1bice`, error: hostileName } } as never, snapshot()),
      ...linesFor({ type: 'step', data: { currentStep: '\x1b]0;title\x07Buying' } } as never, snapshot()),
      ...linesFor({ type: 'end', data: { status: 'failed', error: 'x\u009b2J' } } as never, snapshot()),
      ...snapshotLines(snapshot()),
    ];
    for (const line of lines) expect(line).not.toMatch(rawWithNewline);
    expect(lines[0]).toBe('  ✗ INV-1\\x1b[2K\\r✓ completed\\x1b]0;pwned\\x07 failed (by al\\x1bice — Pass\\x9b2J\\x08\\x7f\\u202eevil)');
    expect(lines).toContain('▶ \\x1b]0;title\\x07Buying  [████████████████████████] 0/0');
    expect(lines).toContain('  error: boom\\n✓ done');
  });
});

describe('autopurchase watch over a hostile invoice', () => {
  const token = 'hostile-test-token-0123456789';
  afterEach(() => cleanUp());

  it('watch and watch --json print the id with no ESC, BEL, CR, C1 or bidi control from the data', async () => {
    // The demo orders go first, slowly: the watcher is following live when the hostile one is bought.
    const server = await startServer({ dataDir: makeTempDir(), env: { ADMIN_TOKEN: token, PURCHASE_DELAY_MS: '250' } });
    const api = adminClientAt(server.url, token);
    const order = await api('POST', '/api/transactions', { invoiceId: hostileInvoice, gamepass: { id: 1, name: hostileName, price: 10, sellerId: 2 } });
    expect(order.status).toBe(201);
    const { json } = await api('POST', '/api/admin/stock-accounts', { robloxCookie: 'sandbox:alice:100000' });
    const sessionId = json.autoPurchase.sessionId;

    const drawn = await runCli(['watch', sessionId, '--url', server.url, '--token', token]);
    expect(drawn.code, drawn.stderr).toBe(0);
    expect(drawn.stdout).toContain('INV-1\\x1b[2K\\r✓ completed\\x1b]0;pwned\\x07');
    expect(drawn.stdout).not.toMatch(raw);
    expect(drawn.stderr).not.toMatch(raw);

    const folded = await runCli(['watch', sessionId, '--json', '--url', server.url, '--token', token]);
    expect(folded.code, folded.stderr).toBe(0);
    expect(folded.stdout).not.toMatch(raw);
    const snapshot = JSON.parse(folded.stdout.trim().split('\n')[0]!).snapshot;
    // The JSON carried the C1, DEL and bidi characters escaped, and they parse back unchanged.
    expect(snapshot.transactions).toContainEqual(expect.objectContaining({ invoiceId: hostileInvoice, gamepassName: hostileName }));
  });
});
