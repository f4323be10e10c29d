// `autopurchase backup <file> [--force]` (SPEC §10): a consistent copy of the live database, taken
// with SQLite's online backup while the server goes on, written owner-only under a temporary name
// beside the target, checked, then published at the target: no partial file is ever left at <file>,
// and without --force no file that is there (or appears meanwhile) is ever replaced.
import { closeSync, existsSync, fsyncSync, linkSync, openSync, realpathSync, renameSync, rmSync, statSync, unlinkSync } from 'node:fs';
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
  /** For tests: runs once the copy is checked, right before it is published at the target. */
  beforePublish?: () => void;
}

/**
 * Where the copy is written before it is published: a hidden name beside the target, so
 * deploy/backup.service can delete one left by a killed run (`.autopurchase-*.partial`).
 */
export function temporaryPath(file: string, pid = process.pid): string {
  return join(dirname(file), `.${basename(file)}.${pid}.partial`);
}

/** The exit codes of a run stopped by SIGINT or SIGTERM (128 + the signal's number). */
const signalExitCodes = { SIGINT: 130, SIGTERM: 143 } as const;

/** Exit codes: 0 written, 1 failed (nothing left at the target), 2 usage (the target untouched). */
export async function backupCommand({ target, force, databasePath, out, err, beforePublish }: BackupOptions): Promise<number> {
  const source = resolve(databasePath);
  const file = resolve(target);
  const itself = () => err(`autopurchase backup: ${target} is the database itself; choose another file`);
  const exists = () => err(`autopurchase backup: ${file} exists; pass --force to replace it`);
  if (isTheDatabase(file, source)) {
    itself();
    return 2;
  }
  if (existsSync(file) && !force) {
    exists();
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
  const temporary = temporaryPath(file);
  const removeTemporary = () => {
    for (const leftover of [temporary, `${temporary}-journal`, `${temporary}-wal`, `${temporary}-shm`]) rmSync(leftover, { force: true });
  };
  // Stopped by Ctrl-C or systemctl stop: no temporary is left behind (SIGKILL's is deleted by
  // deploy/backup.service's ExecStartPre once it is an hour old).
  const onSignal = (signal: keyof typeof signalExitCodes) => {
    removeTemporary();
    process.exit(signalExitCodes[signal]);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
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
    // A turn of the event loop: a signal that came during the synchronous check stops us here,
    // before anything is published.
    await new Promise((resolveTurn) => setImmediate(resolveTurn));
    beforePublish?.();
    if (force) {
      // Checked again: the target may have become another name of the database since the start.
      if (isTheDatabase(file, source)) {
        itself();
        return 2;
      }
      renameSync(temporary, file);
    } else {
      // A hard link fails with EEXIST when anything is at the target, however late it came (a
      // rename would replace it); then the temporary name goes.
      try {
        linkSync(temporary, file);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        exists();
        return 2;
      }
      unlinkSync(temporary);
    }
    syncFile(dirname(file));
    out(`${file} ${statSync(file).size} bytes`);
    return 0;
  } catch (error) {
    err(`autopurchase backup: ${errorText(error)}`);
    return 1;
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
    removeTemporary();
  }
}

/**
 * Whether `file` is the database or its -wal/-shm under any spelling: the same file (a hard link,
 * a symlink: same device and inode) or the same name in the same real folder (a symlinked folder,
 * also for a -wal or -shm not there yet). Replacing one would swap the file under a running server.
 */
function isTheDatabase(file: string, source: string): boolean {
  const own = [source, `${source}-wal`, `${source}-shm`];
  const target = statSync(file, { bigint: true, throwIfNoEntry: false });
  if (target) {
    for (const path of own) {
      const stat = statSync(path, { bigint: true, throwIfNoEntry: false });
      if (stat && stat.dev === target.dev && stat.ino === target.ino) return true;
    }
  }
  const spelled = realSpelling(file);
  return own.some((path) => realSpelling(path) === spelled);
}

/** The path with its folder's symlinks resolved (as given when the folder does not exist). */
function realSpelling(path: string): string {
  try {
    return join(realpathSync(dirname(path)), basename(path));
  } catch {
    return path;
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
