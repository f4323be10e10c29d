// Cursor paging for every list: an opaque cursor that encodes the last row's sort position.
import { badRequest } from './app-error.js';

export const maxPageSize = 100;
export const defaultPageSize = 50;

export interface Page<T> {
  items: T[];
  nextCursor?: string;
}

export function encodeCursor(position: readonly (string | number)[]): string {
  return btoa(JSON.stringify(position)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** The cursor's position, or a 400 for a cursor we did not hand out. */
export function decodeCursor(cursor: string, shape: readonly ('string' | 'number')[]): (string | number)[] {
  try {
    const text = atob(cursor.replace(/-/g, '+').replace(/_/g, '/'));
    const position: unknown = JSON.parse(text);
    if (
      Array.isArray(position) &&
      position.length === shape.length &&
      position.every((item, i) => typeof item === shape[i])
    ) {
      return position as (string | number)[];
    }
  } catch {
    // fall through to the 400 below
  }
  throw badRequest('invalid_cursor', 'The cursor is not one this server handed out');
}

/** Cuts one extra row off a page fetched with `limit + 1`, and gives the next cursor if any. */
export function pageOf<T>(rows: T[], limit: number, positionOf: (row: T) => (string | number)[]): { items: T[]; nextCursor: string | undefined } {
  const more = rows.length > limit;
  const items = more ? rows.slice(0, limit) : rows;
  const last = items[items.length - 1];
  return { items, nextCursor: more && last ? encodeCursor(positionOf(last)) : undefined };
}
