/** Registers the incident bookkeeping activities; the handlers and the incident store load on the first invocation. */
import { activityHandlers, activityNamed } from '../src/activities/define.js';

// The contracts load on the first invocation (registering needs the names only).
const c = (): Promise<typeof import('../src/activities/incident.contracts.js')> => import('../src/activities/incident.contracts.js');

const register = activityHandlers(async () => {
  const [{ createIncidentActivities }, { getIncidentStore }] = await Promise.all([import('../src/activities/incident.js'), import('../src/app/stores.js')]);
  return createIncidentActivities(getIncidentStore);
});

register(activityNamed('incident_recordProgress', async () => (await c()).recordProgress), (a, input) => a.recordProgress(input));
register(activityNamed('incident_closeCorrelation', async () => (await c()).closeCorrelation), (a, input) => a.closeCorrelation(input));
register(activityNamed('incident_readFollowUps', async () => (await c()).readFollowUps), (a, input) => a.readFollowUps(input));
register(activityNamed('incident_readRecord', async () => (await c()).readRecord), (a, input) => a.readRecord(input));
