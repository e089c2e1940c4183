/**
 * Where Teams messages go and whom they page, from the policy (pure; no I/O):
 *
 *   - channel: an incident's thread starts in its Teams destination (service > environment >
 *     policy `teams`, resolved at intake) when that names both `teamId` and `channelId`; else in
 *     the app's configured channel (TEAMS_TEAM_ID / TEAMS_CHANNEL_ID). Replies follow the thread.
 *     A deploy-freeze announcement goes to the environment's destination (else the policy's
 *     top-level one, else the settings).
 *   - people: an escalation step pages exactly the people its `notify` lists; a destination's
 *     `notify` list is the on-call of that destination, paged once when the incident is P1
 *     (declared as P1, or raised to P1 later). Recipients are Entra object ids or UPNs: Graph takes
 *     either in `/users/{userId | user-principal-name}/teamwork/sendActivityNotification`.
 */
import { z } from 'zod';
import type { Policy, SeverityLevel, TeamsDestination } from './policy.js';

export const TEAM_ID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const CHANNEL_ID_PATTERN = /^19:[A-Za-z0-9_.@-]+$/;
export const RECIPIENT_PATTERN = /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[^@\s/]+@[^@\s/]+)$/i;

/** A Teams channel as Graph addresses it. */
export const ChannelRef = z.strictObject({
  teamId: z.string().regex(TEAM_ID_PATTERN, 'must be the team (group) GUID'),
  channelId: z.string().regex(CHANNEL_ID_PATTERN, 'must be a channel id such as 19:abc...@thread.tacv2').max(200),
});
export type ChannelRef = z.infer<typeof ChannelRef>;

/** A person the activity feed can reach: an Entra object id or a UPN. */
export const Recipient = z.string().trim().max(256).regex(RECIPIENT_PATTERN, 'must be an Entra object id or a UPN');

export interface ChannelChoice {
  /** Undefined: the app's configured channel. */
  destination: ChannelRef | undefined;
  /** Why a destination the policy names cannot be used (said on the timeline). */
  problem?: string;
}

/** The channel a policy destination names, if it names a usable one. */
export function channelOf(teams: TeamsDestination | undefined, where = 'the policy'): ChannelChoice {
  if (!teams || (teams.teamId === undefined && teams.channelId === undefined)) return { destination: undefined };
  if (teams.teamId === undefined || teams.channelId === undefined) {
    return { destination: undefined, problem: `${where} names a Teams ${teams.teamId === undefined ? 'channelId without a teamId' : 'teamId without a channelId'}` };
  }
  const parsed = ChannelRef.safeParse({ teamId: teams.teamId.trim(), channelId: teams.channelId.trim() });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return { destination: undefined, problem: `${where} names a Teams ${String(issue?.path[0] ?? 'destination')} that ${issue?.message ?? 'is invalid'}` };
  }
  return { destination: parsed.data };
}

/** The recipients Graph can address (deduplicated, case-insensitively) and the entries it cannot. */
export function recipientsOf(list: readonly string[]): { valid: string[]; invalid: string[] } {
  const seen = new Set<string>();
  const valid: string[] = [];
  const invalid: string[] = [];
  for (const raw of list) {
    const r = raw.trim();
    const key = r.toLowerCase();
    if (seen.has(key)) continue;
    seen.add(key);
    if (Recipient.safeParse(r).success) valid.push(r);
    else invalid.push(r);
  }
  return { valid, invalid };
}

/** RB-03: a P1 engages on-call at once (the destination's `notify`); lower severities go through the escalation chain. */
export function pagesOnCall(severity: SeverityLevel): boolean {
  return severity === 'P1';
}

/** Where a deploy-freeze announcement for `env` goes (environment names compare case-insensitively). */
export function freezeChannel(policy: Policy, env: string): ChannelChoice & { source: 'environment' | 'policy' | 'settings' } {
  const key = Object.keys(policy.environments).find((k) => k.toLowerCase() === env.toLowerCase());
  const own = key ? policy.environments[key]?.teams : undefined;
  const fromEnv = channelOf(own, `environments.${key ?? env}.teams`);
  if (fromEnv.destination) return { ...fromEnv, source: 'environment' };
  const fromPolicy = channelOf(policy.teams, 'teams');
  if (fromPolicy.destination) return { ...fromPolicy, source: 'policy', ...(fromEnv.problem ? { problem: fromEnv.problem } : {}) };
  const problem = fromEnv.problem ?? fromPolicy.problem;
  return { destination: undefined, source: 'settings', ...(problem ? { problem } : {}) };
}
