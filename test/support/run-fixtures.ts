// Small factories for engine tests: orders, accounts, and reading a run back.
import { runEventsAfter, runSnapshot } from '../../src/stores/run-events.js';
import type { TestApp } from './test-app.js';

let nextGamepass = 1;

export function gamepass(price: number, name = `Pass ${nextGamepass}`) {
  const id = nextGamepass++;
  return { id, name, price, sellerId: 9000 + id };
}

export async function addOrder(t: TestApp, invoiceId: string, pass: Record<string, unknown> = gamepass(100)) {
  const res = await t.api('POST', '/api/transactions', { invoiceId, gamepass: pass });
  if (res.status !== 201) throw new Error(`order ${invoiceId}: ${res.status} ${res.text}`);
  t.advance(1000);
  return res.json.transaction;
}

/** Adds an account (which triggers a run); answers the account and the run's id. */
export async function addAccount(t: TestApp, username: string, robux: number) {
  const res = await t.api('POST', '/api/admin/stock-accounts', { robloxCookie: `sandbox:${username}:${robux}` });
  if (res.status !== 201 && res.status !== 200) throw new Error(`account ${username}: ${res.status} ${res.text}`);
  t.advance(1000);
  return { account: res.json.stockAccount, sessionId: res.json.autoPurchase.sessionId as string };
}

export function eventsOf(t: TestApp, sessionId: string) {
  return runEventsAfter(t.db, sessionId, 0, 1_000_000);
}

export function snapshotOf(t: TestApp, sessionId: string) {
  const found = runSnapshot(t.db, sessionId);
  if (!found) throw new Error(`no run ${sessionId}`);
  return found.snapshot;
}

export function stepsOf(t: TestApp, sessionId: string): string[] {
  return eventsOf(t, sessionId)
    .filter((e) => e.type === 'step')
    .map((e) => (e.data as { currentStep: string }).currentStep);
}

export function dbTransaction(t: TestApp, invoiceId: string) {
  return t.sqlite.prepare('select * from transactions where invoice_id = ?').get(invoiceId) as Record<string, any>;
}

export function dbAccount(t: TestApp, username: string) {
  return t.sqlite.prepare('select * from stock_accounts where username = ?').get(username) as Record<string, any>;
}
