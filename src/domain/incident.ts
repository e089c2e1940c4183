/**
 * The incident orchestration's input (versioned: see INCIDENT_INPUT_VERSION), the alert event, and
 * the incident summary the API lists.
 */
import { z } from 'zod';
import { Environment, EscalationStep, ServiceEntry, SeverityLevel, TeamsDestination, Timebox, TriggerKind } from './policy.js';
import { AzureSeverity } from './alert-schema.js';
import { Actor } from './actor.js';
import { DraftedItem } from './follow-up.js';
import { ChannelRef } from './teams-routing.js';

const iso = z.iso.datetime({ offset: true });

export const SignalSchema = z.object({
  alertId: z.string(),
  rule: z.string().nullable(),
  azureSeverity: AzureSeverity.nullable(),
  signalType: z.string().nullable(),
  condition: z.enum(['Fired', 'Resolved']),
  monitoringService: z.string().nullable(),
  kind: z.string(),
  firedAt: z.string(),
  resolvedAt: z.string().nullable(),
  description: z.string().nullable(),
  targets: z.array(z.string()),
  configurationItems: z.array(z.string()),
  metrics: z.array(
    z.object({
      name: z.string().nullable(),
      namespace: z.string().nullable(),
      operator: z.string().nullable(),
      threshold: z.number().nullable(),
      value: z.number().nullable(),
      aggregation: z.string().nullable(),
      windowMinutes: z.number().nullable(),
      dimensions: z.record(z.string(), z.string()),
    }),
  ),
  query: z.object({ text: z.string().nullable(), resultCount: z.number().nullable(), link: z.string().nullable() }).nullable(),
  activity: z
    .object({
      operationName: z.string().nullable(),
      status: z.string().nullable(),
      level: z.string().nullable(),
      caller: z.string().nullable(),
      title: z.string().nullable(),
      healthStatus: z.string().nullable(),
    })
    .nullable(),
  properties: z.record(z.string(), z.string()),
  contextProblems: z.array(z.string()),
});

export const SeverityDecisionSchema = z.object({
  level: SeverityLevel,
  reasons: z.array(z.string()),
  triggers: z.array(TriggerKind),
});

/** One alert delivery as the incident sees it (the declaring alert, and every later one). */
export const AlertRecord = z.object({
  /** alertId + monitorCondition: the deduplication key. */
  dedupeKey: z.string(),
  receivedAt: iso,
  signal: SignalSchema,
  severity: SeverityDecisionSchema,
  /** Where the raw payload was archived (blob name), for the evidence pack. */
  payloadRef: z.string().nullable(),
});
export type AlertRecord = z.infer<typeof AlertRecord>;

/** The event raised into an open incident for a further alert (IncidentEventName.alert). */
export const AlertEvent = AlertRecord;
export type AlertEvent = AlertRecord;

/** What the runbook needs from the policy, frozen at declaration so a running incident is stable. */
export const PolicySnapshot = z.object({
  bot: z.object({ actor: z.string() }),
  environment: Environment,
  service: ServiceEntry,
  timeboxes: z.object({ P1: Timebox, P2: Timebox, P3: Timebox }),
  teams: TeamsDestination,
  approvers: z.array(z.string()),
  escalation: z.array(EscalationStep),
  postmortemDueBusinessDays: z.number().int().positive(),
});
export type PolicySnapshot = z.infer<typeof PolicySnapshot>;

/**
 * The input this release starts incidents with. Version 1 inputs belong to incidents started by the
 * release before the incident record: this code cannot continue them (the engine refuses to replay
 * their history against different steps; README, Limits). A release that must keep such incidents
 * running deploys the old orchestrator side by side under another name and routes by this field.
 */
export const INCIDENT_INPUT_VERSION = 2;

export const IncidentInput = z.object({
  version: z.union([z.literal(1), z.literal(INCIDENT_INPUT_VERSION)]),
  incidentId: z.string().min(1).max(128),
  declaredAt: iso,
  source: z.enum(['alert', 'manual', 'pipeline']),
  declaredBy: Actor,
  service: z.string(),
  environment: z.string(),
  severity: SeverityDecisionSchema,
  summary: z.string().min(1).max(500),
  impact: z.array(z.string()),
  /** The alert that declared it (absent for a manual declaration). */
  alert: AlertRecord.optional(),
  policy: PolicySnapshot,
  /** 'plan': a drill; every action (and message) reports what it would do and changes nothing. */
  mode: z.enum(['execute', 'plan']).optional(),
});
export type IncidentInput = z.infer<typeof IncidentInput>;

export const IncidentStatus = z.enum(['open', 'resolved']);
export type IncidentStatus = z.infer<typeof IncidentStatus>;

/** The postmortem reminder as the sweep records it (src/domain/postmortem-reminder.ts). */
export const ReminderRecord = z.object({
  /** sending: claimed by a sweep (a lease); retry: a delivery was refused, tried again later; sent; failed: given up. */
  state: z.enum(['sending', 'retry', 'sent', 'failed']),
  at: iso,
  attempts: z.number().int().nonnegative(),
  messageId: z.string().nullable(),
  summary: z.string().max(1000),
  nextAttemptAt: iso.nullable(),
  /** Which reminder this is: the first on the due date, then one each business day until the postmortem is marked done. */
  round: z.number().int().min(1).default(1),
});
export type ReminderRecord = z.infer<typeof ReminderRecord>;

/** The evidence pack's address and links, known before it is sealed. */
export const EvidenceLinks = z.object({
  /** "<container>/<env>/<yyyy>/<mm>/<incidentId>/" */
  location: z.string(),
  manifestUrl: z.string(),
  postmortemUrl: z.string(),
  reportUrl: z.string(),
});
export type EvidenceLinks = z.infer<typeof EvidenceLinks>;

/** The row GET /api/incidents lists (a projection kept by the orchestration). */
export const IncidentSummary = z.object({
  incidentId: z.string(),
  service: z.string(),
  environment: z.string(),
  severity: SeverityLevel,
  status: IncidentStatus,
  phase: z.string(),
  summary: z.string(),
  source: z.enum(['alert', 'manual', 'pipeline']),
  declaredAt: iso,
  updatedAt: iso,
  resolvedAt: iso.nullable(),
  alerts: z.number().int().nonnegative(),
  acknowledgedBy: z.string().nullable(),
  /** A drill (plan mode): it changes nothing and does not hold the service's open-incident slot. */
  drill: z.boolean().default(false),
  /** The incident's Teams thread (the declaration's message id), once posted. */
  teamsThreadId: z.string().nullable().default(null),
  /** The channel that thread is in (null: the app's configured channel). */
  teamsDestination: ChannelRef.nullable().default(null),
  /** Where the evidence pack is, once the close has located it. */
  evidence: EvidenceLinks.nullable().default(null),
  /**
   * The incident's figures in seconds (time to declare, acknowledge, mitigate, recover; impact;
   * open), as the incident record derived them: the same as in Teams, the report and the postmortem.
   */
  metrics: z
    .object({
      timeToDeclare: z.number().nullable(),
      timeToAcknowledge: z.number().nullable(),
      timeToMitigate: z.number().nullable(),
      timeToRecover: z.number().nullable(),
      impact: z.number().nullable(),
      open: z.number().nullable(),
    })
    .nullable()
    .default(null),
  /** Set at resolution: when the postmortem is due, and the reminder's progress. */
  postmortem: z
    .object({
      dueAt: iso,
      /** The rule behind dueAt: business days (Monday to Friday, UTC) after the resolution. */
      dueBusinessDays: z.number().int().positive(),
      reminder: ReminderRecord.nullable(),
      /** Marked done through the incident API (`postmortem-done`): the reminders stop. */
      doneAt: iso.nullable().default(null),
    })
    .nullable()
    .default(null),
  /** The postmortem draft's action items (owners from the roles), as recorded when it was written: the follow-ups start from them. */
  actionItems: z.array(DraftedItem).max(100).default([]),
});
export type IncidentSummary = z.infer<typeof IncidentSummary>;

export const TimelineEntry = z.object({
  /** Sequence number within the incident (deterministic: assigned by the orchestration). */
  seq: z.number().int().nonnegative(),
  at: iso,
  /** What happened, e.g. "declared", "alert", "ack", "note", "decision", "severity", "resolved". */
  kind: z.string().min(1).max(64),
  actor: z.string(),
  text: z.string().max(4000),
  data: z.record(z.string(), z.unknown()).optional(),
});
export type TimelineEntry = z.infer<typeof TimelineEntry>;

/** An alert's reference as the incident store keeps it for the evidence pack (`AlertRef` of ./incident-record.ts). */
export const StoredAlertRef = z.object({ dedupeKey: z.string().min(1), receivedAt: z.number(), payloadRef: z.string().nullable() });

