/**
 * Registers the Teams activities (src/activities/teams.ts), and announces deploy freezes in Teams
 * (src/app/freeze-announcer.ts); adapters are built on first use.
 */
import { registerActivity } from '../src/activities/define.js';
import { NotifyTeams, PostTeamsMessage, ReplyTeamsMessage } from '../src/activities/teams.contracts.js';
import { createTeamsActivities } from '../src/activities/teams.js';
import { getLedger } from '../src/app/ledger.js';
import { getTeamsPort } from '../src/app/teams.js';
import { readApprovalSettings } from '../src/config/teams.js';
import { appNow } from '../src/app/clock.js';
import { useFreezeAnnouncer } from '../src/app/app-service.js';
import { teamsFreezeAnnouncer } from '../src/app/freeze-announcer.js';

const activities = createTeamsActivities({
  ledger: getLedger,
  teams: () => getTeamsPort(process.env, (m) => console.warn(m)),
  approvals: () => {
    const r = readApprovalSettings();
    return r.ok ? r.settings : undefined;
  },
  now: appNow,
  warn: (m) => console.warn(m),
});

registerActivity(PostTeamsMessage, (input) => activities.post(input));
registerActivity(ReplyTeamsMessage, (input) => activities.reply(input));
registerActivity(NotifyTeams, (input) => activities.notify(input));

// Freezes set by hand, by pipelines and by incidents are announced in the environment's channel.
useFreezeAnnouncer((log) => teamsFreezeAnnouncer(log));
