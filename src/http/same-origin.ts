// A state-changing request authenticated by the session cookie must come from the app's own pages
// (SPEC §11): SameSite=Strict does not stop a page of the same site on another port.
import type { Context } from 'hono';
import { AppError } from '../domain/app-error.js';

const stateChanging = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export function changesState(method: string): boolean {
  return stateChanging.has(method.toUpperCase());
}

/**
 * `Sec-Fetch-Site: same-origin`, else an `Origin` whose host is the request's: the Host, or the first
 * `X-Forwarded-Host`, which another site's page cannot set without a preflight we never grant.
 */
export function cameFromOwnOrigin(c: Context): boolean {
  const fetchSite = c.req.header('sec-fetch-site');
  if (fetchSite !== undefined) return fetchSite.trim().toLowerCase() === 'same-origin';
  const origin = c.req.header('origin');
  if (!origin || origin === 'null') return false;
  let originHost: string;
  try {
    originHost = new URL(origin).host;
  } catch {
    return false;
  }
  const ownHosts = [new URL(c.req.url).host, c.req.header('x-forwarded-host')?.split(',')[0]?.trim()];
  return ownHosts.some((host) => host !== undefined && host !== '' && host.toLowerCase() === originHost.toLowerCase());
}

export function assertOwnOrigin(c: Context): void {
  if (!cameFromOwnOrigin(c)) {
    throw new AppError(403, 'cross_origin', 'A change made with the session cookie must come from this app’s own pages');
  }
}
