/** Registers the smoke-check activity; the probes and settings are built on first use. */
import { registerActivity } from '../src/activities/define.js';
import { runSmokeCheck } from '../src/activities/smoke.contracts.js';
import { createSmokeActivities, type SmokeActivities } from '../src/activities/smoke.js';
import { createHttpProbes } from '../src/adapters/http-probes.js';
import { readSmokeSettings } from '../src/config/smoke.js';

let activities: SmokeActivities | undefined;
const smoke = (): SmokeActivities => (activities ??= createSmokeActivities({ probes: createHttpProbes(), settings: () => readSmokeSettings(process.env) }));

registerActivity(runSmokeCheck, (input) => smoke().runCheck(input));
