// Date query parameters (`from`, `to`): ISO-8601 dates or date-times.
import * as v from 'valibot';

const day = 86_400_000;

export const isoDateParam = v.pipe(
  v.string(),
  v.check(
    (text) => /^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(text) && !Number.isNaN(Date.parse(text)),
    'must be an ISO-8601 date or date-time',
  ),
  v.transform((text) => Date.parse(text)),
);

/** A date-only `to` means the whole of that day. */
export function endOfDayIfDateOnly(text: string, parsed: number): number {
  return /^\d{4}-\d{2}-\d{2}$/.test(text) ? parsed + day - 1 : parsed;
}
