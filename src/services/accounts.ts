// Stock accounts: every credential is verified with the gateway before it is stored, encrypted;
// every add or update starts a run (SPEC §1), and no account is deleted while a run buys with it.
// Each change is audited in its own transaction (SPEC §12), a refusal in a write of its own.
import { AppError, notFound } from '../domain/app-error.js';
import type { Clock } from '../clock.js';
import type { AccountStatus } from '../domain/api.js';
import type { Db } from '../db/types.js';
import type { CredentialCipher } from '../domain/credential-cipher.js';
import { GatewayTransientError, type Gateway, type VerifyResult } from '../gateway/gateway.js';
import { write } from '../db/write.js';
import * as store from '../stores/accounts.js';
import { appendAudit } from '../stores/audit.js';
import { errorText } from '../domain/error-text.js';
import { refusalsAudited } from './audit.js';

/** What the service needs of the engine (src/engine/auto-purchase.ts). */
export interface AccountRuns {
  /** Throws 503 while shutting down: checked before a change, so no change is left without its run. */
  assertAccepting(): void;
  /** With `actor`, the run's `run.start` entry is written in the trigger's transaction, `reason` its note. */
  trigger(input: { stockAccountId?: string; actor?: string; reason?: string }): { sessionId: string };
  isBuyingWith(accountId: string): boolean;
}

export interface AccountServiceDeps {
  db: Db;
  gateway: Gateway;
  cipher: CredentialCipher;
  clock: Clock;
  gatewayTimeoutMs: number;
  runs: AccountRuns;
}

export interface AccountUpdate {
  credential?: string;
  status?: 'active' | 'inactive';
}

export type AccountService = ReturnType<typeof createAccountService>;

/** The audit log's name for a stock account; `account:new` for an add refused before it had one. */
export const accountTarget = (id: string) => `account:${id}`;

export function createAccountService(deps: AccountServiceDeps) {
  const { db, runs } = deps;
  /** The run the change starts (audited as `run.start` after the change), or the active run that will see it. */
  const runFor = (account: store.AccountRow, actor: string, action: string) =>
    runs.trigger({ stockAccountId: account.id, actor, reason: `after ${action} ${accountTarget(account.id)}` }).sessionId;

  return {
    list: () => store.listAccounts(db),

    /** Adds the account behind a credential, or updates it when it is stored already. */
    async add(credential: string, actor: string): Promise<{ account: store.AccountRow; created: boolean; sessionId: string }> {
      runs.assertAccepting();
      const subject = { actor, action: 'account.add', target: accountTarget('new') };
      const { account, created } = await refusalsAudited(deps, subject, () => storeVerified(deps, credential, actor));
      return { account, created, sessionId: runFor(account, actor, 'account.add') };
    },

    async update(id: string, input: AccountUpdate, actor: string): Promise<{ account: store.AccountRow; sessionId: string }> {
      runs.assertAccepting();
      const subject = { actor, action: 'account.update', target: accountTarget(id) };
      const account = await refusalsAudited(deps, subject, () => recheck(deps, id, input, actor));
      return { account, sessionId: runFor(account, actor, 'account.update') };
    },

    remove(id: string, actor: string): void {
      refusalsAudited(deps, { actor, action: 'account.delete', target: accountTarget(id) }, () => {
        if (runs.isBuyingWith(id)) {
          throw new AppError(409, 'account_in_use', 'A run is buying with this stock account right now; delete it once the purchase ends');
        }
      });
      const now = deps.clock.now();
      const deleted = write(db, (tx) => {
        const row = store.accountById(tx, id);
        if (!row || !store.deleteAccount(tx, id)) return false;
        appendAudit(tx, { at: now, actor, action: 'account.delete', target: accountTarget(id), outcome: 'ok', note: row.username });
        return true;
      });
      if (!deleted) throw notFound('Stock account');
    },
  };
}

async function storeVerified(deps: AccountServiceDeps, credential: string, actor: string): Promise<{ account: store.AccountRow; created: boolean }> {
  const verified = await verifyCredential(deps, credential);
  if (!verified.ok) throw rejectedCredential(verified.message);
  const now = deps.clock.now();
  const id = crypto.randomUUID();
  const credentialEnc = await deps.cipher.encrypt(credential);
  const account = write(deps.db, (tx) => {
    const row = store.upsertAccountByUser(tx, {
      id,
      userId: verified.userId,
      username: verified.username,
      displayName: verified.displayName,
      robux: verified.robux,
      status: 'active',
      credentialEnc,
      lastChecked: now,
      createdAt: now,
      updatedAt: now,
    });
    // Purchases in flight with this account are not in the gateway's reading yet.
    store.storeGatewayBalance(tx, row.id, verified.robux, now);
    // The username names it; never the cookie.
    const note = row.id === id ? row.username : `${row.username} (already stored: its cookie replaced)`;
    appendAudit(tx, { at: now, actor, action: 'account.add', target: accountTarget(row.id), outcome: 'ok', note });
    return store.accountById(tx, row.id)!;
  });
  return { account, created: account.id === id };
}

/**
 * Re-checks the balance with the new credential or the stored one: a new one must be valid and the
 * same platform account's; a stored one the gateway now rejects marks the account invalid.
 */
async function recheck(deps: AccountServiceDeps, id: string, input: AccountUpdate, actor: string): Promise<store.AccountRow> {
  const account = store.accountById(deps.db, id);
  if (!account) throw notFound('Stock account');
  const verified = await verifyForUpdate(deps, account, input);
  const now = deps.clock.now();
  /** The `account.update` entry, written with the change; its note says what changed, never the cookie. */
  const audited = (changes: string[]) => (tx: Db) =>
    appendAudit(tx, { at: now, actor, action: 'account.update', target: accountTarget(id), outcome: 'ok', note: `${account.username}: ${changes.join(', ')}` });
  const statusChange = (status: AccountStatus) => (status === account.status ? [] : [`status ${account.status} → ${status}`]);
  if (!verified) {
    const changes = [...statusChange(input.status!), 'the gateway did not answer: balance not re-checked'];
    return save(deps.db, id, { status: input.status, updatedAt: now }, audited(changes));
  }
  if (!verified.ok) {
    if (input.credential !== undefined) throw rejectedCredential(verified.message);
    return save(deps.db, id, { status: 'invalid', lastChecked: now, updatedAt: now }, audited([...statusChange('invalid'), 'the gateway rejected the stored cookie']));
  }
  if (verified.userId !== account.userId) {
    throw new AppError(
      422,
      'credential_mismatch',
      `This Roblox cookie belongs to another account (${verified.username}); add it as a new stock account instead.`,
    );
  }
  const status: AccountStatus = input.status ?? (account.status === 'invalid' ? 'active' : account.status);
  const credentialEnc = input.credential !== undefined ? await deps.cipher.encrypt(input.credential) : undefined;
  const changes = {
    username: verified.username,
    displayName: verified.displayName,
    status,
    ...(credentialEnc !== undefined ? { credentialEnc } : {}),
    updatedAt: now,
  };
  const changed = [...(input.credential !== undefined ? ['new cookie'] : []), ...statusChange(status), 'balance re-checked'];
  return save(deps.db, id, changes, (tx) => {
    store.storeGatewayBalance(tx, id, verified.robux, now);
    audited(changed)(tx);
  });
}

/**
 * The gateway's verdict on the new credential or the stored one; undefined when the gateway did
 * not answer and the admin only switches the status, which needs no gateway.
 */
async function verifyForUpdate(deps: AccountServiceDeps, account: store.AccountRow, input: AccountUpdate): Promise<VerifyResult | undefined> {
  const credential = input.credential ?? (await deps.cipher.decrypt(account.credentialEnc));
  try {
    return await verifyCredential(deps, credential);
  } catch (error) {
    if (input.credential !== undefined || input.status === undefined || !(error instanceof AppError)) throw error;
    return undefined;
  }
}

/** Writes the changes (and `alsoInTx` in the same transaction); 404 when the row went while the gateway was asked. */
function save(db: Db, id: string, changes: store.AccountChanges, alsoInTx?: (tx: Db) => void): store.AccountRow {
  return write(db, (tx) => {
    if (!store.updateAccount(tx, id, changes)) throw notFound('Stock account');
    alsoInTx?.(tx);
    return store.accountById(tx, id)!;
  });
}

async function verifyCredential(deps: AccountServiceDeps, credential: string): Promise<VerifyResult> {
  try {
    return await deps.gateway.verifyAccount(credential, { signal: AbortSignal.timeout(deps.gatewayTimeoutMs) });
  } catch (error) {
    if (error instanceof GatewayTransientError || isAbort(error)) {
      throw new AppError(502, 'gateway_unavailable', 'The purchase gateway did not answer; nothing was changed. Try again shortly.');
    }
    // A gateway that refuses us (a wrong GATEWAY_SECRET, say) is the server's problem, not the
    // caller's; its message names the path and status, never the credential.
    throw new AppError(502, 'gateway_error', `The purchase gateway failed: ${errorText(error)}. Nothing was changed.`);
  }
}

function rejectedCredential(reason: string): AppError {
  return new AppError(422, 'invalid_credential', `The gateway rejected this Roblox cookie: ${reason}. Nothing was saved.`);
}

function isAbort(error: unknown): boolean {
  return error instanceof DOMException && (error.name === 'AbortError' || error.name === 'TimeoutError');
}
