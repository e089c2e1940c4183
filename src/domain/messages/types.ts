/**
 * The inputs of every incident message the automation posts to Teams, one zod schema per message
 * (the orchestration builds them; the Teams activities validate them again at the boundary).
 * Each field fills a placeholder of the runbook templates (RB-03 section 10, RB-02 sections 4 and
 * 6, and the update/resolution/escalation templates of the other guides); nothing is optional
 * that a template needs, so a message can never go out with "{tag_prev}" in it.
 */
import { z } from 'zod';
import { ContainmentChoice } from '../incident-events.js';

const at = z.iso.datetime({ offset: true });
/** A line of free text from people or alerts: one paragraph, bounded. */
const text = (max = 500) => z.string().trim().min(1).max(max);
const url = z.url({ protocol: /^https?$/ }).max(2000);

export const Severity = z.enum(['P1', 'P2', 'P3']);
export type Severity = z.infer<typeof Severity>;

/** A person as the channel should see them ("Dana Kim (Release Manager)"), or a role placeholder. */
export const Person = z.object({
  name: text(120),
  /** UPN or e-mail; shown after the name so people can find them. */
  upn: z.string().trim().max(256).optional(),
});
export type Person = z.infer<typeof Person>;

export const Roles = z.object({
  ic: Person.optional(),
  deputy: Person.optional(),
  scribe: Person.optional(),
  comms: Person.optional(),
  /** Who the rota pages for a role nobody holds yet ("IC: not yet assigned (paged dana@...)"). */
  paged: z.object({ ic: text(256).optional(), deputy: text(256).optional() }).optional(),
});

/** Fields every message carries so that each one stands on its own in a busy channel. */
export const IncidentHeader = z.object({
  incidentId: z.string().trim().min(1).max(100),
  environment: z.string().trim().min(1).max(40),
  /** The product/service name used in the RB-02 start message ("for MCPX-KendoBridge"). */
  service: text(120),
  severity: Severity,
  /** Where people can follow the incident (status page, dashboard, the instance status URL). */
  statusUrl: url.optional(),
});
export type IncidentHeader = z.infer<typeof IncidentHeader>;

/** Release tags: the failing one and the last known good (RB-02 {tag_current} / {tag_prev}). */
export const Releases = z.object({
  current: text(100),
  previous: text(100),
});

/** One probe's own result: green, degraded, red, or unknown (not probed, or the checks could not run). */
export const ProbeState = z.enum(['green', 'degraded', 'red', 'unknown']);

/** Health/Ready and the SSE figures of RB-02 step 4 / RB-03 section 8: liveness and readiness each from its own result. */
export const HealthFigures = z.object({
  healthz: ProbeState,
  ready: ProbeState,
  /** Absent when the service has no SSE stream or it was not measured: no figures are invented. */
  sse: z
    .object({
      /** Median time to first event, ms. */
      ttfbMs: z.number().nonnegative().max(3_600_000),
      /** Largest heartbeat gap, seconds. */
      heartbeatS: z.number().nonnegative().max(86_400),
      /** Budgets (RB-03: TTFB <= 200 ms, heartbeat <= 10 s); per environment in the policy. */
      ttfbBudgetMs: z.number().positive().default(200),
      heartbeatBudgetS: z.number().positive().default(10),
    })
    .optional(),
});
export type HealthFigures = z.infer<typeof HealthFigures>;

export const DeclaredMessage = IncidentHeader.extend({
  kind: z.literal('declared'),
  /** A page of the declaration to one person: the role they are paged for ("Incident Commander", "DBA", "on-call (P1)"). */
  pagedAs: text(120).optional(),
  declaredAt: at,
  summary: text(300),
  /** Affected areas, e.g. ["API", "Jobs"] (RB-03 "{api/web/jobs}"). */
  impact: z.array(text(80)).min(1).max(10),
  /** What is being done right now (RB-03 "{containment}"). */
  actions: text(500),
  nextUpdateAt: at,
  roles: Roles.default({}),
  /** What is deployed (RB-03 5.1: "open #incident thread with env, SHA, time"). */
  release: z.object({ tag: text(100), sha: z.string().trim().max(64).optional() }).optional(),
  /** The alert that opened the incident. */
  alert: z
    .object({
      rule: text(200),
      firedAt: at,
      signal: z.string().trim().max(300).optional(),
      /** Why its fired time is not believed ("fired 16 days before it reached us"): then it is not used for time to declare. */
      timeNote: z.string().trim().max(200).optional(),
    })
    .optional(),
});

export const StatusUpdateMessage = IncidentHeader.extend({
  kind: z.literal('update'),
  at,
  /** Update number within the incident (1, 2, ...). */
  sequence: z.number().int().min(1).max(10_000),
  /** blocked: the containment under way did not go through (refused, failed) and a person must act. */
  status: z.enum(['investigating', 'identified', 'containing', 'recovering', 'monitoring', 'blocked']),
  progress: text(1000),
  nextSteps: text(1000),
  /** Expected resolution, in words ("within 30 minutes") or a time. */
  eta: z.string().trim().max(200).optional(),
  nextUpdateAt: at,
  health: HealthFigures.optional(),
  /** Posted out of cadence because a person changed the severity: from, to, who and why. */
  severityChange: z.object({ from: Severity, to: Severity, by: text(200), reason: text(500) }).optional(),
  /** The recovery verdict on the Azure Monitor signals (fired metric, active alerts), or what could not be seen. */
  signals: text(1000).optional(),
  /** Triage from the logs: top error codes, failing requests with requestIds, p95 per route, the query link. */
  triage: z.array(text(600)).max(8).optional(),
  /** Deep link to the triage query in the portal. */
  triageQuery: url.optional(),
});

export const ChoiceOption = z.object({
  choice: ContainmentChoice,
  /** Button text; a sensible default is derived from the choice. */
  label: z.string().trim().min(1).max(60).optional(),
});

export const ContainmentProposedMessage = IncidentHeader.extend({
  kind: z.literal('containment-proposed'),
  at,
  /** Identifies this proposal; decisions for an older proposal are refused by the orchestration. */
  proposalId: z.string().trim().min(1).max(128),
  /** The path the RB-02 decision tree chose. */
  proposed: ContainmentChoice,
  /** One line naming the proposal ("Roll back API to LKG v2.3.9 by slot swap"). */
  title: text(160),
  /** Why this path (the decision tree branch and the evidence). */
  rationale: text(1000),
  /** Exactly what would change, one line each ("slot swap api-prod: staging -> production"). */
  changes: z.array(text(300)).min(1).max(20),
  /** The buttons, in order; the first is the recommended one. */
  options: z.array(ChoiceOption).min(1).max(5),
  decisionDeadline: at,
  /** What the automation does when nobody answers by the deadline (RB-03: P1 rolls back, P2 escalates). */
  ifNoAnswer: z.enum(['rollback', 'escalate']),
  /**
   * What will really happen then, when the plain rule would promise too much (a rollback with no
   * last known good release known, or no rollback target): "the automation tries to roll back...".
   */
  ifNoAnswerDetail: text(400).optional(),
  releases: Releases.optional(),
});

export const RollbackStartedMessage = IncidentHeader.extend({
  kind: z.literal('rollback-started'),
  startedAt: at,
  reason: text(500),
  releases: Releases,
  /** What is rolled back. */
  targets: z.array(z.enum(['api', 'web', 'config'])).min(1),
  roles: Roles.default({}),
  /** Deploy freeze in place (RB-02 step 1). */
  deployFreeze: z.boolean(),
});

export const RollbackExecutedMessage = IncidentHeader.extend({
  kind: z.literal('rollback-executed'),
  completedAt: at,
  startedAt: at,
  reason: text(500),
  releases: Releases,
  health: HealthFigures,
  /** The signal readers judged the fired metric back under its threshold (and no alert active): only then does the message say "Metrics recovered". */
  metricsRecovered: z.boolean(),
  /** The smoke checks are green: what the message claims when no metric was read (the policy names no signals). */
  checksRecovered: z.boolean().optional(),
  evidenceUrl: url.optional(),
  /** When the RCA is scheduled, if it is. */
  rcaAt: at.optional(),
});

export const StabilizedMessage = IncidentHeader.extend({
  kind: z.literal('stabilized'),
  at,
  health: HealthFigures,
  /** The monitoring window (RB-03: 30-60 min; P1 60, P2 30). */
  monitoringMinutes: z.number().int().min(1).max(24 * 60),
});

/** A duration in seconds, as the incident record works it out. */
const seconds = z.number().nonnegative();

export const ResolvedMessage = IncidentHeader.extend({
  kind: z.literal('resolved'),
  declaredAt: at,
  resolvedAt: at,
  /** Who resolved it ("the runbook: the monitoring window passed with green checks", or a person). */
  resolvedBy: text(300).optional(),
  /** What fixed it: the containment changes that were applied. */
  solution: text(1000),
  /** Actions that did not do what they were for (refused, failed), each named: never counted as mitigation. */
  notDone: z.array(text(500)).max(20).default([]),
  rootCause: z.string().trim().max(1000).optional(),
  followUps: z.array(text(300)).max(20).default([]),
  /** The postmortem draft (postmortem.md in the evidence pack). */
  postmortemUrl: url.optional(),
  /** When the postmortem is due (RB-03 section 11: business days after the resolution). */
  postmortemDueAt: at.optional(),
  /** The rule behind the due date: this many business days (Monday to Friday, UTC) after the resolution. */
  postmortemDueBusinessDays: z.number().int().min(1).max(30).optional(),
  /** Incident metrics (seconds), as far as known: the same figures as the report and the API. */
  metrics: z
    .object({
      timeToDeclareS: seconds.optional(),
      timeToAcknowledgeS: seconds.optional(),
      timeToMitigateS: seconds.optional(),
      timeToRecoverS: seconds.optional(),
      /** Detection (or declaration) to recovery (or resolution). */
      impactS: seconds.optional(),
      /** Declaration to resolution. */
      openS: seconds.optional(),
    })
    .default({}),
  /** Why time to declare is not given ("the alert fired 16 days before it reached us"). */
  timeToDeclareNote: z.string().trim().max(200).optional(),
});

/** Why an escalation is sent: each one is titled by its reason. */
export const EscalationReason = z.enum(['no-ic', 'no-ack', 'no-decision', 'action-refused', 'action-failed', 'not-recovered', 'regression', 'no-rollback-target', 'parity-drift']);
export type EscalationReason = z.infer<typeof EscalationReason>;

/** Each escalation is titled by its reason, so two different ones never read alike. */
const ESCALATION_TITLES: Record<EscalationReason, string> = {
  'no-ic': 'no incident commander',
  'no-ack': 'nobody has acknowledged',
  'no-decision': 'no containment decision',
  'action-refused': 'a containment step was refused',
  'action-failed': 'a containment step failed',
  'not-recovered': 'not recovered in time',
  regression: 'regression during monitoring',
  'no-rollback-target': 'no rollback target',
  'parity-drift': 'critical config drift remains',
};

export function escalationTitle(why: EscalationReason): string {
  return ESCALATION_TITLES[why];
}

export const EscalationMessage = IncidentHeader.extend({
  kind: z.literal('escalation'),
  at,
  why: EscalationReason,
  /** What happened and what to do, in words ("Nobody has acknowledged after 15 min: escalated to ..."). */
  reason: text(600),
  /** Who is being engaged now. */
  engaging: z.array(Person).min(1).max(20),
  declaredAt: at,
  nextEscalationAt: at.optional(),
  roles: Roles.default({}),
});

export const PostmortemDueMessage = IncidentHeader.extend({
  kind: z.literal('postmortem-due'),
  resolvedAt: at,
  /** 3 business days after resolution (RB-03 section 11). */
  dueAt: at,
  owner: Person.optional(),
  draftUrl: url.optional(),
  /** The due date (UTC) has passed: the reminder came late (see postmortemOverdue in src/domain/postmortem-reminder.ts). */
  overdue: z.boolean().default(false),
});

/**
 * The stakeholders' summary (README "Communications"): plain language, for people who are not in
 * the incident thread, on its own cadence, and a final one at resolution. Every field comes from
 * the incident record; what is not known is said to be unknown.
 */
export const StakeholderSummaryMessage = IncidentHeader.extend({
  kind: z.literal('stakeholder-summary'),
  at,
  /** 1, 2, ...; the final summary carries the next number. */
  sequence: z.number().int().min(1).max(10_000),
  final: z.boolean(),
  /** Where the incident stands, in words ("Investigating", "Resolved"). */
  status: text(200),
  /** Affected areas in plain words ("the API", "live updates"). */
  impact: z.array(text(80)).min(1).max(10),
  /** When the impact started (detection when believed, else the declaration). */
  impactSince: at,
  /** When the impact ended (recovery, else the resolution); absent while it lasts. */
  impactUntil: at.optional(),
  /** What has been done so far, one line each (none yet: an empty list). */
  done: z.array(text(300)).max(20),
  /** When the next summary is due; absent for the final one and for a severity without a cadence. */
  nextUpdateAt: at.optional(),
});

export const IncidentMessage = z.discriminatedUnion('kind', [
  DeclaredMessage,
  StatusUpdateMessage,
  ContainmentProposedMessage,
  RollbackStartedMessage,
  RollbackExecutedMessage,
  StabilizedMessage,
  ResolvedMessage,
  EscalationMessage,
  PostmortemDueMessage,
  StakeholderSummaryMessage,
]);
export type IncidentMessage = z.infer<typeof IncidentMessage>;
export type IncidentMessageInput = z.input<typeof IncidentMessage>;
export type MessageKind = IncidentMessage['kind'];

export type DeclaredMessage = z.infer<typeof DeclaredMessage>;
export type StatusUpdateMessage = z.infer<typeof StatusUpdateMessage>;
export type ContainmentProposedMessage = z.infer<typeof ContainmentProposedMessage>;
export type RollbackStartedMessage = z.infer<typeof RollbackStartedMessage>;
export type RollbackExecutedMessage = z.infer<typeof RollbackExecutedMessage>;
export type StabilizedMessage = z.infer<typeof StabilizedMessage>;
export type ResolvedMessage = z.infer<typeof ResolvedMessage>;
export type EscalationMessage = z.infer<typeof EscalationMessage>;
export type PostmortemDueMessage = z.infer<typeof PostmortemDueMessage>;
export type StakeholderSummaryMessage = z.infer<typeof StakeholderSummaryMessage>;
