// SQLite's online backup of the live database (`autopurchase backup <file>`, SPEC §10): a read
// connection to the source, the backup API run in steps into a copy, and the copy checked.
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { sqliteNativeBinding } from '../node/sea-addon.js';

/**
 * How long the backup's connections wait for a lock. The command serves nothing, so it may wait
 * longer than the server's 100 ms; a WAL reader rarely waits at all.
 */
const backupBusyTimeoutMs = 5_000;

/** Pages copied per step before yielding; once a step sees the source changed, the rest goes in one step. */
const pagesPerStep = 1_000;
const allRemainingPages = 0x7fffffff;

/**
 * A connection for the backup: the same driver construction as `openDatabase` (the single
 * executable's embedded addon, written beside the database), but it never creates the file, runs
 * no migration and sets no pragma, so a backup taken with a newer binary leaves the live file as it
 * found it. `readonly`: the source; read-write: the copy, to finish and check it.
 */
export function openForBackup(path: string, { readonly }: { readonly: boolean }): Database.Database {
  const nativeBinding = sqliteNativeBinding(dirname(resolve(path)));
  return new Database(path, {
    readonly,
    fileMustExist: true,
    timeout: backupBusyTimeoutMs,
    // better-sqlite3 takes the addon's module object too; @types/better-sqlite3 9 types only a path.
    ...(nativeBinding ? { nativeBinding: nativeBinding as unknown as string } : {}),
  });
}

/**
 * Copies the database at `source` into `destination` (an existing empty file, or none) with the
 * backup API, in steps with a turn of the event loop between them, while other processes go on
 * writing (WAL: a reader blocks no writer). A write by another process between two steps makes
 * SQLite start the copy again; the restarted copy is then done in one step (one read transaction,
 * still blocking no writer), so a busy server cannot keep it restarting. The copy is a consistent
 * snapshot of one moment.
 */
export async function backupDatabase(source: string, destination: string): Promise<{ totalPages: number }> {
  const sqlite = openForBackup(source, { readonly: true });
  try {
    let copiedBefore = -1;
    const result = await sqlite.backup(destination, {
      progress: ({ totalPages, remainingPages }) => {
        // A restarted copy starts again at page 1, so it has copied no more than before this step.
        const copied = totalPages - remainingPages;
        const restarted = copied <= copiedBefore;
        copiedBefore = copied;
        return restarted ? allRemainingPages : pagesPerStep;
      },
    });
    return { totalPages: result.totalPages };
  } finally {
    sqlite.close();
  }
}

/**
 * Makes the copy one self-contained file (rollback journal, so no -wal/-shm beside it is needed;
 * the server switches it back to WAL when it opens it) and answers `PRAGMA integrity_check`'s
 * findings: `['ok']` when the copy is sound.
 */
export function finishCopy(path: string): string[] {
  const sqlite = openForBackup(path, { readonly: false });
  try {
    sqlite.pragma('journal_mode = DELETE');
    const rows = sqlite.pragma('integrity_check') as { integrity_check: string }[];
    return rows.map((row) => row.integrity_check);
  } finally {
    sqlite.close();
  }
}
