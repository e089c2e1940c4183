/** Formatting shared by the message renderers: UTC times, figures, lists. Locale-independent. */

const pad = (n: number): string => String(n).padStart(2, '0');

/** "14:45 UTC" */
export function utcTime(iso: string): string {
  const d = new Date(iso);
  return `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())} UTC`;
}

/** "2026-01-15 14:45 UTC" */
export function utcDateTime(iso: string): string {
  const d = new Date(iso);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${utcTime(iso)}`;
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'] as const;

/** "2026-01-20 (Tue)" */
export function utcDate(iso: string): string {
  const d = new Date(iso);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} (${DAYS[d.getUTCDay()] ?? ''})`;
}

/** Whole minutes from `from` to `to` (never negative). */
export function minutesBetween(from: string, to: string): number {
  return Math.max(0, Math.round((Date.parse(to) - Date.parse(from)) / 60_000));
}

export function addMinutes(iso: string, minutes: number): string {
  return new Date(Date.parse(iso) + minutes * 60_000).toISOString();
}

/** 142 -> "142 ms"; 142.6 -> "143 ms". */
export function ms(value: number): string {
  return `${Math.round(value)} ms`;
}

/** 8 -> "8 s"; 9.75 -> "9.8 s". */
export function seconds(value: number): string {
  const rounded = Math.round(value * 10) / 10;
  return `${Number.isInteger(rounded) ? rounded.toFixed(0) : rounded.toFixed(1)} s`;
}

/** Minutes as "45 min" or "2 h 5 min". */
export function duration(minutes: number): string {
  const m = Math.round(minutes);
  if (m < 60) return `${m} min`;
  const h = Math.floor(m / 60);
  const rest = m % 60;
  return rest === 0 ? `${h} h` : `${h} h ${rest} min`;
}

/** Joins sentences, adding a full stop where the previous one has no closing punctuation. */
export function sentences(...parts: (string | undefined | false)[]): string {
  let out = '';
  for (const part of parts) {
    if (!part) continue;
    const p = part.trim();
    if (p === '') continue;
    if (out === '') out = p;
    else out += /[.!?…:]$/.test(out) ? ` ${p}` : `. ${p}`;
  }
  return out === '' || /[.!?…]$/.test(out) ? out : `${out}.`;
}

/** One line: control characters and line breaks become spaces (for headlines and previews). */
export function oneLine(value: string): string {
  // eslint-disable-next-line no-control-regex -- control characters are what is removed
  return value.replace(/[\u0000-\u001f\u007f]+/g, ' ').replace(/\s{2,}/g, ' ').trim();
}

export function truncate(value: string, max: number): string {
  const chars = [...value];
  return chars.length <= max ? value : `${chars.slice(0, max - 1).join('').trimEnd()}…`;
}
