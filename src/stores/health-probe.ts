// The health check's two statements: a read of a real table, and a write of a probe row that
// needs room on disk.
import { sql } from 'drizzle-orm';
import { healthProbe } from '../db/schema.js';
import type { Db } from '../db/types.js';

export function probeRead(db: Db): void {
  db.get(sql`select count(*) from stock_accounts`);
}

/** Inside a `write()`: rewrites the one probe row with `bytes` of zeros. */
export function probeWrite(tx: Db, now: number, bytes: number): void {
  const room = sql`zeroblob(${bytes})`;
  tx.insert(healthProbe).values({ id: 1, checkedAt: now, room }).onConflictDoUpdate({ target: healthProbe.id, set: { checkedAt: now, room } }).run();
}
