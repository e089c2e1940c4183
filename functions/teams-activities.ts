/** Registers the Teams activities (src/activities/teams.ts); adapters are built on first use. */
import { registerActivity } from '../src/activities/define.js';
import { NotifyTeams, PostTeamsMessage, ReplyTeamsMessage } from '../src/activities/teams.contracts.js';
import { appTeamsActivities } from '../src/app/teams-activities.js';

const activities = appTeamsActivities();

registerActivity(PostTeamsMessage, (input) => activities.post(input));
registerActivity(ReplyTeamsMessage, (input) => activities.reply(input));
registerActivity(NotifyTeams, (input) => activities.notify(input));
