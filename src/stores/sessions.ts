// Browser-session rows (SPEC §11): a session id's SHA-256 and its token's fingerprint, never either
// secret. The expiry policy lives here so the cleanup job and the log-in check read the same numbers.
import { eq, lte, or, sql } from 'drizzle-orm';
import { preparedFor } from '../db/prepared.js';
import { sessions } from '../db/schema.js';
import type { Db } from '../db/types.js';

export type SessionRow = typeof sessions.$inferSelect;

/** A session unused this long ends. */
export const sessionIdleMs = 12 * 60 * 60 * 1000;
/** A session ends this long after log-in, however busy. */
export const sessionLifetimeMs = 7 * 24 * 60 * 60 * 1000;

const statements = preparedFor((db) => ({
  // Read on every cookie-authenticated request.
  byIdHash: db
    .select()
    .from(sessions)
    .where(eq(sessions.idHash, sql.placeholder('idHash')))
    .prepare(),
}));

export function sessionByIdHash(db: Db, idHash: string): SessionRow | undefined {
  return statements(db).byIdHash.get({ idHash });
}

export function insertSession(tx: Db, row: SessionRow): void {
  tx.insert(sessions).values(row).run();
}

export function touchSession(tx: Db, idHash: string, lastSeenAt: number): void {
  tx.update(sessions).set({ lastSeenAt }).where(eq(sessions.idHash, idHash)).run();
}

/** Deletes the session; answers whether there was one. */
export function deleteSession(tx: Db, idHash: string): boolean {
  return tx.delete(sessions).where(eq(sessions.idHash, idHash)).returning({ idHash: sessions.idHash }).all().length > 0;
}

/** Whether a stored session has ended by time (idle or absolute), whatever its token. */
export function sessionExpired(row: Pick<SessionRow, 'lastSeenAt' | 'expiresAt'>, now: number): boolean {
  return now >= row.expiresAt || now >= row.lastSeenAt + sessionIdleMs;
}

/** Deletes the sessions that ended by time; answers how many. */
export function deleteExpiredSessions(tx: Db, now: number): number {
  return tx
    .delete(sessions)
    .where(or(lte(sessions.expiresAt, now), lte(sessions.lastSeenAt, now - sessionIdleMs)))
    .returning({ idHash: sessions.idHash })
    .all().length;
}
