// Rows → the JSON the API answers (SPEC §2). The credential column never leaves through here.
import { isoTime } from '../clock.js';
import type { AccountRow } from '../stores/accounts.js';
import type { TransactionRow } from '../stores/transactions.js';

export function presentAccount(row: AccountRow) {
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

export function presentTransaction(row: TransactionRow) {
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
  };
}
