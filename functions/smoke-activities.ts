/** Registers the smoke-check activity; the handler, the probes and settings load on the first invocation (src/app/smoke.ts). */
import { activityHandlers, activityNamed } from '../src/activities/define.js';

// The contracts load on the first invocation (registering needs the names only).
const c = (): Promise<typeof import('../src/activities/smoke.contracts.js')> => import('../src/activities/smoke.contracts.js');

const register = activityHandlers(async () => (await import('../src/app/smoke.js')).appSmokeActivities());

register(activityNamed('smokeRunCheck', async () => (await c()).runSmokeCheck), (a, input) => a.runCheck(input));
