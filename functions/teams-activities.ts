/**
 * Registers the Teams activities (src/activities/teams.ts), and announces deploy freezes in Teams
 * (src/app/freeze-announcer.ts); the handlers load on the first invocation, the adapters are built then.
 */
import { activityHandlers, activityNamed } from '../src/activities/define.js';

// The contracts load on the first invocation (registering needs the names only).
const c = (): Promise<typeof import('../src/activities/teams.contracts.js')> => import('../src/activities/teams.contracts.js');
import { useFreezeAnnouncer } from '../src/app/freeze-announcer-choice.js';

const register = activityHandlers(async () => (await import('../src/app/teams-activities.js')).appTeamsActivities());

register(activityNamed('teamsPostMessage', async () => (await c()).PostTeamsMessage), (a, input) => a.post(input));
register(activityNamed('teamsReplyMessage', async () => (await c()).ReplyTeamsMessage), (a, input) => a.reply(input));
register(activityNamed('teamsNotify', async () => (await c()).NotifyTeams), (a, input) => a.notify(input));

// Freezes set by hand, by pipelines and by incidents are announced in the environment's channel
// (the announcer, src/app/freeze-announcer.ts, and the Teams adapters load with the first freeze).
useFreezeAnnouncer(async () => (await import('../src/app/freeze-announcer.js')).teamsFreezeAnnouncer);
