/** Registers the Teams activities (src/activities/teams.ts); adapters are built on first use. */
import { registerActivity } from '../src/activities/define.js';
import { NotifyTeams, PostTeamsMessage, ReplyTeamsMessage } from '../src/activities/teams.contracts.js';
import { createTeamsActivities } from '../src/activities/teams.js';
import { getLedger } from '../src/app/ledger.js';
import { getTeamsPort } from '../src/app/teams.js';
import { readApprovalSettings } from '../src/config/teams.js';
import { appNow } from '../src/app/clock.js';

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
