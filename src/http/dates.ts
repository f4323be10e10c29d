// Date query parameters (`from`, `to`): ISO-8601, each field checked against the calendar first, since
// Date.parse rolls 2024-02-30 over to 03-01 and valibot's isoDate checks the shape, not the month's length.
import * as v from 'valibot';

const day = 86_400_000;

const isoDateOrDateTime =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(?:Z|[+-](\d{2}):?(\d{2}))?)?$/;

/** True when every field names a real calendar day and time (no 2024-02-30, no 25:00, no +24:00). */
export function isCalendarDateTime(text: string): boolean {
  const match = isoDateOrDateTime.exec(text);
  if (!match) return false;
  const [year, month, date, hours = 0, minutes = 0, seconds = 0, offsetHours = 0, offsetMinutes = 0] = match
    .slice(1)
    .map((field) => (field === undefined ? undefined : Number(field)));
  const dayOk = month! >= 1 && month! <= 12 && date! >= 1 && date! <= daysIn(year!, month!);
  const timeOk = hours <= 23 && minutes <= 59 && seconds <= 59 && offsetHours <= 23 && offsetMinutes <= 59;
  return dayOk && timeOk && !Number.isNaN(Date.parse(text));
}

function daysIn(year: number, month: number): number {
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  return [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]!;
}

export const isoDateParam = v.pipe(
  v.string(),
  v.check(isCalendarDateTime, 'must be an ISO-8601 date or date-time on the calendar'),
  v.transform((text) => Date.parse(text)),
);

/** A date-only `to` means the whole of that day. */
export function endOfDayIfDateOnly(text: string, parsed: number): number {
  return /^\d{4}-\d{2}-\d{2}$/.test(text) ? parsed + day - 1 : parsed;
}
