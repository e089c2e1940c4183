/**
 * The automation's own telemetry (README, "Watching the automation"): started when the app
 * loads, with one span per invocation from the invocation hook. Off (an in-memory summary) unless
 * APPLICATIONINSIGHTS_CONNECTION_STRING is set.
 */
import { app } from '@azure/functions';
import { registerActivity } from '../src/activities/define.js';
import { recordIncidentTelemetry } from '../src/activities/telemetry.contracts.js';
import { createTelemetryActivities } from '../src/activities/telemetry.js';
import { appNow } from '../src/app/clock.js';
import { getLedger } from '../src/app/ledger.js';
import { startAppTelemetry, telemetry } from '../src/app/telemetry.js';

startAppTelemetry(app.hook);

// A resolved incident's metrics, once, from its record (called by the incident orchestration at the close).
const activities = createTelemetryActivities({ ledger: getLedger, telemetry, now: appNow });
registerActivity(recordIncidentTelemetry, (input) => activities.recordIncident(input));
