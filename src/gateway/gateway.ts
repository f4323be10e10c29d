// The purchase gateway contract (SPEC §6): the engine and the routes talk only to this interface.

/** The refusal codes a gateway may answer for a purchase (SPEC §6). */
export const refusalCodes = [
  'INSUFFICIENT_FUNDS',
  'INVALID_CREDENTIAL',
  'PRICE_CHANGED',
  'NOT_FOR_SALE',
  'ALREADY_OWNED',
  'RATE_LIMITED',
] as const;
export type RefusalCode = (typeof refusalCodes)[number];

export function isRefusalCode(value: unknown): value is RefusalCode {
  return typeof value === 'string' && (refusalCodes as readonly string[]).includes(value);
}

/** The wait a RATE_LIMITED answer stands for when it names none (SPEC §6); both gateways use it. */
export const DEFAULT_RETRY_AFTER_MS = 1000;

/** What the gateway knows of an account behind a credential. */
export interface VerifiedAccount {
  userId: number;
  username: string;
  displayName: string;
  robux: number;
}

export type VerifyResult =
  | ({ ok: true } & VerifiedAccount)
  | { ok: false; code: 'INVALID_CREDENTIAL'; message: string };

export interface BuyRequest {
  /** The stock account's decrypted credential; never logged. */
  credential: string;
  invoiceId: string;
  gamepassId: number;
  gamepassName: string;
  price: number;
  sellerId: number;
  /** Stored before the call; the same key never buys twice. */
  idempotencyKey: string;
}

export type BuyResult =
  | { success: true }
  | {
      success: false;
      code: RefusalCode;
      message: string;
      /** Set with RATE_LIMITED: how long the gateway asked us to wait. */
      retryAfterMs?: number;
    };

/**
 * What the gateway knows of an idempotency key. `not_found`: no buy-pass request ever carried it
 * (SPEC §6); once the attempt's window has passed, that means it was not bought.
 */
export type PurchaseLookup = 'completed' | 'failed' | 'unknown' | 'not_found';

export interface CallOptions {
  /** Aborts a call that takes too long; a gateway rejects with GatewayTransientError then. */
  signal?: AbortSignal;
}

export interface Gateway {
  readonly kind: 'sandbox' | 'http';
  verifyAccount(credential: string, options?: CallOptions): Promise<VerifyResult>;
  buyPass(request: BuyRequest, options?: CallOptions): Promise<BuyResult>;
  lookupPurchase(idempotencyKey: string, options?: CallOptions): Promise<PurchaseLookup>;
}

/**
 * A failure after which nobody can say whether the gateway acted: a timeout, a lost connection,
 * a 5xx. Retried under the same idempotency key, then left for reconciliation.
 */
export class GatewayTransientError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'GatewayTransientError';
  }
}
