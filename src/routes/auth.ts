// Log-in and log-out for the browser: the session cookie (HttpOnly, SameSite=Strict), failed
// log-ins throttled per client address, log-out ending the session itself (SPEC §11).
import type { Context, Hono } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import * as v from 'valibot';
import { AppError } from '../domain/app-error.js';
import { sessionCookieMaxAgeSeconds, sessionCookieName, type AdminAuth } from '../http/admin-auth.js';
import type { LoginThrottle } from '../http/login-throttle.js';
import { readJson } from '../http/read-json.js';
import { resource } from '../http/resource.js';
import { assertOwnOrigin } from '../http/same-origin.js';

export const loginBody = v.strictObject({ token: v.pipe(v.string('must be a string'), v.maxLength(1024)) });

export interface AuthRouteDeps {
  auth: AdminAuth;
  throttle: LoginThrottle;
  /** The address failed log-ins are counted against. */
  clientAddress: (c: Context) => string;
}

export function authRoutes(app: Hono, { auth, throttle, clientAddress }: AuthRouteDeps): void {
  resource(app, '/api/auth/login', {
    POST: async (c) => {
      const address = clientAddress(c);
      throttle.assertAllowed(address);
      const { token } = await readJson(c, loginBody);
      if (!auth.tokenMatches(token)) {
        throttle.failed(address);
        auth.loginRefused();
        throw new AppError(401, 'invalid_token', 'Invalid token');
      }
      throttle.succeeded(address);
      setCookie(c, sessionCookieName, await auth.openSession(), { ...cookieOptions(c), maxAge: sessionCookieMaxAgeSeconds });
      return c.body(null, 204);
    },
  });
  resource(app, '/api/auth/logout', {
    POST: async (c) => {
      const cookie = getCookie(c, sessionCookieName);
      if (cookie) {
        // Another site's page must not be able to log the admin out either.
        assertOwnOrigin(c);
        await auth.endSession(cookie);
      }
      deleteCookie(c, sessionCookieName, cookieOptions(c));
      return c.body(null, 204);
    },
  });
}

function cookieOptions(c: Context) {
  return { path: '/', httpOnly: true, sameSite: 'Strict', secure: cameOverHttps(c.req.url, c.req.header('x-forwarded-proto')) } as const;
}

/** Behind a TLS-terminating proxy the request arrives as http with X-Forwarded-Proto: https. */
function cameOverHttps(url: string, forwardedProto: string | undefined): boolean {
  return new URL(url).protocol === 'https:' || forwardedProto?.split(',')[0]?.trim() === 'https';
}
