/**
 * Registers the App Service activities (contracts in src/activities/app-service.contracts.ts).
 * The handlers and adapters are loaded and built from the app settings on the first invocation
 * (src/app/app-service.ts); with invalid
 * settings the actions answer `refused` / `not-configured` (listing the problems by setting name),
 * so an incident never stalls on retries of a configuration mistake.
 */
import * as c from '../src/activities/app-service.contracts.js';
import { activityHandlers } from '../src/activities/define.js';
import { appNow } from '../src/app/clock.js';
import type { ActionOutcome } from '../src/domain/actions.js';
import { Reason } from '../src/domain/release.js';

const register = activityHandlers('App Service', async (context) => (await import('../src/app/app-service.js')).appServiceActivities((line) => context.log(line)));

const notConfigured = (problems: string): ActionOutcome => ({
  kind: 'refused',
  reason: Reason.notConfigured,
  summary: `The App Service settings of the function app are invalid; nothing was changed. ${problems.replace(/\n/g, '; ')}`,
});

register(c.readReleaseState, (a, input) => a.readReleaseState(input), (problems, input) => ({ env: input.env, readAt: appNow().toISOString(), services: [], problems: problems.split('\n') }));
register(c.apiToLkg, (a, input) => a.apiToLkg(input), notConfigured);
register(c.webToLkg, (a, input) => a.webToLkg(input), notConfigured);
register(c.setDeployFreeze, (a, input) => a.setDeployFreeze(input), notConfigured);
register(c.clearDeployFreeze, (a, input) => a.clearDeployFreeze(input), notConfigured);
register(c.recordLkg, (a, input) => a.recordLkg(input), notConfigured);
register(c.restartApp, (a, input) => a.restartApp(input), notConfigured);
register(c.scaleOutPlan, (a, input) => a.scaleOutPlan(input), notConfigured);
register(c.applyTrafficRule, (a, input) => a.applyTrafficRule(input), notConfigured);
