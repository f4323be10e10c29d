// The pieces of the gateway contract (src/gateway/gateway.ts) that both gateways share.
import { describe, expect, it } from 'vitest';
import { DEFAULT_RETRY_AFTER_MS, isRefusalCode, refusalCodes } from '../src/gateway/gateway.js';

describe('the gateway contract', () => {
  it('isRefusalCode accepts exactly the refusal codes of SPEC §6', () => {
    for (const code of refusalCodes) expect(isRefusalCode(code)).toBe(true);
    for (const value of ['', 'rate_limited', 'TIMEOUT', ' RATE_LIMITED', 1, null, undefined, {}, ['NOT_FOR_SALE']]) {
      expect(isRefusalCode(value)).toBe(false);
    }
  });

  it('a RATE_LIMITED answer that names no wait stands for one second', () => {
    expect(DEFAULT_RETRY_AFTER_MS).toBe(1000);
  });
});
