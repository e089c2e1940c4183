/** Who did something to an incident: a person, a pipeline, an alert rule or the automation. */
import { z } from 'zod';

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

/** "Dana Kim (dana@contoso.example)", or the id alone; an identity nobody vouched for (stated by a function key holder) says so. */
export const actorLabel = (a: Actor): string => `${a.name && a.name !== a.id ? `${a.name} (${a.id})` : a.id}${a.verified === false ? ' (unverified)' : ''}`;

/** The short name a sentence uses ("decision by dana@contoso.example"): the name, else the id. */
export const actorName = (a: Actor): string => a.name ?? a.id;

/**
 * A person (through the incident API or an approval link), as opposed to the automation, an alert
 * rule or a pipeline: what a person does to an incident shows someone is on it (an acknowledgement).
 */
export const isPerson = (a: Actor): boolean => a.via === 'api' || a.via === 'approval-link';
