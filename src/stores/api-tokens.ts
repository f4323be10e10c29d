// API-token rows (SPEC §12): a token's SHA-256, never the token.
import { desc, eq, sql } from 'drizzle-orm';
import { preparedFor } from '../db/prepared.js';
import { apiTokens } from '../db/schema.js';
import type { Db } from '../db/types.js';

export type ApiTokenRow = typeof apiTokens.$inferSelect;
export type NewApiTokenRow = Omit<typeof apiTokens.$inferInsert, 'id'>;

const statements = preparedFor((db) => ({
  // Read on every request that carries an API token.
  byHash: db
    .select()
    .from(apiTokens)
    .where(eq(apiTokens.tokenHash, sql.placeholder('tokenHash')))
    .prepare(),
  // Read at every heartbeat of every stream an API token holds open.
  byId: db
    .select()
    .from(apiTokens)
    .where(eq(apiTokens.id, sql.placeholder('id')))
    .prepare(),
}));

export function apiTokenByHash(db: Db, tokenHash: string): ApiTokenRow | undefined {
  return statements(db).byHash.get({ tokenHash });
}

export function apiTokenById(db: Db, id: number): ApiTokenRow | undefined {
  return statements(db).byId.get({ id });
}

export function insertApiToken(tx: Db, row: NewApiTokenRow): ApiTokenRow {
  return tx.insert(apiTokens).values(row).returning().get();
}

/** Newest first. */
export function listApiTokens(db: Db): ApiTokenRow[] {
  return db.select().from(apiTokens).orderBy(desc(apiTokens.id)).all();
}

export function deleteApiToken(tx: Db, id: number): boolean {
  return tx.delete(apiTokens).where(eq(apiTokens.id, id)).returning({ id: apiTokens.id }).all().length > 0;
}

export function touchApiToken(tx: Db, id: number, lastUsedAt: number): void {
  tx.update(apiTokens).set({ lastUsedAt }).where(eq(apiTokens.id, id)).run();
}

export function apiTokenExpired(row: Pick<ApiTokenRow, 'expiresAt'>, now: number): boolean {
  return row.expiresAt !== null && now >= row.expiresAt;
}
