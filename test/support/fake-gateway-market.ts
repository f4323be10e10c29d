// The fake buy-pass service's marketplace: `sandbox:<username>:<robux>` credentials (or registered
// ones), refusal markers in gamepass names, and the first settled answer stored per idempotency key.

/** The contract's codes, written out again: the fake stands for the other side of SPEC §6. */
export const refusalCodes = ['INSUFFICIENT_FUNDS', 'INVALID_CREDENTIAL', 'PRICE_CHANGED', 'NOT_FOR_SALE', 'ALREADY_OWNED', 'RATE_LIMITED'] as const;
export type RefusalCode = (typeof refusalCodes)[number];
const markerCodes: RefusalCode[] = ['NOT_FOR_SALE', 'PRICE_CHANGED', 'ALREADY_OWNED', 'INSUFFICIENT_FUNDS', 'INVALID_CREDENTIAL'];

export interface FakePurchase {
  idempotencyKey: string;
  invoiceId: string;
  gamepassId: number;
  price: number;
  username: string;
  userId: number;
  at: number;
}

export interface FakeAccount {
  username: string;
  userId: number;
  displayName: string;
  robux: number;
}

export interface NewAccount {
  username: string;
  robux: number;
  userId?: number;
  displayName?: string;
}

export interface StoredAnswer {
  status: number;
  body: Record<string, unknown>;
}

export type Lookup = 'completed' | 'failed' | 'unknown' | 'not-found';

export interface BuyBody {
  robloxCookie: string;
  invoiceId: string;
  gamepassId: number;
  gamepassName: string;
  price: number;
  sellerId: number;
  idempotencyKey: string;
}

export interface Market {
  purchaseLog: FakePurchase[];
  answers: Map<string, StoredAnswer>;
  /** Keys some buy request carried: a lookup of one without an answer is `unknown`, not 404. */
  seenKeys: Set<string>;
  /** By username. */
  accounts: Map<string, FakeAccount & { declaredRobux: number | undefined }>;
  /** Registered credentials → username. */
  cookies: Map<string, string>;
}

export function createMarket(): Market {
  return { purchaseLog: [], answers: new Map(), seenKeys: new Set(), accounts: new Map(), cookies: new Map() };
}

export function resetMarket(market: Market): void {
  market.purchaseLog.length = 0;
  market.answers.clear();
  market.seenKeys.clear();
  market.accounts.clear();
  market.cookies.clear();
}

/** FNV-1a 32-bit: the same userId per username on every run (and the same as the sandbox's). */
function userIdOf(username: string): number {
  let hash = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(username)) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0 || 1;
}

/** The account behind a credential: a registered one, or `sandbox:<username>:<robux>` on first sight. */
export function accountFor(market: Market, cookie: unknown): FakeAccount | undefined {
  if (typeof cookie !== 'string' || cookie === '' || cookie === 'sandbox:invalid') return undefined;
  const registered = market.cookies.get(cookie);
  if (registered !== undefined) return market.accounts.get(registered);
  const match = /^sandbox:([^:\s]+):(\d+)$/.exec(cookie);
  if (!match) return undefined;
  const username = match[1]!;
  const declared = Number(match[2]);
  let account = market.accounts.get(username);
  if (!account) {
    const displayName = username.charAt(0).toUpperCase() + username.slice(1);
    account = { username, userId: userIdOf(username), displayName, robux: declared, declaredRobux: declared };
    market.accounts.set(username, account);
  } else if (account.declaredRobux !== declared) {
    // A later credential declaring another balance tops the account up, as the sandbox does.
    account.robux = declared;
    account.declaredRobux = declared;
  }
  return account;
}

export function addAccount(market: Market, cookie: string, input: NewAccount): void {
  market.accounts.set(input.username, {
    username: input.username,
    userId: input.userId ?? userIdOf(input.username),
    displayName: input.displayName ?? input.username,
    robux: input.robux,
    declaredRobux: undefined,
  });
  market.cookies.set(cookie, input.username);
}

export function refusal(code: RefusalCode, message?: string): StoredAnswer {
  return { status: code === 'RATE_LIMITED' ? 429 : 200, body: { success: false, code, message: message ?? code } };
}

/** The marketplace's own answer to a valid buy; stores it under its key, so it buys once. */
export function purchase(market: Market, buy: BuyBody): StoredAnswer {
  const stored = market.answers.get(buy.idempotencyKey);
  if (stored) return stored;
  let answer: StoredAnswer;
  const marker = markerCodes.find((code) => buy.gamepassName.includes(`[${code}]`));
  const account = accountFor(market, buy.robloxCookie);
  if (marker) answer = refusal(marker);
  else if (!account) answer = refusal('INVALID_CREDENTIAL', 'The Roblox cookie is invalid or expired');
  else if (buy.price > account.robux) answer = refusal('INSUFFICIENT_FUNDS', `Not enough robux: balance ${account.robux}, price ${buy.price}`);
  else {
    account.robux -= buy.price;
    const { idempotencyKey, invoiceId, gamepassId, price } = buy;
    market.purchaseLog.push({ idempotencyKey, invoiceId, gamepassId, price, username: account.username, userId: account.userId, at: Date.now() });
    answer = { status: 200, body: { success: true } };
  }
  market.answers.set(buy.idempotencyKey, answer);
  return answer;
}

export function lookup(market: Market, key: string): Lookup {
  const stored = market.answers.get(key);
  if (stored) return stored.body.success === true ? 'completed' : 'failed';
  return market.seenKeys.has(key) ? 'unknown' : 'not-found';
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const buyKeys = ['robloxCookie', 'invoiceId', 'gamepassId', 'gamepassName', 'price', 'sellerId', 'idempotencyKey'];

/** The buy, or what is wrong with it. */
export function checkBuy(body: unknown, headerKey: string | string[] | undefined): BuyBody | string {
  if (!isRecord(body)) return 'Expected a JSON object';
  const extra = Object.keys(body).filter((key) => !buyKeys.includes(key));
  if (extra.length > 0) return `Unknown fields: ${extra.join(', ')}`;
  const { robloxCookie, invoiceId, gamepassId, gamepassName, price, sellerId, idempotencyKey } = body;
  if (typeof robloxCookie !== 'string') return 'robloxCookie must be a string';
  if (typeof invoiceId !== 'string' || invoiceId === '') return 'invoiceId must be a non-empty string';
  if (typeof gamepassName !== 'string') return 'gamepassName must be a string';
  for (const [name, value] of [['gamepassId', gamepassId], ['price', price], ['sellerId', sellerId]] as const) {
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) return `${name} must be a positive integer`;
  }
  if (typeof idempotencyKey !== 'string' || idempotencyKey === '') return 'idempotencyKey must be a non-empty string';
  if (headerKey !== idempotencyKey) return 'The Idempotency-Key header must equal the idempotencyKey field';
  return { robloxCookie, invoiceId, gamepassId: gamepassId as number, gamepassName, price: price as number, sellerId: sellerId as number, idempotencyKey };
}
