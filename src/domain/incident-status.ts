/**
 * The incident as the API shows it: the summary row (GET /api/incidents, GET /api/incidents/{id})
 * and the orchestration's custom status (phase, deadlines, last checks, key moments, figures).
 * Both are projections of the incident record (./incident-record.ts): they copy its derived facts,
 * they compute none. Pure.
 */
import { actorLabel } from './actor.js';
import { clip } from './failures.js';
import type { IncidentSummary } from './incident.js';
import { metricsOf, momentsOf, rolesOf, timeboxesOf, type Duration, type Incident } from './incident-record.js';
import { alertViewOf, decisionDueAt, phaseDeadline, type Plan, type RunbookConfig } from './runbook.js';
import { iso } from './time-format.js';

/**
 * The custom status is stored with the instance and the real engine refuses more than 16 KB of
 * UTF-16 (8,192 characters of JSON); every field of it is bounded so that it stays under this.
 */
export const MAX_STATUS_CHARS = 6000;

const at = (ms: number | null): string | null => (ms === null ? null : iso(ms));
const secs = (d: Duration | null): number | null => (d ? Math.round(d.seconds) : null);

function latestTimeboxes(s: Incident): ReturnType<typeof timeboxesOf> {
  const all = timeboxesOf(s);
  const last = (names: string[]) => all.filter((t) => names.includes(t.name)).slice(-1);
  return [...all.filter((t) => t.name === 'ack' || t.name === 'ic' || t.name === 'decision'), ...last(['containment', 'recovery']), ...last(['monitoring'])];
}

/** The figures the API, Teams and the report share (seconds, rounded). */
export function figuresOf(s: Incident): { timeToDeclare: number | null; timeToAcknowledge: number | null; timeToMitigate: number | null; timeToRecover: number | null; impact: number | null; open: number | null } {
  const m = metricsOf(s);
  return { timeToDeclare: secs(m.timeToDeclare), timeToAcknowledge: secs(m.timeToAcknowledge), timeToMitigate: secs(m.timeToMitigate), timeToRecover: secs(m.timeToRecover), impact: secs(m.impact), open: secs(m.open) };
}

export function summaryOf(s: Incident): IncidentSummary {
  return {
    incidentId: s.id,
    service: s.service,
    environment: s.environment,
    severity: s.severity,
    status: s.resolution ? 'resolved' : 'open',
    phase: s.phase,
    summary: s.summary,
    source: s.source,
    declaredAt: iso(s.declaredAt),
    updatedAt: iso(s.updatedAt),
    resolvedAt: at(s.resolution?.at ?? null),
    alerts: s.alerts.fired,
    acknowledgedBy: s.engagedBy ? actorLabel(s.engagedBy) : null,
    drill: s.drill,
    teamsThreadId: s.thread.id,
    teamsDestination: s.thread.destination,
    evidence: s.evidence,
    postmortem: s.resolution ? { dueAt: iso(s.resolution.postmortemDueAt), dueBusinessDays: s.postmortemDueBusinessDays, reminder: null, doneAt: null } : null,
    actionItems: s.postmortemItems,
    metrics: figuresOf(s),
  };
}

/** The orchestration's custom status: what `GET /api/incidents/{id}` shows under `runtime.customStatus`. */
export function customStatusOf(s: Incident, p: Plan, c: RunbookConfig, bot: string): Record<string, unknown> {
  const m = momentsOf(s);
  const last = s.checks.last;
  const streak = s.checks.streak;
  const status: Record<string, unknown> = {
    phase: s.phase,
    status: s.resolution ? 'resolved' : 'open',
    severity: s.severity,
    service: clip(s.service, 128),
    environment: clip(s.environment, 128),
    mode: c.mode,
    deadlines: {
      decision: s.phase === 'deciding' || s.phase === 'declared' ? at(decisionDueAt(s, c)) : null,
      containment: s.phase === 'verifying' || s.phase === 'containing' ? at(phaseDeadline(s, p, c)) : null,
      monitoringEnds: s.phase === 'monitoring' ? at(phaseDeadline(s, p, c)) : null,
      postmortemDue: at(s.resolution?.postmortemDueAt ?? null),
    },
    proposal: s.proposal ? { id: s.proposal.id, path: s.proposal.path } : null,
    // Who holds each role, and who alone may override a P1 default (the API refuses others up front).
    roles: Object.fromEntries(Object.entries(rolesOf(s)).map(([role, who]) => [role, who === null ? null : clip(who, 200)])),
    decisionOwner: s.decisionOwner === null ? null : clip(s.decisionOwner, 256),
    decision: s.decision ? { choice: s.decision.choice, by: clip(s.decision.by ? (s.decision.by.name ?? s.decision.by.id) : `${bot} (timebox)`, 200), automatic: s.decision.automatic } : null,
    lastChecks: last
      ? {
          verdict: last.verdict,
          at: at(last.at),
          health: last.liveness,
          ready: last.readiness,
          reasons: last.reasons.slice(0, 3).map((r) => clip(r, 300)),
          ...(streak && streak.count > 1 ? { repeated: streak.count, since: at(streak.since) } : {}),
        }
      : null,
    // The latest round's verdict on the Azure Monitor signals (null: not read for this service).
    signals: s.signals.round?.recovery ? { recovered: s.signals.round.recovery.recovered, basis: s.signals.round.recovery.basis, at: at(s.signals.round.at), summary: clip(s.signals.round.recovery.summary, 600) } : null,
    rolledBack: s.rolledBack,
    frozen: s.frozen,
    alerts: s.alerts.fired,
    acknowledgedBy: s.engagedBy ? clip(actorLabel(s.engagedBy), 200) : null,
    moments: { detected: at(m.detected), declared: at(m.declared), acknowledged: at(m.acknowledged), decided: at(m.decided), mitigated: at(m.mitigated), recovered: at(m.recovered), resolved: at(m.resolved) },
    metrics: figuresOf(s),
    // The acknowledgement and decision timeboxes and the latest containment and monitoring window
    // (a flapping service opens many; every one is in the evidence pack's incident.json).
    timeboxes: latestTimeboxes(s).map((t) => ({ name: t.name, deadline: at(t.deadline), verdict: t.verdict })),
    updatedAt: at(s.updatedAt),
    // For the intake: whether a further alert would change anything now (src/domain/runbook.ts).
    intake: alertViewOf(s, c),
  };
  // Bounded by construction (names and findings clipped, at most four timeboxes): no need to measure
  // it on every turn of a replay; test/domain/incident-record.test.ts holds it to MAX_STATUS_CHARS.
  return status;
}
