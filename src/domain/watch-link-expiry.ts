// How long a new watch link lives (SPEC §12): `expiresIn` as "15m", "24h", "7d"; 24 h when unnamed,
// never more than 30 days.
import { badRequest } from './app-error.js';
import { parseDuration } from '../duration.js';
import { defaultWatchLinkMs, maxWatchLinkMs } from './watch-link.js';

/** Digits and a unit: a bare number could be read as seconds as easily as milliseconds. */
export const watchLinkDurationPattern = /^\d+(ms|s|m|h|d)$/;

/** Milliseconds the link lives; a 400 `invalid_expiry` for a malformed, zero or over-30-day value. */
export function watchLinkLifetimeMs(expiresIn: string | undefined): number {
  if (expiresIn === undefined) return defaultWatchLinkMs;
  const ms = watchLinkDurationPattern.test(expiresIn) ? parseDuration(expiresIn) : undefined;
  if (ms === undefined) throw badRequest('invalid_expiry', '"expiresIn" must be a duration with a unit, such as "15m", "24h" or "7d"');
  if (ms <= 0) throw badRequest('invalid_expiry', '"expiresIn" must be longer than 0');
  if (ms > maxWatchLinkMs) throw badRequest('invalid_expiry', '"expiresIn" must be at most 30 days ("30d")');
  return ms;
}
