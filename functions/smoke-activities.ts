/** Registers the smoke-check activity; the probes and settings are built on first use. */
import { registerActivity } from '../src/activities/define.js';
import { runSmokeCheck } from '../src/activities/smoke.contracts.js';
import { createSmokeActivities, type SmokeActivities } from '../src/activities/smoke.js';
import { createHttpProbes } from '../src/adapters/http-probes.js';
import { policySmokeHosts } from '../src/app/policy-source.js';
import { readSmokeSettings } from '../src/config/smoke.js';

let activities: SmokeActivities | undefined;
// The allowed hosts are read per check: a policy edit applies to the next probe.
const smoke = (): SmokeActivities =>
  (activities ??= createSmokeActivities({ probes: createHttpProbes(), settings: () => readSmokeSettings(process.env, policySmokeHosts()) }));

registerActivity(runSmokeCheck, (input) => smoke().runCheck(input));
