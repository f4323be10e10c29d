// The run lease: one row in SQLite naming the process that walks the active run. Being a row, not
// an in-memory flag, it holds across processes sharing the database file.
import { and, eq } from 'drizzle-orm';
import { value } from '../db/placeholder.js';
import { preparedFor } from '../db/prepared.js';
import { runLease } from '../db/schema.js';
import type { Db } from '../db/types.js';

export type Lease = typeof runLease.$inferSelect;

/**
 * Tells whether a lease holder is still alive, when the platform can know (the Node entry checks a
 * process id on the same host); `undefined` means "cannot tell", and then only expiry counts.
 */
export type HolderAlive = (holder: string) => boolean | undefined;

export function currentLease(tx: Db): Lease | undefined {
  return tx.select().from(runLease).where(eq(runLease.id, 1)).get();
}

/** A lease whose holder stopped renewing it, or is known to be gone. */
export function isDead(lease: Lease, now: number, holderAlive: HolderAlive): boolean {
  if (lease.expiresAt <= now) return true;
  return holderAlive(lease.holder) === false;
}

export function takeLease(tx: Db, lease: { sessionId: string; holder: string; expiresAt: number }): void {
  tx.insert(runLease)
    .values({ id: 1, ...lease })
    .onConflictDoUpdate({ target: runLease.id, set: lease })
    .run();
}

const renewal = preparedFor((db) =>
  db
    .update(runLease)
    .set({ expiresAt: value('expiresAt') })
    .where(and(eq(runLease.id, 1), eq(runLease.holder, value('holder')), eq(runLease.sessionId, value('sessionId'))))
    .returning({ id: runLease.id })
    .prepare(),
);

/** Pushes the expiry on; false when this holder no longer holds the lease for this run. Pass the root handle. */
export function renewLease(db: Db, lease: { sessionId: string; holder: string; expiresAt: number }): boolean {
  return renewal(db).get(lease) !== undefined;
}

export function releaseLease(tx: Db, lease: { sessionId: string; holder: string }): void {
  tx.delete(runLease)
    .where(and(eq(runLease.id, 1), eq(runLease.holder, lease.holder), eq(runLease.sessionId, lease.sessionId)))
    .run();
}

export function dropLease(tx: Db): void {
  tx.delete(runLease).where(eq(runLease.id, 1)).run();
}

/** A trigger during the active run: the run will look for pending orders again before it ends. */
export function requestRerun(tx: Db): void {
  tx.update(runLease).set({ rerun: 1 }).where(eq(runLease.id, 1)).run();
}

/** Takes a pending rerun request of this holder's run; true when there was one. */
export function takeRerun(db: Db, lease: { sessionId: string; holder: string }): boolean {
  return (
    db
      .update(runLease)
      .set({ rerun: 0 })
      .where(and(eq(runLease.id, 1), eq(runLease.holder, lease.holder), eq(runLease.sessionId, lease.sessionId), eq(runLease.rerun, 1)))
      .returning({ id: runLease.id })
      .all().length === 1
  );
}
