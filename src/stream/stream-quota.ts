// How many progress streams each credential holds open (SPEC §11): at most `max`, so one client
// cannot hold every socket. Counts are keyed by a SHA-256 of the credential, never the secret.
import { sha256Hex } from '../http/admin-auth.js';
export interface StreamQuota {
  /**
   * Takes a slot for one more stream of `credential`: the function that gives it back (calling it
   * again does nothing), or undefined when the credential already holds `max` streams.
   */
  take(credential: string): Promise<(() => void) | undefined>;
  /** Streams open for `credential` now. */
  held(credential: string): Promise<number>;
}

export function createStreamQuota(max: number): StreamQuota {
  const open = new Map<string, number>();
  return {
    async take(credential) {
      const key = await sha256Hex(credential);
      const count = open.get(key) ?? 0;
      if (count >= max) return undefined;
      open.set(key, count + 1);
      let given = false;
      return () => {
        if (given) return;
        given = true;
        const left = (open.get(key) ?? 1) - 1;
        if (left > 0) open.set(key, left);
        else open.delete(key);
      };
    },
    async held(credential) {
      return open.get(await sha256Hex(credential)) ?? 0;
    },
  };
}
