// Log-in and log-out for the browser: the session cookie (HttpOnly, SameSite=Strict).
import type { Hono } from 'hono';
import { deleteCookie, setCookie } from 'hono/cookie';
import * as v from 'valibot';
import { AppError } from '../http/app-error.js';
import { sessionCookieName, type AdminAuth } from '../http/admin-auth.js';
import { readJson } from '../http/read-json.js';
import { resource } from '../http/resource.js';

const loginBody = v.strictObject({ token: v.pipe(v.string('must be a string'), v.maxLength(1024)) });

export function authRoutes(app: Hono, auth: AdminAuth): void {
  resource(app, '/api/auth/login', {
    POST: async (c) => {
      const { token } = await readJson(c, loginBody);
      if (!(await auth.tokenMatches(token))) throw new AppError(401, 'invalid_token', 'Invalid token');
      setCookie(c, sessionCookieName, await auth.sessionValue(), {
        httpOnly: true,
        sameSite: 'Strict',
        path: '/',
        secure: cameOverHttps(c.req.url, c.req.header('x-forwarded-proto')),
        maxAge: 60 * 60 * 24 * 30,
      });
      return c.body(null, 204);
    },
  });
  resource(app, '/api/auth/logout', {
    POST: (c) => {
      deleteCookie(c, sessionCookieName, {
        path: '/',
        httpOnly: true,
        sameSite: 'Strict',
        secure: cameOverHttps(c.req.url, c.req.header('x-forwarded-proto')),
      });
      return c.body(null, 204);
    },
  });
}

/** Behind a TLS-terminating proxy the request arrives as http with X-Forwarded-Proto: https. */
function cameOverHttps(url: string, forwardedProto: string | undefined): boolean {
  return new URL(url).protocol === 'https:' || forwardedProto?.split(',')[0]?.trim() === 'https';
}
