/**
 * NCRONTAB, the six-field cron dialect of Azure Functions timers
 * (`{second} {minute} {hour} {day} {month} {day-of-week}`, UTC), for schedules that live in the
 * policy rather than in a trigger registration: the synthetic monitor's per-environment schedule.
 * The monitor's timer ticks once a minute and asks `dueAt` whether an environment's schedule has
 * an occurrence in that minute; so the seconds field must be 0 (a schedule that fires at second 30
 * would never be asked about its own second).
 *
 * Fields: `*`, numbers, ranges `a-b`, steps `*\/n` and `a-b/n`, lists `a,b`, and the month and day
 * names (`Jan`, `Mon`). Day-of-week 0 and 7 are both Sunday. As in cron, when both day-of-month and
 * day-of-week are restricted, a day matching either one is a match.
 */

interface Field {
  name: string;
  min: number;
  max: number;
  names?: readonly string[];
}

const FIELDS: readonly Field[] = [
  { name: 'second', min: 0, max: 59 },
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'] },
  { name: 'day-of-week', min: 0, max: 7, names: ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] },
];

export interface NcrontabSchedule {
  text: string;
  /** Allowed values per field (second, minute, hour, day, month, day-of-week with 7 folded to 0). */
  sets: readonly (readonly boolean[])[];
  dayRestricted: boolean;
  weekdayRestricted: boolean;
}

export type ParsedSchedule = { ok: true; schedule: NcrontabSchedule } | { ok: false; message: string };

function value(text: string, f: Field): number | null {
  const lower = text.toLowerCase();
  const named = f.names?.indexOf(lower) ?? -1;
  if (named >= 0) return named + (f.name === 'month' ? 1 : 0);
  if (!/^\d{1,2}$/.test(text)) return null;
  const n = Number(text);
  return n >= f.min && n <= f.max ? n : null;
}

function parseField(text: string, f: Field): { ok: true; set: boolean[]; restricted: boolean } | { ok: false; message: string } {
  const set = new Array<boolean>(f.max + 1).fill(false);
  for (const part of text.split(',')) {
    const m = /^([^/]+)(?:\/(\d{1,2}))?$/.exec(part);
    if (!m) return { ok: false, message: `the ${f.name} field "${text}" is not valid` };
    const step = m[2] === undefined ? 1 : Number(m[2]);
    if (step < 1) return { ok: false, message: `the ${f.name} field "${text}" has a step of 0` };
    let lo: number | null;
    let hi: number | null;
    if (m[1] === '*') {
      lo = f.min;
      hi = f.max;
    } else {
      const [a, b, ...rest] = m[1]!.split('-');
      if (rest.length) return { ok: false, message: `the ${f.name} field "${text}" is not valid` };
      lo = value(a ?? '', f);
      hi = b === undefined ? (m[2] === undefined ? lo : f.max) : value(b, f);
    }
    if (lo === null || hi === null) return { ok: false, message: `the ${f.name} field "${text}" has a value outside ${f.min}-${f.max}` };
    if (lo > hi) return { ok: false, message: `the ${f.name} field "${text}" has a range that runs backwards` };
    for (let v = lo; v <= hi; v += step) set[v] = true;
  }
  if (f.name === 'day-of-week' && set[7]) set[0] = true;
  return { ok: true, set, restricted: text !== '*' && text !== '?' };
}

export function parseNcrontab(text: string): ParsedSchedule {
  const fields = text.trim().split(/\s+/);
  if (fields.length !== 6) {
    return { ok: false, message: `"${text}" has ${fields.length} field(s); NCRONTAB needs 6: {second} {minute} {hour} {day} {month} {day-of-week}` };
  }
  const sets: boolean[][] = [];
  const restricted: boolean[] = [];
  for (let i = 0; i < 6; i++) {
    const raw = fields[i]!;
    const parsed = parseField(raw === '?' ? '*' : raw, FIELDS[i]!);
    if (!parsed.ok) return parsed;
    sets.push(parsed.set);
    restricted.push(raw !== '*' && raw !== '?');
  }
  return { ok: true, schedule: { text: fields.join(' '), sets, dayRestricted: restricted[3]!, weekdayRestricted: restricted[5]! } };
}

/** Whether the schedule has an occurrence at this instant (to the second, UTC). */
export function matches(s: NcrontabSchedule, atMs: number): boolean {
  const d = new Date(atMs);
  const [sec, min, hour, day, month, dow] = s.sets;
  if (!sec![d.getUTCSeconds()] || !min![d.getUTCMinutes()] || !hour![d.getUTCHours()] || !month![d.getUTCMonth() + 1]) return false;
  const dayOk = day![d.getUTCDate()]!;
  const dowOk = dow![d.getUTCDay()]!;
  if (s.dayRestricted && s.weekdayRestricted) return dayOk || dowOk;
  return dayOk && dowOk;
}

/** The occurrence at second 0 of the minute holding `atMs`, when the schedule has one. */
export function dueInMinute(s: NcrontabSchedule, atMs: number): number | null {
  const minute = Math.floor(atMs / 60_000) * 60_000;
  return matches(s, minute) ? minute : null;
}
