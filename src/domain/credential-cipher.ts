// Encrypts stock-account credentials at rest with AES-256-GCM through Web Crypto.
export interface CredentialCipher {
  encrypt(plain: string): Promise<string>;
  decrypt(sealed: string): Promise<string>;
}

const version = 'v1';
// Binds each ciphertext to its purpose, so it cannot be passed off as another kind of secret.
const additionalData = new TextEncoder().encode('autopurchase/stock-account-credential');

export async function createCredentialCipher(keyBase64: string): Promise<CredentialCipher> {
  const raw = base64ToBytes(keyBase64);
  if (raw.length !== 32) throw new Error('CREDENTIAL_KEY must be 32 bytes, base64-encoded');
  const key = await crypto.subtle.importKey('raw', raw, { name: 'AES-GCM' }, false, ['encrypt', 'decrypt']);
  return {
    async encrypt(plain) {
      const iv = crypto.getRandomValues(new Uint8Array(12));
      const sealed = await crypto.subtle.encrypt(
        { name: 'AES-GCM', iv, additionalData },
        key,
        new TextEncoder().encode(plain),
      );
      return `${version}.${bytesToBase64(iv)}.${bytesToBase64(new Uint8Array(sealed))}`;
    },
    async decrypt(sealed) {
      const [tag, iv, body] = sealed.split('.');
      if (tag !== version || !iv || !body) throw new Error('Unreadable stored credential');
      const plain = await crypto.subtle.decrypt(
        { name: 'AES-GCM', iv: base64ToBytes(iv), additionalData },
        key,
        base64ToBytes(body),
      );
      return new TextDecoder().decode(plain);
    },
  };
}

/** A fresh random key, base64-encoded, for CREDENTIAL_KEY. */
export function generateCredentialKey(): string {
  return bytesToBase64(crypto.getRandomValues(new Uint8Array(32)));
}

export function bytesToBase64(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/** Accepts standard and url-safe base64, with or without padding. */
export function base64ToBytes(text: string): Uint8Array<ArrayBuffer> {
  const standard = text.replace(/-/g, '+').replace(/_/g, '/');
  const binary = atob(standard + '='.repeat((4 - (standard.length % 4)) % 4));
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}
