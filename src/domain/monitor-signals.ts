/**
 * What the runbook reads from Azure Monitor, as plain data: the metrics it watches (the one an
 * alert fired on, and the policy's own), the readings the signal readers bring back, and the plan
 * that says where each reader looks for a service. Pure: the readers (src/ports/signals.ts) fetch,
 * the verdicts (recovery-verdict.ts, flap-rule.ts, deadline-look.ts, triage.ts) judge.
 *
 * A reading is never just "nothing": it is read, unavailable (with the reason: a timeout, a 403,
 * a query error) or not configured (with what is missing), so every verdict can say what it could
 * not see instead of silently judging on less.
 */
import type { EnvironmentSignals, MetricWatch, ServiceEntry, Thresholds } from './policy.js';
import type { MetricReading, Signal } from './signal.js';
import { SYNTHETIC_NAMESPACE } from './synthetic.js';

export type Comparison = 'GreaterThan' | 'GreaterThanOrEqual' | 'LessThan' | 'LessThanOrEqual';
export type Aggregation = 'Total' | 'Average' | 'Maximum' | 'Minimum' | 'Count';

/** One metric the runbook watches, with its breach condition. */
export interface WatchedMetric {
  /** Stable id (the same metric from two alerts is watched once). */
  key: string;
  /** For people: "5xx rate", "Http5xx (Total)". */
  label: string;
  /** Where the threshold comes from: the alert rule that fired, or the policy. */
  source: 'alert' | 'policy';
  resourceIds: string[];
  namespace: string;
  metric: string;
  /** Ratio metrics: value = metric / per * 100 (a percentage). */
  per: string | null;
  aggregation: Aggregation;
  /** Breached while `value operator threshold` holds. */
  operator: Comparison;
  threshold: number;
  unit: string;
}

export interface MetricPoint {
  /** Start of the interval (ISO 8601). */
  at: string;
  value: number | null;
}

export interface MetricSeries {
  resourceId: string;
  points: MetricPoint[];
}

export interface ActiveAlert {
  id: string;
  /** The alert rule's name (or id when the name is unknown). */
  rule: string;
  severity: string | null;
  monitorCondition: 'Fired' | 'Resolved';
  /** New | Acknowledged | Closed (a person closed it in the portal). */
  alertState: string | null;
  targetResource: string | null;
  firedAt: string | null;
  monitorService: string | null;
}

export interface ErrorCodeCount {
  code: string;
  count: number;
}

export interface FailingRequest {
  at: string | null;
  requestId: string;
  operationId: string | null;
  route: string | null;
  resultCode: string | null;
  code: string | null;
  /** Deep link to the operation's logs. */
  link: string | null;
}

export interface RouteLatency {
  route: string;
  p95Ms: number;
  count: number;
}

export interface LogsTriage {
  topErrorCodes: ErrorCodeCount[];
  failingRequests: FailingRequest[];
  p95ByRoute: RouteLatency[];
  /** Deep link to the queries in the portal (the error-code query). */
  queryLink: string | null;
  /** The queries' time range. */
  from: string;
  to: string;
  /** Queries that failed while others answered (partial triage), with the reason. */
  problems: string[];
}

/** What a reader brought back. `at` is when it was read (orchestration time). */
export type Reading<T> =
  | { status: 'read'; at: string; value: T }
  | { status: 'unavailable'; at: string; reason: string }
  | { status: 'not-configured'; reason: string };

export interface MetricObservation {
  metric: WatchedMetric;
  reading: Reading<MetricSeries[]>;
}

/** Where the readers look for one service (from the policy snapshot), and how to judge. */
export interface SignalsPlan {
  metrics: WatchedMetric[];
  /** The metrics data plane's region; null: the metrics reader is not configured (said so). */
  region: string | null;
  logs:
    | { kind: 'app-insights'; resourceId: string; queries: TriageQueries }
    | { kind: 'workspace'; workspaceId: string; workspaceResourceId: string | null; queries: TriageQueries }
    | null;
  alertScopes: string[];
  lookbackMinutes: number;
  holdMinutes: number;
  timeoutMs: number;
  /** Why a reader is not configured, by reader. */
  missing: { metrics: string | null; logs: string | null; alerts: string | null };
}

export interface TriageQueries {
  topErrorCodes: string;
  failingRequests: string;
  p95ByRoute: string;
}

const SITE = /^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/([^/]+\/[^/]+)\/[^/]+$/i;

/** `Microsoft.Web/sites` for a site's id; null for a resource group or anything shorter. */
export function namespaceOf(resourceId: string): string | null {
  return SITE.exec(resourceId)?.[1] ?? null;
}

const OPERATORS: Record<string, Comparison> = {
  greaterthan: 'GreaterThan',
  greaterthanorequal: 'GreaterThanOrEqual',
  lessthan: 'LessThan',
  lessthanorequal: 'LessThanOrEqual',
};

const AGGREGATIONS: Record<string, Aggregation> = { total: 'Total', average: 'Average', maximum: 'Maximum', minimum: 'Minimum', count: 'Count' };

/**
 * The metric an alert fired on, watched with the alert rule's own threshold and aggregation on the
 * alert's own target, so "back under threshold" means what the alert meant. Null, with the reason,
 * when it cannot be read back: a dynamic threshold (no fixed value), a log alert, no target.
 */
export function watchedFromAlert(signal: Signal, m: MetricReading): { ok: true; metric: WatchedMetric } | { ok: false; reason: string } {
  const what = m.name ?? 'the metric';
  const operator = m.operator ? OPERATORS[m.operator.toLowerCase()] : undefined;
  if (!m.name) return { ok: false, reason: `the alert ${signal.rule ?? signal.alertId} names no metric` };
  if (m.threshold === null || !operator) {
    return { ok: false, reason: `${what} of ${signal.rule ?? 'the alert'} has no fixed threshold (${m.operator ?? 'no operator'}, a dynamic threshold?), so "back under it" cannot be judged` };
  }
  const targets = signal.targets.filter((t) => namespaceOf(t) !== null);
  if (!targets.length) return { ok: false, reason: `${what} of ${signal.rule ?? 'the alert'}: the alert names no resource to read it from` };
  const namespace = m.namespace ?? namespaceOf(targets[0]!)!;
  const aggregation = (m.aggregation && AGGREGATIONS[m.aggregation.toLowerCase()]) || 'Average';
  const resourceIds = [...new Set(targets.map((t) => t.toLowerCase()))].sort();
  return {
    ok: true,
    metric: {
      key: `alert|${namespace.toLowerCase()}|${m.name.toLowerCase()}|${aggregation}|${resourceIds.join(',')}`,
      label: `${m.name} (${aggregation})`,
      source: 'alert',
      resourceIds: targets,
      namespace,
      metric: m.name,
      per: null,
      aggregation,
      operator,
      threshold: m.threshold,
      unit: '',
    },
  };
}

/** The App Service default: 5xx responses per request, in percent, against RB-03's error threshold. */
export function defaultWatches(thresholds: Pick<Thresholds, 'error5xxPercent'>): MetricWatch[] {
  return [{ name: '5xx rate', namespace: 'Microsoft.Web/sites', metric: 'Http5xx', per: 'Requests', aggregation: 'Total', operator: 'GreaterThan', threshold: thresholds.error5xxPercent, unit: '%' }];
}

function watchedFromPolicy(w: MetricWatch, resourceIds: string[]): WatchedMetric {
  const ids = resourceIds.filter((id) => (namespaceOf(id) ?? '').toLowerCase() === w.namespace.toLowerCase());
  return {
    key: `policy|${w.namespace.toLowerCase()}|${w.metric.toLowerCase()}|${(w.per ?? '').toLowerCase()}|${w.aggregation}|${ids.map((i) => i.toLowerCase()).sort().join(',')}`,
    label: w.name,
    source: 'policy',
    resourceIds: ids,
    namespace: w.namespace,
    metric: w.metric,
    per: w.per ?? null,
    aggregation: w.aggregation,
    operator: w.operator,
    threshold: w.threshold,
    unit: w.unit,
  };
}

/** Default triage queries for an Application Insights component (resource-centric: the `requests` table). */
export const APP_INSIGHTS_QUERIES: TriageQueries = {
  topErrorCodes: [
    'requests',
    '| where success == false',
    '| extend code = tostring(coalesce(customDimensions["error.code"], customDimensions["ErrorCode"], customDimensions["errorCode"], strcat("HTTP ", resultCode)))',
    '| summarize count = count() by code',
    '| top 5 by count desc',
  ].join('\n'),
  failingRequests: [
    'requests',
    '| where success == false',
    '| top 5 by timestamp desc',
    '| project timestamp, requestId = tostring(coalesce(customDimensions["requestId"], customDimensions["RequestId"], id)), operationId = operation_Id, route = name, resultCode,',
    '    code = tostring(coalesce(customDimensions["error.code"], customDimensions["ErrorCode"], customDimensions["errorCode"]))',
  ].join('\n'),
  p95ByRoute: ['requests', '| summarize p95Ms = percentile(duration, 95), count = count() by route = name', '| top 10 by p95Ms desc'].join('\n'),
};

/** The same for a Log Analytics workspace (workspace-based Application Insights: the `AppRequests` table). */
export const WORKSPACE_QUERIES: TriageQueries = {
  topErrorCodes: [
    'AppRequests',
    '| where Success == false',
    '| extend code = tostring(coalesce(Properties["error.code"], Properties["ErrorCode"], Properties["errorCode"], strcat("HTTP ", ResultCode)))',
    '| summarize count = count() by code',
    '| top 5 by count desc',
  ].join('\n'),
  failingRequests: [
    'AppRequests',
    '| where Success == false',
    '| top 5 by TimeGenerated desc',
    '| project timestamp = TimeGenerated, requestId = tostring(coalesce(Properties["requestId"], Properties["RequestId"], Id)), operationId = OperationId, route = Name, resultCode = ResultCode,',
    '    code = tostring(coalesce(Properties["error.code"], Properties["ErrorCode"], Properties["errorCode"]))',
  ].join('\n'),
  p95ByRoute: ['AppRequests', '| summarize p95Ms = percentile(DurationMs, 95), count = count() by route = Name', '| top 10 by p95Ms desc'].join('\n'),
};

export interface PlanSource {
  service: Pick<ServiceEntry, 'service' | 'environment' | 'match' | 'rollback' | 'signals'>;
  environment: { thresholds: Pick<Thresholds, 'error5xxPercent'>; signals: EnvironmentSignals };
}

/** The site the API rollback swaps (its ARM id), when the policy names one. */
function rollbackSiteId(service: PlanSource['service']): string | null {
  const api = service.rollback?.api;
  if (!api || api.strategy !== 'slot-swap') return null;
  return `/subscriptions/${api.subscriptionId}/resourceGroups/${api.resourceGroup}/providers/Microsoft.Web/sites/${api.site}`;
}

/**
 * Where the readers look for this service and how long a metric must hold. `alerts`: the signals
 * of the alerts the incident has seen, whose fired metrics are watched first.
 */
export function signalsPlanOf(src: PlanSource, alerts: readonly Signal[] = []): SignalsPlan & { unwatchable: string[] } {
  const s = src.service.signals;
  const env = src.environment.signals;
  const site = rollbackSiteId(src.service);
  const resourceIds = s?.resourceIds.length ? s.resourceIds : site ? [site] : [];
  const region = s?.region ?? env.region ?? null;

  const unwatchable: string[] = [];
  const byKey = new Map<string, WatchedMetric>();
  for (const signal of alerts) {
    if (signal.kind !== 'metric-static' && signal.kind !== 'metric-dynamic' && signal.kind !== 'metric-other') continue;
    for (const m of signal.metrics) {
      // The synthetic monitor's own alert: its "metric" is the smoke checks, judged as such.
      if (m.namespace === SYNTHETIC_NAMESPACE) continue;
      const w = watchedFromAlert(signal, m);
      if (w.ok) byKey.set(w.metric.key, byKey.get(w.metric.key) ?? w.metric);
      else unwatchable.push(w.reason);
    }
  }
  for (const watch of s?.metrics ?? defaultWatches(src.environment.thresholds)) {
    const w = watchedFromPolicy(watch, resourceIds);
    if (w.resourceIds.length) byKey.set(w.key, byKey.get(w.key) ?? w);
    else unwatchable.push(`${watch.name}: no ${watch.namespace} resource of ${src.service.service} is named (signals.resourceIds, or an API slot-swap rollback target)`);
  }
  const metrics = [...byKey.values()];

  const logs = s?.logs;
  const plannedLogs: SignalsPlan['logs'] = logs?.appInsights
    ? { kind: 'app-insights', resourceId: logs.appInsights, queries: { ...APP_INSIGHTS_QUERIES, ...logs.queries } }
    : logs?.workspaceId
      ? { kind: 'workspace', workspaceId: logs.workspaceId, workspaceResourceId: logs.workspaceResourceId ?? null, queries: { ...WORKSPACE_QUERIES, ...logs.queries } }
      : null;

  // Where the identity has Monitoring Reader (README "Signals"): the service's resources and its
  // Application Insights component; only without those, the resource groups alerts are routed by.
  const own = [...resourceIds, ...(logs?.appInsights ? [logs.appInsights] : [])];
  const alertScopes = [...new Set(s?.alertScopes ?? (own.length ? own : src.service.match.targetResourceIds))];
  const where = `${src.service.service}@${src.service.environment}`;
  return {
    metrics,
    region,
    logs: plannedLogs,
    alertScopes,
    lookbackMinutes: env.lookbackMinutes,
    holdMinutes: env.holdMinutes,
    timeoutMs: env.timeoutMs,
    missing: {
      metrics: !metrics.length
        ? `no metric to watch for ${where}`
        : region
          ? null
          : `no region for the metrics reader (signals.region of ${where} or of its environment)`,
      logs: plannedLogs ? null : `no Application Insights or Log Analytics workspace for ${where} (signals.logs)`,
      alerts: alertScopes.length ? null : `no scope to list alerts in for ${where} (signals.resourceIds, signals.alertScopes or match.targetResourceIds)`,
    },
    unwatchable,
  };
}

/** Whether `value` breaches the metric's condition. */
export function breaches(m: Pick<WatchedMetric, 'operator' | 'threshold'>, value: number): boolean {
  switch (m.operator) {
    case 'GreaterThan':
      return value > m.threshold;
    case 'GreaterThanOrEqual':
      return value >= m.threshold;
    case 'LessThan':
      return value < m.threshold;
    case 'LessThanOrEqual':
      return value <= m.threshold;
  }
}

const SYMBOL: Record<Comparison, string> = { GreaterThan: '>', GreaterThanOrEqual: '>=', LessThan: '<', LessThanOrEqual: '<=' };
const OPPOSITE: Record<Comparison, string> = { GreaterThan: '<=', GreaterThanOrEqual: '<', LessThan: '>=', LessThanOrEqual: '>' };

/** "2.4 %" / "812 ms" / "17": a figure with its unit, rounded for people. */
export function figure(value: number, unit: string): string {
  const rounded = Math.abs(value) >= 100 ? Math.round(value) : Math.round(value * 100) / 100;
  if (!unit || unit === 'count') return String(rounded);
  return unit === '%' ? `${rounded} %` : `${rounded} ${unit}`;
}

export function breachText(m: WatchedMetric, value: number): string {
  return `${m.label} ${figure(value, m.unit)} ${SYMBOL[m.operator]} ${figure(m.threshold, m.unit)}`;
}

export function underText(m: WatchedMetric): string {
  return `${OPPOSITE[m.operator]} ${figure(m.threshold, m.unit)}`;
}
