/** Registers the smoke-check activity; the handler, the probes and settings load on the first invocation (src/app/smoke.ts). */
import { activityHandlers } from '../src/activities/define.js';
import { runSmokeCheck } from '../src/activities/smoke.contracts.js';

const register = activityHandlers(async () => (await import('../src/app/smoke.js')).appSmokeActivities());

register(runSmokeCheck, (a, input) => a.runCheck(input));
