// Paging in one layer: readPage (services) fetches one row more than asked and cuts the page;
// pageBody (http) is the page on the wire.
import { describe, expect, it } from 'vitest';
import { AppError } from '../src/domain/app-error.js';
import { decodeCursor } from '../src/domain/paging.js';
import { pageBody } from '../src/http/paging.js';
import { readPage } from '../src/services/paging.js';

/** Rows 10, 9, … 1, newest (largest id) first, read after an id as a store would. */
function rowsAfter(after: [number] | undefined, limit: number): number[] {
  const all = [10, 9, 8, 7, 6, 5, 4, 3, 2, 1];
  return all.filter((id) => after === undefined || id < after[0]).slice(0, limit);
}
const position = (id: number): [number] => [id];

describe('readPage', () => {
  it('asks the store for one row more than the limit, and answers only the limit with a cursor to the rest', () => {
    const asked: number[] = [];
    const page = readPage({ limit: 3 }, ['number'], (after: [number] | undefined, limit) => (asked.push(limit), rowsAfter(after, limit)), position);
    expect(asked).toEqual([4]);
    expect(page.items).toEqual([10, 9, 8]);
    expect(decodeCursor(page.nextCursor!, ['number'])).toEqual([8]);
  });

  it('follows the cursor page by page to the last, which has no cursor', () => {
    const seen: number[] = [];
    let cursor: string | undefined;
    do {
      const page = readPage({ limit: 4, cursor }, ['number'], rowsAfter, position);
      seen.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual([10, 9, 8, 7, 6, 5, 4, 3, 2, 1]);
  });

  it('a page that ends exactly at the last row has no cursor', () => {
    expect(readPage({ limit: 10 }, ['number'], rowsAfter, position).nextCursor).toBeUndefined();
  });

  it('refuses a cursor of another shape with a 400, without fetching', () => {
    let fetched = false;
    const read = () =>
      readPage({ limit: 3, cursor: btoa(JSON.stringify(['x'])) }, ['number'], (after: [number] | undefined, limit) => ((fetched = true), rowsAfter(after, limit)), position);
    expect(read).toThrow(AppError);
    expect(fetched).toBe(false);
  });
});

describe('pageBody', () => {
  it('puts the items under the key, presented, with nextCursor only when another page follows', () => {
    expect(pageBody('sessions', { items: [1, 2], nextCursor: 'abc' })).toEqual({ sessions: [1, 2], nextCursor: 'abc' });
    const last = pageBody('transactions', { items: [1, 2] }, (n) => ({ id: n }));
    expect(last).toEqual({ transactions: [{ id: 1 }, { id: 2 }] });
    expect('nextCursor' in last).toBe(false);
  });
});
