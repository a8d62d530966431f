/**
 * The longest time between two runs of a crontab schedule (Dragonfly's --snapshot_cron): the worst-case
 * recovery point when the server dies just before a snapshot. Five fields (minute hour day month
 * weekday), or six with seconds first; `*`, lists, ranges, steps and month/day names.
 */
const NAMES: Record<string, number> = {
  jan: 1,
  feb: 2,
  mar: 3,
  apr: 4,
  may: 5,
  jun: 6,
  jul: 7,
  aug: 8,
  sep: 9,
  oct: 10,
  nov: 11,
  dec: 12,
  sun: 0,
  mon: 1,
  tue: 2,
  wed: 3,
  thu: 4,
  fri: 5,
  sat: 6,
};

function field(text: string, min: number, max: number): Set<number> {
  const out = new Set<number>();
  for (const part of text.toLowerCase().split(',')) {
    const m = /^(\*|[a-z0-9]+(?:-[a-z0-9]+)?)(?:\/(\d+))?$/.exec(part);
    if (!m?.[1]) throw new Error(`cannot read "${part}"`);
    const num = (s: string): number => {
      const n = /^\d+$/.test(s) ? Number(s) : NAMES[s];
      if (n === undefined || n < min || n > max + (max === 6 ? 1 : 0))
        throw new Error(`"${s}" is out of range`);
      return max === 6 && n === 7 ? 0 : n; // weekday 7 is Sunday too
    };
    let lo = min;
    let hi = max;
    if (m[1] !== '*') {
      const [a, b] = m[1].split('-');
      lo = num(a!);
      hi = b === undefined ? (m[2] ? max : lo) : num(b);
    }
    const step = m[2] ? Number(m[2]) : 1;
    if (step < 1) throw new Error('a step must be at least 1');
    for (let v = lo; v <= hi; v += step) out.add(v);
  }
  return out;
}

/** Longest gap between consecutive runs, in seconds (minute resolution); undefined if it never runs. */
export function longestCronGapSeconds(expr: string): number | undefined {
  const parts = expr.trim().split(/\s+/);
  if (parts.length === 6) parts.shift(); // seconds: at least one run in each matching minute
  if (parts.length !== 5)
    throw new Error(`expected 5 fields (minute hour day month weekday), got ${parts.length}`);
  const [mi, ho, dm, mo, dw] = parts as [string, string, string, string, string];
  const minutes = field(mi, 0, 59);
  const hours = field(ho, 0, 23);
  const days = field(dm, 1, 31);
  const months = field(mo, 1, 12);
  const weekdays = field(dw, 0, 6);
  const anyDay = dm === '*';
  const anyWeekday = dw === '*';
  // Two years from a fixed date cover every month/weekday combination that repeats yearly.
  const start = Date.UTC(2025, 0, 1);
  let previous: number | undefined;
  let first: number | undefined;
  let longest = 0;
  const step = 60_000;
  // Every day alike: two days show every gap, including the one across midnight.
  const daily = anyDay && anyWeekday && mo === '*';
  const end = start + (daily ? 2 : 2 * 366) * 86400_000;
  for (let t = start; t < end; t += step) {
    const d = new Date(t);
    if (!minutes.has(d.getUTCMinutes()) || !hours.has(d.getUTCHours()) || !months.has(d.getUTCMonth() + 1))
      continue;
    const dayOk = days.has(d.getUTCDate());
    const weekdayOk = weekdays.has(d.getUTCDay());
    // Classic cron: when both day fields are restricted, either one matching is enough.
    const match = anyDay || anyWeekday ? dayOk && weekdayOk : dayOk || weekdayOk;
    if (!match) continue;
    if (previous !== undefined) longest = Math.max(longest, t - previous);
    first ??= t;
    previous = t;
  }
  if (first === undefined || previous === undefined) return undefined;
  if (first === previous) return 366 * 86400; // once in two years: longer than any sensible objective
  return longest / 1000;
}
