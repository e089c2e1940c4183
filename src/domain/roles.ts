/**
 * People and authority as RB-03 section 4 and RB-02 section 4 define them: who the rota pages for
 * which role, which subject-matter experts a triage row needs (RB-03 section 6), who a person
 * acknowledging takes the role of, and which decisions override a P1 default (only the
 * environment's Decision Owner may take those). Pure.
 */
import type { Rota, SeverityLevel, SmeKind, TriggerKind } from './policy.js';
import type { Actor } from './actor.js';
import type { ContainmentChoice, Role } from './incident-events.js';

/** RB-03: an Incident Commander within 15 minutes (the policy's `icMinutes` may say otherwise). */
export const IC_MINUTES = 15;

export const ROLE_NAMES: Record<Role, string> = { ic: 'Incident Commander', deputy: 'Deputy', scribe: 'Scribe', comms: 'Comms Lead' };
export const SME_NAMES: Record<SmeKind, string> = { devLead: 'Dev Lead', architect: 'Systems Architect', dba: 'DBA', security: 'Security' };

/**
 * RB-03 section 6, the rapid triage matrix: the likely area of each signal, and so the experts it
 * needs. /ready red: dependency, config or DB; 5xx: a feature flag regression; CORS denies and
 * auth failures: security; SSE: the child process, load or network; latency: the DB hot path;
 * 429s: abuse or a bug.
 */
export const SME_BY_TRIGGER: Record<TriggerKind, SmeKind[]> = {
  'ready-red': ['architect', 'dba'],
  'availability-down': ['architect', 'dba'],
  'error-rate': ['devLead'],
  'feature-errors': ['devLead'],
  'latency-p95': ['dba'],
  'sse-ttfb': ['architect'],
  'heartbeat-gap': ['architect'],
  'cors-denied': ['security'],
  'auth-failures': ['security'],
  'security-exposure': ['security'],
  'rate-limit': ['security', 'devLead'],
  'parity-critical': ['architect'],
  'single-node-flap': ['architect'],
};

/** The SMEs the triggers' triage rows need, in a stable order, each with why. */
export function smesFor(triggers: readonly TriggerKind[]): { kind: SmeKind; because: TriggerKind }[] {
  const out = new Map<SmeKind, TriggerKind>();
  for (const t of triggers) for (const k of SME_BY_TRIGGER[t]) if (!out.has(k)) out.set(k, t);
  return [...out].map(([kind, because]) => ({ kind, because }));
}

const norm = (s: string): string => s.trim().toLowerCase();

/** Whether `who` (an Entra object id or UPN from the policy) names the actor. */
export function names(who: string, a: Pick<Actor, 'id' | 'name'>): boolean {
  const w = norm(who);
  return norm(a.id) === w || (a.name !== undefined && norm(a.name) === w);
}

/**
 * The roles the rota names this person for, in order (IC, Deputy, Scribe, Comms). The IC's backups
 * count for the IC role only once the IC timebox has run out (they are paged then): before it, the
 * SRE on call who is both backup IC and Deputy acknowledging first becomes the Deputy, not the IC.
 */
export function rotaRolesOf(rota: Rota | null, a: Pick<Actor, 'id' | 'name'>, icBackups: boolean): Role[] {
  if (!rota) return [];
  const out: Role[] = [];
  const ic = icBackups ? rota.ic : rota.ic.slice(0, 1);
  if (ic.some((w) => names(w, a))) out.push('ic');
  for (const role of ['deputy', 'scribe', 'comms'] as const) if (rota[role].some((w) => names(w, a))) out.push(role);
  return out;
}

/** Whether the rota pages people for an incident of this severity. */
export const rotaPages = (rota: Rota | null, severity: SeverityLevel): rota is Rota => !!rota && rota.severities.includes(severity);

const FULL_ROLLBACK: ReadonlySet<ContainmentChoice> = new Set(['api-to-lkg', 'app-to-lkg-forward-fix']);

/**
 * Whether a containment choice overrides a P1's default. A P1's defaults are the runbook's proposal
 * and, when in doubt, the rollback to the last known good release (RB-03 section 7, RB-02 section 3):
 * choosing either is not an override; anything else (monitor only, a config revert or a web-only
 * rollback the proposal did not offer) is, and RB-02 section 4 gives that call to the Decision Owner.
 */
export function overridesP1Default(severity: SeverityLevel, proposalPath: ContainmentChoice | null, choice: ContainmentChoice): boolean {
  if (severity !== 'P1') return false;
  if (choice === 'accept-proposal' || choice === proposalPath || FULL_ROLLBACK.has(choice)) return false;
  return true;
}

/**
 * Whether this actor may take a decision that overrides a P1 default: the environment's Decision
 * Owner, as the platform vouches for them (a key holder's claimed name is not believed). No owner
 * in the policy: the approver list governs, as for every decision.
 */
export function mayOverride(owner: string | null, a: Actor): boolean {
  if (!owner) return true;
  return a.verified === true && names(owner, a);
}

/** Why an override was refused, in one sentence for the timeline and the 403. */
/**
 * Extending a P1's decision timebox postpones the default (the automatic rollback when nobody
 * decides), so it is an override too: the Decision Owner's alone where there is one.
 */
export const EXTENDING_P1_DECISION = "Extending a P1's decision timebox (it postpones the automatic default)";

export function overrideRefusal(owner: string, environment: string, what: string, who: string): string {
  return `${what} overrides the P1 default in ${environment}; only the Decision Owner (${owner}), signed in, may do that, and ${who} is not`;
}
