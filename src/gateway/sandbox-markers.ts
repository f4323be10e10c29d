// What the sandbox gateway answers: its refusal messages, and the markers a demo order's gamepass
// name can carry to make it misbehave on purpose (documented to admins as they are written here).
import type { RefusalCode } from './gateway.js';

/**
 * Markers a demo order can carry in its gamepass name to make the sandbox misbehave. When a name
 * holds several, the first one in this order applies. Injected faults take precedence.
 */
export const sandboxMarkers = {
  '[NOT_FOR_SALE]': 'Answers NOT_FOR_SALE: the order fails.',
  '[PRICE_CHANGED]': 'Answers PRICE_CHANGED: the order fails.',
  '[ALREADY_OWNED]': 'Answers ALREADY_OWNED: the order completes without buying anything.',
  '[INSUFFICIENT_FUNDS]': 'Answers INSUFFICIENT_FUNDS whatever the balance, once per order: the engine tries the next account.',
  '[INVALID_CREDENTIAL]': 'Answers INVALID_CREDENTIAL once per order: the engine marks the buying account invalid and tries the next.',
  '[RATE_LIMITED]': 'Answers RATE_LIMITED (retry after 1000 ms) the first time per idempotency key, then buys.',
  '[TIMEOUT]': 'Always fails transiently (no answer): the order ends unknown.',
  '[FLAKY]': 'Fails transiently the first time per idempotency key, then buys on the retry.',
} as const;
export type SandboxMarker = keyof typeof sandboxMarkers;

/** The refusal each code answers unless a fault supplies its own message. */
export const sandboxRefusalMessages: Readonly<Record<RefusalCode, string>> = {
  INSUFFICIENT_FUNDS: 'Not enough robux to buy this game pass',
  INVALID_CREDENTIAL: 'The Roblox cookie is invalid or expired',
  PRICE_CHANGED: 'The price of this game pass changed',
  NOT_FOR_SALE: 'This game pass is not for sale',
  ALREADY_OWNED: 'The customer already owns this game pass',
  RATE_LIMITED: 'Too many requests, retry later',
};

/** The markers that stand for a plain refusal; the others fail transiently or rate-limit. */
export const refusalMarkers: Partial<Record<SandboxMarker, RefusalCode>> = {
  '[NOT_FOR_SALE]': 'NOT_FOR_SALE',
  '[PRICE_CHANGED]': 'PRICE_CHANGED',
  '[ALREADY_OWNED]': 'ALREADY_OWNED',
  '[INSUFFICIENT_FUNDS]': 'INSUFFICIENT_FUNDS',
  '[INVALID_CREDENTIAL]': 'INVALID_CREDENTIAL',
};

/** The first marker (in sandboxMarkers' order) the name holds. */
export function findMarker(gamepassName: string): SandboxMarker | undefined {
  return (Object.keys(sandboxMarkers) as SandboxMarker[]).find((marker) => gamepassName.includes(marker));
}
