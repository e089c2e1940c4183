/**
 * The incident's state as the orchestration keeps it, and how each external event changes it.
 * Pure and deterministic: the orchestrator replays it; times come from the orchestration clock.
 * Every change appends a timeline entry, so the story can be told later without guessing.
 */
import type { SeverityLevel } from '../config/policy.js';
import { AlertRecord, type EvidenceLinks, type IncidentInput, type IncidentSummary, type TimelineEntry } from './incident.js';
import { AckEvent, DecisionEvent, ExtendEvent, IncidentEventName, NoteEvent, ResolveEvent, RollbackEvent, type Actor } from './incident-events.js';
import { higher, isHigher } from './severity.js';
import type { ChannelRef } from './teams-routing.js';

export interface IncidentState {
  incidentId: string;
  service: string;
  environment: string;
  summary: string;
  source: IncidentInput['source'];
  declaredAt: string;
  severity: SeverityLevel;
  phase: string;
  alertKeys: string[];
  alerts: number;
  recoverySignals: number;
  acknowledged: { by: string; at: string; role: string | null }[];
  decision: { choice: string; by: string; at: string } | null;
  rollbackRequested: { by: string; at: string; reason: string } | null;
  extensions: { timebox: string; minutes: number; by: string; at: string }[];
  resolved: { by: string; at: string; summary: string | null } | null;
  timelineSeq: number;
  updatedAt: string;
  drill: boolean;
  /** Recorded by the orchestration as it goes, for the summary (the postmortem reminder reads them). */
  teamsThreadId: string | null;
  teamsDestination: ChannelRef | null;
  evidence: EvidenceLinks | null;
  postmortemDueAt: string | null;
  postmortemDueBusinessDays: number;
}

export interface Applied {
  state: IncidentState;
  entries: TimelineEntry[];
}

/** "Name (id)"; an identity nobody vouched for (stated by a function key holder) says so. */
const actorLabel = (a: Actor): string => `${a.name && a.name !== a.id ? `${a.name} (${a.id})` : a.id}${a.verified === false ? ' (unverified)' : ''}`;

function entry(state: IncidentState, at: string, kind: string, actor: string, text: string, data?: Record<string, unknown>): TimelineEntry {
  const e: TimelineEntry = { seq: state.timelineSeq, at, kind, actor, text: text.slice(0, 4000), ...(data ? { data } : {}) };
  state.timelineSeq += 1;
  return e;
}

export function declare(input: IncidentInput): Applied {
  const state: IncidentState = {
    incidentId: input.incidentId,
    service: input.service,
    environment: input.environment,
    summary: input.summary,
    source: input.source,
    declaredAt: input.declaredAt,
    severity: input.severity.level,
    phase: 'declared',
    alertKeys: input.alert ? [input.alert.dedupeKey] : [],
    alerts: input.alert ? 1 : 0,
    recoverySignals: 0,
    acknowledged: [],
    decision: null,
    rollbackRequested: null,
    extensions: [],
    resolved: null,
    timelineSeq: 0,
    updatedAt: input.declaredAt,
    drill: input.mode === 'plan',
    teamsThreadId: null,
    teamsDestination: null,
    evidence: null,
    postmortemDueAt: null,
    postmortemDueBusinessDays: input.policy.postmortemDueBusinessDays,
  };
  const who = actorLabel(input.declaredBy);
  const entries = [
    entry(state, input.declaredAt, 'declared', who, `${input.mode === 'plan' ? 'Drill: ' : ''}${input.severity.level} incident declared for ${input.service} in ${input.environment}: ${input.summary}`, {
      severity: input.severity.level,
      reasons: input.severity.reasons,
      source: input.source,
    }),
  ];
  return { state, entries };
}

/**
 * Applies one external event. Payloads that do not validate are recorded and otherwise ignored:
 * a bad message must never stop an incident.
 */
export function applyEvent(previous: IncidentState, name: string, payload: unknown, now: string): Applied {
  const state: IncidentState = structuredClone(previous);
  state.updatedAt = now;
  const entries: TimelineEntry[] = [];
  const ignore = (why: string): Applied => {
    entries.push(entry(state, now, 'ignored', 'incident-bot', `Ignored a "${name}" event: ${why}`));
    return { state, entries };
  };
  switch (name) {
    case IncidentEventName.alert: {
      const parsed = AlertRecord.safeParse(payload);
      if (!parsed.success) return ignore(parsed.error.issues[0]?.message ?? 'malformed alert');
      const alert = parsed.data;
      if (state.alertKeys.includes(alert.dedupeKey)) return { state, entries };
      state.alertKeys.push(alert.dedupeKey);
      const rule = alert.signal.rule ?? alert.signal.alertId;
      if (alert.signal.condition === 'Resolved') {
        state.recoverySignals += 1;
        entries.push(entry(state, now, 'recovery-signal', 'azure-monitor', `Alert "${rule}" resolved (a recovery signal, not proof of recovery).`));
        return { state, entries };
      }
      state.alerts += 1;
      const level = alert.severity.level;
      if (isHigher(level, state.severity)) {
        entries.push(
          entry(state, now, 'severity', 'azure-monitor', `Severity raised from ${state.severity} to ${level} by alert "${rule}": ${alert.severity.reasons[0] ?? ''}`, {
            from: state.severity,
            to: level,
            reasons: alert.severity.reasons,
          }),
        );
        state.severity = higher(state.severity, level);
      } else {
        entries.push(entry(state, now, 'alert', 'azure-monitor', `Further alert "${rule}" (${level}); the incident stays ${state.severity}.`));
      }
      return { state, entries };
    }
    case IncidentEventName.ack: {
      const parsed = AckEvent.safeParse(payload);
      if (!parsed.success) return ignore(parsed.error.issues[0]?.message ?? 'malformed acknowledgement');
      const who = actorLabel(parsed.data.actor);
      state.acknowledged.push({ by: who, at: parsed.data.at, role: parsed.data.role ?? null });
      entries.push(entry(state, now, 'ack', who, `Acknowledged by ${who}${parsed.data.role ? ` as ${parsed.data.role.toUpperCase()}` : ''}.`));
      return { state, entries };
    }
    case IncidentEventName.note: {
      const parsed = NoteEvent.safeParse(payload);
      if (!parsed.success) return ignore(parsed.error.issues[0]?.message ?? 'malformed note');
      const who = actorLabel(parsed.data.actor);
      entries.push(entry(state, now, 'note', who, parsed.data.text));
      return { state, entries };
    }
    case IncidentEventName.decision: {
      const parsed = DecisionEvent.safeParse(payload);
      if (!parsed.success) return ignore(parsed.error.issues[0]?.message ?? 'malformed decision');
      const who = actorLabel(parsed.data.actor);
      state.decision = { choice: parsed.data.choice, by: who, at: parsed.data.at };
      entries.push(entry(state, now, 'decision', who, `Containment decision: ${parsed.data.choice}${parsed.data.reason ? ` (${parsed.data.reason})` : ''}.`));
      return { state, entries };
    }
    case IncidentEventName.rollback: {
      const parsed = RollbackEvent.safeParse(payload);
      if (!parsed.success) return ignore(parsed.error.issues[0]?.message ?? 'malformed rollback request');
      const who = actorLabel(parsed.data.actor);
      state.rollbackRequested = { by: who, at: parsed.data.at, reason: parsed.data.reason };
      entries.push(entry(state, now, 'rollback-requested', who, `Rollback requested: ${parsed.data.reason}`));
      return { state, entries };
    }
    case IncidentEventName.extend: {
      const parsed = ExtendEvent.safeParse(payload);
      if (!parsed.success) return ignore(parsed.error.issues[0]?.message ?? 'malformed extension');
      const who = actorLabel(parsed.data.actor);
      state.extensions.push({ timebox: parsed.data.timebox, minutes: parsed.data.minutes, by: who, at: parsed.data.at });
      entries.push(entry(state, now, 'extend', who, `The ${parsed.data.timebox} timebox was extended by ${parsed.data.minutes} min${parsed.data.reason ? `: ${parsed.data.reason}` : ''}.`));
      return { state, entries };
    }
    case IncidentEventName.resolve: {
      const parsed = ResolveEvent.safeParse(payload);
      if (!parsed.success) return ignore(parsed.error.issues[0]?.message ?? 'malformed resolution');
      const who = actorLabel(parsed.data.actor);
      state.resolved = { by: who, at: parsed.data.at, summary: parsed.data.summary ?? null };
      state.phase = 'resolved';
      entries.push(entry(state, now, 'resolved', who, `Resolved by ${who}${parsed.data.summary ? `: ${parsed.data.summary}` : '.'}`));
      return { state, entries };
    }
    default:
      return ignore('not an incident event');
  }
}

export function summaryOf(state: IncidentState): IncidentSummary {
  return {
    incidentId: state.incidentId,
    service: state.service,
    environment: state.environment,
    severity: state.severity,
    status: state.resolved ? 'resolved' : 'open',
    phase: state.phase,
    summary: state.summary,
    source: state.source,
    declaredAt: state.declaredAt,
    updatedAt: state.updatedAt,
    resolvedAt: state.resolved?.at ?? null,
    alerts: state.alerts,
    acknowledgedBy: state.acknowledged[0]?.by ?? null,
    drill: state.drill,
    teamsThreadId: state.teamsThreadId,
    teamsDestination: state.teamsDestination,
    evidence: state.evidence,
    postmortem: state.postmortemDueAt ? { dueAt: state.postmortemDueAt, dueBusinessDays: state.postmortemDueBusinessDays, reminder: null } : null,
  };
}
