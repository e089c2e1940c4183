/**
 * What the runbook needs from the incident's policy snapshot: its clocks and escalation chain,
 * which flags/config it may touch, and the rollback targets in the App Service capability's shape.
 */
import type { AppServiceTarget } from '../config/app-service.js';
import type { IncidentInput } from './incident.js';
import type { RunbookConfig } from './runbook.js';
import { recipientsOf } from './teams-routing.js';

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
