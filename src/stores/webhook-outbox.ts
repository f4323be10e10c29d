// The webhook outbox (SPEC §10): a delivery is enqueued in the transaction that ends a run, claimed
// by one sender at a time (a lease in `next_attempt_at`), and settled delivered, due again, or
// failed (given up). Every function but the reads runs inside the caller's write transaction.
import { and, asc, eq, gte, inArray, lt, lte, ne, sql } from 'drizzle-orm';
import { webhookOutbox } from '../db/schema.js';
import type { Db } from '../db/types.js';

export type DeliveryRow = typeof webhookOutbox.$inferSelect;

/** Inserts a pending delivery of `body`, due now; answers its id (the `X-Autopurchase-Delivery`). */
export function enqueueDelivery(tx: Db, delivery: { sessionId: string; body: string; now: number }): string {
  const id = crypto.randomUUID();
  tx.insert(webhookOutbox)
    .values({ id, sessionId: delivery.sessionId, body: delivery.body, nextAttemptAt: delivery.now, createdAt: delivery.now, updatedAt: delivery.now })
    .run();
  return id;
}

/**
 * Takes the pending delivery due first, if any, for one attempt: its `next_attempt_at` moves to
 * `leaseUntil` and its `claim` to `claim`, so no other sender (another process on the same file)
 * takes it while this attempt is in flight, and a sender that dies leaves it due again at
 * `leaseUntil`. Call in an IMMEDIATE transaction: the read and the update are then one step.
 */
export function claimDueDelivery(tx: Db, now: number, leaseUntil: number, claim: string): DeliveryRow | undefined {
  const due = tx
    .select()
    .from(webhookOutbox)
    .where(and(eq(webhookOutbox.status, 'pending'), lte(webhookOutbox.nextAttemptAt, now)))
    .orderBy(asc(webhookOutbox.nextAttemptAt))
    .limit(1)
    .get();
  if (!due) return undefined;
  tx.update(webhookOutbox)
    .set({ nextAttemptAt: leaseUntil, claim, attempts: sql`${webhookOutbox.attempts} + 1`, updatedAt: now })
    .where(eq(webhookOutbox.id, due.id))
    .run();
  return { ...due, nextAttemptAt: leaseUntil, claim, attempts: due.attempts + 1, updatedAt: now };
}

/**
 * Gives up the pending deliveries enqueued before `createdBefore` that were tried at least once and
 * that no attempt is in flight for (due at `now`): they are marked failed with `error` and never
 * sent again. A delivery never tried (the server was down all the window) is left for its one try.
 * Answers their ids.
 */
export function failExpiredDeliveries(tx: Db, now: number, createdBefore: number, error: string): string[] {
  return tx
    .update(webhookOutbox)
    .set({ status: 'failed', claim: null, lastError: error, updatedAt: now })
    .where(
      and(eq(webhookOutbox.status, 'pending'), gte(webhookOutbox.attempts, 1), lt(webhookOutbox.createdAt, createdBefore), lte(webhookOutbox.nextAttemptAt, now)),
    )
    .returning({ id: webhookOutbox.id })
    .all()
    .map((row) => row.id);
}

export type DeliveryOutcome =
  | { status: 'delivered' }
  | { status: 'pending'; nextAttemptAt: number; error: string }
  | { status: 'failed'; error: string };

/**
 * Records how the attempt under `claim` ended. Answers false when the claim is no longer ours (it
 * expired and another sender took the row): that sender's outcome stands.
 */
export function settleDelivery(tx: Db, id: string, claim: string, outcome: DeliveryOutcome, now: number): boolean {
  const changes =
    outcome.status === 'pending'
      ? { status: 'pending' as const, nextAttemptAt: outcome.nextAttemptAt, lastError: outcome.error }
      : outcome.status === 'failed'
        ? { status: 'failed' as const, lastError: outcome.error }
        : { status: 'delivered' as const };
  const updated = tx
    .update(webhookOutbox)
    .set({ ...changes, claim: null, updatedAt: now })
    .where(and(eq(webhookOutbox.id, id), eq(webhookOutbox.claim, claim), eq(webhookOutbox.status, 'pending')))
    .returning({ id: webhookOutbox.id })
    .all();
  return updated.length === 1;
}

/** For the metrics: deliveries still to be made, and those given up (until retention deletes them). */
export function outboxCounts(db: Db): { pending: number; failed: number } {
  const rows = db
    .select({ status: webhookOutbox.status, count: sql<number>`count(*)` })
    .from(webhookOutbox)
    .where(inArray(webhookOutbox.status, ['pending', 'failed']))
    .groupBy(webhookOutbox.status)
    .all();
  const count = (status: string) => rows.find((row) => row.status === status)?.count ?? 0;
  return { pending: count('pending'), failed: count('failed') };
}

/** When the next pending delivery is due (or its claim ends); undefined when none is pending. */
export function nextDeliveryDueAt(db: Db): number | undefined {
  const row = db
    .select({ at: webhookOutbox.nextAttemptAt })
    .from(webhookOutbox)
    .where(eq(webhookOutbox.status, 'pending'))
    .orderBy(asc(webhookOutbox.nextAttemptAt))
    .limit(1)
    .get();
  return row?.at;
}

/** Retention: up to `limit` settled deliveries (delivered or given up) last touched before `cutoff`. */
export function deleteSettledDeliveries(tx: Db, cutoff: number, limit: number): number {
  const batch = tx
    .select({ id: webhookOutbox.id })
    .from(webhookOutbox)
    .where(and(lt(webhookOutbox.updatedAt, cutoff), ne(webhookOutbox.status, 'pending')))
    .limit(limit);
  return tx.delete(webhookOutbox).where(inArray(webhookOutbox.id, batch)).returning({ id: webhookOutbox.id }).all().length;
}

/** The deliveries of a run, oldest first (tests, support). */
export function deliveriesOfRun(db: Db, sessionId: string): DeliveryRow[] {
  return db.select().from(webhookOutbox).where(eq(webhookOutbox.sessionId, sessionId)).orderBy(asc(webhookOutbox.createdAt)).all();
}
