// The sandbox's credentials: `sandbox:<username>:<robux>` names an account and declares its
// balance; anything else an admin pastes still works, as a stable made-up account.
import type { VerifiedAccount } from './gateway.js';
import { sandboxRefusalMessages } from './sandbox-markers.js';

export type AccountIdentity = Omit<VerifiedAccount, 'robux'>;

export type ParsedCredential =
  | { ok: true; identity: AccountIdentity; declaredRobux: number | undefined }
  | { ok: false; message: string };

const CREDENTIAL_PREFIX = 'sandbox:';
const MALFORMED_MESSAGE = 'Malformed sandbox credential: expected sandbox:<username>:<robux>';

/** FNV-1a 32-bit over UTF-8: cheap, stable across runtimes, good enough to tell accounts apart. */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(text)) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** The userId the sandbox gives a username: a positive integer, the same on every run. */
export function sandboxUserId(username: string): number {
  return fnv1a(username) || 1;
}

function identityOf(username: string): AccountIdentity {
  const displayName = username.charAt(0).toUpperCase() + username.slice(1);
  return { userId: sandboxUserId(username), username, displayName };
}

export function parseCredential(credential: string): ParsedCredential {
  if (credential === 'sandbox:invalid') return { ok: false, message: sandboxRefusalMessages.INVALID_CREDENTIAL };
  if (credential.trim() === '') return { ok: false, message: 'The Roblox cookie is empty' };
  // A real-looking cookie still works, so the demo accepts anything an admin pastes.
  if (!credential.startsWith(CREDENTIAL_PREFIX)) {
    const username = `user_${fnv1a(credential).toString(36)}`;
    return { ok: true, identity: identityOf(username), declaredRobux: undefined };
  }
  const parts = credential.slice(CREDENTIAL_PREFIX.length).split(':');
  const [username, robuxText] = parts;
  if (parts.length !== 2 || !username || username.trim() !== username || !robuxText || !/^\d+$/.test(robuxText)) {
    return { ok: false, message: MALFORMED_MESSAGE };
  }
  const robux = Number(robuxText);
  if (!Number.isSafeInteger(robux)) return { ok: false, message: MALFORMED_MESSAGE };
  return { ok: true, identity: identityOf(username), declaredRobux: robux };
}
