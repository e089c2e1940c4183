/**
 * smokeSuite: runs every configured check on every target (instance or slot) at once, one
 * activity per check per target, and turns the results into a verdict (green / degraded / red)
 * with reasons (rules in src/domain/smoke-verdict.ts). The fan-out takes about as long as the
 * slowest check. Called as a sub-orchestration by the incident (callSmokeSuite in
 * src/activities/smoke.contracts.ts), or started on its own for a drill.
 */
import type * as df from 'durable-functions';
import { activityResult, activityTask } from '../src/activities/define.js';
import { runSmokeCheck, SmokeSuiteInput, type SmokeSuiteOutput } from '../src/activities/smoke.contracts.js';
import type { CheckResult } from '../src/domain/smoke-checks.js';
import { smokeVerdict } from '../src/domain/smoke-verdict.js';

/** The `smokeSuite` orchestrator (registered by name in functions/orchestrations.ts, loaded on its first episode). */
export function* smokeSuiteOrchestrator(context: df.OrchestrationContext) {
  const input = SmokeSuiteInput.parse(context.df.getInput());
  const startedAt = context.df.currentUtcDateTime.toISOString();
  const tasks: df.Task[] = [];
  for (const { checks, ...target } of input.targets) {
    for (const check of checks) {
      tasks.push(activityTask(context, runSmokeCheck, { incidentId: input.incidentId, target, check, thresholds: input.thresholds, requestedAt: startedAt }));
    }
  }
  context.df.setCustomStatus({ phase: 'checking', checks: tasks.length, targets: input.targets.length });
  const raw: unknown[] = tasks.length ? ((yield context.df.Task.all(tasks)) as unknown[]) : [];
  const results: CheckResult[] = raw.map((r) => activityResult(runSmokeCheck, r));
  const finishedAt = context.df.currentUtcDateTime.toISOString();
  const verdict = smokeVerdict({
    targets: input.targets.map((t) => ({ label: t.label, checks: t.checks.length })),
    results,
    thresholds: input.thresholds,
  });
  context.df.setCustomStatus({ phase: 'done', verdict: verdict.verdict, checks: tasks.length });
  // Typed, not parsed again: each result was parsed above and the verdict is the domain's; the
  // caller parses what it receives (callSmokeSuite). Parsing the 50 results once more was much of
  // the last episode, which stands between the slowest check and the suite's end.
  const output: SmokeSuiteOutput = { ...verdict, results, startedAt, finishedAt };
  return output;
}
