// `autopurchase backup <file> [--force]` (SPEC §10): a consistent copy of the live database, taken
// with SQLite's online backup while the server goes on, written owner-only under a temporary name
// beside the target, checked, then renamed into place: no partial file is ever left at <file>.
import { closeSync, existsSync, fsyncSync, openSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { errorText } from '../domain/error-text.js';

/** The server's default (SPEC §7); DATABASE_PATH overrides it, an empty value counts as unset. */
export const defaultDatabasePath = './data/autopurchase.db';

export interface BackupOptions {
  target: string;
  force: boolean;
  databasePath: string;
  out: (line: string) => void;
  err: (line: string) => void;
}

/** Exit codes: 0 written, 1 failed (nothing left at the target), 2 usage (the target untouched). */
export async function backupCommand({ target, force, databasePath, out, err }: BackupOptions): Promise<number> {
  const source = resolve(databasePath);
  const file = resolve(target);
  if (file === source || file === `${source}-wal` || file === `${source}-shm`) {
    err(`autopurchase backup: ${target} is the database itself; choose another file`);
    return 2;
  }
  if (existsSync(file) && !force) {
    err(`autopurchase backup: ${file} exists; pass --force to replace it`);
    return 2;
  }
  if (!existsSync(source)) {
    err(`autopurchase backup: no database at ${source} (set DATABASE_PATH to the server's database file)`);
    return 1;
  }
  if (!existsSync(dirname(file))) {
    err(`autopurchase backup: the folder ${dirname(file)} does not exist`);
    return 1;
  }
  const temporary = join(dirname(file), `.${basename(file)}.${process.pid}.partial`);
  try {
    // Created owner-only before SQLite writes a byte into it; SQLite keeps an existing file's mode.
    closeSync(openSync(temporary, 'wx', 0o600));
    const { backupDatabase, finishCopy } = await import('../db/backup.js');
    await backupDatabase(source, temporary);
    const findings = finishCopy(temporary);
    if (findings.length !== 1 || findings[0] !== 'ok') {
      throw new Error(`the copy failed PRAGMA integrity_check: ${findings.slice(0, 5).join('; ')}`);
    }
    syncFile(temporary);
    renameSync(temporary, file);
    syncFile(dirname(file));
    out(`${file} ${statSync(file).size} bytes`);
    return 0;
  } catch (error) {
    err(`autopurchase backup: ${errorText(error)}`);
    return 1;
  } finally {
    for (const leftover of [temporary, `${temporary}-journal`, `${temporary}-wal`, `${temporary}-shm`]) rmSync(leftover, { force: true });
  }
}

/** fsync a file or a folder (the rename's entry), so the backup survives a power cut once reported. */
function syncFile(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
