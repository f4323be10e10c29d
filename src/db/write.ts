// Writes that tell the truth (SPEC §11). Each commits through an explicit IMMEDIATE transaction, so
// a failed COMMIT (disk full, I/O error) throws instead of being lost on a statement reset, and a
// lock held by another process costs the event loop one short busy wait, not ten seconds.
import { AppError } from '../domain/app-error.js';
import type { Db } from './types.js';

export type StorageFault = 'busy' | 'full' | 'io';

/** How long after a busy answer writes fail at once, but for one probe per interval. */
export const busyProbeIntervalMs = 250;
/** What a 503 `database_busy` tells the caller to wait, in seconds. */
export const busyRetryAfterSeconds = 1;

interface WriteState {
  /** Set by a busy answer, cleared by the next write that gets the lock. */
  busy: boolean;
  lastTry: number;
  /** The last write failed on storage (full, I/O) and none has succeeded since. */
  fault?: 'full' | 'io';
  /** Told of each fault a write meets (the metrics). */
  listeners?: Set<(fault: StorageFault) => void>;
}

const states = new WeakMap<Db, WriteState>();

function stateOf(db: Db): WriteState {
  let state = states.get(db);
  if (!state) {
    state = { busy: false, lastTry: 0 };
    states.set(db, state);
  }
  return state;
}

/** The storage fault behind an error (a driver's, or one wrapped by drizzle), if it is one. */
export function storageFaultOf(error: unknown): StorageFault | undefined {
  let current: unknown = error;
  for (let depth = 0; current && depth < 5; depth++) {
    if (current instanceof StorageError) return current.fault;
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && code.startsWith('SQLITE_')) {
      if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) return 'busy';
      if (code === 'SQLITE_FULL') return 'full';
      if (code.startsWith('SQLITE_IOERR') || code.startsWith('SQLITE_READONLY') || code.startsWith('SQLITE_CANTOPEN')) return 'io';
      return undefined;
    }
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/** A write that did not commit because of the storage; an AppError, so routes answer 503. */
export class StorageError extends AppError {
  constructor(readonly fault: StorageFault) {
    super(
      503,
      fault === 'busy' ? 'database_busy' : 'database_unavailable',
      fault === 'busy'
        ? 'The database is locked by another program; try again in a moment'
        : fault === 'full'
          ? 'The database cannot store anything: the disk is full; nothing was changed'
          : 'The database cannot be written (I/O error); nothing was changed',
      fault === 'busy' ? { 'Retry-After': String(busyRetryAfterSeconds) } : { 'Retry-After': '5' },
    );
    this.name = 'StorageError';
  }
}

/**
 * Runs `change` in one IMMEDIATE transaction and answers its result once committed. Throws a
 * StorageError (503) when the lock is held elsewhere or the commit fails; any other error from
 * `change` rolls it back and is thrown as it is. While the lock is known to be held elsewhere,
 * writes fail at once but for one try per `busyProbeIntervalMs`, so a queue of requests never
 * adds up busy waits on the event loop.
 */
export function write<T>(db: Db, change: (tx: Db) => T): T {
  const state = stateOf(db);
  const now = Date.now();
  if (state.busy && now - state.lastTry < busyProbeIntervalMs) throw faulted(state, new StorageError('busy'));
  state.lastTry = now;
  let result: T;
  try {
    result = db.transaction((tx) => change(tx as unknown as Db), { behavior: 'immediate' });
  } catch (error) {
    const fault = storageFaultOf(error);
    if (fault === undefined) {
      // The transaction got the lock: whatever failed, the lock is not held elsewhere.
      state.busy = false;
      throw error;
    }
    if (fault === 'busy') state.busy = true;
    else state.fault = fault;
    // A StorageError from inside `change` was told of where it was made.
    throw error instanceof StorageError ? error : faulted(state, new StorageError(fault));
  }
  state.busy = false;
  state.fault = undefined;
  return result;
}

/** Registers a listener told of every storage fault a write on `db` meets; answers its removal. */
export function onStorageFault(db: Db, listener: (fault: StorageFault) => void): () => void {
  const listeners = (stateOf(db).listeners ??= new Set());
  listeners.add(listener);
  return () => listeners.delete(listener);
}

function faulted(state: WriteState, error: StorageError): StorageError {
  for (const listener of state.listeners ?? []) listener(error.fault);
  return error;
}

/** Whether the last write failed on storage (disk full, I/O) with no successful write since. */
export function lastWriteFault(db: Db): 'full' | 'io' | undefined {
  return states.get(db)?.fault;
}

export interface RetryPolicy {
  sleep(ms: number): Promise<void>;
  /** Gives up (throwing the last StorageError) once this answers true. */
  giveUp?(): boolean;
  /** Told about each storage fault before the wait, e.g. to log it. */
  onFault?(fault: StorageFault, attempt: number): void;
  /** The longest wait between tries (default 5 s); waits start at 100 ms and double. */
  maxWaitMs?: number;
}

/**
 * For the engine and the jobs: a write that waits out a held lock or a full disk, yielding the
 * event loop between tries, instead of failing. `change` may run more than once (each try is a
 * fresh transaction), so it must not change anything outside the database before it returns.
 */
export async function writeRetrying<T>(db: Db, change: (tx: Db) => T, policy: RetryPolicy): Promise<T> {
  let wait = 100;
  for (let attempt = 1; ; attempt++) {
    try {
      return write(db, change);
    } catch (error) {
      if (!(error instanceof StorageError) || policy.giveUp?.()) throw error;
      policy.onFault?.(error.fault, attempt);
      // A busy lock is tried again soon (each try costs at most one busy timeout); a full disk slowly.
      await policy.sleep(Math.max(error.fault === 'busy' ? busyProbeIntervalMs : 1000, wait));
      wait = Math.min(wait * 2, policy.maxWaitMs ?? 5_000);
    }
  }
}
