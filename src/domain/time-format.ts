/**
 * How times and durations read, wherever the incident is told (Teams, the timeline, the report, the
 * postmortem): one formatter each, so one figure never reads two ways. UTC, locale-independent.
 */

/** "47 s", "4 min 12 s", "1 h 02 min", "3 d 4 h": seconds rounded to what a person reads. */
export function humanDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return '-';
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  if (s < 3600) {
    const rest = s % 60;
    return rest ? `${Math.floor(s / 60)} min ${rest} s` : `${s / 60} min`;
  }
  if (s < 48 * 3600) {
    const h = Math.floor(s / 3600);
    const m = Math.round((s % 3600) / 60);
    return m === 60 ? `${h + 1} h 00 min` : `${h} h ${String(m).padStart(2, '0')} min`;
  }
  const d = Math.floor(s / 86_400);
  const h = Math.round((s % 86_400) / 3600);
  return h === 24 ? `${d + 1} d` : h ? `${d} d ${h} h` : `${d} d`;
}

/** "10:02" (UTC) from milliseconds. */
export function hhmm(ms: number): string {
  return new Date(ms).toISOString().slice(11, 16);
}

export const iso = (ms: number): string => new Date(ms).toISOString();
