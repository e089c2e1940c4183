/**
 * Where freeze announcements go. Default: the invocation's log. The Teams capability plugs in
 * here: functions/teams-activities.ts calls `useFreezeAnnouncer(load)` at module load (before any
 * invocation), and `load` imports its announcer when the first one is needed (a freeze set through
 * the API or by an incident), not at start-up. Apart from src/app/app-service.ts, and importing
 * nothing at run time, so that plugging in loads nothing.
 */
import type { FreezeAnnouncer } from '../ports/release-registry.js';

export type FreezeAnnouncerFactory = (log: (line: string) => void) => FreezeAnnouncer;

let plugged: (() => Promise<FreezeAnnouncerFactory>) | undefined;

export function useFreezeAnnouncer(load: () => Promise<FreezeAnnouncerFactory>): void {
  plugged = load;
}

/** The factory of the announcer in use: the one plugged in, else the log's. */
export async function loadFreezeAnnouncer(): Promise<FreezeAnnouncerFactory> {
  if (plugged) return plugged();
  const { LogFreezeAnnouncer } = await import('../adapters/log-freeze-announcer.js');
  return (log) => new LogFreezeAnnouncer(log);
}
