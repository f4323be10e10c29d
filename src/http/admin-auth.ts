// Admin authentication: `Authorization: Bearer <ADMIN_TOKEN>` or the session cookie set at log-in.
import type { MiddlewareHandler } from 'hono';
import { getCookie } from 'hono/cookie';
import { AppError } from './app-error.js';

export const sessionCookieName = 'ap_session';

const encoder = new TextEncoder();

export interface AdminAuth {
  /** The cookie value for a browser session: derived from the token, so it survives restarts. */
  sessionValue(): Promise<string>;
  tokenMatches(candidate: string): boolean;
  sessionMatches(candidate: string): Promise<boolean>;
}

export function createAdminAuth(adminToken: string): AdminAuth {
  let session: Promise<string> | undefined;
  const sessionValue = () =>
    (session ??= (async () => {
      const key = await crypto.subtle.importKey('raw', encoder.encode(adminToken), { name: 'HMAC', hash: 'SHA-256' }, false, [
        'sign',
      ]);
      const mac = await crypto.subtle.sign('HMAC', key, encoder.encode('autopurchase admin session v1'));
      return toHex(new Uint8Array(mac));
    })());
  return {
    sessionValue,
    tokenMatches: (candidate) => constantTimeEqual(candidate, adminToken),
    sessionMatches: async (candidate) => constantTimeEqual(candidate, await sessionValue()),
  };
}

/**
 * Compares a candidate with a secret in time that depends only on the candidate's length (which
 * the caller knows anyway), never on the secret's content or on where they first differ.
 * Synchronous: it runs on every request.
 */
export function constantTimeEqual(candidate: string, secret: string): boolean {
  const a = encoder.encode(candidate);
  const b = encoder.encode(secret);
  let difference = a.length ^ b.length;
  for (let i = 0; i < a.length; i++) difference |= a[i]! ^ (b.length ? b[i % b.length]! : 0);
  return difference === 0;
}

export function requireAdmin(auth: AdminAuth): MiddlewareHandler {
  return async (c, next) => {
    const header = c.req.header('authorization');
    const bearer = header?.match(/^Bearer\s+(.+)$/i)?.[1]?.trim();
    const cookie = getCookie(c, sessionCookieName);
    const ok = bearer !== undefined ? auth.tokenMatches(bearer) : cookie ? await auth.sessionMatches(cookie) : false;
    if (!ok) {
      throw new AppError(401, 'unauthorized', 'Log in first: send Authorization: Bearer <ADMIN_TOKEN> or the session cookie', {
        'WWW-Authenticate': 'Bearer',
      });
    }
    await next();
  };
}

function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('');
}
