/**
 * The automation's own telemetry (README, "Watching the automation"): started when the app
 * starts (its appStart hook), with one span per invocation from the invocation hook. Off (an
 * in-memory summary) unless APPLICATIONINSIGHTS_CONNECTION_STRING is set. Registering loads
 * neither the settings nor the telemetry adapter (src/app/telemetry-wiring.ts).
 */
import { app } from '@azure/functions';
import { activityHandlers, activityNamed } from '../src/activities/define.js';

// The contracts load on the first invocation (registering needs the names only).
const c = (): Promise<typeof import('../src/activities/telemetry.contracts.js')> => import('../src/activities/telemetry.contracts.js');
import { appNow } from '../src/app/clock.js';
import { wireAppTelemetry } from '../src/app/telemetry-wiring.js';

wireAppTelemetry(app.hook);

// A resolved incident's metrics, once, from its record (called by the incident orchestration at the close).
const register = activityHandlers(async () => {
  const [{ createTelemetryActivities }, { getLedger }, { telemetry }] = await Promise.all([
    import('../src/activities/telemetry.js'),
    import('../src/app/ledger.js'),
    import('../src/app/telemetry.js'),
  ]);
  return createTelemetryActivities({ ledger: getLedger, telemetry, now: appNow });
});
register(activityNamed('telemetry_recordIncident', async () => (await c()).recordIncidentTelemetry), (a, input) => a.recordIncident(input));
