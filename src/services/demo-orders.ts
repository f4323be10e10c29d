// The dozen demo orders a first sandbox start seeds, so a newcomer sees every outcome of a run.
import { write } from '../db/write.js';
import type { Clock } from '../clock.js';
import type { Db } from '../db/types.js';
import { countTransactions, insertTransactionOnce, pendingOrderRow, type OrderFields } from '../stores/transactions.js';
import { listAccounts } from '../stores/accounts.js';

type DemoOrder = OrderFields;

/** Names carry the sandbox's markers (see sandboxMarkers) to fail in each way of SPEC §6. */
export const demoOrders: DemoOrder[] = [
  { invoiceId: 'DEMO-0001', gamepass: { id: 1001, name: 'VIP Pass', price: 100, sellerId: 501 } },
  { invoiceId: 'DEMO-0002', gamepass: { id: 1002, name: 'Double Coins', price: 250, sellerId: 502 } },
  { invoiceId: 'DEMO-0003', gamepass: { id: 1003, name: 'Speed Boost', price: 75, sellerId: 503 } },
  { invoiceId: 'DEMO-0004', gamepass: { id: 1004, name: 'Retired Pass [NOT_FOR_SALE]', price: 120, sellerId: 504 } },
  { invoiceId: 'DEMO-0005', gamepass: { id: 1005, name: 'Repriced Pass [PRICE_CHANGED]', price: 90, sellerId: 505 } },
  { invoiceId: 'DEMO-0006', gamepass: { id: 1006, name: 'Owned Pass [ALREADY_OWNED]', price: 60, sellerId: 506 } },
  { invoiceId: 'DEMO-0007', gamepass: { id: 1007, name: 'Busy Shop [RATE_LIMITED]', price: 80, sellerId: 507 } },
  { invoiceId: 'DEMO-0008', gamepass: { id: 1008, name: 'Slow Shop [TIMEOUT]', price: 110, sellerId: 508 } },
  { invoiceId: 'DEMO-0009', gamepass: { id: 1009, name: 'Shaky Shop [FLAKY]', price: 65, sellerId: 509 } },
  { invoiceId: 'DEMO-0010', gamepass: { id: 1010, name: 'Mega Bundle', price: 50_000, sellerId: 510 } },
  { invoiceId: 'DEMO-0011', gamepass: { name: 'Incomplete Order', price: 40 } },
  { invoiceId: 'DEMO-0012', gamepass: { id: 1012, name: 'Pet Slot', price: 150, sellerId: 512 } },
  { invoiceId: 'DEMO-0013', gamepass: { id: 1013, name: 'Stale Balance [INSUFFICIENT_FUNDS]', price: 30, sellerId: 513 } },
  // Last, because it marks the account that tries it invalid.
  { invoiceId: 'DEMO-0014', gamepass: { id: 1014, name: 'Expired Cookie [INVALID_CREDENTIAL]', price: 20, sellerId: 514 } },
];

/** Seeds the demo orders into an empty database; answers how many it wrote. */
export function seedDemoOrders(db: Db, clock: Clock): number {
  if (countTransactions(db) > 0 || listAccounts(db).length > 0) return 0;
  return write(db, (tx) => {
    let written = 0;
    demoOrders.forEach((order, i) => {
      // Spaced a second apart so "oldest first" has a visible order.
      const at = clock.now() - (demoOrders.length - i) * 1000;
      if (insertTransactionOnce(tx, pendingOrderRow(order, at))) written++;
    });
    return written;
  });
}
