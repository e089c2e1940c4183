/**
 * What the approval endpoint needs from the outside: a record of used approval nonces (single
 * use: the first decision wins), and the incident orchestration to raise the decision into.
 */
import type { DecisionEvent } from '../domain/incident-events.js';

export interface ApprovalUse {
  incidentId: string;
  nonce: string;
  proposalId: string;
  choice: string;
  actorId: string;
  actorName?: string;
  decidedAt: string;
  /** claimed: the nonce is taken, the event is being raised; raised: the orchestration has it. */
  state: 'claimed' | 'raised';
}

export interface ApprovalUseStore {
  /** Insert-if-absent: the first caller claims the nonce; later callers get the existing record. */
  claim(use: ApprovalUse): Promise<{ claimed: true } | { claimed: false; existing: ApprovalUse }>;
  get(incidentId: string, nonce: string): Promise<ApprovalUse | undefined>;
  markRaised(incidentId: string, nonce: string): Promise<void>;
  /** Gives the nonce back after the event could not be raised, so the person can try again. */
  release(incidentId: string, nonce: string): Promise<void>;
}

export type InstanceState =
  /** `customStatus`: what the incident shows (severity, proposal, Decision Owner), for the authority check. */
  | { state: 'waiting'; runtimeStatus: string; customStatus?: unknown }
  | { state: 'finished'; runtimeStatus: string }
  | { state: 'missing' };

export interface DecisionTarget {
  /** Whether the incident orchestration (instance id = incident id) can still take a decision. */
  instance(incidentId: string): Promise<InstanceState>;
  raiseDecision(incidentId: string, event: DecisionEvent): Promise<void>;
}
