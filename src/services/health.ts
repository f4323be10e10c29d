// The database's health for /healthz: it answers queries, and takes writes again after a failed one.
import type { Clock } from '../clock.js';
import type { Db } from '../db/types.js';
import { lastWriteFault, StorageError, write } from '../db/write.js';
import { AppError } from '../domain/app-error.js';
import { errorText } from '../domain/error-text.js';
import type { Logger } from '../logger.js';
import { probeRead, probeWrite } from '../stores/health-probe.js';

/** What the probe writes: more than any one order or purchase commit, so passing it means room for those. */
const probeBytes = 64 * 1024;

export type HealthService = ReturnType<typeof createHealthService>;

export function createHealthService(deps: { db: Db; clock: Clock; logger: Logger }) {
  return {
    /** Throws checkDatabase's 503, logged: the log says why a load balancer took this server out. */
    assertHealthy(): void {
      try {
        checkDatabase(deps.db, deps.clock.now());
      } catch (error) {
        deps.logger.error(`health check: database unusable: ${errorText(error)}`);
        throw error;
      }
    },
  };
}

/**
 * Throws a 503 when the database cannot be queried, or when the last write failed on storage (disk
 * full, I/O) and a probe write still fails. Healthy times cost one read, never a write.
 */
function checkDatabase(db: Db, now: number): void {
  try {
    probeRead(db);
  } catch {
    throw new AppError(503, 'database_unavailable', 'The database cannot be queried');
  }
  if (!lastWriteFault(db)) return;
  try {
    write(db, (tx) => probeWrite(tx, now, probeBytes));
  } catch (error) {
    // A lock held elsewhere says nothing about the disk: still unwritable as far as we know.
    if (error instanceof StorageError) {
      throw new AppError(503, 'database_unavailable', 'The database answers reads but cannot be written (disk full or I/O error)');
    }
    throw error;
  }
}
