/**
 * The runbook's clocks (RB-03 sections 4, 5, 7): when acknowledgement, the containment decision,
 * containment itself, recovery and the monitoring window are due, measured from declaration (or
 * from the start of the phase), each extendable by people, and the status update cadence. Pure:
 * the orchestrator passes its own clock.
 */
import type { SeverityLevel, Timebox } from '../config/policy.js';

export type TimeboxName = 'ack' | 'decision' | 'containment' | 'recovery' | 'monitoring';

export interface Extension {
  timebox: string;
  minutes: number;
}

const MINUTE = 60_000;

/** Extra minutes granted to one timebox by people (ExtendEvent). */
export function extensionMinutes(extensions: readonly Extension[], name: TimeboxName): number {
  return extensions.filter((e) => e.timebox === name).reduce((sum, e) => sum + e.minutes, 0);
}

export function deadline(start: number, box: Timebox, name: TimeboxName, extensions: readonly Extension[]): number {
  const minutes: Record<TimeboxName, number> = {
    ack: box.ackMinutes,
    decision: box.decisionMinutes,
    containment: box.containmentMinutes,
    recovery: box.recoveryMinutes,
    monitoring: box.monitoringMinutes,
  };
  return start + (minutes[name] + extensionMinutes(extensions, name)) * MINUTE;
}

/** The next status update after `last` (P1 every 15 min, P2 30, P3 2 h by default). */
export function nextUpdate(last: number, box: Timebox): number {
  return last + box.updateEveryMinutes * MINUTE;
}

/** Postmortem due date: `days` business days after `from` (weekends skipped, UTC). */
export function addBusinessDays(from: number, days: number): number {
  const d = new Date(from);
  let left = days;
  while (left > 0) {
    d.setUTCDate(d.getUTCDate() + 1);
    const day = d.getUTCDay();
    if (day !== 0 && day !== 6) left--;
  }
  return d.getTime();
}

/** Human wording of a remaining time, for messages ("in 9 min", "2 min ago"). */
export function relative(at: number, now: number): string {
  const minutes = Math.round((at - now) / MINUTE);
  if (minutes === 0) return 'now';
  return minutes > 0 ? `in ${minutes} min` : `${-minutes} min ago`;
}

export function timeboxFor(level: SeverityLevel, boxes: Record<SeverityLevel, Timebox>): Timebox {
  return boxes[level];
}
