/**
 * The postmortem reminder (DESIGN section 3 step 9): every 15 minutes (NCRONTAB, UTC), resolved
 * incidents whose postmortem is due get a "postmortem due" reply in their Teams thread with a
 * link to the draft. The logic is in src/app/postmortem-reminders.ts.
 */
import { app, type InvocationContext, type Timer } from '@azure/functions';
import { appNow } from '../src/app/clock.js';

function botActor(loadPolicy: () => { bot: { actor: string } }): string {
  try {
    return loadPolicy().bot.actor;
  } catch {
    return 'incident-bot'; // the policy's own default; a broken policy must not stop reminders
  }
}

app.timer('postmortemReminders', {
  schedule: '0 */15 * * * *',
  handler: async (_timer: Timer, context: InvocationContext) => {
    // Loaded on the first sweep (with the store and the Teams handlers it replies through), not at start-up.
    const [{ sweepPostmortemReminders }, { appTeamsActivities }, { getIncidentStore }, { loadPolicy }] = await Promise.all([
      import('../src/app/postmortem-reminders.js'),
      import('../src/app/teams-activities.js'),
      import('../src/app/stores.js'),
      import('../src/app/policy-source.js'),
    ]);
    const report = await sweepPostmortemReminders({ store: getIncidentStore(), teams: appTeamsActivities(), now: appNow, actor: botActor(loadPolicy) });
    for (const line of report.lines) context.log(line);
    const line = `Postmortem reminders: ${report.due} due, ${report.sent.length} sent, ${report.refused.length} refused (tried again later), ${report.skipped.length} skipped.`;
    // Every run says it ran; at information level only when there was something to do.
    if (report.due) context.log(line);
    else context.debug(line);
  },
});
