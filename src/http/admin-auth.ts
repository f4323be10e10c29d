// The root credentials: the admin token, and the browser sessions opened with it (the access check,
// src/http/access.ts, decides who may call what).
// The database holds a session's SHA-256 and its token's fingerprint, so a new ADMIN_TOKEN ends every session.
import type { Clock } from '../clock.js';
import type { Db } from '../db/types.js';
import { StorageError, write } from '../db/write.js';
import { deleteSession, insertSession, sessionByIdHash, sessionExpired, sessionLifetimeMs, touchSession } from '../stores/sessions.js';
import { appendAudit } from '../stores/audit.js';
import { recordBestEffort } from '../services/audit.js';

export const sessionCookieName = 'ap_session';
/** The browser forgets the cookie when the session's absolute expiry comes. */
export const sessionCookieMaxAgeSeconds = sessionLifetimeMs / 1000;

/** A session's last use is written at most this often: not a write per request. */
export const sessionTouchIntervalMs = 60_000;

const encoder = new TextEncoder();
const sessionIdPattern = /^[0-9a-f]{64}$/;

export interface AdminAuth {
  tokenMatches(candidate: string): boolean;
  /** Opens a session (audited `auth.login`) and answers the cookie value: the only place its raw id ever exists. */
  openSession(): Promise<string>;
  /** Records a refused log-in (`auth.login`, outcome `denied`), best effort. */
  loginRefused(): void;
  /** Whether the cookie names a live session of the current token; records its use. */
  sessionValid(cookie: string): Promise<boolean>;
  /** Ends the cookie's session (log-out, audited `auth.logout`); a cookie naming none is fine. */
  endSession(cookie: string): Promise<void>;
  /** Whether the session stored under this SHA-256 is still live (an open stream asks at each heartbeat). */
  sessionLive(idHash: string): boolean;
}

export interface AdminAuthDeps {
  db: Db;
  clock: Clock;
  adminToken: string;
}

export function createAdminAuth({ db, clock, adminToken }: AdminAuthDeps): AdminAuth {
  let fingerprint: Promise<string> | undefined;
  // Identifies the token without storing it (nor a plain hash an index could look up).
  const tokenFingerprint = () => (fingerprint ??= hmacHex(adminToken, 'autopurchase session token fingerprint v1'));

  return {
    tokenMatches: (candidate) => constantTimeEqual(candidate, adminToken),

    async openSession() {
      const id = toHex(crypto.getRandomValues(new Uint8Array(32)));
      const now = clock.now();
      const row = {
        idHash: await sha256Hex(id),
        tokenFingerprint: await tokenFingerprint(),
        createdAt: now,
        lastSeenAt: now,
        expiresAt: now + sessionLifetimeMs,
      };
      write(db, (tx) => {
        insertSession(tx, row);
        appendAudit(tx, { at: now, ...sessionAudit('auth.login'), outcome: 'ok' });
      });
      return id;
    },

    loginRefused: () => recordBestEffort({ db, clock }, { ...sessionAudit('auth.login'), outcome: 'denied' }),

    async sessionValid(cookie) {
      if (!sessionIdPattern.test(cookie)) return false;
      const idHash = await sha256Hex(cookie);
      const row = sessionByIdHash(db, idHash);
      const now = clock.now();
      if (!row || sessionExpired(row, now) || !constantTimeEqual(row.tokenFingerprint, await tokenFingerprint())) return false;
      if (now - row.lastSeenAt >= sessionTouchIntervalMs) {
        try {
          write(db, (tx) => touchSession(tx, idHash, now));
        } catch (error) {
          // A busy or full database must not refuse a good session: the next request records it.
          if (!(error instanceof StorageError)) throw error;
        }
      }
      return true;
    },

    sessionLive(idHash) {
      const row = sessionByIdHash(db, idHash);
      return row !== undefined && !sessionExpired(row, clock.now());
    },

    async endSession(cookie) {
      if (!sessionIdPattern.test(cookie)) return;
      const idHash = await sha256Hex(cookie);
      write(db, (tx) => {
        // Only a session that existed is logged out: a made-up cookie writes nothing, not even an entry.
        if (deleteSession(tx, idHash)) appendAudit(tx, { at: clock.now(), ...sessionAudit('auth.logout'), outcome: 'ok' });
      });
    },
  };
}

/** Log-in and log-out in the audit log: the browser session acting on itself, never its id or the token. */
const sessionAudit = (action: 'auth.login' | 'auth.logout') => ({ actor: 'browser session', action, target: 'session' });

/**
 * Compares in time that depends only on the candidate's length (the caller knows it anyway), never
 * on the secret or where they first differ. Synchronous: it runs on every request.
 */
export function constantTimeEqual(candidate: string, secret: string): boolean {
  const a = encoder.encode(candidate);
  const b = encoder.encode(secret);
  let difference = a.length ^ b.length;
  for (let i = 0; i < a.length; i++) difference |= a[i]! ^ (b.length ? b[i % b.length]! : 0);
  return difference === 0;
}

/** Hex SHA-256 of a secret: what is kept or keyed on instead of the secret itself. */
export async function sha256Hex(text: string): Promise<string> {
  return toHex(new Uint8Array(await crypto.subtle.digest('SHA-256', encoder.encode(text))));
}

async function hmacHex(key: string, message: string): Promise<string> {
  const hmacKey = await crypto.subtle.importKey('raw', encoder.encode(key), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  return toHex(new Uint8Array(await crypto.subtle.sign('HMAC', hmacKey, encoder.encode(message))));
}

function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('');
}
