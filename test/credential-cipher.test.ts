import { describe, expect, it } from 'vitest';
import { base64ToBytes, createCredentialCipher, generateCredentialKey } from '../src/domain/credential-cipher.js';

describe('credential cipher (AES-256-GCM, Web Crypto)', () => {
  const secret = '_|WARNING:-DO-NOT-SHARE-THIS.--|_CAEaAhAB1234567890';

  it('round-trips a credential', async () => {
    const cipher = await createCredentialCipher(generateCredentialKey());
    expect(await cipher.decrypt(await cipher.encrypt(secret))).toBe(secret);
  });

  it('seals with a fresh IV each time and never holds the plaintext', async () => {
    const cipher = await createCredentialCipher(generateCredentialKey());
    const a = await cipher.encrypt(secret);
    const b = await cipher.encrypt(secret);
    expect(a).not.toBe(b);
    expect(a).toMatch(/^v1\.[A-Za-z0-9+/=]+\.[A-Za-z0-9+/=]+$/);
    expect(a).not.toContain('WARNING');
    expect(atob(a.split('.')[2]!)).not.toContain('WARNING');
  });

  it('another key cannot open it', async () => {
    const sealed = await (await createCredentialCipher(generateCredentialKey())).encrypt(secret);
    const other = await createCredentialCipher(generateCredentialKey());
    await expect(other.decrypt(sealed)).rejects.toThrow();
  });

  it('a tampered ciphertext is refused', async () => {
    const cipher = await createCredentialCipher(generateCredentialKey());
    const [v, iv, body] = (await cipher.encrypt(secret)).split('.');
    const bytes = base64ToBytes(body!);
    bytes[0]! ^= 1;
    const tampered = `${v}.${iv}.${btoa(String.fromCharCode(...bytes))}`;
    await expect(cipher.decrypt(tampered)).rejects.toThrow();
    await expect(cipher.decrypt('garbage')).rejects.toThrow(/Unreadable/);
  });

  it('a key that is not 32 bytes is refused', async () => {
    await expect(createCredentialCipher(btoa('short'))).rejects.toThrow(/32 bytes/);
  });

  it('generated keys are 32 random bytes', () => {
    expect(base64ToBytes(generateCredentialKey())).toHaveLength(32);
    expect(generateCredentialKey()).not.toBe(generateCredentialKey());
  });
});
