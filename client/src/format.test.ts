// The admin's number, duration and date-time formats.
import { describe, expect, it } from 'vitest';
import { formatDateTime, formatDuration, formatNumber } from './format.js';

describe('formatDuration', () => {
  it('picks the unit by size', () => {
    expect(formatDuration(850)).toBe('850 ms');
    expect(formatDuration(12_400)).toBe('12 s');
    expect(formatDuration(9_400)).toBe('9.4 s');
    expect(formatDuration(185_000)).toBe('3 min 5 s');
    expect(formatDuration(3_720_000)).toBe('1 h 2 min');
  });

  it('draws a dash for a negative or not finite span', () => {
    expect(formatDuration(-1)).toBe('—');
    expect(formatDuration(Number.NaN)).toBe('—');
  });
});

describe('formatNumber and formatDateTime', () => {
  it('use the locale, and leave a text that is not a date as it is', () => {
    expect(formatNumber(1234567)).toBe((1234567).toLocaleString());
    expect(formatDateTime('not a date')).toBe('not a date');
    expect(formatDateTime('2024-05-03T10:00:00.000Z')).not.toBe('2024-05-03T10:00:00.000Z');
  });
});
