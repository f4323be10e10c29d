// The list endpoints' paging on the wire: the `limit` query parameter (1..100), and a page as JSON.
// The cursor codec is src/domain/paging.ts; the paging itself happens in the services.
import * as v from 'valibot';
import { defaultPageSize, maxPageSize, type Page } from '../domain/paging.js';

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

export type PageBody<K extends string, J> = { [key in K]: J[] } & { nextCursor?: string };

/** `{ [key]: items, nextCursor }`, without `nextCursor` on the last page (clients stop there). */
export function pageBody<K extends string, T>(key: K, page: Page<T>): PageBody<K, T>;
export function pageBody<K extends string, T, J>(key: K, page: Page<T>, present: (item: T) => J): PageBody<K, J>;
export function pageBody<K extends string, T, J>(key: K, page: Page<T>, present?: (item: T) => J): PageBody<K, T | J> {
  const items = present ? page.items.map((item) => present(item)) : page.items;
  return { [key]: items, ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) } as PageBody<K, T | J>;
}
