/**
 * The smoke-check activity's handlers as the app runs them: the HTTP probes adapter and the smoke
 * settings, built on first use. The allowed hosts are read per check, so a policy edit applies to
 * the next probe.
 */
import { createSmokeActivities, type SmokeActivities } from '../activities/smoke.js';
import { createHttpProbes } from '../adapters/http-probes.js';
import { readSmokeSettings } from '../config/smoke.js';
import { policySmokeHosts } from './policy-source.js';

let activities: SmokeActivities | undefined;

export function appSmokeActivities(): SmokeActivities {
  activities ??= createSmokeActivities({ probes: createHttpProbes(), settings: () => readSmokeSettings(process.env, policySmokeHosts()) });
  return activities;
}
