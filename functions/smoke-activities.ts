/** Registers the smoke-check activity; the probes and settings are built on first use (src/app/smoke.ts). */
import { registerActivity } from '../src/activities/define.js';
import { runSmokeCheck } from '../src/activities/smoke.contracts.js';
import { appSmokeActivities } from '../src/app/smoke.js';

registerActivity(runSmokeCheck, (input) => appSmokeActivities().runCheck(input));
