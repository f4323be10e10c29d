// Parses duration settings such as `500`, `250ms`, `30s`, `15m`, `1h`, `30d` into milliseconds.

const UNIT_MS = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
} as const;

type Unit = keyof typeof UNIT_MS;

// Digits, then an optional unit, nothing else: no sign, decimals, exponent, spaces or compounds.
const DURATION = /^(\d+)(ms|s|m|h|d)?$/;

/** Milliseconds for `text`, or undefined when it is not a non-negative whole duration. */
export function parseDuration(text: string): number | undefined {
  const match = DURATION.exec(text);
  if (!match) return undefined;
  const amount = Number(match[1]);
  const unit = (match[2] ?? 'ms') as Unit;
  const ms = amount * UNIT_MS[unit];
  return Number.isSafeInteger(ms) ? ms : undefined;
}
