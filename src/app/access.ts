/**
 * Who may do what: the role model, where a caller's identity and roles come from, and the check
 * each HTTP action makes before its body is acted on (a layer around the handlers: the body
 * schemas stay where they are).
 *
 * Two identity sources, and only two:
 *  - App Service Authentication (Easy Auth) is on (the platform sets WEBSITE_AUTH_ENABLED=True)
 *    and the request carries a sign-in: Easy Auth strips `x-ms-client-principal*` headers sent by
 *    clients and sets its own, so they are believed here and nowhere else. The person is recorded
 *    as verified; the Entra app roles in the token's `roles` claims decide what they may do. A
 *    principal header that cannot be read is refused (401), never guessed at.
 *  - Otherwise (Easy Auth off, or on and the request came without a sign-in, as Azure Monitor's
 *    and deploy pipelines' do): the function key the host checked is the only credential. In Azure
 *    a function-level key opens only its own function, so every action below is a function of its
 *    own and a role's key is set on the functions of its actions (`functionsOf`). The actor is the
 *    key holder, unverified; principal headers are ignored (anyone can send them where Easy Auth
 *    is off). With Easy Auth on, a request still needs a key that opens the function (authLevel
 *    function): the key lets it in, the app roles decide.
 *
 * The role model is this one table (issue 17 adds roles here); the README's key and app-role
 * instructions and the access-matrix test are derived from it.
 */
import type { HttpRequest } from '@azure/functions';
import { appSettings, type AccessSettings } from './settings.js';
import { z } from 'zod';
import { SeverityLevel } from '../config/policy.js';
import { actorName } from '../domain/actor.js';
import { ContainmentChoice, type Actor } from '../domain/incident-events.js';
import { EXTENDING_P1_DECISION, mayOverride, overrideRefusal, overridesP1Default } from '../domain/roles.js';
import { HttpError } from '../http/envelope.js';
import { inApproverList, principalFromHeaders, type Principal } from './approver.js';
import { ACCESS_ACTIONS, type AccessAction } from './access-actions.js';

// The actions and their functions live in src/app/access-actions.ts (light: read when routes register).
export { ACCESS_ACTIONS, type AccessAction };

export interface AccessRole {
  /** The Entra app role's value (App registration > App roles), as it appears in `roles` claims. */
  appRole: string;
  /** The name of the function key given to holders of this role when Easy Auth is off. */
  functionKey: string;
  actions: readonly AccessAction[];
  description: string;
}

export const ACCESS_ROLES = {
  responder: {
    appRole: 'Incident.Responder',
    functionKey: 'responder',
    actions: ['read', 'declare', 'ack', 'note', 'followUp'],
    description: 'declare incidents, acknowledge, add notes, track action items',
  },
  decider: {
    appRole: 'Incident.Decider',
    functionKey: 'decider',
    actions: ['read', 'decision', 'rollback', 'extend', 'severity'],
    description: 'decide the containment, request a rollback, extend a timebox, change the severity',
  },
  resolver: {
    appRole: 'Incident.Resolver',
    functionKey: 'resolver',
    actions: ['read', 'resolve', 'followUp'],
    description: 'resolve incidents, track action items and mark the postmortem done',
  },
  admin: {
    appRole: 'Incident.Admin',
    functionKey: 'admin',
    actions: ['read', 'freeze', 'lkg'],
    description: 'freeze and unfreeze deploys, record last-known-good releases',
  },
} as const satisfies Record<string, AccessRole>;
export type AccessRoleName = keyof typeof ACCESS_ROLES;

/**
 * Actions the policy's approver list governs as well, by every path (this API and the approval
 * links): a signed-in person must be on the incident's list when it has one.
 */
export const APPROVER_ACTIONS: readonly AccessAction[] = ['decision', 'rollback'];

export const KEY_HOLDER = 'function-key-holder';

const roleEntries = Object.entries(ACCESS_ROLES) as [AccessRoleName, AccessRole][];

/** The roles that allow `action`. */
export function rolesFor(action: AccessAction): AccessRoleName[] {
  return roleEntries.filter(([, r]) => r.actions.includes(action)).map(([name]) => name);
}

/** The functions a role's key must be set on (every function of every action it has). */
export function functionsOf(role: AccessRoleName): string[] {
  return [...new Set(ACCESS_ROLES[role].actions.flatMap((a) => ACCESS_ACTIONS[a]))];
}

export type Caller = { source: 'easy-auth'; principal: Principal; roles: AccessRoleName[] } | { source: 'function-key' };

export function easyAuthEnabled(access: AccessSettings = appSettings().access): boolean {
  return access.easyAuth;
}

/** The access roles a set of Entra app role values grants (compared without case). */
export function rolesOf(appRoles: readonly string[]): AccessRoleName[] {
  const held = new Set(appRoles.map((r) => r.toLowerCase()));
  return roleEntries.filter(([, r]) => held.has(r.appRole.toLowerCase())).map(([name]) => name);
}

/** Who is calling: the signed-in person where Easy Auth vouches for one, else the key holder. */
export function callerOf(request: Pick<HttpRequest, 'headers'>, access: AccessSettings = appSettings().access): Caller {
  if (!easyAuthEnabled(access)) return { source: 'function-key' };
  const read = principalFromHeaders(request.headers);
  if (read.ok) return { source: 'easy-auth', principal: read.principal, roles: rolesOf(read.principal.roles) };
  if (read.reason === 'absent') return { source: 'function-key' };
  throw new HttpError(401, 'unauthorized', 'The signed-in identity App Service Authentication passed (x-ms-client-principal) cannot be read; sign in again.');
}

function label(p: Principal): string {
  return p.name ? `${p.name} (${p.id})` : p.id;
}

/** Refuses (403) a signed-in caller none of whose app roles allows `action`; key holders got in by the key. */
export function authorize(caller: Caller, action: AccessAction): void {
  if (caller.source !== 'easy-auth') return;
  const allowed = rolesFor(action);
  if (caller.roles.some((r) => allowed.includes(r))) return;
  const needed = allowed.map((r) => ACCESS_ROLES[r].appRole).join(' or ');
  throw new HttpError(403, 'forbidden', `${label(caller.principal)} may not ${action} here: that needs the app role ${needed}.`, {
    action,
    requiredAppRoles: allowed.map((r) => ACCESS_ROLES[r].appRole),
    heldAppRoles: caller.principal.roles.slice(0, 20),
  });
}

/**
 * Refuses (403) a signed-in caller who is not on the approver list for the incident (`approvers`,
 * from the policy; null when unknown: the APPROVERS setting). An empty list: the role suffices.
 * Key holders cannot be matched against a list of people; their key is their authority.
 */
export function requireApprover(caller: Caller, action: AccessAction, approvers: readonly string[] | null, access: AccessSettings = appSettings().access): void {
  if (caller.source !== 'easy-auth' || !APPROVER_ACTIONS.includes(action)) return;
  const list = approvers ?? access.approvers;
  if (list.length === 0 || inApproverList(caller.principal, list)) return;
  throw new HttpError(403, 'forbidden', `${label(caller.principal)} is not on the approver list for this incident's containment decisions.`, { action });
}

/** What the running incident says about authority (its custom status): severity, proposal, Decision Owner. */
export interface AuthorityFacts {
  severity: SeverityLevel;
  proposalPath: ContainmentChoice | null;
  environment: string;
  decisionOwner: string | null;
}

/** Reads the authority facts from an incident's custom status (null when it does not have them yet). */
export function authorityOf(customStatus: unknown): AuthorityFacts | null {
  const parsed = z
    .object({ severity: SeverityLevel, environment: z.string(), proposal: z.object({ path: ContainmentChoice }).nullable().optional(), decisionOwner: z.string().nullable().optional() })
    .safeParse(customStatus);
  if (!parsed.success) return null;
  const d = parsed.data;
  return { severity: d.severity, environment: d.environment, proposalPath: d.proposal?.path ?? null, decisionOwner: d.decisionOwner ?? null };
}

/**
 * Refuses (403) an override of a P1 default by anyone but the environment's Decision Owner (RB-02
 * section 4), signed in: a containment other than the proposal or a rollback, or a downgrade of a
 * P1. The runbook refuses the same decision when it arrives another way (an approval link), and
 * records it; this answers the person at once, naming why.
 */
export function requireDecisionOwner(facts: AuthorityFacts | null, actor: Actor, request: { choice: ContainmentChoice } | { level: SeverityLevel } | { timebox: string }): void {
  if (!facts?.decisionOwner || facts.severity !== 'P1') return;
  const what =
    'choice' in request
      ? overridesP1Default(facts.severity, facts.proposalPath, request.choice)
        ? `Choosing "${request.choice}"`
        : null
      : 'level' in request
        ? request.level !== 'P1'
          ? `Downgrading a P1 to ${request.level}`
          : null
        : request.timebox === 'decision'
          ? EXTENDING_P1_DECISION
          : null;
  if (!what || mayOverride(facts.decisionOwner, actor)) return;
  const who = actor.verified ? actorName(actor) : `a function key holder (${actorName(actor)}, not signed in)`;
  throw new HttpError(403, 'forbidden', `${overrideRefusal(facts.decisionOwner, facts.environment, what, who)}.`, {
    reason: 'not-decision-owner',
    decisionOwner: facts.decisionOwner,
    ...('choice' in request ? { choice: request.choice, proposal: facts.proposalPath } : 'level' in request ? { level: request.level } : { timebox: request.timebox }),
  });
}

/** The actor recorded for the caller: the verified person, or the key holder with what they claim. */
export function actorOf(caller: Caller, claimed: { id?: string | undefined; name?: string | undefined } | undefined, via: Actor['via'] = 'api'): Actor {
  if (caller.source === 'easy-auth') {
    const { id, name } = caller.principal;
    return { id, ...(name && name !== id ? { name } : {}), via, verified: true, auth: 'easy-auth' };
  }
  if (claimed?.id) return { id: claimed.id, ...(claimed.name ? { name: claimed.name } : {}), via, verified: false, auth: 'function-key' };
  return { id: KEY_HOLDER, via, verified: false, auth: 'function-key' };
}

/** The caller of `action`, refused unless allowed: run before the body is read. */
export function admit(request: Pick<HttpRequest, 'headers'>, action: AccessAction, access: AccessSettings = appSettings().access): Caller {
  const caller = callerOf(request, access);
  authorize(caller, action);
  return caller;
}
