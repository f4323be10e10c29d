// The engine across real processes (SPEC §3 "Never twice", "One run at a time"): server child
// processes on one SQLite file, a real HTTP fake of the buy-pass service (in this process: the
// servers are what is under test), `kill -9` in the middle of a purchase, and triggers from two
// processes at the same moment. Everything listens on 127.0.0.1 only; every child is SIGKILLed and
// every listener closed in afterEach, whatever happened.
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { startFakeGateway, type FakeGateway } from './support/fake-gateway-server.js';
import { apiClient, countByInvoice, pollUntil, startLatencyProxy, type ApiClient, type LatencyProxy, type RunSnapshot } from './support/engine-processes.js';
import { cleanUp, makeTempDir, startServer, type ServerProcess } from './support/server-process.js';

const adminToken = 'engine-processes-admin-token';
const gatewaySecret = 'engine-processes-gateway-secret';
const interruptedByRestart = 'Interrupted by restart';

let gateway: FakeGateway | undefined;
let proxy: LatencyProxy | undefined;

afterEach(async () => {
  // The servers first (SIGKILL), so none is left calling a closed gateway.
  await cleanUp();
  await proxy?.close();
  await gateway?.close();
  proxy = undefined;
  gateway = undefined;
});

/** The environment of a server using the http gateway at `gatewayUrl`. */
function httpGatewayEnv(gatewayUrl: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    GATEWAY: 'http',
    GATEWAY_URL: gatewayUrl,
    GATEWAY_SECRET: gatewaySecret,
    PURCHASE_DELAY_MS: '0',
    ADMIN_TOKEN: adminToken,
    GATEWAY_TIMEOUT_MS: '500',
    GATEWAY_MAX_ATTEMPTS: '2',
    ...extra,
  };
}

/** SIGKILL, and wait until the process is reaped (a zombie would still look alive to kill(pid, 0)). */
async function killHard(server: ServerProcess): Promise<void> {
  server.proc.kill('SIGKILL');
  const exit = await server.waitForExit();
  expect(exit.signal).toBe('SIGKILL');
}

/** Polls the run's snapshot until it is no longer `running`. */
function runEnded(api: ApiClient, sessionId: string, timeoutMs = 10_000): Promise<RunSnapshot> {
  return pollUntil(
    `run ${sessionId} to end`,
    async () => {
      const answer = await api.progress(sessionId);
      if (answer.status !== 200) throw new Error(`progress answered ${answer.status}: ${JSON.stringify(answer.body)}`);
      return answer.body.status === 'running' ? undefined : answer.body;
    },
    timeoutMs,
  );
}

/** Polls until no transaction is `processing`; answers them all. */
function settled(api: ApiClient, timeoutMs = 10_000) {
  return pollUntil(
    'no transaction processing',
    async () => {
      const all = await api.transactions();
      return all.some((t) => t.status === 'processing') ? undefined : all;
    },
    timeoutMs,
  );
}

/** A transaction's status read straight from the database file (the server being dead). */
function statusInFile(databasePath: string, invoiceId: string): { status: string; outcome: string | null } | undefined {
  const sqlite = new Database(databasePath, { readonly: true, fileMustExist: true });
  try {
    return sqlite
      .prepare(
        `select t.status as status, (select a.outcome from purchase_attempts a where a.transaction_id = t.id order by a.id desc limit 1) as outcome
         from transactions t where t.invoice_id = ?`,
      )
      .get(invoiceId) as { status: string; outcome: string | null } | undefined;
  } finally {
    sqlite.close();
  }
}

function buyRequestsFor(fake: FakeGateway, invoiceId: string) {
  return fake.requestsTo('/buy-pass').filter((r) => (r.body as { invoiceId?: unknown } | undefined)?.invoiceId === invoiceId);
}

/** The stored balance of each stock account, by username. */
async function balances(api: ApiClient): Promise<Record<string, number>> {
  const answer = await api.call<{ stockAccounts: { username: string; robux: number }[] }>('GET', '/api/admin/stock-accounts');
  if (answer.status !== 200) throw new Error(`GET /api/admin/stock-accounts answered ${answer.status}`);
  return Object.fromEntries(answer.body.stockAccounts.map((a) => [a.username, a.robux]));
}

function sessionIdOf(body: unknown): string {
  const answer = body as { sessionId?: string; autoPurchase?: { sessionId: string } };
  const id = answer.sessionId ?? answer.autoPurchase?.sessionId;
  if (typeof id !== 'string') throw new Error(`no sessionId in ${JSON.stringify(body)}`);
  return id;
}

describe('the engine across real processes', () => {
  it(
    'kill -9 after the gateway bought but before the answer: the restart ends the run "Interrupted by restart" and reconciles, never buying again',
    async () => {
      const fake = (gateway = await startFakeGateway({ secret: gatewaySecret }));
      const dataDir = makeTempDir('engine-crash-');
      const databasePath = join(dataDir, 'autopurchase.db');
      // A long timeout for the first server: its call must still be waiting when it is killed.
      const first = await startServer({ dataDir, env: httpGatewayEnv(fake.url, { GATEWAY_TIMEOUT_MS: '20000' }) });
      const api1 = apiClient(first.url, adminToken);

      expect((await api1.addOrder('INV-1', 10, 101)).status).toBe(201);
      expect((await api1.addOrder('INV-2', 10, 102)).status).toBe(201);
      // INV-1's purchase goes through at the marketplace, and its answer never comes back.
      fake.completeThenHang({ invoiceId: 'INV-1' });
      const added = await api1.addAccount('sandbox:buyer:1000');
      expect(added.status).toBe(201);
      const oldRun = added.body.autoPurchase.sessionId;

      await pollUntil('the gateway to record the purchase of INV-1', () => (fake.purchases('INV-1').length > 0 ? true : undefined), 10_000, 5);
      expect(fake.hanging()).toBe(1);
      await killHard(first);

      // The crash happened where it hurts: bought at the marketplace, `processing` in the database.
      expect(statusInFile(databasePath, 'INV-1')).toEqual({ status: 'processing', outcome: 'pending' });
      expect(statusInFile(databasePath, 'INV-2')).toEqual({ status: 'pending', outcome: null });

      // Same data folder (the credential key is kept there), same database file, same token.
      const second = await startServer({ dataDir, env: httpGatewayEnv(fake.url) });
      const api2 = apiClient(second.url, adminToken);

      const inv1 = await pollUntil('INV-1 to leave processing', async () => {
        const row = (await api2.transactions()).find((t) => t.invoiceId === 'INV-1');
        return row && row.status !== 'processing' ? row : undefined;
      });
      expect(inv1.status).toBe('completed');
      expect(inv1.usedAccount).toBe('buyer');
      // Reconciled by asking about the key, not by buying again.
      expect(buyRequestsFor(fake, 'INV-1')).toHaveLength(1);
      expect(fake.requestsTo('/purchases').length).toBeGreaterThanOrEqual(1);
      expect(fake.purchases('INV-1')).toHaveLength(1);

      const old = await api2.progress(oldRun);
      expect(old.status).toBe(200);
      expect(old.body.status).toBe('failed');
      expect(old.body.error).toBe(interruptedByRestart);
      expect(old.body.transactions.find((t) => t.invoiceId === 'INV-1')?.status).not.toBe('processing');
      expect(old.body.transactions.some((t) => t.status === 'processing')).toBe(false);

      // Recovery buys nothing by itself: INV-2 waits for the next run.
      expect((await api2.transactions()).find((t) => t.invoiceId === 'INV-2')?.status).toBe('pending');
      const later = await api2.trigger();
      expect(later.status).toBe(202);
      expect(later.body.sessionId).not.toBe(oldRun);
      const laterRun = await runEnded(api2, later.body.sessionId);
      expect(laterRun.status).toBe('completed');
      expect(laterRun.transactions.map((t) => [t.invoiceId, t.status])).toEqual([['INV-2', 'completed']]);

      const rows = await settled(api2);
      expect(rows.map((t) => [t.invoiceId, t.status]).sort()).toEqual([
        ['INV-1', 'completed'],
        ['INV-2', 'completed'],
      ]);
      // Every invoice bought exactly once, whatever the keys.
      expect(Object.fromEntries(countByInvoice(fake.purchases()))).toEqual({ 'INV-1': 1, 'INV-2': 1 });
      // The reserved price of INV-1 was spent, not refunded: the database agrees with the marketplace.
      expect(await balances(api2)).toEqual({ buyer: 980 });
      expect(fake.account('buyer')?.robux).toBe(980);
    },
    30_000,
  );

  it(
    'two processes on one database file: triggers at the same moment from both start one run, and each of 50 orders is bought exactly once',
    async () => {
      const fake = (gateway = await startFakeGateway({ secret: gatewaySecret }));
      // 20 ms more per purchase: a run over 50 orders lasts at least a second, long enough for every
      // trigger below to overlap it (asserted: fewer than 50 purchases when they are answered).
      proxy = await startLatencyProxy(fake.url, 20);
      const dataDir = makeTempDir('engine-two-');
      const env = httpGatewayEnv(proxy.url);
      const serverA = await startServer({ dataDir, env });
      const serverB = await startServer({ dataDir, env });
      const apiA = apiClient(serverA.url, adminToken);
      const apiB = apiClient(serverB.url, adminToken);
      const cookie = 'sandbox:buyer:100000';

      // The account first, while nothing is pending: its run buys nothing.
      const added = await apiA.addAccount(cookie);
      expect(added.status).toBe(201);
      expect((await runEnded(apiB, added.body.autoPurchase.sessionId)).status).toBe('completed');

      const invoices = Array.from({ length: 50 }, (_, i) => `MULTI-${String(i + 1).padStart(2, '0')}`);
      const created = await Promise.all(invoices.map((invoiceId, i) => (i % 2 ? apiB : apiA).addOrder(invoiceId, 10, 2000 + i)));
      expect(created.map((c) => c.status)).toEqual(invoices.map(() => 201));

      // The burst: through both processes at once, plain triggers and account re-adds (each of
      // which triggers too). No run is active before it: both processes race to start one.
      const burst = await Promise.all([apiA.trigger(), apiB.trigger(), apiA.trigger(), apiB.trigger(), apiA.addAccount(cookie), apiB.addAccount(cookie)]);
      expect(burst.map((b) => b.status)).toEqual([202, 202, 202, 202, 200, 200]);
      const ids = burst.map((b) => sessionIdOf(b.body));
      expect(new Set(ids).size).toBe(1);
      const sessionId = ids[0]!;
      // They overlapped the run, not just each other: it had not finished when they were answered.
      expect(fake.purchases().length).toBeLessThan(invoices.length);

      // Mid-run, a second burst from both processes still answers the same run.
      await pollUntil('about 20 purchases', () => (fake.purchases().length >= 20 ? true : undefined), 10_000, 5);
      const midRun = await Promise.all([apiB.trigger(), apiA.trigger(), apiB.addAccount(cookie)]);
      expect(fake.purchases().length).toBeLessThan(invoices.length);
      expect(midRun.map((b) => sessionIdOf(b.body))).toEqual([sessionId, sessionId, sessionId]);

      const run = await runEnded(apiA, sessionId, 15_000);
      expect(run.status).toBe('completed');
      expect(run.summary).toMatchObject({ totalTransactions: 50, processedCount: 50, skippedCount: 0, failedCount: 0, unknownCount: 0 });

      // Every invoice bought exactly once at the marketplace.
      const counts = countByInvoice(fake.purchases());
      expect([...counts.keys()].sort()).toEqual(invoices);
      expect([...counts.values()].every((n) => n === 1)).toBe(true);
      expect(fake.purchases()).toHaveLength(50);
      // And completed in the database, whichever process is asked.
      for (const api of [apiA, apiB]) {
        const rows = await settled(api);
        expect(rows).toHaveLength(50);
        expect(rows.filter((t) => t.status !== 'completed').map((t) => [t.invoiceId, t.status])).toEqual([]);
      }
      // The whole burst started one run: the account's first run and this one, no other.
      const sessions = await apiB.call<{ sessions: { sessionId: string; status: string }[] }>('GET', '/api/auto-purchase/sessions?limit=100');
      expect(sessions.body.sessions.map((s) => s.sessionId).sort()).toEqual([added.body.autoPurchase.sessionId, sessionId].sort());
    },
    30_000,
  );

  it(
    'a run started by process A reads completed from process B, the same snapshot A answers',
    async () => {
      const fake = (gateway = await startFakeGateway({ secret: gatewaySecret }));
      const dataDir = makeTempDir('engine-read-');
      const env = httpGatewayEnv(fake.url);
      const serverA = await startServer({ dataDir, env });
      const serverB = await startServer({ dataDir, env });
      const apiA = apiClient(serverA.url, adminToken);
      const apiB = apiClient(serverB.url, adminToken);

      for (const [i, invoiceId] of ['READ-1', 'READ-2', 'READ-3'].entries()) expect((await apiA.addOrder(invoiceId, 10, 300 + i)).status).toBe(201);
      const added = await apiA.addAccount('sandbox:reader:100');
      expect(added.status).toBe(201);
      const sessionId = added.body.autoPurchase.sessionId;

      // B never saw the trigger: it only shares the database file.
      const fromB = await runEnded(apiB, sessionId);
      expect(fromB.status).toBe('completed');
      expect(fromB.currentStep).toBe('Auto-purchase completed');
      expect(fromB.transactions.map((t) => [t.invoiceId, t.status])).toEqual([
        ['READ-1', 'completed'],
        ['READ-2', 'completed'],
        ['READ-3', 'completed'],
      ]);
      expect(fromB.summary).toMatchObject({ totalTransactions: 3, processedCount: 3 });
      const fromA = await apiA.progress(sessionId);
      expect(fromA.body).toEqual(fromB);
      expect(Object.fromEntries(countByInvoice(fake.purchases()))).toEqual({ 'READ-1': 1, 'READ-2': 1, 'READ-3': 1 });
    },
    20_000,
  );
  it(
    'kill -9 before the gateway bought anything: the order is left unknown, never bought blindly, and bought once when the gateway says the first attempt failed',
    async () => {
      const fake = (gateway = await startFakeGateway({ secret: gatewaySecret }));
      const dataDir = makeTempDir('engine-lost-');
      const databasePath = join(dataDir, 'autopurchase.db');
      const first = await startServer({ dataDir, env: httpGatewayEnv(fake.url, { GATEWAY_TIMEOUT_MS: '20000' }) });
      const api1 = apiClient(first.url, adminToken);
      expect((await api1.addOrder('LOST-1', 10, 401)).status).toBe(201);
      // The request reaches the marketplace, which neither buys nor answers.
      fake.hangNext({ invoiceId: 'LOST-1' });
      const added = await api1.addAccount('sandbox:buyer:1000');
      expect(added.status).toBe(201);
      await pollUntil('the buy request to hang', () => (fake.hanging() === 1 ? true : undefined), 10_000, 5);
      await killHard(first);
      expect(statusInFile(databasePath, 'LOST-1')).toEqual({ status: 'processing', outcome: 'pending' });

      const second = await startServer({ dataDir, env: httpGatewayEnv(fake.url) });
      const api2 = apiClient(second.url, adminToken);
      const lost = await pollUntil('LOST-1 to leave processing', async () => {
        const row = (await api2.transactions()).find((t) => t.invoiceId === 'LOST-1');
        return row && row.status !== 'processing' ? row : undefined;
      });
      // The gateway knows the key but has no outcome: nobody can say, so it stays unknown.
      expect(lost.status).toBe('unknown');
      const old = await api2.progress(added.body.autoPurchase.sessionId);
      expect([old.body.status, old.body.error]).toEqual(['failed', interruptedByRestart]);

      // A later run asks again, and still does not buy.
      const again = await api2.trigger();
      expect((await runEnded(api2, again.body.sessionId)).status).toBe('completed');
      expect((await api2.transactions()).find((t) => t.invoiceId === 'LOST-1')?.status).toBe('unknown');
      expect(buyRequestsFor(fake, 'LOST-1')).toHaveLength(1);
      expect(fake.purchases()).toEqual([]);

      // Now the gateway says the first attempt did not go through: the next run reconciles the
      // order back to pending and buys it, under a new key, once.
      fake.respondNext(200, { status: 'failed' }, { path: '/purchases' });
      const last = await api2.trigger();
      const lastRun = await runEnded(api2, last.body.sessionId);
      expect(lastRun.status).toBe('completed');
      expect(lastRun.transactions.map((t) => [t.invoiceId, t.status])).toEqual([['LOST-1', 'completed']]);
      expect(fake.purchases('LOST-1')).toHaveLength(1);
      const keys = buyRequestsFor(fake, 'LOST-1').map((r) => (r.body as { idempotencyKey: string }).idempotencyKey);
      expect(keys).toHaveLength(2);
      expect(new Set(keys).size).toBe(2);
      expect((await settled(api2)).map((t) => [t.invoiceId, t.status])).toEqual([['LOST-1', 'completed']]);
      expect(fake.account('buyer')?.robux).toBe(990);
      expect(await balances(api2)).toEqual({ buyer: 990 });
    },
    20_000,
  );

  it(
    'process A killed -9 mid-run while B shares the database: a trigger on B ends A\'s run, reconciles its purchase in flight, and buys the rest, each once',
    async () => {
      const fake = (gateway = await startFakeGateway({ secret: gatewaySecret }));
      proxy = await startLatencyProxy(fake.url, 10);
      const dataDir = makeTempDir('engine-takeover-');
      const serverA = await startServer({ dataDir, env: httpGatewayEnv(proxy.url, { GATEWAY_TIMEOUT_MS: '20000' }) });
      const serverB = await startServer({ dataDir, env: httpGatewayEnv(proxy.url) });
      const apiA = apiClient(serverA.url, adminToken);
      const apiB = apiClient(serverB.url, adminToken);

      const invoices = Array.from({ length: 10 }, (_, i) => `TAKE-${String(i + 1).padStart(2, '0')}`);
      for (const [i, invoiceId] of invoices.entries()) expect((await apiA.addOrder(invoiceId, 10, 500 + i)).status).toBe(201);
      fake.completeThenHang({ invoiceId: 'TAKE-04' });
      const added = await apiA.addAccount('sandbox:buyer:1000');
      expect(added.status).toBe(201);
      const oldRun = added.body.autoPurchase.sessionId;
      await pollUntil('the gateway to record TAKE-04', () => (fake.purchases('TAKE-04').length > 0 ? true : undefined), 10_000, 5);

      // While A lives, B answers A's run.
      expect(sessionIdOf((await apiB.trigger()).body)).toBe(oldRun);
      await killHard(serverA);

      const taken = await apiB.trigger();
      expect(taken.status).toBe(202);
      const newRun = sessionIdOf(taken.body);
      expect(newRun).not.toBe(oldRun);
      const old = await apiB.progress(oldRun);
      expect([old.body.status, old.body.error]).toEqual(['failed', interruptedByRestart]);
      expect(old.body.transactions.some((t) => t.status === 'processing')).toBe(false);

      const run = await runEnded(apiB, newRun);
      expect(run.status).toBe('completed');
      const rows = await settled(apiB);
      expect(rows.filter((t) => t.status !== 'completed').map((t) => [t.invoiceId, t.status])).toEqual([]);
      expect(rows).toHaveLength(10);
      const counts = countByInvoice(fake.purchases());
      expect([...counts.keys()].sort()).toEqual(invoices);
      expect([...counts.values()].every((n) => n === 1)).toBe(true);
      expect(buyRequestsFor(fake, 'TAKE-04')).toHaveLength(1);
      expect(await balances(apiB)).toEqual({ buyer: 900 });
      expect(fake.account('buyer')?.robux).toBe(900);
    },
    20_000,
  );

  // Found by this test: the reservation was lost (money assumed, not reserved).
  it(
    'a stock account re-added during its purchase in flight keeps the reservation: the stored balance ends equal to the marketplace\'s',
    async () => {
      const fake = (gateway = await startFakeGateway({ secret: gatewaySecret }));
      const dataDir = makeTempDir('engine-balance-');
      const server = await startServer({ dataDir, env: httpGatewayEnv(fake.url, { GATEWAY_TIMEOUT_MS: '1000', GATEWAY_MAX_ATTEMPTS: '2' }) });
      const api = apiClient(server.url, adminToken);
      expect((await api.addOrder('BAL-1', 10, 601)).status).toBe(201);
      // The first attempt gets no answer (and buys nothing); the retry under the same key buys.
      fake.hangNext({ invoiceId: 'BAL-1' });
      const added = await api.addAccount('sandbox:buyer:100');
      expect(added.status).toBe(201);
      await pollUntil('the first attempt to hang', () => (fake.hanging() === 1 ? true : undefined), 10_000, 5);
      expect(await balances(api)).toEqual({ buyer: 90 });

      const readded = await api.addAccount('sandbox:buyer:100');
      expect(readded.status).toBe(200);
      expect(sessionIdOf(readded.body)).toBe(added.body.autoPurchase.sessionId);

      expect((await runEnded(api, added.body.autoPurchase.sessionId)).status).toBe('completed');
      expect(fake.purchases('BAL-1')).toHaveLength(1);
      expect(fake.account('buyer')?.robux).toBe(90);
      expect(await balances(api)).toEqual({ buyer: 90 });
    },
    15_000,
  );

  // Found by this test: the reservation was lost (money assumed, not reserved).
  it(
    'an unknown purchase keeps its reservation through a balance refresh: the stored balance ends equal to the marketplace\'s',
    async () => {
      const fake = (gateway = await startFakeGateway({ secret: gatewaySecret }));
      const dataDir = makeTempDir('engine-refresh-');
      const server = await startServer({ dataDir, env: httpGatewayEnv(fake.url, { GATEWAY_TIMEOUT_MS: '300', GATEWAY_MAX_ATTEMPTS: '1' }) });
      const api = apiClient(server.url, adminToken);
      expect((await api.addOrder('REF-1', 10, 701)).status).toBe(201);
      // No answer (and nothing bought): the order ends unknown, its price reserved.
      fake.hangNext({ invoiceId: 'REF-1' });
      const added = await api.addAccount('sandbox:buyer:1000');
      expect((await runEnded(api, added.body.autoPurchase.sessionId)).status).toBe('completed');
      expect((await api.transactions()).map((t) => [t.invoiceId, t.status])).toEqual([['REF-1', 'unknown']]);
      expect(await balances(api)).toEqual({ buyer: 990 });

      // Still unknown at the gateway: nothing pending, so this run refreshes the balances.
      const refresh = await api.trigger();
      expect((await runEnded(api, refresh.body.sessionId)).status).toBe('completed');
      // The gateway now says the attempt failed: back to pending, bought once.
      fake.respondNext(200, { status: 'failed' }, { path: '/purchases' });
      const last = await api.trigger();
      expect((await runEnded(api, last.body.sessionId)).status).toBe('completed');
      expect((await api.transactions()).map((t) => [t.invoiceId, t.status])).toEqual([['REF-1', 'completed']]);
      expect(fake.purchases('REF-1')).toHaveLength(1);
      expect(fake.account('buyer')?.robux).toBe(990);
      expect(await balances(api)).toEqual({ buyer: 990 });
    },
    15_000,
  );
});
