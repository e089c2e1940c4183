/**
 * Registers the App Service activities (contracts in src/activities/app-service.contracts.ts).
 * The handlers and adapters are loaded and built from the app settings on the first invocation
 * (src/app/app-service.ts); with invalid
 * settings the actions answer `refused` / `not-configured` (listing the problems by setting name),
 * so an incident never stalls on retries of a configuration mistake.
 */
import { activityHandlers, activityNamed } from '../src/activities/define.js';
import { appNow } from '../src/app/clock.js';
import type { ActionOutcome } from '../src/domain/actions.js';

// The contracts load on the first invocation (registering needs the names only).
const c = (): Promise<typeof import('../src/activities/app-service.contracts.js')> => import('../src/activities/app-service.contracts.js');

const register = activityHandlers('App Service', async (context) => (await import('../src/app/app-service.js')).appServiceActivities((line) => context.log(line)));

const notConfigured = async (problems: string): Promise<ActionOutcome> => ({
  kind: 'refused',
  reason: (await import('../src/domain/release.js')).Reason.notConfigured,
  summary: `The App Service settings of the function app are invalid; nothing was changed. ${problems.replace(/\n/g, '; ')}`,
});

register(activityNamed('appService_readReleaseState', async () => (await c()).readReleaseState), (a, input) => a.readReleaseState(input), (problems, input) => ({ env: input.env, readAt: appNow().toISOString(), services: [], problems: problems.split('\n') }));
register(activityNamed('appService_apiToLkg', async () => (await c()).apiToLkg), (a, input) => a.apiToLkg(input), notConfigured);
register(activityNamed('appService_webToLkg', async () => (await c()).webToLkg), (a, input) => a.webToLkg(input), notConfigured);
register(activityNamed('appService_setDeployFreeze', async () => (await c()).setDeployFreeze), (a, input) => a.setDeployFreeze(input), notConfigured);
register(activityNamed('appService_clearDeployFreeze', async () => (await c()).clearDeployFreeze), (a, input) => a.clearDeployFreeze(input), notConfigured);
register(activityNamed('appService_recordLkg', async () => (await c()).recordLkg), (a, input) => a.recordLkg(input), notConfigured);
register(activityNamed('appService_restart', async () => (await c()).restartApp), (a, input) => a.restartApp(input), notConfigured);
register(activityNamed('appService_scaleOut', async () => (await c()).scaleOutPlan), (a, input) => a.scaleOutPlan(input), notConfigured);
register(activityNamed('appService_applyTrafficRule', async () => (await c()).applyTrafficRule), (a, input) => a.applyTrafficRule(input), notConfigured);
