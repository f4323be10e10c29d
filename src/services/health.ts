// The database's health for /healthz: it answers queries, and takes writes again after a failed one.
import { sql } from 'drizzle-orm';
import { healthProbe } from '../db/schema.js';
import type { Db } from '../db/types.js';
import { lastWriteFault, StorageError, write } from '../db/write.js';
import { AppError } from '../domain/app-error.js';

/** What the probe writes: more than any one order or purchase commit, so passing it means room for those. */
const probeBytes = 64 * 1024;

/**
 * Throws a 503 when the database cannot be queried, or when the last write failed on storage (disk
 * full, I/O) and a probe write still fails. Healthy times cost one read, never a write.
 */
export function checkDatabase(db: Db, now: number): void {
  try {
    db.get(sql`select count(*) from stock_accounts`);
  } catch {
    throw new AppError(503, 'database_unavailable', 'The database cannot be queried');
  }
  if (!lastWriteFault(db)) return;
  try {
    const room = sql`zeroblob(${probeBytes})`;
    write(db, (tx) =>
      tx.insert(healthProbe).values({ id: 1, checkedAt: now, room }).onConflictDoUpdate({ target: healthProbe.id, set: { checkedAt: now, room } }).run(),
    );
  } catch (error) {
    // A lock held elsewhere says nothing about the disk: still unwritable as far as we know.
    if (error instanceof StorageError) {
      throw new AppError(503, 'database_unavailable', 'The database answers reads but cannot be written (disk full or I/O error)');
    }
    throw error;
  }
}
