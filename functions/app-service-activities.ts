/**
 * Registers the App Service activities (contracts in src/activities/app-service.contracts.ts).
 * The adapters are built from the app settings on first use; with invalid settings the actions
 * answer `refused` / `not-configured` (listing the problems by setting name), so an incident
 * never stalls on retries of a configuration mistake.
 */
import type { InvocationContext } from '@azure/functions';
import * as c from '../src/activities/app-service.contracts.js';
import { createSiteOpsActivities, type SiteOpsActivities } from '../src/activities/app-service-ops.js';
import { createAppServiceActivities, type AppServiceActivities } from '../src/activities/app-service.js';
import { registerActivity } from '../src/activities/define.js';
import { appServicePorts, freezeAnnouncer } from '../src/app/app-service.js';
import { appNow } from '../src/app/clock.js';
import { getLedger } from '../src/app/ledger.js';
import { describeIssues } from '../src/config/issues.js';
import type { ActionOutcome } from '../src/domain/actions.js';
import { Reason } from '../src/domain/release.js';

function activities(context: InvocationContext): (AppServiceActivities & SiteOpsActivities) | { problems: string } {
  const built = appServicePorts();
  if (!built.ok) return { problems: describeIssues(built.issues) };
  const { settings, ...ports } = built.value;
  const log = (line: string) => context.log(line);
  const now = () => appNow().toISOString();
  const siteOps = createSiteOpsActivities({ siteOps: ports.siteOps, ledger: getLedger(), targets: settings.targets, now, verifyDelayMs: Math.max(settings.pollIntervalMs, 10) });
  return {
    ...siteOps,
    ...createAppServiceActivities({
    ...ports,
    targets: settings.targets,
    ledger: getLedger(),
    announcer: freezeAnnouncer(log),
    verifyDelayMs: settings.pollIntervalMs,
    // The incident's clock (simulated on the dev host): a freeze's "since" and the LKG's "recorded at"
    // read on the same clock as the incident that set them.
    now,
    log,
    }),
  };
}

function notConfigured(problems: string, context: InvocationContext): ActionOutcome {
  context.error(`App Service settings are invalid:\n${problems}`);
  return { kind: 'refused', reason: Reason.notConfigured, summary: `The App Service settings of the function app are invalid; nothing was changed. ${problems.replace(/\n/g, '; ')}` };
}

function action<I>(pick: (a: AppServiceActivities & SiteOpsActivities) => (input: I) => Promise<ActionOutcome>) {
  return async (input: I, context: InvocationContext): Promise<ActionOutcome> => {
    const a = activities(context);
    return 'problems' in a ? notConfigured(a.problems, context) : pick(a)(input);
  };
}

registerActivity(c.readReleaseState, async (input, context) => {
  const a = activities(context);
  if ('problems' in a) {
    context.error(`App Service settings are invalid:\n${a.problems}`);
    return { env: input.env, readAt: appNow().toISOString(), services: [], problems: a.problems.split('\n') };
  }
  return a.readReleaseState(input);
});
registerActivity(c.apiToLkg, action((a) => a.apiToLkg));
registerActivity(c.webToLkg, action((a) => a.webToLkg));
registerActivity(c.setDeployFreeze, action((a) => a.setDeployFreeze));
registerActivity(c.clearDeployFreeze, action((a) => a.clearDeployFreeze));
registerActivity(c.recordLkg, action((a) => a.recordLkg));
registerActivity(c.restartApp, action((a) => a.restartApp));
registerActivity(c.scaleOutPlan, action((a) => a.scaleOutPlan));
registerActivity(c.applyTrafficRule, action((a) => a.applyTrafficRule));
