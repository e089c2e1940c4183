/**
 * The report chart's time axis, for any span from seconds to years: the scale (with one break
 * when a lone moment lies far from the rest, such as an alert that fired days before it reached
 * us), the tick step (never more than about a dozen labels, and never closer than a label's width)
 * and labels whose format fits the step: times for seconds to hours, dates for days, months and
 * years beyond. All in UTC. Pure.
 */
import { textWidth } from './report-text.js';

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** Never more labels than this on one axis. */
export const MAX_TICKS = 12;
/** Tick labels' font size (px) and the room between two of them. */
export const TICK_FONT = 12;
const TICK_GAP = 14;

type Unit = 'second' | 'minute' | 'hour' | 'day' | 'week' | 'month' | 'year';

export interface TickStep {
  unit: Unit;
  /** How many units between ticks. */
  count: number;
  /** Nominal length in ms (months 30 d, years 365 d: for choosing, not for placing). */
  ms: number;
}

const FIXED: TickStep[] = [
  ...[1, 2, 5, 10, 15, 30].map((n) => ({ unit: 'second' as const, count: n, ms: n * SECOND })),
  ...[1, 2, 5, 10, 15, 30].map((n) => ({ unit: 'minute' as const, count: n, ms: n * MINUTE })),
  ...[1, 2, 3, 6, 12].map((n) => ({ unit: 'hour' as const, count: n, ms: n * HOUR })),
  ...[1, 2].map((n) => ({ unit: 'day' as const, count: n, ms: n * DAY })),
  { unit: 'week', count: 1, ms: 7 * DAY },
  ...[1, 2, 3, 6].map((n) => ({ unit: 'month' as const, count: n, ms: n * 30 * DAY })),
];

/** Steps from one second upward; years go on 1, 2, 5, 10, 20, 50... without end. */
export function* tickSteps(): Generator<TickStep> {
  yield* FIXED;
  for (let decade = 1; ; decade *= 10) {
    for (const n of [1, 2, 5]) yield { unit: 'year', count: n * decade, ms: n * decade * 365 * DAY };
  }
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const pad2 = (n: number): string => String(n).padStart(2, '0');

/** "14 Mar". */
export function dayMonth(t: number): string {
  const d = new Date(t);
  return `${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]}`;
}

/** "Fri 20 Nov 2026". */
export function fullDate(t: number): string {
  const d = new Date(t);
  return `${WEEKDAYS[d.getUTCDay()]} ${dayMonth(t)} ${d.getUTCFullYear()}`;
}

/** "10:16" or "10:16:05". */
export function timeOfDay(t: number, seconds = false): string {
  const d = new Date(t);
  return `${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}${seconds ? `:${pad2(d.getUTCSeconds())}` : ''}`;
}

const utcDay = (t: number): number => Math.floor(t / DAY);

/**
 * A moment's time for a label, as short as it can be without being ambiguous: "10:16" on the
 * reference day (the incident's declaration), "21 Nov 00:12" on another day of the same year,
 * "14 Mar 2019 08:00" otherwise; with `seconds`, "10:16:05".
 */
export function momentLabel(at: number, reference: number, seconds = false): string {
  if (utcDay(at) === utcDay(reference)) return timeOfDay(at, seconds);
  const sameYear = new Date(at).getUTCFullYear() === new Date(reference).getUTCFullYear();
  return `${dayMonth(at)}${sameYear ? '' : ` ${new Date(at).getUTCFullYear()}`} ${timeOfDay(at, seconds)}`;
}

/**
 * The label of a tick: the largest unit that changes there. Times for steps under a day (a tick at
 * midnight shows the new date instead of "00:00"), "14 Mar" for days and weeks, "Nov" for months
 * (January shows the year), the year for years.
 */
export function tickLabel(t: number, step: TickStep): string {
  const d = new Date(t);
  switch (step.unit) {
    case 'second':
      return t % DAY === 0 ? dayMonth(t) : timeOfDay(t, true);
    case 'minute':
    case 'hour':
      return t % DAY === 0 ? dayMonth(t) : timeOfDay(t);
    case 'day':
    case 'week':
      return dayMonth(t);
    case 'month':
      // Monthly ticks name each month once a year (January says the year); every 2, 3 or 6 months
      // a name comes round again within a dozen ticks, so each says its year.
      if (step.count > 1) return `${MONTHS[d.getUTCMonth()]!} ${d.getUTCFullYear()}`;
      return d.getUTCMonth() === 0 ? String(d.getUTCFullYear()) : MONTHS[d.getUTCMonth()]!;
    case 'year':
      return String(d.getUTCFullYear());
  }
}

/** What the axis says once, at the start of a stretch of ticks, so the ticks can be short. */
export function contextLabel(t0: number, step: TickStep): string {
  switch (step.unit) {
    case 'second':
    case 'minute':
    case 'hour':
      return fullDate(t0);
    case 'day':
    case 'week':
    case 'month':
      return String(new Date(t0).getUTCFullYear());
    case 'year':
      return '';
  }
}

/** The ticks of `step` within [t0, t1], on UTC boundaries (weeks start on Monday). */
export function ticksOf(t0: number, t1: number, step: TickStep): number[] {
  const out: number[] = [];
  if (!(t1 >= t0)) return out;
  if (step.unit === 'month' || step.unit === 'year') {
    const months = step.unit === 'month' ? step.count : step.count * 12;
    const d = new Date(t0);
    let m = d.getUTCFullYear() * 12 + d.getUTCMonth();
    m = Math.ceil(m / months) * months;
    for (;;) {
      const t = Date.UTC(Math.floor(m / 12), m % 12, 1);
      if (t < t0) {
        m += months;
        continue;
      }
      if (t > t1 || out.length > 1000) break;
      out.push(t);
      m += months;
    }
    return out;
  }
  // Fixed steps divide a day (or are whole days), so multiples since the epoch fall on UTC
  // boundaries; weeks are counted from Monday 1970-01-05.
  const offset = step.unit === 'week' ? 4 * DAY : 0;
  for (let t = Math.ceil((t0 - offset) / step.ms) * step.ms + offset; t <= t1 && out.length <= 1000; t += step.ms) out.push(t);
  return out;
}

/** The widest label `step` can produce (a template of its longest form), in px. */
function labelWidth(step: TickStep): number {
  const sample = { second: '00:00:00', minute: '30 Nov', hour: '30 Nov', day: '30 Nov', week: '30 Nov', month: step.count > 1 ? 'May 2026' : '2026', year: '2026' }[step.unit];
  return textWidth(sample, TICK_FONT) + 2;
}

/**
 * The smallest step that gives at most `maxTicks` (a dozen) ticks over [t0, t1] and leaves every
 * label room on `widthPx` of axis.
 */
export function chooseStep(t0: number, t1: number, widthPx: number, maxTicks = MAX_TICKS): TickStep {
  const span = Math.max(t1 - t0, 0);
  for (const step of tickSteps()) {
    const most = Math.min(maxTicks, Math.max(1, Math.floor(widthPx / (labelWidth(step) + TICK_GAP))));
    // Nominal lengths are approximate for months and years: count the real ticks.
    if (span / step.ms <= most + 1 && ticksOf(t0, t1, step).length <= most) return step;
  }
  /* c8 ignore next */
  throw new Error('unreachable: year steps grow without bound');
}

/** One stretch of the axis: times [t0, t1] drawn on [x0, x1]. */
export interface Segment {
  t0: number;
  t1: number;
  x0: number;
  x1: number;
}

export interface AxisBreak {
  /** Where the break is drawn. */
  x0: number;
  x1: number;
  /** The time it leaves out: from the end of the stretch before to the start of the one after. */
  fromMs: number;
  toMs: number;
}

export interface TimeScale {
  segments: Segment[];
  /** Zero or one break between the segments. */
  breaks: AxisBreak[];
  /** The x of a time (times inside a break fall inside the break's drawing). */
  x: (at: number | string) => number;
}

export interface ScaleOptions {
  /** Least time the axis shows (an incident a few seconds old still gets a readable axis). */
  minSpanMs?: number;
  /** Break the axis when the largest gap is at least this many times the rest of the span. */
  breakRatio?: number;
  /** Width of the break's drawing, and the least width of a stretch. */
  breakWidth?: number;
  minSegmentWidth?: number;
}

/**
 * Maps times to x on [x0, x1]. When one gap holds nearly all of the span (a moment days or years
 * away from everything else), the axis is broken there: each side gets a stretch of its own, so
 * the incident's minutes are not squeezed into a few pixels.
 */
export function timeScale(times: readonly number[], x0: number, x1: number, o: ScaleOptions = {}): TimeScale {
  const minSpan = o.minSpanMs ?? MINUTE;
  const ratio = o.breakRatio ?? 5;
  const breakWidth = o.breakWidth ?? 46;
  const minWidth = o.minSegmentWidth ?? 120;
  const sorted = [...new Set(times.filter((t) => Number.isFinite(t)))].sort((a, b) => a - b);
  if (sorted.length === 0) sorted.push(0);
  let gapAt = -1;
  let gap = 0;
  for (let i = 0; i + 1 < sorted.length; i++) {
    const g = sorted[i + 1]! - sorted[i]!;
    if (g > gap) [gap, gapAt] = [g, i];
  }
  const first = sorted[0]!;
  const last = sorted.at(-1)!;
  const rest = last - first - gap;
  const padded = (a: number, b: number): [number, number] => {
    let [t0, t1] = [a, b];
    if (t1 - t0 < minSpan) {
      const extra = minSpan - (t1 - t0);
      t0 -= extra / 2;
      t1 += extra / 2;
    }
    const pad = (t1 - t0) * 0.03;
    return [t0 - pad, t1 + pad];
  };
  const segmentsOf = (parts: [number, number][]): Segment[] => {
    if (parts.length === 1) {
      const [t0, t1] = padded(parts[0]![0], parts[0]![1]);
      return [{ t0, t1, x0, x1 }];
    }
    const [[a0, a1], [b0, b1]] = parts.map(([a, b]) => padded(a, b)) as [[number, number], [number, number]];
    const room = x1 - x0 - breakWidth;
    const share = (a1 - a0) / (a1 - a0 + (b1 - b0));
    const wa = Math.min(Math.max(room * share, minWidth), room - minWidth);
    return [
      { t0: a0, t1: a1, x0, x1: x0 + wa },
      { t0: b0, t1: b1, x0: x0 + wa + breakWidth, x1 },
    ];
  };
  const broken = gapAt >= 0 && gap >= ratio * Math.max(rest, minSpan);
  const segments = broken ? segmentsOf([[first, sorted[gapAt]!], [sorted[gapAt + 1]!, last]]) : segmentsOf([[first, last]]);
  const breaks: AxisBreak[] = broken ? [{ x0: segments[0]!.x1, x1: segments[1]!.x0, fromMs: sorted[gapAt]!, toMs: sorted[gapAt + 1]! }] : [];
  const x = (at: number | string): number => {
    const t = typeof at === 'number' ? at : Date.parse(at);
    for (let i = 0; i < segments.length; i++) {
      const s = segments[i]!;
      const next = segments[i + 1];
      if (t <= s.t1 || !next) {
        if (t < s.t0 && i > 0) {
          // Inside the break before this stretch: across the break's drawing.
          const prev = segments[i - 1]!;
          return prev.x1 + ((t - prev.t1) / (s.t0 - prev.t1)) * (s.x0 - prev.x1);
        }
        return s.x0 + ((t - s.t0) / (s.t1 - s.t0)) * (s.x1 - s.x0);
      }
      if (t < next.t0) return s.x1 + ((t - s.t1) / (next.t0 - s.t1)) * (next.x0 - s.x1);
    }
    /* c8 ignore next */
    return x1;
  };
  return { segments, breaks, x };
}

/** "16 days", "7 years", "20 h": a break's length, roughly (it stands for a gap, not a figure). */
export function gapLabel(ms: number): string {
  const years = ms / (365.25 * DAY);
  if (years >= 1.5) return `${Math.round(years)} years`;
  const days = ms / DAY;
  if (days >= 1.5) return `${Math.round(days)} days`;
  const hours = ms / HOUR;
  if (hours >= 1.5) return `${Math.round(hours)} h`;
  return `${Math.round(ms / MINUTE)} min`;
}
