/**
 * Turns what the runbook wants to say (an `announce` command) and what the incident knows into
 * the Teams message contract (src/domain/messages): every template placeholder filled from data,
 * nothing invented (unknown releases say "unknown", unmeasured SSE is left out).
 */
import type { Thresholds } from '../config/policy.js';
import type { ContainmentStep } from './containment.js';
import type { EvidenceLinks, IncidentInput } from './incident.js';
import type { IncidentState } from './incident-state.js';
import type { ContainmentChoice } from './incident-events.js';
import type { IncidentMessageInput } from './messages/types.js';
import type { Command, RunbookConfig, RunbookState, Verdict } from './runbook.js';

export interface MessageContext {
  input: IncidentInput;
  incident: IncidentState;
  rb: RunbookState;
  cfg: RunbookConfig;
  thresholds: Thresholds;
  now: number;
  /** The evidence pack's links, once located (the resolution message links the postmortem draft). */
  evidence?: EvidenceLinks | null;
}

/** The draft's link, when the pack is located at an address people can open. */
const draftUrl = (c: MessageContext): string | undefined => (c.evidence && /^https?:\/\//.test(c.evidence.postmortemUrl) ? c.evidence.postmortemUrl : undefined);

const iso = (ms: number): string => new Date(ms).toISOString();
const clip = (text: string, max: number): string => (text.length <= max ? text : `${text.slice(0, max - 1)}…`);
const hhmm = (ms: number): string => `${iso(ms).slice(11, 16)} UTC`;

const IMPACT: Record<string, string> = { api: 'API', web: 'Web', jobs: 'Jobs', sse: 'SSE streams', db: 'Database' };

function header(c: MessageContext): { incidentId: string; environment: string; service: string; severity: 'P1' | 'P2' | 'P3' } {
  return { incidentId: c.input.incidentId, environment: c.input.environment, service: c.input.service, severity: c.rb.severity };
}

function roles(c: MessageContext): { ic?: { name: string }; deputy?: { name: string }; scribe?: { name: string }; comms?: { name: string } } {
  const out: Record<string, { name: string }> = {};
  for (const a of c.incident.acknowledged) if (a.role && !out[a.role]) out[a.role] = { name: clip(a.by, 120) };
  return out;
}

function releases(c: MessageContext): { current: string; previous: string } {
  const api = c.rb.snapshot?.api ?? c.rb.snapshot?.web ?? null;
  return { current: clip(api?.current ?? 'unknown', 100), previous: clip(api?.lkg ?? 'unknown', 100) };
}

export function healthFigures(v: Verdict | null, t: Thresholds): {
  healthz: boolean;
  ready: boolean;
  sse?: { ttfbMs: number; heartbeatS: number; ttfbBudgetMs: number; heartbeatBudgetS: number };
} {
  const failing = v?.failing ?? [];
  const figures = {
    healthz: !!v && !failing.includes('health'),
    ready: !!v && !failing.includes('ready'),
  };
  if (v?.sseTtfbMs === null || v?.sseTtfbMs === undefined) return figures;
  return {
    ...figures,
    sse: {
      ttfbMs: Math.round(v.sseTtfbMs),
      heartbeatS: Math.round(((v.heartbeatMs ?? 0) / 1000) * 10) / 10,
      ttfbBudgetMs: t.sseTtfbMs,
      heartbeatBudgetS: t.heartbeatMs / 1000,
    },
  };
}

export function describeStep(step: ContainmentStep): string {
  switch (step.kind) {
    case 'set-flag':
      return `Flag ${step.key}: ${step.from === null ? '?' : String(step.from)} -> ${String(step.to)} (dbo.sp_Feature_Set)`;
    case 'set-config':
      return `Config ${step.key}: "${step.from ?? '?'}" -> "${step.to}" (dbo.sp_Config_SetValue)`;
    case 'api-to-lkg':
      return `API to last known good: ${step.from ?? 'current'} -> ${step.to ?? 'LKG'} (slot swap)`;
    case 'web-to-lkg':
      return `Web to last known good: ${step.from ?? 'current'} -> ${step.to ?? 'LKG'}`;
  }
}

function statusOf(rb: RunbookState): 'investigating' | 'identified' | 'containing' | 'recovering' | 'monitoring' {
  switch (rb.phase) {
    case 'deciding':
      return 'identified';
    case 'containing':
      return 'containing';
    case 'verifying':
      return 'recovering';
    case 'monitoring':
      return 'monitoring';
    default:
      return 'investigating';
  }
}

function nextSteps(rb: RunbookState): string {
  switch (rb.phase) {
    case 'snapshot':
      return 'Finish the health and change snapshot, then propose a containment path.';
    case 'deciding':
      return `Containment decision due by ${rb.decisionDueAt ? hhmm(rb.decisionDueAt) : '?'}; proposal: ${rb.proposal?.path ?? 'none'}.`;
    case 'containing':
      return `Apply the containment steps (${rb.pendingSteps.length} left), then verify.`;
    case 'verifying':
      return `Smoke checks until green; containment timebox ends ${rb.containmentDueAt ? hhmm(rb.containmentDueAt) : '?'}${rb.rolledBack ? '' : ', then roll back'}.`;
    case 'monitoring':
      return `Watch the checks until ${rb.monitoringEndsAt ? hhmm(rb.monitoringEndsAt) : '?'}; a regression re-opens containment.`;
    default:
      return 'Close the incident and write the postmortem.';
  }
}

function options(c: MessageContext): { choice: ContainmentChoice }[] {
  const proposed = c.rb.proposal?.path ?? 'monitor-only';
  const out: ContainmentChoice[] = [proposed];
  if (proposed !== 'api-to-lkg' && c.cfg.canRollBackApi) out.push('api-to-lkg');
  if (proposed !== 'monitor-only') out.push('monitor-only');
  return out.map((choice) => ({ choice }));
}

export function buildMessage(cmd: Extract<Command, { kind: 'announce' }>, c: MessageContext): IncidentMessageInput {
  const h = header(c);
  const box = c.cfg.boxes[c.rb.severity];
  const data = cmd.data;
  switch (cmd.message) {
    case 'declared': {
      const alert = c.input.alert;
      return {
        ...h,
        kind: 'declared',
        declaredAt: c.input.declaredAt,
        summary: clip(c.input.summary, 300),
        impact: (c.input.impact.length ? c.input.impact : ['api']).map((i) => IMPACT[i] ?? i).slice(0, 10),
        actions: clip(`Snapshotting health, SSE and recent flag/config changes; containment decision due by ${hhmm(c.rb.declaredAt + box.decisionMinutes * 60_000)}.`, 500),
        nextUpdateAt: typeof data.nextUpdateAt === 'string' ? data.nextUpdateAt : iso(c.now + box.updateEveryMinutes * 60_000),
        roles: roles(c),
        ...(alert ? { alert: { rule: clip(alert.signal.rule ?? alert.signal.alertId, 200), firedAt: alert.signal.firedAt, signal: clip(c.input.summary, 300) } } : {}),
      };
    }
    case 'update': {
      const health = c.rb.lastVerdict ? healthFigures(c.rb.lastVerdict, c.thresholds) : undefined;
      const reasons = c.rb.lastVerdict?.reasons.slice(0, 3).join('; ');
      return {
        ...h,
        kind: 'update',
        at: iso(c.now),
        sequence: Math.max(1, c.rb.updates),
        status: statusOf(c.rb),
        progress: clip(`${cmd.text}${reasons ? ` ${reasons}.` : ''}`, 1000),
        nextSteps: clip(nextSteps(c.rb), 1000),
        nextUpdateAt: typeof data.nextUpdateAt === 'string' ? data.nextUpdateAt : iso(c.now + box.updateEveryMinutes * 60_000),
        ...(health ? { health } : {}),
      };
    }
    case 'proposal': {
      const p = c.rb.proposal;
      const steps = p?.steps ?? [];
      return {
        ...h,
        kind: 'containment-proposed',
        at: iso(c.now),
        proposalId: p?.id ?? 'proposal',
        proposed: p?.path ?? 'monitor-only',
        title: clip(p && steps.length ? describeStep(steps[0] as ContainmentStep) + (steps.length > 1 ? ` (+${steps.length - 1} more)` : '') : 'Keep watching; no change proposed', 160),
        rationale: clip(p?.reasons.join(' ') || 'No clear cause yet.', 1000),
        changes: steps.length ? steps.map((s) => clip(describeStep(s), 300)).slice(0, 20) : ['No change: keep watching the checks.'],
        options: options(c),
        decisionDeadline: typeof data.decisionDueAt === 'string' ? data.decisionDueAt : iso(c.now + box.decisionMinutes * 60_000),
        ifNoAnswer: box.noDecision,
        ...(c.rb.snapshot?.api ? { releases: releases(c) } : {}),
      };
    }
    case 'rollback-started': {
      const kinds = Array.isArray(data.steps) ? (data.steps as string[]) : [];
      const targets = [...new Set(kinds.map((k) => (k === 'api-to-lkg' ? 'api' : k === 'web-to-lkg' ? 'web' : 'config')))] as ('api' | 'web' | 'config')[];
      return {
        ...h,
        kind: 'rollback-started',
        startedAt: iso(c.now),
        reason: clip(cmd.text, 500),
        releases: releases(c),
        targets: targets.length ? targets : ['api'],
        roles: roles(c),
        deployFreeze: c.rb.frozen,
      };
    }
    case 'rollback-executed': {
      // Posted at the close (with the evidence), but it completed when the app was back on LKG.
      const restored = c.rb.executed.find((x) => (x.action === 'api-to-lkg' || x.action === 'web-to-lkg') && (x.outcome === 'done' || x.outcome === 'skipped'));
      return {
        ...h,
        kind: 'rollback-executed',
        completedAt: iso(restored?.at ?? c.now),
        startedAt: iso(c.rb.containmentStartedAt ?? c.rb.declaredAt),
        // RB-03: "Rolled back to {tag_prev} due to {reason}": the symptom, then what triggered the rollback.
        reason: clip(`${c.input.summary}: ${cmd.text}`, 500),
        releases: releases(c),
        health: healthFigures(c.rb.lastVerdict, c.thresholds),
        metricsRecovered: c.rb.lastVerdict?.verdict === 'green',
      };
    }
    case 'stabilized':
      return {
        ...h,
        kind: 'stabilized',
        at: iso(c.now),
        health: healthFigures(c.rb.lastVerdict, c.thresholds),
        monitoringMinutes: box.monitoringMinutes,
      };
    case 'escalation': {
      const people = Array.isArray(data.notify) ? (data.notify as string[]) : [];
      return {
        ...h,
        kind: 'escalation',
        at: iso(c.now),
        reason: clip(cmd.text, 500),
        level: Math.max(1, c.rb.escalationsSent.length + c.rb.decisionReminders),
        engaging: (people.length ? people : ['the on-call SRE']).slice(0, 20).map((p) => ({ name: clip(p, 120) })),
        declaredAt: c.input.declaredAt,
        roles: roles(c),
      };
    }
    case 'resolved': {
      const done = c.rb.executed.filter((x) => x.outcome === 'done');
      return {
        ...h,
        kind: 'resolved',
        declaredAt: c.input.declaredAt,
        resolvedAt: iso(c.rb.resolvedAt ?? c.now),
        solution: clip(done.length ? done.map((x) => x.summary).join(' ') : 'No change was needed; the checks stayed green through the monitoring window.', 1000),
        followUps: (c.rb.proposal?.actionItems ?? []).map((a) => clip(a.title, 300)).slice(0, 20),
        metrics: metricsOf(c.rb),
        ...(c.rb.postmortemDueAt !== null ? { postmortemDueAt: iso(c.rb.postmortemDueAt), postmortemDueBusinessDays: c.cfg.postmortemDueBusinessDays } : {}),
        ...(draftUrl(c) ? { postmortemUrl: draftUrl(c) } : {}),
      };
    }
  }
}

/**
 * Acknowledge, mitigate and recover count from the declaration, as the evidence pack's metrics and
 * the report count them (src/domain/evidence.ts incidentMetrics); detection is where time to
 * declare starts, not these.
 */
function metricsOf(rb: RunbookState): { timeToAcknowledgeMin?: number; timeToMitigateMin?: number; timeToRecoverMin?: number } {
  const m = (at: number | null): number | undefined => (at === null ? undefined : Math.max(0, Math.round((at - rb.declaredAt) / 60_000)));
  const out: { timeToAcknowledgeMin?: number; timeToMitigateMin?: number; timeToRecoverMin?: number } = {};
  const ack = m(rb.acknowledgedAt);
  const mitigate = m(rb.mitigatedAt);
  const recover = m(rb.recoveredAt);
  if (ack !== undefined) out.timeToAcknowledgeMin = ack;
  if (mitigate !== undefined) out.timeToMitigateMin = mitigate;
  if (recover !== undefined) out.timeToRecoverMin = recover;
  return out;
}
