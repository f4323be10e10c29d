// SPEC §11 "a 2xx means committed": every write of the product commits through an explicit
// transaction, so a failed COMMIT throws. A tripwire on the driver records each statement that
// changes the database while no transaction is open (autocommit: its commit error can be lost on
// a statement reset), and a whole scripted session must trip it zero times.
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCleanup } from '../src/jobs/cleanup.js';
import { seedDemoOrders } from '../src/services/demo-orders.js';
import { addAccount, addOrder, dbTransaction, gamepass } from './support/run-fixtures.js';
import { buildTestApp, testToken } from './support/test-app.js';

type StatementLike = { readonly: boolean; source: string; database: { inTransaction: boolean } };

const autocommitWrites: string[] = [];
/** Transaction control and connection settings change no data. */
const control = /^\s*(BEGIN|COMMIT|END|ROLLBACK|SAVEPOINT|RELEASE|PRAGMA)\b/i;
let restore: (() => void) | undefined;

beforeAll(() => {
  const probe = new Database(':memory:');
  const proto = Object.getPrototypeOf(probe.prepare('select 1')) as Record<string, (...args: unknown[]) => unknown>;
  probe.close();
  const originals = new Map<string, (...args: unknown[]) => unknown>();
  for (const name of ['run', 'get', 'all', 'iterate']) {
    const original = proto[name]!;
    originals.set(name, original);
    proto[name] = function (this: StatementLike, ...args: unknown[]) {
      if (!this.readonly && !this.database.inTransaction && !control.test(this.source)) autocommitWrites.push(this.source.replace(/\s+/g, ' ').slice(0, 120));
      return original.apply(this, args);
    };
  }
  restore = () => {
    for (const [name, original] of originals) proto[name] = original;
  };
});

afterAll(() => restore?.());

describe('every write commits through an explicit transaction', () => {
  it('the tripwire sees an autocommit write (it can fail)', () => {
    const sqlite = new Database(':memory:');
    sqlite.exec('create table t (x)');
    const before = autocommitWrites.length;
    sqlite.prepare('insert into t values (1) returning x').get();
    sqlite.transaction(() => sqlite.prepare('insert into t values (2)').run())();
    expect(autocommitWrites.slice(before)).toEqual(['insert into t values (1) returning x']);
    autocommitWrites.length = before;
    sqlite.close();
  });

  it('a whole session: seed, accounts, orders, runs, refusals, retry, reconcile, resolve, log-in/out, cleanup, health', async () => {
    const t = await buildTestApp();
    try {
      seedDemoOrders(t.db, { now: () => Date.now() - 60_000 });
      await addOrder(t, 'INV-1', gamepass(100));
      await addOrder(t, 'INV-2', gamepass(100, 'Retired [NOT_FOR_SALE]'));
      await addOrder(t, 'INV-3', gamepass(100, 'Slow [TIMEOUT]'));
      await t.api('POST', '/api/transactions', { invoiceId: 'INV-1', gamepass: gamepass(100) });
      const { account } = await addAccount(t, 'alice', 100_000);
      await t.api('PUT', `/api/admin/stock-accounts/${account.id}`, { status: 'inactive' });
      await t.api('PUT', `/api/admin/stock-accounts/${account.id}`, { robloxCookie: 'sandbox:alice:100000', status: 'active' });
      await t.api('POST', `/api/transactions/${dbTransaction(t, 'INV-2').id}/retry`);
      await t.api('POST', `/api/transactions/${dbTransaction(t, 'INV-3').id}/reconcile`);
      await t.api('POST', `/api/transactions/${dbTransaction(t, 'INV-3').id}/resolve`, { outcome: 'failed', note: 'checked by hand' });
      await t.api('POST', '/api/auto-purchase', {});
      const { account: bob } = await addAccount(t, 'bob', 10);
      await t.api('DELETE', `/api/admin/stock-accounts/${bob.id}`);

      const login = await t.app.request('/api/auth/login', {
        method: 'POST',
        headers: { 'content-type': 'application/json', origin: 'http://localhost', 'sec-fetch-site': 'same-origin' },
        body: JSON.stringify({ token: testToken }),
      });
      expect(login.status).toBe(204);
      const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
      t.advance(5 * 60_000);
      expect((await t.app.request('/api/transactions', { headers: { cookie } })).status).toBe(200);
      const logout = await t.app.request('/api/auth/logout', { method: 'POST', headers: { cookie, origin: 'http://localhost', 'sec-fetch-site': 'same-origin' } });
      expect(logout.status).toBe(204);

      await t.engine.recover();
      const countOf = (table: string) => (t.sqlite.prepare(`select count(*) as n from ${table}`).get() as { n: number }).n;
      // Every change above wrote its audit entry (SPEC §12), through a transaction too.
      const audited = countOf('audit_log');
      await runCleanup(t.db, Date.now() + 40 * 24 * 60 * 60_000, { progressRetentionMs: 1, historyRetentionMs: 1 });
      expect((await t.app.request('/healthz')).status).toBe(200);

      // The session did write: orders, runs, accounts, events, audit entries (the cleanup then deleted those past retention but the resolution).
      const count = countOf;
      expect(count('transactions')).toBeGreaterThan(10);
      expect(count('purchase_attempts')).toBeGreaterThan(5);
      expect(audited).toBeGreaterThan(10);
      // Only the hand resolution outlives the retention (its transaction shows it for good).
      expect(t.sqlite.prepare('select action from audit_log').all()).toEqual([{ action: 'transaction.resolve' }]);
      expect(autocommitWrites).toEqual([]);
    } finally {
      await t.engine.stop(200);
      t.close();
    }
  });
});
