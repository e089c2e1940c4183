/**
 * The synthetic monitor (README "Signals"): detection that does not depend on Azure Monitor alerts
 * being wired up. The timer (functions/synthetic-monitor.ts) ticks once a minute; for every
 * environment whose policy has `signals.synthetic` and whose NCRONTAB schedule is due in that
 * minute, it runs the smoke checks of each service that has endpoints (the runbook's own smoke
 * handler: same guards, same thresholds, same verdict), counts red runs in a row per service
 * (Table storage, one run applied once), and after `failuresToDeclare` of them hands an alert of its
 * own to the alert intake: the intake declares the incident ("Detected by the synthetic monitor")
 * or, when one is open for the service, correlates into it. Green again: the alert is resolved,
 * and the intake raises that into the open incident as a recovery signal.
 */
import type { Policy, ServiceEntry } from '../config/policy.js';
import type { SmokeActivities } from '../activities/smoke.js';
import { RunSmokeCheckInput } from '../activities/smoke.contracts.js';
import { dueInMinute, parseNcrontab } from '../domain/ncrontab.js';
import { smokeTargetsOf, smokeThresholdsOf } from '../domain/smoke-plan.js';
import { smokeVerdict, type SuiteVerdict } from '../domain/smoke-verdict.js';
import { azureSeverityFor, stepMonitor, syntheticAlert, type MonitorAction } from '../domain/synthetic.js';
import type { MonitorStateStore } from '../ports/synthetic-state.js';
import type { IntakeOutcome } from './intake.js';

export interface SyntheticMonitorDeps {
  policy: Policy;
  states: MonitorStateStore;
  smoke: Pick<SmokeActivities, 'runCheck'>;
  /** The alert intake (acceptAlert with the app's stores). */
  intake: (payload: unknown) => Promise<IntakeOutcome>;
}

export interface ServiceRun {
  environment: string;
  service: string;
  runAt: string;
  verdict: SuiteVerdict['verdict'];
  action: MonitorAction['kind'];
  /** What the intake answered (declared, correlated, recovery-signal, ...), when it was called. */
  intake: { kind: string; incidentId: string | null } | null;
  note: string;
}

export interface SyntheticReport {
  runs: ServiceRun[];
  lines: string[];
}

const MAX_WRITE_ATTEMPTS = 3;

/** One tick: every environment whose schedule is due in the minute of `at`. */
export async function runSyntheticMonitor(deps: SyntheticMonitorDeps, at: Date): Promise<SyntheticReport> {
  const runs: ServiceRun[] = [];
  for (const [name, env] of Object.entries(deps.policy.environments)) {
    const synthetic = env.signals.synthetic;
    if (!synthetic) continue;
    const schedule = parseNcrontab(synthetic.schedule);
    if (!schedule.ok) continue; // the policy check refuses such a schedule; a stale one is skipped, not fatal
    const due = dueInMinute(schedule.schedule, at.getTime());
    if (due === null) continue;
    const services = deps.policy.services.filter((s) => s.environment === name && s.endpoints);
    const done = await Promise.all(services.map((s) => runService(deps, s, new Date(due).toISOString())));
    runs.push(...done);
  }
  const lines = runs.map(
    (r) => `synthetic monitor ${r.service}@${r.environment} ${r.runAt}: ${r.verdict}; ${r.note}${r.intake ? ` -> intake ${r.intake.kind} ${r.intake.incidentId ?? ''}`.trimEnd() : ''}`,
  );
  return { runs, lines };
}

async function runService(deps: SyntheticMonitorDeps, entry: ServiceEntry, runAt: string): Promise<ServiceRun> {
  const env = deps.policy.environments[entry.environment]!;
  const synthetic = env.signals.synthetic!;
  const thresholds = smokeThresholdsOf(env);
  const targets = smokeTargetsOf(entry.endpoints!);
  const results = await Promise.all(
    targets.flatMap((t) =>
      t.checks.map((check) => deps.smoke.runCheck(RunSmokeCheckInput.parse({ target: { label: t.label, baseUrl: t.baseUrl, auth: t.auth }, check, thresholds, requestedAt: runAt }))),
    ),
  );
  const verdict = smokeVerdict({ targets: targets.map((t) => ({ label: t.label, checks: t.checks.length })), results, thresholds });
  const base = { environment: entry.environment, service: entry.service, runAt, verdict: verdict.verdict };

  for (let attempt = 0; attempt < MAX_WRITE_ATTEMPTS; attempt++) {
    const { state, etag } = await deps.states.read(entry.environment, entry.service);
    const step = stepMonitor(state, { at: runAt, verdict: verdict.verdict }, synthetic.failuresToDeclare);
    if (step.state === state) return { ...base, action: 'none', intake: null, note: step.note };
    let intake: ServiceRun['intake'] = null;
    if (step.action.kind !== 'none') {
      const level = synthetic.severity ?? env.triggerSeverity;
      const sev = azureSeverityFor(deps.policy.severity.azure, level);
      // The intake deduplicates on the alert id + condition, so a run repeated after a lost write
      // (or by a second host) hands the same alert over again harmlessly.
      const outcome = await deps.intake(
        syntheticAlert({
          environment: entry.environment,
          service: entry.service,
          episode: step.action.episode,
          condition: step.action.kind === 'fire' ? 'Fired' : 'Resolved',
          at: runAt,
          failures: step.action.kind === 'fire' ? step.action.failures : 0,
          failuresToDeclare: synthetic.failuresToDeclare,
          azureSeverity: sev ?? 'Sev4',
          reasons: verdict.reasons,
          // No Azure severity maps to the level: an RB-03 "availability down" trigger raises it there.
          ...(sev ? {} : { trigger: 'availability-down' }),
        }),
      );
      intake = { kind: outcome.kind, incidentId: outcome.kind === 'invalid' ? null : outcome.incidentId };
      if (step.action.kind === 'fire' && intake.incidentId) step.state.incidentId = intake.incidentId;
    }
    if ((await deps.states.write(entry.environment, entry.service, step.state, etag)) === 'written') {
      return { ...base, action: step.action.kind, intake, note: step.note };
    }
  }
  return { ...base, action: 'none', intake: null, note: `the state of ${entry.service}@${entry.environment} kept changing under this run; it is applied by the next one` };
}
