// Cursor paging shared by the list endpoints: `limit` (1..100) and an opaque `cursor`.
import * as v from 'valibot';
import { badRequest } from './app-error.js';

export const maxPageSize = 100;
export const defaultPageSize = 50;

export const limitSchema = v.optional(
  v.pipe(
    v.string(),
    v.regex(/^\d+$/, `must be an integer from 1 to ${maxPageSize}`),
    v.transform(Number),
    v.number(),
    v.minValue(1, `must be an integer from 1 to ${maxPageSize}`),
    v.maxValue(maxPageSize, `must be an integer from 1 to ${maxPageSize}`),
  ),
  String(defaultPageSize),
);

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
export function pageOf<T>(rows: T[], limit: number, positionOf: (row: T) => (string | number)[]) {
  const more = rows.length > limit;
  const items = more ? rows.slice(0, limit) : rows;
  const last = items[items.length - 1];
  return { items, nextCursor: more && last ? encodeCursor(positionOf(last)) : undefined };
}
