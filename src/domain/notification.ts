/**
 * Who a notification is for, in the runbook's terms. A channel message goes to the incident's
 * channel (its thread); a role's people are paged directly: the P1 on-call (the destination's
 * `teams.notify`) and each escalation step's `notify` list. The orchestration asks for one of
 * these (orchestrations/notify.ts); the adapters behind the Teams port decide how it travels.
 */
import type { SeverityLevel } from './policy.js';

export interface RoleAudience {
  /** Who, as the timeline and the evidence name them ("On-call (P1)", "Escalation"). */
  label: string;
  /** How the page names them when it is sent, if not by the label (the rota's "IC: dana@contoso.example"). */
  who?: string;
  /** The step key of the page (idempotency: one page per step). */
  step: string;
  /** Entra object ids or UPNs; others are noted, not paged. */
  people: readonly string[];
}

export function onCallAudience(severity: SeverityLevel, step: string, people: readonly string[]): RoleAudience {
  return { label: `On-call (${severity})`, step, people };
}

export function escalationAudience(step: string, people: readonly string[]): RoleAudience {
  return { label: 'Escalation', step: `teams/notify/${step}`, people };
}
