// Which stock account buys an order: the active one with the least balance that still covers the
// price, so large balances stay free for large orders. Ties go to the oldest account.

export interface Candidate {
  id: string;
  robux: number;
  status: string;
  createdAt: number;
}

export function leastBalanceCovering<T extends Candidate>(accounts: readonly T[], price: number, excluded: ReadonlySet<string> = new Set()): T | undefined {
  let best: T | undefined;
  for (const account of accounts) {
    if (account.status !== 'active' || account.robux < price || excluded.has(account.id)) continue;
    if (!best || account.robux < best.robux || (account.robux === best.robux && account.createdAt < best.createdAt)) best = account;
  }
  return best;
}
