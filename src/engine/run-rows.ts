// The run's transaction rows as this walk last wrote them (the list it published, each row's latest
// status) and the summary derived from them. Changes can be undone, for a commit that failed.
import type { RunSummary, RunTransactionStatus } from '../domain/run.js';
import { afterRowMove, summarize } from '../domain/summary.js';

interface Row {
  invoiceId: string;
  status: RunTransactionStatus;
}

export class RunRows {
  private rows: Row[] = [];
  private at = new Map<string, number>();
  private derived: RunSummary = summarize([]);
  private undo: (() => void)[] = [];

  /** Starts a commit: what changes from here on can be rolled back. */
  begin(): void {
    this.undo.length = 0;
  }

  rollback(): void {
    while (this.undo.length > 0) this.undo.pop()!();
  }

  /** A new list (a `transactions` event): every row in it, in its order. */
  publish(list: readonly Row[]): void {
    const { rows, at, derived } = this;
    this.undo.push(() => {
      this.rows = rows;
      this.at = at;
      this.derived = derived;
    });
    this.rows = list.map(({ invoiceId, status }) => ({ invoiceId, status }));
    this.at = new Map(this.rows.map((row, i) => [row.invoiceId, i]));
    this.derived = summarize(this.rows);
  }

  /** One row changed (a `transaction` event); a row not in the list changes nothing, as in the database. */
  set(invoiceId: string, status: RunTransactionStatus): void {
    const row = this.rows[this.at.get(invoiceId) ?? -1];
    if (!row) return;
    const was = row.status;
    const derived = this.derived;
    this.undo.push(() => {
      row.status = was;
      this.derived = derived;
    });
    row.status = status;
    this.derived = afterRowMove(derived, was, status);
  }

  /** Equals summarize() of the rows (test/summary.test.ts checks the two agree). */
  summary(): RunSummary {
    return { ...this.derived };
  }
}
