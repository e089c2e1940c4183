/**
 * The Teams activities' handlers as the app runs them (src/activities/teams.ts on the app's step
 * ledger, Teams port, approval settings and clock). functions/teams-activities.ts registers them
 * for the runbook; the postmortem reminder sweep calls the same handlers, so its message is
 * rendered, delivered and made idempotent exactly like the runbook's.
 */
import { appSettings } from './settings.js';
import { createTeamsActivities } from '../activities/teams.js';
import { appNow } from './clock.js';
import { getLedger } from './ledger.js';
import { getTeamsPort } from './teams.js';

let activities: ReturnType<typeof createTeamsActivities> | undefined;

export function appTeamsActivities(): ReturnType<typeof createTeamsActivities> {
  activities ??= createTeamsActivities({
    ledger: getLedger,
    channel: () => getTeamsPort(),
    pager: () => getTeamsPort(),
    approvals: () => {
      const r = appSettings().approval;
      return r.ok ? r.settings : undefined;
    },
    now: appNow,
    warn: (m) => console.warn(m),
  });
  return activities;
}
