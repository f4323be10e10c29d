// Stock accounts: every credential is verified with the gateway before it is stored, encrypted.
import { AppError, notFound } from '../domain/app-error.js';
import type { Clock } from '../clock.js';
import type { AccountStatus } from '../db/schema.js';
import type { Db } from '../db/types.js';
import type { CredentialCipher } from '../domain/credential-cipher.js';
import { GatewayTransientError, type Gateway, type VerifyResult } from '../gateway/gateway.js';
import { write } from '../db/write.js';
import * as store from '../stores/accounts.js';
import { storeGatewayBalance } from '../stores/purchases.js';
import { errorText } from '../domain/error-text.js';

export interface AccountServiceDeps {
  db: Db;
  gateway: Gateway;
  cipher: CredentialCipher;
  clock: Clock;
  gatewayTimeoutMs: number;
}

export type AccountService = ReturnType<typeof createAccountService>;

export function createAccountService(deps: AccountServiceDeps) {
  const { db, cipher, clock } = deps;

  async function verify(credential: string): Promise<VerifyResult> {
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

  return {
    list: () => store.listAccounts(db),

    /** Adds the account behind a credential, or updates it when it is stored already. */
    async add(credential: string): Promise<{ account: store.AccountRow; created: boolean }> {
      const verified = await verify(credential);
      if (!verified.ok) throw rejectedCredential(verified.message);
      const now = clock.now();
      const id = crypto.randomUUID();
      const credentialEnc = await cipher.encrypt(credential);
      const account = write(db, (tx) => {
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
        storeGatewayBalance(tx, row.id, verified.robux, now);
        return store.accountById(tx, row.id)!;
      });
      return { account, created: account.id === id };
    },

    /**
     * Re-checks the balance with the new credential, or the stored one. A new credential must be
     * valid and of the same platform account; a stored one the gateway now rejects marks the
     * account invalid. A gateway that does not answer still lets the admin switch the status.
     */
    async update(id: string, input: { credential?: string; status?: 'active' | 'inactive' }): Promise<store.AccountRow> {
      const account = store.accountById(db, id);
      if (!account) throw notFound('Stock account');
      const credential = input.credential ?? (await cipher.decrypt(account.credentialEnc));
      let verified: VerifyResult | undefined;
      try {
        verified = await verify(credential);
      } catch (error) {
        if (input.credential !== undefined || input.status === undefined || !(error instanceof AppError)) throw error;
      }
      const now = clock.now();
      if (!verified) return write(db, (tx) => store.updateAccount(tx, id, { status: input.status, updatedAt: now })) ?? gone();
      if (!verified.ok) {
        if (input.credential !== undefined) throw rejectedCredential(verified.message);
        return write(db, (tx) => store.updateAccount(tx, id, { status: 'invalid', lastChecked: now, updatedAt: now })) ?? gone();
      }
      if (verified.userId !== account.userId) {
        throw new AppError(
          422,
          'credential_mismatch',
          `This Roblox cookie belongs to another account (${verified.username}); add it as a new stock account instead.`,
        );
      }
      const status: AccountStatus = input.status ?? (account.status === 'invalid' ? 'active' : account.status);
      const credentialEnc = input.credential !== undefined ? await cipher.encrypt(input.credential) : undefined;
      return write(db, (tx) => {
        const updated = store.updateAccount(tx, id, {
          username: verified.username,
          displayName: verified.displayName,
          status,
          ...(credentialEnc !== undefined ? { credentialEnc } : {}),
          updatedAt: now,
        });
        if (!updated) gone();
        storeGatewayBalance(tx, id, verified.robux, now);
        return store.accountById(tx, id)!;
      });
    },

    remove(id: string): void {
      if (!write(db, (tx) => store.deleteAccount(tx, id))) throw notFound('Stock account');
    },
  };
}

function rejectedCredential(reason: string): AppError {
  return new AppError(422, 'invalid_credential', `The gateway rejected this Roblox cookie: ${reason}. Nothing was saved.`);
}

/** The row was deleted while the gateway was being asked. */
function gone(): never {
  throw notFound('Stock account');
}

function isAbort(error: unknown): boolean {
  return error instanceof DOMException && (error.name === 'AbortError' || error.name === 'TimeoutError');
}
