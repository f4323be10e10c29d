// The words a run shows: its steps (SPEC §3) and the errors on its rows and its end.

export const steps = {
  initializing: 'Initializing auto-purchase...',
  checkingAccounts: 'Checking available stock accounts...',
  reconciling: (n: number) => `Reconciling ${n} unknown purchases...`,
  fetching: 'Fetching pending transactions...',
  nonePending: (n: number) => `No pending transactions. Updated ${n} stock accounts.`,
  processing: (i: number, n: number, invoiceId: string) => `Processing transaction ${i}/${n}: ${invoiceId}`,
  waiting: (k: number, n: number) => `Waiting before next purchase... (${k}/${n} completed)`,
  completed: 'Auto-purchase completed',
  error: 'Error occurred',
} as const;

export const messages = {
  missingGamepass: 'Missing gamepass data',
  noAccount: 'No active stock account has enough robux for this game pass',
  takenElsewhere: 'Handled by another run',
  rateLimited: 'The gateway kept answering RATE_LIMITED; the order stays pending for a later run',
  endedBefore: 'The run ended before this order',
  notSent: 'The purchase could not be sent; the order stays pending',
} as const;

export const interruptedByRestart = 'Interrupted by restart';
export const interruptedByShutdown = 'Interrupted by shutdown';
/** A sibling process ended the run: its walker is alive but stopped renewing the lease (paused on a lock, stuck). */
export const endedByAnotherProcess = 'Ended by another server process: the process walking this run stopped renewing its lease';
