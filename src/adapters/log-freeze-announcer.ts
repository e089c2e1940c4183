/**
 * The fallback freeze announcer: writes the announcement to the function's log (Application
 * Insights in Azure). The product replaces it with the Teams announcer (src/app/freeze-announcer.ts,
 * wired through `useFreezeAnnouncer` in functions/teams-activities.ts), which writes this same line
 * to the log before posting.
 */
import type { FreezeAnnouncement, FreezeAnnouncer } from '../ports/release-registry.js';

export function renderFreezeAnnouncement(a: FreezeAnnouncement): string {
  const who = a.by.name ? `${a.by.name} (${a.by.id})` : a.by.id;
  const incident = a.incidentId ? ` for incident ${a.incidentId}` : '';
  return a.frozen
    ? `Deploy freeze: deploys to ${a.env} are FROZEN${incident} since ${a.at} by ${who}: ${a.reason}`
    : `Deploy freeze lifted: deploys to ${a.env} may resume${incident} (${a.at}, by ${who}): ${a.reason}`;
}

export class LogFreezeAnnouncer implements FreezeAnnouncer {
  readonly channel = 'log';
  constructor(private readonly write: (line: string) => void) {}
  announce(a: FreezeAnnouncement): Promise<void> {
    this.write(renderFreezeAnnouncement(a));
    return Promise.resolve();
  }
}
