/**
 * At start, says whether the policy is broken and why (before any alert is answered 503 for it).
 * In Azure the worker's console output reaches the Functions host log; the dev host prints it.
 */
import { app } from '@azure/functions';
import { policyProblemAtStart } from '../src/app/policy-source.js';

app.hook.appStart(() => {
  const problem = policyProblemAtStart();
  if (problem) console.error(problem);
});
