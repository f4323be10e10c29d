// Rows → the JSON the API answers (SPEC §2), typed by src/domain/api.ts. The credential column
// never leaves through here.
import { isoTime } from '../clock.js';
import type { AuditEntry, Resolution, StockAccount, Transaction } from '../domain/api.js';
import type { AccountRow } from '../stores/accounts.js';
import type { AuditRow } from '../stores/audit.js';
import type { TransactionRow } from '../stores/transactions.js';

export function presentAccount(row: AccountRow): StockAccount {
  return {
    id: row.id,
    userId: row.userId,
    username: row.username,
    displayName: row.displayName,
    robux: row.robux,
    status: row.status,
    lastChecked: isoTime(row.lastChecked),
    createdAt: isoTime(row.createdAt),
    updatedAt: isoTime(row.updatedAt),
  };
}

/** An order, with its hand resolution (the audit row of its `…/resolve`) beside it when it has one. */
export function presentTransaction(row: TransactionRow, resolution?: AuditRow): Transaction {
  return {
    id: row.id,
    invoiceId: row.invoiceId,
    gamepass: {
      id: row.gamepassId,
      name: row.gamepassName,
      price: row.gamepassPrice,
      sellerId: row.gamepassSellerId,
    },
    status: row.status,
    usedAccount: row.usedAccount,
    error: row.error,
    attempts: row.attempts,
    createdAt: isoTime(row.createdAt),
    updatedAt: isoTime(row.updatedAt),
    completedAt: isoTime(row.completedAt),
    ...(resolution ? { resolution: presentResolution(resolution) } : {}),
  };
}

/** One entry of GET /api/audit. */
export function presentAuditEntry(row: AuditRow): AuditEntry {
  return { id: row.id, at: isoTime(row.at), actor: row.actor, action: row.action, target: row.target, outcome: row.outcome, note: row.note };
}

function presentResolution(row: AuditRow): Resolution {
  // A `transaction.resolve` row is written only with a checked outcome and a non-empty note (src/services/resolve.ts).
  return { outcome: row.outcome as Resolution['outcome'], note: row.note ?? '', at: isoTime(row.at), actor: row.actor };
}
