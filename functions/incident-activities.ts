/** Registers the incident bookkeeping activities. */
import { registerActivity } from '../src/activities/define.js';
import { closeCorrelation, readFollowUps, recordProgress } from '../src/activities/incident.contracts.js';
import { createIncidentActivities } from '../src/activities/incident.js';
import { getIncidentStore } from '../src/app/stores.js';

const activities = createIncidentActivities(getIncidentStore);

registerActivity(recordProgress, (input) => activities.recordProgress(input));
registerActivity(closeCorrelation, (input) => activities.closeCorrelation(input));
registerActivity(readFollowUps, (input) => activities.readFollowUps(input));
