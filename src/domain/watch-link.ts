// Watch links (SPEC §12): a signed, expiring capability to follow one run, passed as
// `?access_token=` because EventSource cannot send headers. Stateless: `wl1.<payload>.<mac>`, the
// payload naming the run and the expiry, the MAC an HMAC-SHA256 under a key of its own derived from
// the server's secret key. Checked with `crypto.subtle.verify` (constant time).
import { base64url } from './api-token.js';
import { base64ToBytes } from './credential-cipher.js';

export const watchLinkVersion = 'wl1';
/** When a request names no expiry. */
export const defaultWatchLinkMs = 24 * 60 * 60 * 1000;
/** The longest a link may live. */
export const maxWatchLinkMs = 30 * 24 * 60 * 60 * 1000;

export interface WatchGrant {
  sessionId: string;
  /** Epoch milliseconds. */
  expiresAt: number;
}

export interface WatchLinkSigner {
  sign(grant: WatchGrant): Promise<string>;
  /** The grant when the token is ours, intact, unexpired at `now`; undefined otherwise. */
  verify(token: string, now: number): Promise<WatchGrant | undefined>;
}

const encoder = new TextEncoder();

/**
 * A signer whose key is derived (HKDF-SHA256, its own info string) from `secret`, so the one
 * secret the server keeps (CREDENTIAL_KEY) serves here without ever being used twice as a key.
 */
export async function createWatchLinkSigner(secret: Uint8Array<ArrayBuffer>, salt: Uint8Array<ArrayBuffer> = new Uint8Array(0)): Promise<WatchLinkSigner> {
  const root = await crypto.subtle.importKey('raw', secret, 'HKDF', false, ['deriveKey']);
  const key = await crypto.subtle.deriveKey(
    { name: 'HKDF', hash: 'SHA-256', salt, info: encoder.encode('autopurchase/watch-link/v1') },
    root,
    { name: 'HMAC', hash: 'SHA-256', length: 256 },
    false,
    ['sign', 'verify'],
  );
  return {
    async sign(grant) {
      const payload = base64url(encoder.encode(JSON.stringify({ s: grant.sessionId, e: grant.expiresAt })));
      const signed = `${watchLinkVersion}.${payload}`;
      const mac = new Uint8Array(await crypto.subtle.sign('HMAC', key, encoder.encode(signed)));
      return `${signed}.${base64url(mac)}`;
    },
    async verify(token, now) {
      const parts = token.split('.');
      if (parts.length !== 3 || parts[0] !== watchLinkVersion) return undefined;
      const [version, payload, mac] = parts as [string, string, string];
      if (!/^[A-Za-z0-9_-]{1,2048}$/.test(payload) || !/^[A-Za-z0-9_-]{43}$/.test(mac)) return undefined;
      // One spelling per link: the MAC's last character has 2 unused bits, which decoding ignores.
      if (base64url(base64ToBytes(mac)) !== mac) return undefined;
      const intact = await crypto.subtle.verify('HMAC', key, base64ToBytes(mac), encoder.encode(`${version}.${payload}`));
      if (!intact) return undefined;
      const grant = parseGrant(new TextDecoder().decode(base64ToBytes(payload)));
      if (!grant || now >= grant.expiresAt) return undefined;
      return grant;
    },
  };
}

/**
 * The server's signer: keyed by its secret (CREDENTIAL_KEY's bytes), salted with the admin token's
 * SHA-256, so rotating either voids every link, and a link says nothing about the admin token.
 */
export async function watchLinkSignerFor(secret: Uint8Array<ArrayBuffer>, adminToken: string): Promise<WatchLinkSigner> {
  const salt = new Uint8Array(await crypto.subtle.digest('SHA-256', encoder.encode(adminToken)));
  return createWatchLinkSigner(secret, salt);
}

function parseGrant(text: string): WatchGrant | undefined {
  try {
    const value = JSON.parse(text) as { s?: unknown; e?: unknown };
    if (typeof value.s !== 'string' || typeof value.e !== 'number' || !Number.isSafeInteger(value.e)) return undefined;
    return { sessionId: value.s, expiresAt: value.e };
  } catch {
    return undefined;
  }
}
