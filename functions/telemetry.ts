/**
 * The automation's own telemetry (README, "Watching the automation"): started when the app
 * loads, with one span per invocation from the invocation hook. Off (an in-memory summary) unless
 * APPLICATIONINSIGHTS_CONNECTION_STRING is set.
 */
import { app } from '@azure/functions';
import { activityHandlers } from '../src/activities/define.js';
import { recordIncidentTelemetry } from '../src/activities/telemetry.contracts.js';
import { appNow } from '../src/app/clock.js';
import { startAppTelemetry, telemetry } from '../src/app/telemetry.js';

startAppTelemetry(app.hook);

// A resolved incident's metrics, once, from its record (called by the incident orchestration at the close).
const register = activityHandlers(async () => {
  const [{ createTelemetryActivities }, { getLedger }] = await Promise.all([import('../src/activities/telemetry.js'), import('../src/app/ledger.js')]);
  return createTelemetryActivities({ ledger: getLedger, telemetry, now: appNow });
});
register(recordIncidentTelemetry, (a, input) => a.recordIncident(input));
