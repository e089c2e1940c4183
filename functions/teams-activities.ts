/**
 * Registers the Teams activities (src/activities/teams.ts), and announces deploy freezes in Teams
 * (src/app/freeze-announcer.ts); adapters are built on first use.
 */
import { registerActivity } from '../src/activities/define.js';
import { NotifyTeams, PostTeamsMessage, ReplyTeamsMessage } from '../src/activities/teams.contracts.js';
import { appTeamsActivities } from '../src/app/teams-activities.js';
import { useFreezeAnnouncer } from '../src/app/app-service.js';
import { teamsFreezeAnnouncer } from '../src/app/freeze-announcer.js';

const activities = appTeamsActivities();

registerActivity(PostTeamsMessage, (input) => activities.post(input));
registerActivity(ReplyTeamsMessage, (input) => activities.reply(input));
registerActivity(NotifyTeams, (input) => activities.notify(input));

// Freezes set by hand, by pipelines and by incidents are announced in the environment's channel.
useFreezeAnnouncer((log) => teamsFreezeAnnouncer(log));
