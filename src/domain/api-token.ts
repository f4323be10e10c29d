// API tokens (SPEC §12): `ap_` + 32 random bytes in base64url, so secret scanners can find one.
// Only the SHA-256 of a token is stored (a token has 256 bits of entropy: a slow hash would add
// nothing but latency on every request); its first characters are kept to tell tokens apart.
export const apiTokenPrefix = 'ap_';
const tokenPattern = /^ap_[A-Za-z0-9_-]{43}$/;
/** How many characters of a token (after `ap_`) are kept in the clear to tell it apart. */
export const shownPrefixLength = 8;

export function generateApiToken(): string {
  return apiTokenPrefix + base64url(crypto.getRandomValues(new Uint8Array(32)));
}

/** Whether a presented bearer value has the shape of one of our API tokens. */
export function looksLikeApiToken(value: string): boolean {
  return tokenPattern.test(value);
}

/** The stored form of a token: hex SHA-256. */
export async function hashApiToken(token: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(token));
  return hex(new Uint8Array(digest));
}

/** What lists show of a token: `ap_` and its first characters. */
export function shownPrefix(token: string): string {
  return token.slice(0, apiTokenPrefix.length + shownPrefixLength);
}

export function base64url(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

export function hex(bytes: Uint8Array): string {
  let out = '';
  for (const byte of bytes) out += byte.toString(16).padStart(2, '0');
  return out;
}
