/**
 * The incident's evidence pack, assembled from what the orchestration collected while it ran:
 * the incident record (summary, impact, releases, roles, milestones, timeboxes, the containment
 * decision, forward fixes), the timeline, alert payloads (by reference), every smoke run, audit
 * diffs, containment/rollback outcomes, messages sent and approvals. Pure and deterministic.
 */
import type { ActionOutcome } from './actions.js';
import type { ArtifactInputIn, IncidentRecordInput, PackRef, SmokeRun } from './evidence.js';
import type { IncidentInput, TimelineEntry } from './incident.js';
import type { IncidentState } from './incident-state.js';
import { summaryOf } from './incident-state.js';
import type { Actor } from './incident-events.js';
import { deadline, extensionMinutes } from './timeboxes.js';
import type { RunbookConfig, RunbookState } from './runbook.js';

export interface Collected {
  timeline: TimelineEntry[];
  alerts: { dedupeKey: string; receivedAt: string; ref: string | null }[];
  smokeRuns: SmokeRun[];
  actions: { step: string; action: string; at: string; mode: 'execute' | 'plan'; outcome: ActionOutcome }[];
  messages: { step: string; at: string; template: string; channel: string; text: string; messageId: string | null; delivered: boolean }[];
  approvals: { at: string; approver: Actor; decision: string; proposalId: string | null; reason: string | null }[];
}

export const emptyCollected = (): Collected => ({ timeline: [], alerts: [], smokeRuns: [], actions: [], messages: [], approvals: [] });

/** Artifact keys are file names: letters, digits, ".", "_" and "-". */
export const artifactKey = (text: string): string => text.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[^A-Za-z0-9]+/, '').slice(0, 100) || 'item';

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

export function packRefOf(input: IncidentInput, rb: RunbookState): PackRef {
  return {
    incidentId: input.incidentId,
    environment: input.environment,
    service: input.service,
    severity: rb.severity,
    release: rb.snapshot?.api?.current ?? rb.snapshot?.web?.current ?? null,
    declaredAt: input.declaredAt,
  };
}

export function incidentRecordOf(input: IncidentInput, incident: IncidentState, rb: RunbookState, cfg: RunbookConfig): IncidentRecordInput {
  const box = cfg.boxes[rb.severity];
  const roles: Record<string, string | null> = { ic: null, deputy: null, scribe: null, comms: null };
  for (const a of incident.acknowledged) if (a.role && roles[a.role] === null) roles[a.role] = a.by;
  const decidedAt = rb.containmentStartedAt;
  const timebox = (name: 'ack' | 'decision' | 'monitoring', start: number, metAt: number | null) => ({
    name,
    startedAt: new Date(start).toISOString(),
    deadline: new Date(deadline(start, box, name, rb.extensions)).toISOString(),
    metAt: iso(metAt),
    extendedMinutes: extensionMinutes(rb.extensions, name),
  });
  const timeboxes: NonNullable<IncidentRecordInput['timeboxes']> = [timebox('ack', rb.declaredAt, rb.acknowledgedAt), timebox('decision', rb.declaredAt, decidedAt)];
  if (rb.containmentStartedAt !== null && rb.containmentDueAt !== null) {
    timeboxes.push({
      name: 'containment',
      startedAt: new Date(rb.containmentStartedAt).toISOString(),
      deadline: new Date(rb.containmentDueAt).toISOString(),
      metAt: iso(rb.recoveredAt),
      extendedMinutes: extensionMinutes(rb.extensions, 'containment'),
    });
  }
  if (rb.recoveredAt !== null && rb.monitoringEndsAt !== null) {
    timeboxes.push({
      name: 'monitoring',
      startedAt: new Date(rb.recoveredAt).toISOString(),
      deadline: new Date(rb.monitoringEndsAt).toISOString(),
      metAt: iso(rb.resolvedAt),
      extendedMinutes: extensionMinutes(rb.extensions, 'monitoring'),
    });
  }
  const restored = rb.rolledBack ? (rb.snapshot?.api?.lkg ?? rb.snapshot?.web?.lkg ?? null) : null;
  return {
    summary: summaryOf(incident),
    impact: { affected: input.impact, users: null, description: input.summary },
    release: { current: rb.snapshot?.api?.current ?? null, lkg: rb.snapshot?.api?.lkg ?? null, restored },
    roles: roles,
    milestones: {
      detectedAt: iso(rb.startedAt),
      declaredAt: input.declaredAt,
      acknowledgedAt: iso(rb.acknowledgedAt),
      decidedAt: iso(decidedAt),
      mitigatedAt: iso(rb.mitigatedAt),
      recoveredAt: iso(rb.recoveredAt),
      resolvedAt: iso(rb.resolvedAt),
    },
    timeboxes,
    containment:
      rb.choice && rb.decidedBy && decidedAt !== null
        ? {
            choice: rb.choice,
            decidedBy: rb.decidedBy,
            at: new Date(decidedAt).toISOString(),
            automatic: rb.decidedBy.startsWith('incident-bot'),
            reason: rb.proposal?.reasons.join(' ').slice(0, 2000) ?? null,
          }
        : null,
    forwardFixes: (rb.proposal?.actionItems ?? []).filter((a) => a.kind === 'forward-fix').map((a) => ({ title: a.title, detail: null, owner: null })),
    actionItems: [],
    links: [],
  };
}

export function evidenceArtifacts(input: IncidentInput, incident: IncidentState, rb: RunbookState, cfg: RunbookConfig, c: Collected): ArtifactInputIn[] {
  const out: ArtifactInputIn[] = [
    { kind: 'incident', content: incidentRecordOf(input, incident, rb, cfg) },
    { kind: 'timeline', content: c.timeline.slice(0, 5000) },
  ];
  for (const a of c.alerts) {
    if (a.ref) out.push({ kind: 'alert-payload', key: artifactKey(a.dedupeKey.split('/').pop() ?? a.dedupeKey), content: { dedupeKey: a.dedupeKey, receivedAt: a.receivedAt, ref: a.ref } });
  }
  for (const run of c.smokeRuns) out.push({ kind: 'smoke', content: run });
  for (const a of c.actions) {
    out.push({ kind: 'rollback', key: artifactKey(a.step), content: a });
    if (a.outcome.kind === 'done' && (a.action.startsWith('sql') || a.outcome.changes.some((ch) => ch.target.startsWith('flag:') || ch.target.startsWith('config:')))) {
      out.push({
        kind: 'audit',
        key: artifactKey(a.step),
        content: { at: a.at, actor: cfg.mode === 'plan' ? 'plan-only' : 'incident-bot', requestId: a.outcome.executionId ?? null, summary: a.outcome.summary, changes: a.outcome.changes },
      });
    }
  }
  for (const m of c.messages) {
    out.push({ kind: 'message', key: artifactKey(m.step), content: { at: m.at, template: m.template, channel: m.channel, text: m.text, messageId: m.messageId, delivered: m.delivered } });
  }
  c.approvals.forEach((a, i) => out.push({ kind: 'approval', key: `decision-${i + 1}`, content: a }));
  return out;
}
