// API tokens (SPEC §12): made (shown once), listed, revoked, and checked on each request that
// carries one. Creation and revocation are audited in the same transaction as the change.
import type { Clock } from '../clock.js';
import type { Db } from '../db/types.js';
import { StorageError, write } from '../db/write.js';
import { generateApiToken, hashApiToken, looksLikeApiToken, shownPrefix } from '../domain/api-token.js';
import { badRequest, notFound } from '../domain/app-error.js';
import type { TokenScope } from '../domain/scopes.js';
import { appendAudit } from '../stores/audit.js';
import { apiTokenByHash, apiTokenById, apiTokenExpired, deleteApiToken, insertApiToken, listApiTokens, touchApiToken, type ApiTokenRow } from '../stores/api-tokens.js';

/** A token's last use is written at most this often: not a write per request. */
export const tokenTouchIntervalMs = 60_000;

export interface NewToken {
  name: string;
  scope: TokenScope;
  expiresAt?: number | null;
}

export interface TokenServiceDeps {
  db: Db;
  clock: Clock;
  /** Told of each revoked token's id, after its commit (open streams of it close). */
  onRevoke?: (id: number) => void;
}

export type TokenService = ReturnType<typeof createTokenService>;

/** The audit log's actor for a token: its name, marked so no name can pass for "admin token". */
export const tokenActor = (name: string) => `token "${name}"`;

export function createTokenService({ db, clock, onRevoke }: TokenServiceDeps) {
  return {
    /** The token in the clear, this once, and its stored row. */
    async create(input: NewToken, actor: string): Promise<{ token: string; row: ApiTokenRow }> {
      const now = clock.now();
      if (input.expiresAt != null && input.expiresAt <= now) throw badRequest('invalid_expiry', 'expiresAt must be in the future');
      const token = generateApiToken();
      const tokenHash = await hashApiToken(token);
      const row = write(db, (tx) => {
        const inserted = insertApiToken(tx, {
          name: input.name,
          scope: input.scope,
          tokenHash,
          prefix: shownPrefix(token),
          createdAt: now,
          lastUsedAt: null,
          expiresAt: input.expiresAt ?? null,
        });
        appendAudit(tx, {
          at: now,
          actor,
          action: 'token.create',
          target: `token:${inserted.id}`,
          outcome: 'ok',
          note: `${inserted.name} (${inserted.scope}${inserted.expiresAt === null ? '' : `, expires ${new Date(inserted.expiresAt).toISOString()}`})`,
        });
        return inserted;
      });
      return { token, row };
    },

    list: (): ApiTokenRow[] => listApiTokens(db),

    revoke(id: number, actor: string): void {
      const now = clock.now();
      const revoked = write(db, (tx) => {
        const row = apiTokenById(tx, id);
        if (!row || !deleteApiToken(tx, id)) return undefined;
        appendAudit(tx, { at: now, actor, action: 'token.revoke', target: `token:${id}`, outcome: 'ok', note: `${row.name} (${row.scope})` });
        return row;
      });
      if (!revoked) throw notFound('Token');
      onRevoke?.(id);
    },

    /** The live (unexpired, unrevoked) token this bearer value is, recording its use; undefined otherwise. */
    async authenticate(presented: string): Promise<ApiTokenRow | undefined> {
      if (!looksLikeApiToken(presented)) return undefined;
      const row = apiTokenByHash(db, await hashApiToken(presented));
      const now = clock.now();
      if (!row || apiTokenExpired(row, now)) return undefined;
      if (row.lastUsedAt === null || now - row.lastUsedAt >= tokenTouchIntervalMs) {
        try {
          write(db, (tx) => touchApiToken(tx, row.id, now));
        } catch (error) {
          // A busy or full database must not refuse a good token: the next request records its use.
          if (!(error instanceof StorageError)) throw error;
        }
      }
      return row;
    },

    /** Whether token `id` still opens anything (an open stream asks at each heartbeat). */
    live(id: number): boolean {
      const row = apiTokenById(db, id);
      return row !== undefined && !apiTokenExpired(row, clock.now());
    },
  };
}
