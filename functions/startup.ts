/**
 * At start: takes the app's settings (src/app/settings.ts: one snapshot of the environment, parsed
 * once per process and handed down from there), and says whether the policy is broken and why
 * (before any alert is answered 503 for it). In Azure the worker's console output reaches the
 * Functions host log; the dev host prints it.
 */
import { app } from '@azure/functions';
import { policyProblemAtStart } from '../src/app/policy-source.js';
import { appSettings } from '../src/app/settings.js';

app.hook.appStart(() => {
  const problem = policyProblemAtStart(appSettings().policy);
  if (problem) console.error(problem);
});
