/**
 * What the runbook needs from the incident's policy snapshot: its clocks and escalation chain,
 * which flags/config it may touch, and the rollback targets in the App Service capability's shape.
 */
import type { AppServiceTarget } from './app-service-target.js';
import type { IncidentInput } from './incident.js';
import { canonicalKey, flattenConfig } from './parity.js';
import type { IntendedValue, RunbookConfig } from './runbook.js';
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
    reapply: reapplyOf(input),
    actions: actionsOf(input),
  };
}

/** The containment actions the environment allows (policy `actions`), with what they need from the service. */
export function actionsOf(input: IncidentInput): NonNullable<RunbookConfig['actions']> {
  const a = input.policy.environment.actions;
  const svc = input.policy.service;
  // The actions act on the API's site: without an App Service target there is nothing to act on.
  const site = svc.rollback?.api?.strategy === 'slot-swap';
  return {
    restart: site && a.restart,
    scaleOutTo: site && a.scaleOut ? a.scaleOut.instances : null,
    trafficRule: site && a.trafficRule && svc.trafficRule ? svc.trafficRule : null,
  };
}

/**
 * RB-02 section 9: what the reapply-and-parity loop may set, from the parity checks' expected
 * documents (the intended Prod config): each expected key the service lets the automation change
 * (a flag to a boolean, a config key to its text). Null when the policy does not ask for the loop.
 */
export function reapplyOf(input: IncidentInput): RunbookConfig['reapply'] {
  const svc = input.policy.service;
  if (!svc.parityReapply) return null;
  const intended: IntendedValue[] = [];
  for (const check of svc.endpoints?.checks ?? []) {
    if (check.kind !== 'parity') continue;
    for (const [key, value] of flattenConfig(check.expected)) {
      const flag = svc.flags.find((f) => canonicalKey(f) === canonicalKey(key));
      const config = svc.configKeys.find((k) => canonicalKey(k) === canonicalKey(key));
      if (flag && typeof value === 'boolean') intended.push({ key, kind: 'flag', name: flag, value });
      else if (config && (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean')) intended.push({ key, kind: 'config', name: config, value: String(value) });
    }
  }
  return { attempts: svc.parityReapply.attempts, timeboxMinutes: svc.parityReapply.timeboxMinutes, intended };
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
