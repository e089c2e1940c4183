/** Registers the status page activity (src/activities/status-page.ts); the handler and the webhook load on the first invocation. */
import { activityHandlers, activityNamed } from '../src/activities/define.js';

// The contracts load on the first invocation (registering needs the names only).
const c = (): Promise<typeof import('../src/activities/status-page.contracts.js')> => import('../src/activities/status-page.contracts.js');

const register = activityHandlers(async () => (await import('../src/app/status-page.js')).appStatusPageActivities());

register(activityNamed('statusPage_publish', async () => (await c()).PublishStatusPage), (a, input) => a.publish(input));
