/**
 * The one emission of a resolved incident's metrics (MTTx, timeboxes, actions by outcome): the
 * orchestration calls it once, at the close, with the facts read from the incident record
 * (src/domain/telemetry.ts, IncidentOutcome); the figures are then the evidence pack's.
 */
import { z } from 'zod';
import { defineActivity } from './define.js';

const seconds = z.number().nonnegative().nullable();
const name = z.string().min(1).max(64);

export const IncidentOutcomeInput = z
  .object({
    incidentId: z.string().min(1).max(128),
    service: name,
    environment: name,
    severity: name,
    source: name,
    drill: z.boolean(),
    rolledBack: z.boolean(),
    seconds: z.object({ detect: seconds, acknowledge: seconds, mitigate: seconds, recover: seconds }).strict(),
    targets: z.object({ acknowledge: seconds, mitigate: seconds, recover: seconds }).strict(),
    timeboxes: z.array(z.object({ name, verdict: name }).strict()).max(50),
    actions: z.array(z.object({ action: name, outcome: name, mode: name }).strict()).max(200),
  })
  .strict();

export const recordIncidentTelemetry = defineActivity({
  name: 'telemetry_recordIncident',
  input: IncidentOutcomeInput,
  output: z.object({ emitted: z.boolean(), points: z.number().int().nonnegative(), summary: z.string() }),
  // Table storage (the step ledger) may hiccup; the close waits for it a little, never fails on it.
  retry: { firstRetryMs: 2000, maxAttempts: 3 },
});
