/**
 * The business-day rule of the postmortem due date (RB-03 section 11). The runbook's clocks
 * themselves (acknowledgement, decision, containment, recovery, monitoring) are in the incident
 * record (./incident-record.ts, timeboxesOf) and the runbook (./runbook.ts).
 */

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
