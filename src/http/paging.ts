// The `limit` query parameter of the list endpoints (1..100); the cursor codec is src/domain/paging.ts.
import * as v from 'valibot';
import { defaultPageSize, maxPageSize } from '../domain/paging.js';

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
