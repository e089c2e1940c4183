/**
 * One tick of the synthetic monitor's timer (functions/synthetic-monitor.ts, which loads this on
 * its first run): the policy, the monitor's state and the intake it declares through, composed
 * for runSyntheticMonitor (src/app/synthetic-monitor.ts).
 */
import type { InvocationContext } from '@azure/functions';
import { appNow } from './clock.js';
import { orchestrations } from './http-context.js';
import { acceptAlert } from './intake.js';
import { loadPolicy } from './policy-source.js';
import { monitorStateStore } from './signals.js';
import { appSmokeActivities } from './smoke.js';
import { alertPayloadName, getAlertArchive, getIncidentStore, getUnmatchedAlerts } from './stores.js';
import { runSyntheticMonitor } from './synthetic-monitor.js';
import { PolicyError } from '../config/policy.js';

export async function syntheticMonitorTick(context: InvocationContext): Promise<void> {
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
      intake: (payload) => acceptAlert(intake, payload, (hash) => alertPayloadName(hash, appNow())),
    },
    appNow(),
  );
  for (const line of report.lines) {
    if (/ -> intake /.test(line)) context.log(line);
    else context.debug(line);
  }
}
