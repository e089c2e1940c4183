/** Registers the incident bookkeeping activities; the handlers and the incident store load on the first invocation. */
import { activityHandlers } from '../src/activities/define.js';
import { closeCorrelation, readFollowUps, readRecord, recordProgress } from '../src/activities/incident.contracts.js';

const register = activityHandlers(async () => {
  const [{ createIncidentActivities }, { getIncidentStore }] = await Promise.all([import('../src/activities/incident.js'), import('../src/app/stores.js')]);
  return createIncidentActivities(getIncidentStore);
});

register(recordProgress, (a, input) => a.recordProgress(input));
register(closeCorrelation, (a, input) => a.closeCorrelation(input));
register(readFollowUps, (a, input) => a.readFollowUps(input));
register(readRecord, (a, input) => a.readRecord(input));
