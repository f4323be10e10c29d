// Failed log-ins per client address (SPEC §11): past `maxFailures` in a window, 429 with Retry-After.
// At most `maxAddresses` remembered, oldest forgotten first, so a flood of addresses cannot grow memory.
import { AppError } from '../domain/app-error.js';

export interface LoginThrottleOptions {
  now: () => number;
  maxFailures?: number;
  windowMs?: number;
  maxAddresses?: number;
}

export interface LoginThrottle {
  /** Throws 429 `too_many_attempts` while the address is refused. */
  assertAllowed(address: string): void;
  failed(address: string): void;
  succeeded(address: string): void;
}

interface Window {
  startedAt: number;
  failures: number;
}

export function createLoginThrottle(options: LoginThrottleOptions): LoginThrottle {
  const { now, maxFailures = 5, windowMs = 60_000, maxAddresses = 10_000 } = options;
  const windows = new Map<string, Window>();

  const current = (address: string, at: number) => {
    const window = windows.get(address);
    if (window && at - window.startedAt < windowMs) return window;
    if (window) windows.delete(address);
    return undefined;
  };

  // A window is inserted when it starts, so the first key is always the oldest one.
  const makeRoom = () => {
    for (const address of windows.keys()) {
      if (windows.size < maxAddresses) return;
      windows.delete(address);
    }
  };

  return {
    assertAllowed(address) {
      const at = now();
      const window = current(address, at);
      if (!window || window.failures < maxFailures) return;
      const retryAfter = Math.max(1, Math.ceil((window.startedAt + windowMs - at) / 1000));
      throw new AppError(429, 'too_many_attempts', `Too many failed log-ins; try again in ${retryAfter} s`, {
        'Retry-After': String(retryAfter),
      });
    },
    failed(address) {
      const at = now();
      const window = current(address, at);
      if (window) {
        window.failures++;
        return;
      }
      makeRoom();
      windows.set(address, { startedAt: at, failures: 1 });
    },
    succeeded(address) {
      windows.delete(address);
    },
  };
}
