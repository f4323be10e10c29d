import { describe, expect, it } from 'vitest';
import { generateApiToken, hashApiToken, looksLikeApiToken, shownPrefix } from '../src/domain/api-token.js';
import { scopeAllows, tokenScopes } from '../src/domain/scopes.js';
import { createWatchLinkSigner, watchLinkSignerFor } from '../src/domain/watch-link.js';

const secret = () => new Uint8Array(32).fill(7);
const now = Date.parse('2026-12-05T12:00:00Z');

describe('scopes', () => {
  it('orders read ⊂ operate ⊂ admin', () => {
    const table = tokenScopes.flatMap((held) => tokenScopes.map((needed) => `${held}>${needed}:${scopeAllows(held, needed)}`));
    expect(table).toEqual([
      'read>read:true', 'read>operate:false', 'read>admin:false',
      'operate>read:true', 'operate>operate:true', 'operate>admin:false',
      'admin>read:true', 'admin>operate:true', 'admin>admin:true',
    ]);
  });
});

describe('API tokens', () => {
  it('are ap_ + 43 base64url characters, distinct, hashed to hex SHA-256', async () => {
    const a = generateApiToken();
    const b = generateApiToken();
    expect(a).toMatch(/^ap_[A-Za-z0-9_-]{43}$/);
    expect(a).not.toBe(b);
    expect(looksLikeApiToken(a)).toBe(true);
    expect(looksLikeApiToken(`${a}x`)).toBe(false);
    expect(looksLikeApiToken('Bearer-ish')).toBe(false);
    const hash = await hashApiToken(a);
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(hash).toBe(await hashApiToken(a));
    expect(hash).not.toBe(await hashApiToken(b));
    expect(shownPrefix(a)).toBe(a.slice(0, 11));
  });
});

describe('watch links', () => {
  it('opens the run it names until it expires', async () => {
    const signer = await createWatchLinkSigner(secret());
    const token = await signer.sign({ sessionId: 'run-a', expiresAt: now + 60_000 });
    expect(token).toMatch(/^wl1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/);
    expect(await signer.verify(token, now)).toEqual({ sessionId: 'run-a', expiresAt: now + 60_000 });
    expect(await signer.verify(token, now + 60_000)).toBeUndefined();
  });

  it('refuses a token signed under another key, or altered anywhere', async () => {
    const signer = await createWatchLinkSigner(secret());
    const other = await createWatchLinkSigner(new Uint8Array(32).fill(8));
    const token = await signer.sign({ sessionId: 'run-a', expiresAt: now + 60_000 });
    expect(await other.verify(token, now)).toBeUndefined();
    const [v, payload, mac] = token.split('.') as [string, string, string];
    const forged = Buffer.from(JSON.stringify({ s: 'run-b', e: now + 60_000 })).toString('base64url');
    expect(await signer.verify(`${v}.${forged}.${mac}`, now)).toBeUndefined();
    const flipped = mac.slice(0, -2) + (mac.at(-2) === 'A' ? 'B' : 'A') + mac.at(-1);
    expect(await signer.verify(`${v}.${payload}.${flipped}`, now)).toBeUndefined();
    for (const junk of ['', 'wl1', 'wl1..', `wl2.${payload}.${mac}`, `${token}.x`, 'ap_abc']) {
      expect(await signer.verify(junk, now)).toBeUndefined();
    }
  });

  it('accepts one spelling of a link: the MAC’s unused low bits may not vary', async () => {
    const signer = await createWatchLinkSigner(secret());
    const token = await signer.sign({ sessionId: 'run-a', expiresAt: now + 60_000 });
    const [v, payload, mac] = token.split('.') as [string, string, string];
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    // The last of 43 characters carries 4 bits of the MAC and 2 unused ones: its 3 siblings decode alike.
    const index = alphabet.indexOf(mac.at(-1)!);
    const siblings = [0, 1, 2, 3].map((low) => alphabet[(index & ~3) | low]!).filter((c) => c !== mac.at(-1));
    expect(siblings).toHaveLength(3);
    for (const c of siblings) {
      const variant = `${v}.${payload}.${mac.slice(0, -1)}${c}`;
      expect(Buffer.from(variant.split('.')[2]!, 'base64url')).toEqual(Buffer.from(mac, 'base64url'));
      expect(await signer.verify(variant, now)).toBeUndefined();
    }
  });

  it("the server's signer depends on both the credential key and the admin token", async () => {
    const signer = await watchLinkSignerFor(secret(), 'admin-token-one-0123456789');
    const token = await signer.sign({ sessionId: 'run-a', expiresAt: now + 60_000 });
    expect(await (await watchLinkSignerFor(secret(), 'admin-token-one-0123456789')).verify(token, now)).toBeDefined();
    expect(await (await watchLinkSignerFor(secret(), 'admin-token-two-0123456789')).verify(token, now)).toBeUndefined();
    expect(await (await watchLinkSignerFor(new Uint8Array(32).fill(9), 'admin-token-one-0123456789')).verify(token, now)).toBeUndefined();
    // The admin token alone is not the key: a signer keyed by it cannot verify the link.
    expect(await (await createWatchLinkSigner(new TextEncoder().encode('admin-token-one-0123456789'))).verify(token, now)).toBeUndefined();
  });
});
