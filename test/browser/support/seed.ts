// Pending orders written straight into a fresh SQLite file before the server starts (so the demo
// orders are not seeded): for runs bigger than the demo's 14.
import { openDatabase } from '../../../src/db/open.js';
import { transactions } from '../../../src/db/schema.js';
import { pendingOrderRow } from '../../../src/stores/transactions.js';

/** `count` pending orders `PREFIX-00001`…, oldest first, `price` robux each. */
export function seedPendingOrders(databasePath: string, count: number, { prefix = 'BULK', price = 10 } = {}): string[] {
  const invoices: string[] = [];
  const opened = openDatabase(databasePath);
  try {
    const now = Date.now();
    opened.sqlite.transaction(() => {
      for (let i = 0; i < count; i += 500) {
        const rows = [];
        for (let j = i; j < Math.min(count, i + 500); j++) {
          const invoiceId = `${prefix}-${String(j + 1).padStart(5, '0')}`;
          invoices.push(invoiceId);
          rows.push(pendingOrderRow({ invoiceId, gamepass: { id: 100_000 + j, name: `Pass ${j + 1}`, price, sellerId: 7 } }, now - count + j));
        }
        opened.db.insert(transactions).values(rows).run();
      }
    })();
  } finally {
    opened.close();
  }
  return invoices;
}
