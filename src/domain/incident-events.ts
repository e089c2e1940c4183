/**
 * The external events an incident orchestration accepts (raised by the HTTP API, the approval
 * links and the alert intake). Names and payloads are a contract: instances that are running when
 * the app is upgraded still receive them, so only add optional fields.
 */
import { z } from 'zod';

export const IncidentEventName = {
  /** Another alert for the same service + environment (may raise severity, never lowers it). */
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
} as const;
export type IncidentEventName = (typeof IncidentEventName)[keyof typeof IncidentEventName];

export const Actor = z.object({
  /** Who did it: an Entra object id / UPN, a pipeline name, or "incident-bot". */
  id: z.string().min(1).max(256),
  name: z.string().max(256).optional(),
  /** How it reached us. */
  via: z.enum(['api', 'approval-link', 'alert', 'pipeline', 'automation']),
  /** True when the platform authenticated the person (App Service Authentication); false when claimed by a key holder. */
  verified: z.boolean().optional(),
  /** What let the caller act: a sign-in App Service Authentication vouched for, or a function key. */
  auth: z.enum(['easy-auth', 'function-key']).optional(),
});
export type Actor = z.infer<typeof Actor>;

export const Role = z.enum(['ic', 'deputy', 'scribe', 'comms']);

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
]);
export type ContainmentChoice = z.infer<typeof ContainmentChoice>;

const at = z.iso.datetime({ offset: true });

export const AckEvent = z.object({ actor: Actor, at, role: Role.optional() });
export const NoteEvent = z.object({ actor: Actor, at, text: z.string().min(1).max(4000) });
export const DecisionEvent = z.object({
  actor: Actor,
  at,
  choice: ContainmentChoice,
  /** The proposal the decision answers (approval links carry it), to refuse stale answers. */
  proposalId: z.string().max(128).optional(),
  reason: z.string().max(2000).optional(),
});
export const RollbackEvent = z.object({ actor: Actor, at, reason: z.string().min(1).max(2000) });
export const ExtendEvent = z.object({
  actor: Actor,
  at,
  timebox: z.enum(['ack', 'decision', 'containment', 'monitoring']),
  minutes: z.number().int().min(1).max(240),
  reason: z.string().max(2000).optional(),
});
export const ResolveEvent = z.object({ actor: Actor, at, summary: z.string().max(4000).optional() });

export type AckEvent = z.infer<typeof AckEvent>;
export type NoteEvent = z.infer<typeof NoteEvent>;
export type DecisionEvent = z.infer<typeof DecisionEvent>;
export type RollbackEvent = z.infer<typeof RollbackEvent>;
export type ExtendEvent = z.infer<typeof ExtendEvent>;
export type ResolveEvent = z.infer<typeof ResolveEvent>;
