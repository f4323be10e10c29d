// The one place a list is paged: the cursor decoded, one row more than asked fetched, the page cut.
import { decodeCursor, pageOf, type Page } from '../domain/paging.js';

/** What a list endpoint asks for: `limit` rows after the opaque `cursor` (none: from the start). */
export interface PageRequest {
  cursor?: string;
  limit: number;
}

type Position = (string | number)[];

/**
 * Reads one page: `fetch` answers up to `limit` rows strictly after `after` (the sort position of
 * the previous page's last row, as `positionOf` gives it, of the types in `shape`).
 */
export function readPage<T, P extends Position>(
  request: PageRequest,
  shape: readonly ('string' | 'number')[],
  fetch: (after: P | undefined, limit: number) => T[],
  positionOf: (row: T) => P,
): Page<T> {
  const after = request.cursor === undefined ? undefined : (decodeCursor(request.cursor, shape) as P);
  // The extra row only tells whether another page follows; pageOf cuts it off.
  return pageOf(fetch(after, request.limit + 1), request.limit, positionOf);
}
