/**
 * The default freeze announcer: writes the announcement to the function's log (Application
 * Insights in Azure). A Teams announcer replaces it through `useFreezeAnnouncer` in
 * src/app/app-service.ts; until then nobody is messaged, and outcomes say "via log".
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
