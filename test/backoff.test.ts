// backoff(): the exponential wait shared by gateway calls (full jitter, capped) and the run webhook (plain doubling).
import { describe, expect, it } from 'vitest';
import { backoff } from '../src/domain/backoff.js';

describe('backoff', () => {
  const base = { backoffBaseMs: 100, maxBackoffMs: 1000 };

  it('the ceiling doubles per attempt from backoffBaseMs, capped at maxBackoffMs', () => {
    const ceilings = [1, 2, 3, 4, 5, 6, 20].map((attempt) => backoff(attempt, { ...base, random: () => 1 }));
    expect(ceilings).toEqual([100, 200, 400, 800, 1000, 1000, 1000]);
  });

  it('full jitter: random 0 → 0, random 1 → the ceiling, in between → a fraction of it', () => {
    expect(backoff(3, { ...base, random: () => 0 })).toBe(0);
    expect(backoff(3, { ...base, random: () => 1 })).toBe(400);
    expect(backoff(3, { ...base, random: () => 0.5 })).toBe(200);
    expect(backoff(10, { ...base, random: () => 0.25 })).toBe(250);
  });

  it('stays within [0, ceiling] for a seeded random stream', () => {
    let seed = 42;
    const random = () => {
      // mulberry32
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
    for (let attempt = 1; attempt <= 12; attempt++) {
      const ceiling = Math.min(1000, 100 * 2 ** (attempt - 1));
      for (let i = 0; i < 50; i++) {
        const value = backoff(attempt, { ...base, random });
        expect(Number.isInteger(value)).toBe(true);
        expect(value).toBeGreaterThanOrEqual(0);
        expect(value).toBeLessThanOrEqual(ceiling);
      }
    }
  });

  it('without random: the ceiling itself; without maxBackoffMs: doubling without a cap (the webhook)', () => {
    expect([1, 2, 3, 4, 12].map((attempt) => backoff(attempt, { backoffBaseMs: 5 }))).toEqual([5, 10, 20, 40, 10240]);
    expect(backoff(4, { backoffBaseMs: 5, maxBackoffMs: 30 })).toBe(30);
  });
});
