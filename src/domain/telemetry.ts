/**
 * What the automation reports about itself: every metric, span and attribute name in one place.
 * The emitters (src/adapters/telemetry*.ts, src/app/telemetry-hooks.ts) take their names from
 * here, and the Azure Monitor workbook and alert rules in infra/app/observability.bicep query
 * exactly these names (test/infra/observability.test.ts holds them to it).
 *
 * In Application Insights a metric lands in `customMetrics` under its name, with its attributes
 * in `customDimensions`; a span lands in `dependencies` (internal and client spans) under its
 * name, with the same attributes. Nothing from an alert payload beyond ids is ever an attribute.
 *
 * Pure: names, types and the mapping of a closed incident's facts to metric points.
 */

export type MetricKind = 'counter' | 'histogram' | 'gauge';

export interface MetricDef<K extends MetricKind = MetricKind> {
  name: string;
  kind: K;
  unit: string;
  description: string;
  /** The attribute keys the metric carries (a closed list: no free text, no payload). */
  attributes: readonly string[];
}

const counter = (name: string, description: string, attributes: readonly string[], unit = '1'): MetricDef<'counter'> => ({ name, kind: 'counter', unit, description, attributes });
const histogram = (name: string, description: string, attributes: readonly string[], unit: string): MetricDef<'histogram'> => ({ name, kind: 'histogram', unit, description, attributes });
const gauge = (name: string, description: string, attributes: readonly string[], unit = '1'): MetricDef<'gauge'> => ({ name, kind: 'gauge', unit, description, attributes });

/** Attribute keys. Dotted, under our own namespace, so they never clash with the SDKs' own. */
export const ATTR = {
  incidentId: 'autopilot.incident_id',
  function: 'autopilot.function',
  trigger: 'autopilot.trigger',
  outcome: 'autopilot.outcome',
  status: 'autopilot.status',
  severity: 'autopilot.severity',
  environment: 'autopilot.environment',
  service: 'autopilot.service',
  source: 'autopilot.source',
  drill: 'autopilot.drill',
  system: 'autopilot.system',
  operation: 'autopilot.operation',
  orchestration: 'autopilot.orchestration',
  historyEvents: 'autopilot.history_events',
  newEvents: 'autopilot.new_events',
  dependency: 'autopilot.dependency',
  timebox: 'autopilot.timebox',
  verdict: 'autopilot.verdict',
  action: 'autopilot.action',
  mode: 'autopilot.mode',
  rolledBack: 'autopilot.rolled_back',
  targetSeconds: 'autopilot.target_s',
  httpStatus: 'http.response.status_code',
} as const;

const A = ATTR;

export const METRICS = {
  // --- live: as things happen -------------------------------------------------------------
  alertsReceived: counter('autopilot.alerts.received', 'Alert deliveries answered by POST /api/alerts, by outcome (declared, correlated, duplicate, recovery, unmatched, invalid, unauthorized, unavailable, error).', [A.outcome, A.httpStatus]),
  incidentsDeclared: counter('autopilot.incidents.declared', 'Incidents started (from an alert, by hand or by a pipeline), by severity.', [A.severity, A.environment, A.service, A.source, A.drill]),
  teamsDeliveries: counter('autopilot.teams.deliveries', 'Messages to Microsoft Graph (channel posts, replies, activity notifications), by outcome: delivered, reconciled (found after an ambiguous failure), rejected (4xx), deadline (not delivered in time).', [A.operation, A.outcome]),
  teamsThrottled: counter('autopilot.teams.throttled', 'Graph answers of 429 (throttled): each one delays a message by its Retry-After.', [A.operation, A.httpStatus]),
  externalDuration: histogram('autopilot.external.duration', 'Latency of each call to an external system (graph, entra, keyvault, sql, arm), by outcome (ok or the kind of failure).', [A.system, A.operation, A.outcome], 'ms'),
  orchestrationsFailed: counter('autopilot.orchestrations.failed', 'Orchestration episodes that ended the instance as Failed (an unhandled error in the runbook).', [A.orchestration]),
  canaryRuns: counter('autopilot.canary.runs', 'Canary runs, by status (green: every dependency answered; red: at least one failed).', [A.status]),
  canaryChecks: counter('autopilot.canary.checks', 'Each dependency the canary checked, by name and status (ok, failed, skipped).', [A.dependency, A.status]),
  teamsSignInDaysLeft: gauge('autopilot.teams.signin_days_left', 'Days until the delegated Teams sign-in needs renewing (as of the last canary run).', []),
  // --- per closed incident: fed by the incident record, one emission per incident -------------
  incidentsResolved: counter('autopilot.incidents.resolved', 'Incidents resolved, by severity and whether a rollback ran.', [A.severity, A.environment, A.service, A.source, A.drill, A.rolledBack]),
  timeToDetect: histogram('autopilot.incident.time_to_detect', 'Per resolved incident: from the alert firing (when believed) to the declaration.', [A.severity, A.environment, A.service, A.drill], 's'),
  timeToAcknowledge: histogram('autopilot.incident.time_to_acknowledge', 'Per resolved incident: from the declaration to the first person engaging; target_s is the runbook\'s acknowledgement timebox.', [A.severity, A.environment, A.service, A.drill, A.targetSeconds], 's'),
  timeToMitigate: histogram('autopilot.incident.time_to_mitigate', 'Per resolved incident: from the declaration to the containment taking effect; target_s is the decision plus containment timeboxes.', [A.severity, A.environment, A.service, A.drill, A.targetSeconds], 's'),
  timeToRecover: histogram('autopilot.incident.time_to_recover', 'Per resolved incident: from the declaration to the checks proving recovery; target_s is the decision plus recovery timeboxes.', [A.severity, A.environment, A.service, A.drill, A.targetSeconds], 's'),
  timeboxes: counter('autopilot.incident.timeboxes', 'Per resolved incident: each runbook timebox and its verdict (met, missed, not-applicable).', [A.severity, A.environment, A.service, A.drill, A.timebox, A.verdict]),
  actions: counter('autopilot.incident.actions', 'Per resolved incident: each containment action (flag, config, api-to-lkg, web-to-lkg, freeze, ...) and its outcome (done, skipped, refused, planned, failed).', [A.severity, A.environment, A.service, A.drill, A.action, A.outcome, A.mode]),
} as const;

export type MetricKey = keyof typeof METRICS;
export type CounterKey = { [K in MetricKey]: (typeof METRICS)[K]['kind'] extends 'counter' ? K : never }[MetricKey];
export type HistogramKey = { [K in MetricKey]: (typeof METRICS)[K]['kind'] extends 'histogram' ? K : never }[MetricKey];
export type GaugeKey = { [K in MetricKey]: (typeof METRICS)[K]['kind'] extends 'gauge' ? K : never }[MetricKey];

/** Span names: `<kind> <name>`; one per invocation of a function, and one per external call. */
export const SPANS = {
  http: (fn: string) => `http ${fn}`,
  activity: (name: string) => `activity ${name}`,
  /** One orchestration episode: the invocation that replays the history and runs the new events. */
  episode: (name: string) => `orchestration ${name}`,
  timer: (fn: string) => `timer ${fn}`,
  external: (system: string, operation: string) => `${system} ${operation}`,
} as const;

/** The tracer and meter name (the instrumentation scope). */
export const INSTRUMENTATION_SCOPE = 'incident-autopilot';

export type Attributes = Record<string, string | number | boolean>;

/**
 * What a closed incident reports, read from the incident record (never computed here): durations
 * in seconds, null when that moment never came (an incident resolved without an acknowledgement
 * has no time to acknowledge).
 */
export interface IncidentOutcome {
  incidentId: string;
  service: string;
  environment: string;
  severity: string;
  source: string;
  drill: boolean;
  rolledBack: boolean;
  seconds: { detect: number | null; acknowledge: number | null; mitigate: number | null; recover: number | null };
  /** The runbook's targets for the same figures, in seconds (null: no target). */
  targets: { acknowledge: number | null; mitigate: number | null; recover: number | null };
  timeboxes: { name: string; verdict: string }[];
  actions: { action: string; outcome: string; mode: string }[];
}

export type MetricPoint = { metric: CounterKey; by: number; attributes: Attributes } | { metric: HistogramKey; value: number; attributes: Attributes };

/**
 * The metric points of one closed incident: the one mapping from the incident's facts to
 * telemetry, so the workbook's MTTx figures are the record's figures (the evidence pack's).
 * Timeboxes still `open` at the close are not reported (nothing was decided about them).
 */
export function incidentPoints(o: IncidentOutcome): MetricPoint[] {
  const base: Attributes = { [A.severity]: o.severity, [A.environment]: o.environment, [A.service]: o.service, [A.drill]: o.drill };
  const points: MetricPoint[] = [{ metric: 'incidentsResolved', by: 1, attributes: { ...base, [A.source]: o.source, [A.rolledBack]: o.rolledBack } }];
  const time = (metric: HistogramKey, value: number | null, target?: number | null) => {
    if (value === null) return;
    points.push({ metric, value, attributes: target === undefined || target === null ? base : { ...base, [A.targetSeconds]: target } });
  };
  time('timeToDetect', o.seconds.detect);
  time('timeToAcknowledge', o.seconds.acknowledge, o.targets.acknowledge);
  time('timeToMitigate', o.seconds.mitigate, o.targets.mitigate);
  time('timeToRecover', o.seconds.recover, o.targets.recover);
  for (const t of o.timeboxes) {
    if (t.verdict === 'open') continue;
    points.push({ metric: 'timeboxes', by: 1, attributes: { ...base, [A.timebox]: t.name, [A.verdict]: t.verdict } });
  }
  for (const a of o.actions) points.push({ metric: 'actions', by: 1, attributes: { ...base, [A.action]: a.action, [A.outcome]: a.outcome, [A.mode]: a.mode } });
  return points;
}

/** The incident an orchestration instance belongs to: sub-orchestrations are `<incident>:<purpose>:...`. */
export function incidentOfInstance(instanceId: string): string {
  const i = instanceId.indexOf(':');
  return i < 0 ? instanceId : instanceId.slice(0, i);
}

/**
 * The attributes of `autopilot.incidents.declared` from an incident orchestration's input (read
 * defensively: the orchestration client passes it as it is). Undefined for any other input.
 */
export function declarationAttributes(input: unknown): Attributes | undefined {
  if (!input || typeof input !== 'object') return undefined;
  const i = input as { incidentId?: unknown; service?: unknown; environment?: unknown; source?: unknown; mode?: unknown; severity?: { level?: unknown } };
  const level = i.severity?.level;
  if (typeof i.incidentId !== 'string' || typeof i.service !== 'string' || typeof i.environment !== 'string' || typeof level !== 'string') return undefined;
  return {
    [A.severity]: level,
    [A.environment]: i.environment,
    [A.service]: i.service,
    [A.source]: typeof i.source === 'string' ? i.source : 'unknown',
    [A.drill]: i.mode === 'plan',
  };
}
