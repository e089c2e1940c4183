/**
 * Smoke checks as activities: one activity per check per target (`smokeRunCheck`), fanned out by
 * the `smokeSuite` sub-orchestration (orchestrations/smoke-suite.ts), which returns the verdict.
 * Probes are read-only, so the activity needs no step ledger: running it twice is harmless.
 */
import type * as df from 'durable-functions';
import { z } from 'zod';
import { Check, CheckResult, SmokeTarget, SmokeThresholds } from '../domain/smoke-checks.js';
import { defineActivity } from './define.js';

export const SMOKE_SUITE_ORCHESTRATION = 'smokeSuite';

export const SmokeCheckTarget = SmokeTarget.omit({ checks: true });

export const RunSmokeCheckInput = z.object({
  incidentId: z.string().max(200).optional(),
  target: SmokeCheckTarget,
  check: Check,
  thresholds: SmokeThresholds,
  /** Orchestration time when the check was scheduled (recorded in the result). */
  requestedAt: z.iso.datetime({ offset: true }),
});
export type RunSmokeCheckInput = z.input<typeof RunSmokeCheckInput>;

/**
 * Runs one check against one target and judges it with the thresholds. Never throws for what it
 * finds (results are data); no retry, because a probe that fails is an answer, not a glitch.
 */
export const runSmokeCheck = defineActivity({ name: 'smokeRunCheck', input: RunSmokeCheckInput, output: CheckResult });

export const SmokeSuiteInput = z
  .object({
    incidentId: z.string().max(200).optional(),
    targets: z.array(SmokeTarget).max(50),
    thresholds: SmokeThresholds.prefault({}),
  })
  .refine((i) => new Set(i.targets.map((t) => t.label)).size === i.targets.length, { message: 'target labels must be unique', path: ['targets'] })
  .refine((i) => i.targets.reduce((n, t) => n + t.checks.length, 0) <= 500, { message: 'at most 500 checks per suite', path: ['targets'] });
export type SmokeSuiteInput = z.input<typeof SmokeSuiteInput>;

export const Verdict = z.enum(['green', 'degraded', 'red']);

export const SmokeSuiteOutput = z.object({
  verdict: Verdict,
  /** Human-readable, worst first (for green: what passed). */
  reasons: z.array(z.string()),
  targets: z.array(z.object({ label: z.string(), verdict: Verdict, checks: z.number().int(), passed: z.number().int() })),
  results: z.array(CheckResult),
  startedAt: z.string(),
  finishedAt: z.string(),
});
export type SmokeSuiteOutput = z.infer<typeof SmokeSuiteOutput>;

/** `const smoke = yield* callSmokeSuite(context, input, instanceId)` inside an orchestrator. */
export function* callSmokeSuite(
  context: df.OrchestrationContext,
  input: SmokeSuiteInput,
  instanceId?: string,
): Generator<df.Task, SmokeSuiteOutput, unknown> {
  const raw: unknown = yield context.df.callSubOrchestrator(SMOKE_SUITE_ORCHESTRATION, SmokeSuiteInput.parse(input), instanceId);
  return SmokeSuiteOutput.parse(raw);
}
