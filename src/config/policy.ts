/**
 * The policy file: one JSON document that says, per team, what the runbook needs to know. Its
 * value types live in src/domain/policy.ts (re-exported here); this module checks a document
 * against them and reports every problem with the exact path of the mistake
 * (e.g. `services[2].match.rulePatterns[0]`).
 */
import { z } from 'zod';
import { Environment, Policy, type ServiceEntry, type TeamsDestination } from '../domain/policy.js';
import { describeIssues, formatPath, toIssues, type Issue } from './issues.js';
import { errorText } from '../domain/errors.js';

export * from '../domain/policy.js';

export type PolicyCheck = { ok: true; policy: Policy; warnings: string[] } | { ok: false; issues: Issue[] };

/**
 * Every object in the policy is strict, so a misspelt key is refused rather than ignored (an
 * ignored `error5xxPercnt` would silently leave the default threshold in force). zod reports
 * unknown keys at the object holding them; here each one is named at its own path.
 */
function policyIssues(error: z.ZodError): Issue[] {
  return error.issues.flatMap((i) =>
    i.code === 'unrecognized_keys'
      ? i.keys.map((key) => ({ path: formatPath([...i.path, key]), code: i.code, message: `Unrecognized key "${key}": not a setting here (check the spelling)` }))
      : toIssues(new z.ZodError([i])),
  );
}

/** Validates a parsed policy document; warnings are advice that does not stop it loading. */
export function checkPolicy(document: unknown): PolicyCheck {
  const parsed = Policy.safeParse(document);
  if (!parsed.success) return { ok: false, issues: policyIssues(parsed.error) };
  const policy = parsed.data;
  const warnings: string[] = [];
  policy.services.forEach((s, i) => {
    const env = policy.environments[s.environment];
    const approvers = s.approvers ?? env?.approvers ?? policy.approvers;
    if (env?.triggerSeverity === 'P1' && approvers.length === 0) {
      warnings.push(`${formatPath(['services', i])} (${s.service}@${s.environment}): no approvers, so nobody can approve a containment decision by link.`);
    }
    if (!s.rollback?.api && !s.rollback?.web) {
      warnings.push(`${formatPath(['services', i])} (${s.service}@${s.environment}): no rollback target, so the automation cannot roll back to the last known good release.`);
    }
    if (env?.triggerSeverity === 'P1' && !env.rota?.ic.length) {
      warnings.push(`${formatPath(['services', i])} (${s.service}@${s.environment}): no rota names an IC for ${s.environment}, so nobody is paged as Incident Commander (the escalation chain still runs).`);
    }
    if (env?.triggerSeverity === 'P1' && !env.decisionOwner) {
      warnings.push(`${formatPath(['services', i])} (${s.service}@${s.environment}): no decisionOwner for ${s.environment}, so any approver may override a P1 default.`);
    }
    if (s.parityReapply) {
      const parity = (s.endpoints?.checks ?? []).filter((c) => c.kind === 'parity');
      const where = `${formatPath(['services', i, 'parityReapply'])} (${s.service}@${s.environment})`;
      if (!s.sql) warnings.push(`${where}: no sql target, so the intended config cannot be reapplied (every reapply is refused).`);
      if (!parity.length) warnings.push(`${where}: no parity check in endpoints.checks, so there is no intended config to reapply.`);
    }
    if (!s.endpoints) warnings.push(`${formatPath(['services', i])} (${s.service}@${s.environment}): no endpoints, so no smoke checks can verify recovery.`);
  });
  for (const level of ['P1', 'P2', 'P3'] as const) {
    const t = policy.timeboxes[level];
    if (t.decisionMinutes > t.containmentMinutes + t.ackMinutes) {
      warnings.push(`timeboxes.${level}: the decision timebox (${t.decisionMinutes} min) is longer than acknowledgement plus containment.`);
    }
  }
  return { ok: true, policy, warnings };
}

export class PolicyError extends Error {
  constructor(
    message: string,
    readonly issues: Issue[],
  ) {
    super(issues.length ? `${message}\n${describeIssues(issues, '  ')}` : message);
    this.name = 'PolicyError';
  }
}

/** Parses policy JSON text, reporting a JSON syntax error with its position. */
export function parsePolicyText(text: string, source: string): Policy {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (err) {
    throw new PolicyError(`The policy (${source}) is not valid JSON: ${errorText(err)}`, []);
  }
  const result = checkPolicy(document);
  if (!result.ok) throw new PolicyError(`The policy (${source}) has ${result.issues.length} problem(s):`, result.issues);
  return result.policy;
}

/** The environment's view of a service: thresholds, Teams, approvers and timeboxes resolved. */
export function resolveService(policy: Policy, entry: ServiceEntry): {
  entry: ServiceEntry;
  environment: Environment;
  teams: TeamsDestination;
  approvers: string[];
} {
  const environment = (Object.hasOwn(policy.environments, entry.environment) ? policy.environments[entry.environment] : undefined) ?? Environment.parse({});
  return {
    entry,
    environment,
    teams: entry.teams ?? environment.teams ?? policy.teams,
    approvers: entry.approvers ?? environment.approvers ?? policy.approvers,
  };
}
