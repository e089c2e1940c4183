/**
 * What reaches a running incident from outside: further alerts (the intake), and what people and
 * pipelines do through the incident API and the approval links. One typed union, `Inbound`, shared
 * by the HTTP schemas (functions/incidents.ts builds its request bodies from `InboundFields`), the
 * senders (intake, approvals) and the orchestrator, which parses each raised event once, here, and
 * hands the typed value to the runbook: nothing downstream re-parses or casts a payload.
 *
 * Names and payloads are a contract: instances that are running when the app is upgraded still
 * receive them, so only ever add optional fields.
 */
import { z } from 'zod';
import { SeverityLevel } from './policy.js';
import { Actor } from './actor.js';
import { AlertRecord } from './incident.js';
import type { PersonAction } from './person-actions.js';

export { Actor } from './actor.js';

export const IncidentEventName = {
  /** Another alert for the same service + environment (may raise severity, never lowers it), or its recovery ("Resolved"). */
  alert: 'alert',
  /** Someone acknowledged the incident (and may take a role). */
  ack: 'ack',
  /** A free-text note for the timeline. */
  note: 'note',
  /** A containment decision (from the API or an approval link). */
  decision: 'decision',
  /** A request to roll back now, whatever the current step. */
  rollback: 'rollback',
  /** Extend the current timebox. */
  extend: 'extend',
  /** The incident is resolved (by a person). */
  resolve: 'resolve',
  /** A person set the severity (up or down, RB-03: "declare high, downgrade later"), with a reason. */
  severity: 'severity',
} as const;
export type IncidentEventName = (typeof IncidentEventName)[keyof typeof IncidentEventName];
export const INCIDENT_EVENT_NAMES: readonly IncidentEventName[] = Object.values(IncidentEventName);

/**
 * Folding (src/app/intake.ts, orchestrations/incident.ts): the intake keeps an alert that changes
 * nothing now with the incident, without waking it, only within FOLD_WINDOW_MS of an alert it
 * raised into that incident; the incident, whenever it takes alerts (raised or folded), takes the
 * folded ones FOLD_SWEEP_MS later, and again after each sweep that found some. The sweep comes
 * later than the window closes, by the time a fold takes to be written, so that the sweep after
 * the last raised alert finds every alert folded in its window: a folded alert reaches the record
 * within about FOLD_SWEEP_MS, with no other event needed to wake the incident.
 */
export const FOLD_WINDOW_MS = 8_000;
export const FOLD_SWEEP_MS = 10_000;

export const Role = z.enum(['ic', 'deputy', 'scribe', 'comms']);
export type Role = z.infer<typeof Role>;

export const ContainmentChoice = z.enum([
  /** Revert the flags/config changes the proposal lists. */
  'revert-config',
  /** Web to last known good. */
  'web-to-lkg',
  /** API (and web if coupled) to last known good by slot swap. */
  'api-to-lkg',
  /** App to LKG because of a DB migration; forward fix follows. */
  'app-to-lkg-forward-fix',
  /** The proposal as offered. */
  'accept-proposal',
  /** Do not contain: keep watching (P2/P3 only; a P1 rolls back when nobody decides). */
  'monitor-only',
  /** Restart the API's App Service (when the environment's policy allows it). */
  'restart',
  /** Scale the App Service plan out to the policy's instance count. */
  'scale-out',
  /** Apply the access restriction the policy names (proposed for the 429 and abuse rows). */
  'traffic-rule',
]);
export type ContainmentChoice = z.infer<typeof ContainmentChoice>;

export const ExtendableTimebox = z.enum(['ack', 'decision', 'containment', 'monitoring']);
export type ExtendableTimebox = z.infer<typeof ExtendableTimebox>;

/**
 * The fields a person sends for each action (POST /api/incidents/{id}/{action}): the request body
 * without who and when, which the API adds (the actor as the platform vouches for it, the time
 * from the app's clock).
 */
export const InboundFields = {
  ack: z.object({ role: Role.optional() }),
  note: z.object({ text: z.string().trim().min(1).max(4000) }),
  decision: z.object({
    choice: ContainmentChoice,
    /** The proposal the decision answers (approval links carry it), to refuse stale answers. */
    proposalId: z.string().max(128).optional(),
    reason: z.string().max(2000).optional(),
  }),
  rollback: z.object({ reason: z.string().trim().min(1).max(2000) }),
  extend: z.object({ timebox: ExtendableTimebox, minutes: z.number().int().min(1).max(240), reason: z.string().max(2000).optional() }),
  resolve: z.object({ summary: z.string().max(4000).optional() }),
  severity: z.object({ level: SeverityLevel, reason: z.string().trim().min(1).max(2000) }),
} as const satisfies Record<PersonAction, z.ZodType>; // exactly the actions of PERSON_ACTIONS, no more, no fewer
export type { PersonAction };

const at = z.iso.datetime({ offset: true });
const sent = { actor: Actor, at };

export const AckEvent = InboundFields.ack.extend(sent);
export const NoteEvent = InboundFields.note.extend(sent);
export const DecisionEvent = InboundFields.decision.extend(sent);
export const RollbackEvent = InboundFields.rollback.extend(sent);
export const ExtendEvent = InboundFields.extend.extend(sent);
export const ResolveEvent = InboundFields.resolve.extend(sent);
export const SeverityEvent = InboundFields.severity.extend(sent);
/** The event raised into an open incident for a further alert (or its recovery). */
export const AlertEvent = AlertRecord;

export type AckEvent = z.infer<typeof AckEvent>;
export type NoteEvent = z.infer<typeof NoteEvent>;
export type DecisionEvent = z.infer<typeof DecisionEvent>;
export type RollbackEvent = z.infer<typeof RollbackEvent>;
export type ExtendEvent = z.infer<typeof ExtendEvent>;
export type ResolveEvent = z.infer<typeof ResolveEvent>;
export type SeverityEvent = z.infer<typeof SeverityEvent>;
export type AlertEvent = AlertRecord;

const SCHEMAS = {
  alert: AlertEvent,
  ack: AckEvent,
  note: NoteEvent,
  decision: DecisionEvent,
  rollback: RollbackEvent,
  extend: ExtendEvent,
  resolve: ResolveEvent,
  severity: SeverityEvent,
} as const satisfies Record<IncidentEventName, z.ZodType>;

/** One event raised into an incident, typed by its name. */
export type Inbound = { [N in IncidentEventName]: { name: N; payload: z.output<(typeof SCHEMAS)[N]> } }[IncidentEventName];

/**
 * A raised event, validated once. A payload that does not validate is data too (`invalid`, with
 * the first problem): a bad message must never stop an incident, and the timeline says what was
 * ignored.
 */
export function parseInbound(name: string, payload: unknown): Inbound | { name: string; invalid: string } {
  if (!Object.hasOwn(SCHEMAS, name)) return { name, invalid: 'not an incident event' };
  const parsed = SCHEMAS[name as IncidentEventName].safeParse(payload);
  if (!parsed.success) return { name, invalid: parsed.error.issues[0]?.message ?? 'malformed' };
  return { name, payload: parsed.data } as Inbound;
}
