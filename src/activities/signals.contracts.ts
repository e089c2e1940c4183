/**
 * Reading Azure Monitor as an activity (`signalsRead`): the runbook passes the signals plan of the
 * incident's service (src/domain/monitor-signals.ts, derived from its policy snapshot and the
 * alerts it has seen) and the orchestration time; it gets every reading back as data (read,
 * unavailable with the reason, or not configured), never an exception, so the recovery verdict,
 * the flap rule, the look-again rule and the triage summary (all pure) can say what they could not
 * see. Reads are read-only: running the activity twice is harmless, so it needs no step ledger.
 */
import { z } from 'zod';
import { defineActivity } from './define.js';

const iso = z.iso.datetime({ offset: true });
const text = (max: number) => z.string().max(max);

export const WatchedMetricSchema = z.object({
  key: text(2000),
  label: text(200),
  source: z.enum(['alert', 'policy']),
  resourceIds: z.array(text(1000)).max(20),
  namespace: text(200),
  metric: text(200),
  per: text(200).nullable(),
  aggregation: z.enum(['Total', 'Average', 'Maximum', 'Minimum', 'Count']),
  operator: z.enum(['GreaterThan', 'GreaterThanOrEqual', 'LessThan', 'LessThanOrEqual']),
  threshold: z.number(),
  unit: text(16),
});

const Queries = z.object({ topErrorCodes: text(8000), failingRequests: text(8000), p95ByRoute: text(8000) });

export const SignalsPlanSchema = z.object({
  metrics: z.array(WatchedMetricSchema).max(12),
  region: text(40).nullable(),
  logs: z
    .discriminatedUnion('kind', [
      z.object({ kind: z.literal('app-insights'), resourceId: text(1000), queries: Queries }),
      z.object({ kind: z.literal('workspace'), workspaceId: text(64), workspaceResourceId: text(1000).nullable(), queries: Queries }),
    ])
    .nullable(),
  alertScopes: z.array(text(1000)).max(40),
  lookbackMinutes: z.number().positive(),
  holdMinutes: z.number().positive(),
  timeoutMs: z.number().int().positive(),
  missing: z.object({ metrics: text(500).nullable(), logs: text(500).nullable(), alerts: text(500).nullable() }),
});

const reading = <T extends z.ZodType>(value: T) =>
  z.discriminatedUnion('status', [
    z.object({ status: z.literal('read'), at: text(40), value }),
    z.object({ status: z.literal('unavailable'), at: text(40), reason: text(600) }),
    z.object({ status: z.literal('not-configured'), reason: text(600) }),
  ]);

const MetricSeriesSchema = z.object({ resourceId: text(1000), points: z.array(z.object({ at: text(40), value: z.number().nullable() })).max(24 * 60) });

const ActiveAlertSchema = z.object({
  id: text(2000),
  rule: text(200),
  severity: text(16).nullable(),
  monitorCondition: z.enum(['Fired', 'Resolved']),
  alertState: text(32).nullable(),
  targetResource: text(1000).nullable(),
  firedAt: text(40).nullable(),
  monitorService: text(100).nullable(),
});

const LogsTriageSchema = z.object({
  topErrorCodes: z.array(z.object({ code: text(100), count: z.number() })).max(50),
  failingRequests: z
    .array(z.object({ at: text(40).nullable(), requestId: text(128), operationId: text(128).nullable(), route: text(200).nullable(), resultCode: text(16).nullable(), code: text(100).nullable(), link: text(8000).nullable() }))
    .max(50),
  p95ByRoute: z.array(z.object({ route: text(200), p95Ms: z.number(), count: z.number() })).max(50),
  queryLink: text(8000).nullable(),
  from: text(40),
  to: text(40),
  problems: z.array(text(600)).max(10),
});

export const ReadSignalsInput = z.object({
  incidentId: z.string().max(200),
  plan: SignalsPlanSchema,
  /** Orchestration time the readings end at. */
  at: iso,
  /** What to read this time (triage is heavier: the snapshot and the status updates ask for it). */
  read: z.object({ metrics: z.boolean(), alerts: z.boolean(), triage: z.boolean() }).prefault({ metrics: true, alerts: true, triage: false }),
});
export type ReadSignalsInput = z.input<typeof ReadSignalsInput>;

export const ReadSignalsOutput = z.object({
  at: text(40),
  metrics: z.array(z.object({ metric: WatchedMetricSchema, reading: reading(z.array(MetricSeriesSchema).max(20)) })).max(12),
  alerts: reading(z.array(ActiveAlertSchema).max(250)),
  triage: reading(LogsTriageSchema).nullable(),
});
export type ReadSignalsOutput = z.infer<typeof ReadSignalsOutput>;

export const readSignals = defineActivity({ name: 'signalsRead', input: ReadSignalsInput, output: ReadSignalsOutput });
