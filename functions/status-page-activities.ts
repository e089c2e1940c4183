/** Registers the status page activity (src/activities/status-page.ts); the handler and the webhook load on the first invocation. */
import { activityHandlers } from '../src/activities/define.js';
import { PublishStatusPage } from '../src/activities/status-page.contracts.js';

const register = activityHandlers(async () => (await import('../src/app/status-page.js')).appStatusPageActivities());

register(PublishStatusPage, (a, input) => a.publish(input));
