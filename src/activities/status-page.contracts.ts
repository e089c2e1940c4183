/**
 * The status page activity: one update of the incident's public status (README "Status page
 * webhook"), delivered once per incident + step. Delivery problems are data (`refused` with a
 * reason), so the runbook carries on when the status page is down; only trouble with the step
 * ledger's storage is thrown (and retried by Durable).
 */
import { z } from 'zod';
import { ActionMode } from '../domain/actions.js';
import { STATUS_PAGE_STATUSES } from '../domain/communications.js';
import { defineActivity } from './define.js';

const at = z.iso.datetime({ offset: true });

/** The webhook's body: what a status page service takes. */
export const StatusPageUpdate = z.strictObject({
  component: z.string().trim().min(1).max(100),
  status: z.enum(STATUS_PAGE_STATUSES),
  message: z.string().trim().min(1).max(1000),
  incidentId: z.string().min(1).max(128),
  sequence: z.number().int().nonnegative(),
  updatedAt: at,
});

export const StatusPageOutcome = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('planned'), summary: z.string() }),
  z.object({ kind: z.literal('done'), summary: z.string(), status: z.number().int(), attempts: z.number().int().nonnegative(), idempotencyKey: z.string() }),
  z.object({ kind: z.literal('skipped'), summary: z.string(), reason: z.literal('not-configured') }),
  z.object({ kind: z.literal('refused'), summary: z.string(), reason: z.enum(['deadline', 'rejected', 'not-configured']), status: z.number().int().optional(), attempts: z.number().int().nonnegative().optional() }),
]);
export type StatusPageOutcome = z.infer<typeof StatusPageOutcome>;

export const PublishStatusPage = defineActivity({
    name: 'statusPage_publish',
    input: z.object({
      incidentId: z.string().min(1).max(128),
      /** Unique within the incident: "status-page/announce/declared". */
      step: z.string().min(1).max(200),
      update: StatusPageUpdate,
      /** Give up by then (the current timebox of the runbook). */
      deadline: at,
      mode: ActionMode.default('execute'),
    }),
    output: StatusPageOutcome,
    retry: { firstRetryMs: 5_000, maxAttempts: 3, backoff: 2 },
});
export type PublishStatusPageInput = z.input<typeof PublishStatusPage.input>;
