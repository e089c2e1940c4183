/**
 * At start: takes the app's settings (src/app/settings.ts: one snapshot of the environment, parsed
 * once per process and handed down from there), and says whether the policy is broken and why
 * (before any alert is answered 503 for it). In Azure the worker's console output reaches the
 * Functions host log; the dev host prints it. The settings and the policy reader load in the
 * hook, when the app starts, not when the worker loads the entry files.
 */
import { app } from '@azure/functions';

app.hook.appStart(async () => {
  const [{ policyProblemAtStart }, { appSettings }] = await Promise.all([import('../src/app/policy-source.js'), import('../src/app/settings.js')]);
  const problem = policyProblemAtStart(appSettings().policy);
  if (problem) console.error(problem);
});
