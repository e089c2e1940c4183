/**
 * What a containment or rollback action reports, whether it ran for real or in plan-only mode.
 * Outcomes are data (Durable rebuilds thrown errors as plain Errors): only transient failures,
 * worth a retry, are thrown by activities.
 */
import { z } from 'zod';

export const ActionMode = z.enum(['execute', 'plan']);
export type ActionMode = z.infer<typeof ActionMode>;

/** One value that changes (or would change), before -> after. */
export const Change = z.object({
  /** What is changed: "flag:EnableLegacyHttpSse@Prod", "slot:web-prod/production". */
  target: z.string(),
  field: z.string(),
  before: z.unknown().nullable(),
  after: z.unknown().nullable(),
});
export type Change = z.infer<typeof Change>;

export const ActionOutcome = z.discriminatedUnion('kind', [
  /** Plan-only: exactly what would change; nothing was changed. */
  z.object({ kind: z.literal('planned'), summary: z.string(), changes: z.array(Change) }),
  /** Done now, or found done by an earlier attempt of the same step. */
  z.object({
    kind: z.literal('done'),
    summary: z.string(),
    changes: z.array(Change),
    /** The target system's id for the operation (audit request id, ARM operation id, message id). */
    executionId: z.string().optional(),
  }),
  /** Nothing to do: the target is already in the wanted state (e.g. production runs the LKG build). */
  z.object({ kind: z.literal('skipped'), summary: z.string(), reason: z.string() }),
  /** Not done, on purpose: a precondition failed (no LKG recorded, not allowed in this environment). */
  z.object({ kind: z.literal('refused'), summary: z.string(), reason: z.string() }),
]);
export type ActionOutcome = z.infer<typeof ActionOutcome>;
