// Admin authentication: `Authorization: Bearer <ADMIN_TOKEN>` or the session cookie set at log-in.
import type { MiddlewareHandler } from 'hono';
import { getCookie } from 'hono/cookie';
import { AppError } from './app-error.js';

export const sessionCookieName = 'ap_session';

export interface AdminAuth {
  /** The cookie value for a browser session: derived from the token, so it survives restarts. */
  sessionValue(): Promise<string>;
  tokenMatches(candidate: string): Promise<boolean>;
  sessionMatches(candidate: string): Promise<boolean>;
}

export function createAdminAuth(adminToken: string): AdminAuth {
  const encoder = new TextEncoder();
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
 * Compares two secrets in time that depends on neither: both are hashed first, so the lengths and
 * the position of the first difference are hidden, then every byte of the digests is compared.
 */
export async function constantTimeEqual(a: string, b: string): Promise<boolean> {
  const encoder = new TextEncoder();
  const [da, db] = await Promise.all([
    crypto.subtle.digest('SHA-256', encoder.encode(a)),
    crypto.subtle.digest('SHA-256', encoder.encode(b)),
  ]);
  const x = new Uint8Array(da);
  const y = new Uint8Array(db);
  let difference = 0;
  for (let i = 0; i < x.length; i++) difference |= x[i]! ^ y[i]!;
  return difference === 0;
}

export function requireAdmin(auth: AdminAuth): MiddlewareHandler {
  return async (c, next) => {
    const header = c.req.header('authorization');
    const bearer = header?.match(/^Bearer\s+(.+)$/i)?.[1]?.trim();
    const cookie = getCookie(c, sessionCookieName);
    const ok = bearer !== undefined ? await auth.tokenMatches(bearer) : cookie ? await auth.sessionMatches(cookie) : false;
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
