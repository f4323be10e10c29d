// The webhook's signature (SPEC §10): `X-Autopurchase-Signature: sha256=<hex>`, the HMAC-SHA256 of
// "<timestamp>.<body>" under NOTIFY_WEBHOOK_SECRET, with the timestamp (unix seconds) sent beside it
// in `X-Autopurchase-Timestamp`, so a receiver can refuse a replayed old delivery. Web Crypto only:
// the sender and any receiver (a test, an edge function) share it.

export const webhookHeaders = {
  delivery: 'X-Autopurchase-Delivery',
  timestamp: 'X-Autopurchase-Timestamp',
  signature: 'X-Autopurchase-Signature',
} as const;

/** How old a timestamp a receiver accepts by default: five minutes, either way. */
export const defaultToleranceSeconds = 300;

const encoder = new TextEncoder();

function hmacKey(secret: string, usage: 'sign' | 'verify'): Promise<CryptoKey> {
  return crypto.subtle.importKey('raw', encoder.encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, [usage]);
}

/** `sha256=<hex>` for `body` sent at `timestamp` (unix seconds). */
export async function webhookSignature(secret: string, timestamp: number, body: string): Promise<string> {
  const mac = new Uint8Array(await crypto.subtle.sign('HMAC', await hmacKey(secret, 'sign'), encoder.encode(`${timestamp}.${body}`)));
  return `sha256=${Array.from(mac, (byte) => byte.toString(16).padStart(2, '0')).join('')}`;
}

export interface SignedDelivery {
  body: string;
  /** The X-Autopurchase-Timestamp header as received. */
  timestamp: string | null | undefined;
  /** The X-Autopurchase-Signature header as received. */
  signature: string | null | undefined;
}

/**
 * Whether a delivery is ours and fresh: the signature is the HMAC of "<timestamp>.<body>" under
 * `secret` (compared in constant time by `crypto.subtle.verify`) and the timestamp is within
 * `toleranceSeconds` of `nowMs`.
 */
export async function verifyWebhookSignature(
  secret: string,
  delivery: SignedDelivery,
  nowMs: number,
  toleranceSeconds = defaultToleranceSeconds,
): Promise<boolean> {
  const { timestamp, signature, body } = delivery;
  if (!timestamp || !/^\d{1,12}$/.test(timestamp)) return false;
  if (Math.abs(nowMs / 1000 - Number(timestamp)) > toleranceSeconds) return false;
  const hex = /^sha256=([0-9a-f]{64})$/.exec(signature ?? '')?.[1];
  if (!hex) return false;
  const mac = new Uint8Array(hex.match(/../g)!.map((pair) => parseInt(pair, 16)));
  return crypto.subtle.verify('HMAC', await hmacKey(secret, 'verify'), mac, encoder.encode(`${timestamp}.${body}`));
}
