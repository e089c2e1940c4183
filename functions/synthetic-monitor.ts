/**
 * The synthetic monitor (README "Signals"): once a minute (NCRONTAB, UTC), every environment whose
 * policy schedule (`signals.synthetic.schedule`) is due runs its services' smoke checks; N red runs
 * in a row declare an incident through the alert intake, green again raises a recovery signal.
 * The logic is in src/app/synthetic-monitor.ts.
 */
import { app, type InvocationContext, type Timer } from '@azure/functions';
import * as df from 'durable-functions';
import { appNow } from '../src/app/clock.js';
import { orchestrations } from '../src/app/http-context.js';
import { acceptAlert } from '../src/app/intake.js';
import { loadPolicy } from '../src/app/policy-source.js';
import { monitorStateStore } from '../src/app/signals.js';
import { appSmokeActivities } from '../src/app/smoke.js';
import { alertPayloadName, getAlertArchive, getIncidentStore, getUnmatchedAlerts } from '../src/app/stores.js';
import { runSyntheticMonitor } from '../src/app/synthetic-monitor.js';
import { PolicyError } from '../src/config/policy.js';

app.timer('syntheticMonitor', {
  schedule: '0 * * * * *',
  extraInputs: [df.input.durableClient()],
  handler: async (_timer: Timer, context: InvocationContext) => {
    let policy;
    try {
      policy = loadPolicy();
    } catch (err) {
      // GET /api/health names the policy's problems; the monitor waits for a valid one.
      if (err instanceof PolicyError) return context.warn(`Synthetic monitor: no valid policy (${err.message.split('\n')[0]}).`);
      throw err;
    }
    if (!Object.values(policy.environments).some((e) => e.signals.synthetic)) return;
    const states = monitorStateStore();
    if (!states.ok) return context.error(`Synthetic monitor: the settings are invalid: ${states.issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`);
    const intake = { store: getIncidentStore(), orchestrations: orchestrations(context), archive: getAlertArchive(), unmatched: getUnmatchedAlerts(), policy, now: appNow };
    const report = await runSyntheticMonitor(
      {
        policy,
        states: states.value,
        smoke: appSmokeActivities(),
        intake: (payload) =>
acceptAlert(intake, payload, (hash) => alertPayloadName(hash, appNow())),
      },
      appNow(),
    );
    for (const line of report.lines) {
      if (/ -> intake /.test(line)) context.log(line);
      else context.debug(line);
    }
  },
});
