// What one walk's steps share: its dependencies and lease, the run's accounts and rows as it last
// wrote them, the order it has claimed, and its one way to write: commit().
import { isoTime, type Clock } from '../clock.js';
import type { Db } from '../db/types.js';
import { writeRetrying, type StorageFault } from '../db/write.js';
import type { CredentialCipher } from '../domain/credential-cipher.js';
import type { RunAccount, RunEventBody, RunTransaction, RunTransactionStatus } from '../domain/run.js';
import type { Gateway, VerifyResult } from '../gateway/gateway.js';
import type { Logger } from '../logger.js';
import type { ChoosableAccount } from '../stores/accounts.js';
import { appendEvents } from '../stores/run-events.js';
import type { TransactionRow } from '../stores/transactions.js';
import { renewLease } from './lease.js';
import type { CallOutcome, CallPolicy } from './purchase-call.js';
import { RunRows } from './run-rows.js';

export interface WalkDeps {
  db: Db;
  gateway: Gateway;
  cipher: CredentialCipher;
  clock: Clock;
  logger: Logger;
  policy: CallPolicy;
  purchaseDelayMs: number;
  /** The delay's slice: a shutdown is noticed at most this late. */
  sleepSliceMs: number;
  leaseMs: number;
  gatewayTimeoutMs: number;
  isStopping(): boolean;
  /** The run's end enqueues a webhook delivery (appendEvents' `notify`). */
  notify?: boolean;
  /** Called after each commit that appended events, with the run's last seq. */
  onAppend(sessionId: string, seq: number): void;
  /** Told what each purchase came to at the gateway (the metrics). */
  onPurchase?(outcome: CallOutcome): void;
}

export interface WalkTarget {
  sessionId: string;
  holder: string;
  /** Transactions a dead walker left `processing`: reconciled before anything is bought. */
  orphans: readonly number[];
}

export type PendingRow = TransactionRow;

/** Thrown inside a commit when this process no longer holds the lease: another one ended the run. */
export class LeaseLost extends Error {}
export class Interrupted extends Error {}

type Change<T> = (now: number, events: RunEventBody[]) => T;

const faultWords: Record<StorageFault, string> = { busy: 'locked by another program', full: 'full (disk)', io: 'failing (I/O error)' };

export const stepEvent = (currentStep: string): RunEventBody => ({ type: 'step', data: { currentStep } });

export class WalkContext {
  readonly db: Db;
  readonly sessionId: string;
  readonly holder: string;
  /** The run's view of the accounts, in the order the snapshot lists them. */
  readonly accounts = new Map<string, RunAccount>();
  readonly rows = new RunRows();
  /** The transaction this walk has claimed and not yet settled, if any. */
  claimed: PendingRow | undefined;
  /** Decrypted once per run and credential, kept only while the run lasts. */
  private readonly credentials = new Map<string, { sealed: string; plain: string }>();
  private lastYield = performance.now();

  constructor(
    readonly deps: WalkDeps,
    target: { sessionId: string; holder: string },
  ) {
    this.db = deps.db;
    this.sessionId = target.sessionId;
    this.holder = target.holder;
  }

  /** One SQLite transaction: the lease renewed, `change`'s domain changes and its events. A held lock or a
   * failed commit pauses the walk and retries from the state before it (SPEC §11: never abandon a run for a lock). */
  async commit<T>(change: Change<T>): Promise<T> {
    const { db, clock, leaseMs } = this.deps;
    const restore = this.restorer();
    let seq = 0;
    let tries = 0;
    const result = await writeRetrying(
      db,
      () => {
        if (tries++ > 0) restore();
        const now = clock.now();
        if (!renewLease(db, { sessionId: this.sessionId, holder: this.holder, expiresAt: now + leaseMs })) throw new LeaseLost();
        const events: RunEventBody[] = [];
        const answer = change(now, events);
        if (events.length) seq = appendEvents(db, this.sessionId, events, now, { notify: this.deps.notify });
        return answer;
      },
      {
        sleep: this.deps.policy.sleep,
        giveUp: this.deps.isStopping,
        onFault: (fault, attempt) => {
          if (attempt === 1 || attempt % 20 === 0) this.deps.logger.warn(`run ${this.sessionId}: the database is ${faultWords[fault]}; the run waits and tries again (try ${attempt})`);
        },
      },
    ).catch((error: unknown) => {
      if (tries > 0) restore();
      throw error;
    });
    if (seq) this.deps.onAppend(this.sessionId, seq);
    return result;
  }

  /** Puts the in-memory state back as it is now: for a commit that did not happen. */
  private restorer(): () => void {
    const accounts = [...this.accounts.values()].map((a) => ({ ...a }));
    const claimed = this.claimed;
    this.rows.begin();
    return () => {
      this.accounts.clear();
      for (const a of accounts) this.accounts.set(a.id, { ...a });
      this.claimed = claimed;
      this.rows.rollback();
    };
  }

  /** A row of the run changed: its event, and the summary when the row reached an end state. */
  settle(events: RunEventBody[], invoiceId: string, status: RunTransactionStatus, now: number, extra: { usedAccount?: string; error?: string } = {}): void {
    events.push({ type: 'transaction', data: { invoiceId, status, ...extra, timestamp: isoTime(now) } });
    this.rows.set(invoiceId, status);
    if (status === 'processing' || status === 'pending') return;
    events.push({ type: 'summary', data: this.rows.summary() });
    this.claimed = undefined;
  }

  /** The run's whole transaction list (at the fetch, or after a rerun), with its summary. */
  publish(list: RunTransaction[], events: RunEventBody[]): void {
    this.rows.publish(list);
    events.push({ type: 'transactions', data: { transactions: list, totalTransactions: list.length } }, { type: 'summary', data: this.rows.summary() });
  }

  accountsEvent(): RunEventBody {
    return { type: 'accounts', data: { stockAccounts: [...this.accounts.values()].map((a) => ({ ...a })) } };
  }

  /**
   * Brings the run's accounts in line with the database: a changed balance or status is an
   * `account` event; an account the run has not seen yet (added during the run) re-sends the list.
   */
  syncAccounts(accounts: readonly ChoosableAccount[], events: RunEventBody[]): void {
    let added = false;
    for (const account of accounts) {
      if (!this.accounts.has(account.id) && account.status === 'active') {
        this.accounts.set(account.id, runAccountOf(account));
        added = true;
      }
    }
    if (added) events.push(this.accountsEvent());
    if (accounts.length === this.accounts.size && !added && accounts.every((a) => sameAs(this.accounts.get(a.id), a))) return;
    const byId = new Map(accounts.map((a) => [a.id, a]));
    for (const seen of this.accounts.values()) {
      const current = byId.get(seen.id);
      // A deleted account can no longer buy: the run shows it inactive.
      const robux = current?.robux ?? seen.robux;
      const status = current?.status ?? 'inactive';
      if (robux !== seen.robux || status !== seen.status) {
        seen.robux = robux;
        seen.status = status;
        events.push({ type: 'account', data: { id: seen.id, robux, status } });
      }
    }
  }

  async credentialOf(account: ChoosableAccount): Promise<string> {
    const known = this.credentials.get(account.id);
    if (known?.sealed === account.credentialEnc) return known.plain;
    const plain = await this.deps.cipher.decrypt(account.credentialEnc);
    this.credentials.set(account.id, { sealed: account.credentialEnc, plain });
    return plain;
  }

  /** The account's balance from the gateway, or undefined when it did not answer. */
  async verifyQuietly(account: ChoosableAccount): Promise<VerifyResult | undefined> {
    try {
      return await this.deps.gateway.verifyAccount(await this.credentialOf(account), { signal: AbortSignal.timeout(this.deps.gatewayTimeoutMs) });
    } catch {
      this.deps.logger.warn(`run ${this.sessionId}: balance check of account ${account.id} got no answer`);
      return undefined;
    }
  }

  /** A gateway that answers at once (the sandbox) never yields by itself: give the event loop a turn every few ms. */
  async yieldWhenDue(): Promise<void> {
    if (performance.now() - this.lastYield <= 4) return;
    await new Promise((resolve) => (typeof setImmediate === 'function' ? setImmediate(resolve) : setTimeout(resolve, 0)));
    this.lastYield = performance.now();
  }

  async sleepUnlessStopping(ms: number): Promise<void> {
    // Short slices, so a shutdown does not wait out a long delay.
    const slice = this.deps.sleepSliceMs;
    for (let left = ms; left > 0 && !this.deps.isStopping(); left -= slice) await this.deps.policy.sleep(Math.min(slice, left));
  }
}

export function runAccountOf(account: ChoosableAccount): RunAccount {
  return { id: account.id, username: account.username, robux: account.robux, status: account.status };
}

function sameAs(seen: RunAccount | undefined, account: ChoosableAccount): boolean {
  return seen !== undefined && seen.robux === account.robux && seen.status === account.status;
}
