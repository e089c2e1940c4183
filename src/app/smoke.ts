/**
 * The smoke-check handler as the app runs it: the HTTP probes, the SMOKE_* settings and the hosts
 * the policy names (read per check, so a policy edit applies to the next probe). The runbook's
 * `smokeRunCheck` activity and the synthetic monitor run the same one.
 */
import { createSmokeActivities, type SmokeActivities } from '../activities/smoke.js';
import { createHttpProbes } from '../adapters/http-probes.js';
import { policySmokeHosts } from './policy-source.js';
import { appSettings } from './settings.js';

let activities: SmokeActivities | undefined;

export function appSmokeActivities(): SmokeActivities {
  activities ??= createSmokeActivities({ probes: createHttpProbes(), settings: () => {
      const settings = appSettings();
      return settings.smoke(policySmokeHosts(settings.policy));
    }, });
  return activities;
}
