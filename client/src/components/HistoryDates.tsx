// Local-day helpers and the From/To pair shared by the run-history and stats pages. The inputs hold
// local calendar days; the server gets the local day boundaries as ISO date-times, so "runs on
// 3 May" means 3 May where the admin is, as the Started column shows it.

const dayMs = 86_400_000;

/** `YYYY-MM-DD` of a local date (what an <input type="date"> holds). */
export function localDay(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

/** The local calendar day `daysAgo` days before today. */
export function localDayAgo(daysAgo: number, now = new Date()): string {
  return localDay(new Date(now.getFullYear(), now.getMonth(), now.getDate() - daysAgo));
}

function parseDay(day: string): [number, number, number] | undefined {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
  return match ? [Number(match[1]), Number(match[2]) - 1, Number(match[3])] : undefined;
}

/** The first millisecond of a local day, as ISO-8601; undefined for an empty or malformed day. */
export function dayStartIso(day: string): string | undefined {
  const parts = parseDay(day);
  return parts ? new Date(parts[0], parts[1], parts[2]).toISOString() : undefined;
}

/** The last millisecond of a local day, as ISO-8601. */
export function dayEndIso(day: string): string | undefined {
  const parts = parseDay(day);
  return parts ? new Date(new Date(parts[0], parts[1], parts[2] + 1).getTime() - 1).toISOString() : undefined;
}

/** Whether both days are set and From comes after To. */
export function rangeIsBackwards(from: string, to: string): boolean {
  return from !== '' && to !== '' && from > to;
}

/** Every UTC day (`YYYY-MM-DD`) from `fromIso` to `toIso`, or undefined when that is over `maxDays`. */
export function utcDaysBetween(fromIso: string, toIso: string, maxDays = 400): string[] | undefined {
  const from = Date.parse(fromIso);
  const to = Date.parse(toIso);
  if (Number.isNaN(from) || Number.isNaN(to) || to < from) return undefined;
  const first = Math.floor(from / dayMs);
  const last = Math.floor(to / dayMs);
  if (last - first + 1 > maxDays) return undefined;
  const days: string[] = [];
  for (let d = first; d <= last; d++) days.push(new Date(d * dayMs).toISOString().slice(0, 10));
  return days;
}

const inputClass =
  'w-full rounded-md border border-slate-600 bg-slate-900 px-3 py-2 text-sm text-slate-100 outline-none focus:border-blue-500 [color-scheme:dark]';
export const fieldClass = inputClass;

/** Two labelled date inputs, "From" and "To". */
export function HistoryDateRange(props: { from: string; to: string; onFrom: (day: string) => void; onTo: (day: string) => void }) {
  return (
    <>
      <label class="block min-w-0 space-y-1 text-sm">
        <span class="text-slate-300">From</span>
        <input type="date" class={inputClass} value={props.from} max={props.to || undefined} onChange={(e) => props.onFrom(e.currentTarget.value)} />
      </label>
      <label class="block min-w-0 space-y-1 text-sm">
        <span class="text-slate-300">To</span>
        <input type="date" class={inputClass} value={props.to} min={props.from || undefined} onChange={(e) => props.onTo(e.currentTarget.value)} />
      </label>
    </>
  );
}
