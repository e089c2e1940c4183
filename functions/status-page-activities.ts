/** Registers the status page activity (src/activities/status-page.ts); the webhook is built on first use. */
import { registerActivity } from '../src/activities/define.js';
import { PublishStatusPage } from '../src/activities/status-page.contracts.js';
import { appStatusPageActivities } from '../src/app/status-page.js';

const activities = appStatusPageActivities();

registerActivity(PublishStatusPage, (input) => activities.publish(input));
