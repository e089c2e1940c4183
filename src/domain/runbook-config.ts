/**
 * What the runbook needs from the incident's policy snapshot: its clocks and escalation chain,
 * which flags/config it may touch, and the rollback targets in the App Service capability's shape.
 */
import type { AppServiceTarget } from './app-service-target.js';
import type { IncidentInput } from './incident.js';
import type { RunbookConfig } from './runbook.js';
import { signalsPlanOf } from './monitor-signals.js';
import type { Signal } from './signal.js';
import { signalsConfigOf, type SignalsConfig } from './signals-judgement.js';
import { recipientsOf } from './teams-routing.js';

/**
 * The signals the runbook reads for this incident, or null when the policy names none for the
 * service (no `signals` on the service and no `signals.region` on its environment): then recovery
 * is judged on the smoke checks alone, as README "Signals" says. The fired metric of the declaring
 * alert is watched first (its own threshold).
 */
export function signalsOf(input: IncidentInput): SignalsConfig | null {
  const svc = input.policy.service;
  const env = input.policy.environment;
  if (!svc.signals && !env.signals.region) return null;
  const plan = signalsPlanOf({ service: svc, environment: env }, input.alert ? [input.alert.signal as Signal] : []);
  return signalsConfigOf(plan, env.signals, env.thresholds);
}

export function runbookConfigOf(input: IncidentInput): RunbookConfig {
  const svc = input.policy.service;
  return {
    onCall: recipientsOf(input.policy.teams.notify).valid,
    triggers: [...input.severity.triggers],
    boxes: input.policy.timeboxes,
    escalation: input.policy.escalation,
    // One service entry with both targets ships API and web together: they roll back together.
    webCoupled: !!svc.rollback?.api && !!svc.rollback.web,
    flagsInScope: svc.flags,
    configInScope: svc.configKeys,
    canRollBackApi: !!svc.rollback?.api,
    canRollBackWeb: !!svc.rollback?.web,
    postmortemDueBusinessDays: input.policy.postmortemDueBusinessDays,
    mode: input.mode ?? 'execute',
    signals: signalsOf(input),
    stakeholderEvery: input.policy.environment.communications?.stakeholders?.everyMinutes ?? null,
  };
}

/** The registry names of the API and web targets (what deploy pipelines record LKGs under). */
export function lkgNames(input: IncidentInput): { api: string; web: string } {
  const svc = input.policy.service;
  return {
    api: svc.rollback?.api?.lkgService ?? svc.service,
    web: svc.rollback?.web?.lkgService ?? (svc.rollback?.api ? `${svc.service}-web` : svc.service),
  };
}

export function rollbackTargets(input: IncidentInput): AppServiceTarget[] {
  const svc = input.policy.service;
  const names = lkgNames(input);
  const out: AppServiceTarget[] = [];
  for (const [which, target] of [
    ['api', svc.rollback?.api],
    ['web', svc.rollback?.web],
  ] as const) {
    if (!target) continue;
    const { lkgService: _name, ...rest } = target;
    out.push({ ...rest, env: input.environment, service: names[which] });
  }
  return out;
}
