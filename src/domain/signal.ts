/**
 * One normalised `Signal` per alert delivery, whatever the monitoring service: what fired, where,
 * when, how bad (the Azure severity and the measured values), and what the alert rule author
 * attached (custom properties). The incident runbook works on signals, never on raw payloads.
 */
import { parseContext, type AzureSeverity, type CommonAlert, type ContextKind } from './alert-schema.js';

export interface MetricReading {
  name: string | null;
  namespace: string | null;
  operator: string | null;
  threshold: number | null;
  value: number | null;
  aggregation: string | null;
  windowMinutes: number | null;
  dimensions: Record<string, string>;
}

export interface Signal {
  alertId: string;
  rule: string | null;
  azureSeverity: AzureSeverity | null;
  signalType: string | null;
  condition: 'Fired' | 'Resolved';
  monitoringService: string | null;
  kind: ContextKind;
  firedAt: string;
  resolvedAt: string | null;
  description: string | null;
  targets: string[];
  configurationItems: string[];
  metrics: MetricReading[];
  query: { text: string | null; resultCount: number | null; link: string | null } | null;
  activity: {
    operationName: string | null;
    status: string | null;
    level: string | null;
    caller: string | null;
    title: string | null;
    healthStatus: string | null;
  } | null;
  /** Custom properties of the rule and the action group, alertContext properties, Prometheus labels. */
  properties: Record<string, string>;
  /** Why the alertContext could not be read by its variant (kept raw then). */
  contextProblems: string[];
}

const num = (v: unknown): number | null => {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  return null;
};
const str = (v: unknown): string | null => (typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : null);
const iso = (v: string): string => new Date(Date.parse(v)).toISOString();

/** Minutes in an ISO 8601 duration such as PT5M, PT1H, P1D; null when unreadable. */
export function durationMinutes(value: string | null | undefined): number | null {
  if (!value) return null;
  const m = /^P(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$/i.exec(value.trim());
  if (!m || value.trim().toUpperCase() === 'P' || value.trim().toUpperCase() === 'PT') return null;
  const [, d, h, min, s] = m;
  const minutes = Number(d ?? 0) * 1440 + Number(h ?? 0) * 60 + Number(min ?? 0) + Number(s ?? 0) / 60;
  // "P999...9D" parses to Infinity, which no window is (and JSON cannot carry).
  return Number.isFinite(minutes) ? minutes : null;
}

function flatProperties(...sources: unknown[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const source of sources) {
    if (!source || typeof source !== 'object' || Array.isArray(source)) continue;
    for (const [k, v] of Object.entries(source as Record<string, unknown>)) {
      const s = str(v);
      if (s !== null && k.length <= 128) out[k] = s.slice(0, 1024);
    }
  }
  return out;
}

const isRecord = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * The largest AggregatedValue in embedded log search results, if any. The results are the query's
 * own data (any shape): what is not a table of rows is skipped, never a reason to fail the alert.
 */
function aggregatedValue(results: unknown): number | null {
  const tables = isRecord(results) ? results.tables : undefined;
  if (!Array.isArray(tables)) return null;
  let best: number | null = null;
  for (const t of tables) {
    if (!isRecord(t) || !Array.isArray(t.columns) || !Array.isArray(t.rows)) continue;
    const col = t.columns.findIndex((c) => isRecord(c) && c.name === 'AggregatedValue');
    if (col < 0) continue;
    for (const row of t.rows) {
      const v = Array.isArray(row) ? num(row[col]) : null;
      if (v !== null && (best === null || v > best)) best = v;
    }
  }
  return best;
}

function dims(list: { name: string; value: unknown }[] | null | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const d of list ?? []) out[d.name] = str(d.value) ?? '';
  return out;
}

export function toSignal(alert: CommonAlert): Signal {
  const e = alert.data.essentials;
  const parsed = parseContext(e, alert.data.alertContext);
  const signal: Signal = {
    alertId: e.alertId,
    rule: e.alertRule ?? null,
    azureSeverity: e.severity ?? null,
    signalType: e.signalType ?? null,
    // Cost alerts carry no condition: they are notifications, i.e. "fired".
    condition: e.monitorCondition ?? 'Fired',
    monitoringService: e.monitoringService ?? null,
    kind: parsed.kind,
    firedAt: iso(e.firedDateTime),
    resolvedAt: e.resolvedDateTime ? iso(e.resolvedDateTime) : null,
    description: e.description ?? null,
    targets: e.alertTargetIDs ?? [],
    configurationItems: e.configurationItems ?? [],
    metrics: [],
    query: null,
    activity: null,
    properties: flatProperties(alert.data.customProperties),
    contextProblems: [],
  };

  switch (parsed.kind) {
    case 'metric-static':
    case 'metric-dynamic':
    case 'metric-availability':
    case 'metric-other': {
      const c = parsed.context;
      const window = durationMinutes(c.condition.windowSize);
      signal.metrics = c.condition.allOf.map((m) => ({
        name: m.metricName ?? (m.webTestName ? `availability:${m.webTestName}` : null),
        namespace: m.metricNamespace ?? null,
        operator: m.operator ?? null,
        threshold: num(m.threshold),
        value: num(m.metricValue),
        aggregation: m.timeAggregation ?? null,
        windowMinutes: window,
        dimensions: dims(m.dimensions),
      }));
      signal.properties = flatProperties(c.properties, alert.data.customProperties);
      break;
    }
    case 'log-v2': {
      const c = parsed.context;
      const window = durationMinutes(c.condition.windowSize);
      const first = c.condition.allOf[0];
      signal.metrics = c.condition.allOf.map((m) => ({
        name: m.metricMeasureColumn ?? 'query',
        namespace: null,
        operator: m.operator ?? null,
        threshold: num(m.threshold),
        value: num(m.metricValue),
        aggregation: m.timeAggregation ?? null,
        windowMinutes: window,
        dimensions: dims(m.dimensions),
      }));
      signal.query = { text: first?.searchQuery ?? null, resultCount: null, link: first?.linkToFilteredSearchResultsUI ?? first?.linkToSearchResultsUI ?? null };
      signal.properties = flatProperties(c.properties, alert.data.customProperties);
      break;
    }
    case 'log-v1': {
      const c = parsed.context;
      signal.query = { text: c.SearchQuery ?? null, resultCount: num(c.ResultCount), link: c.LinkToFilteredSearchResultsUI ?? c.LinkToSearchResults ?? null };
      // "Metric measurement" alerts breach on AggregatedValue (in the results, when included);
      // "Number of results" alerts breach on the count.
      const measured = /metric/i.test(c.AlertType ?? '') ? aggregatedValue(c.SearchResults) : num(c.ResultCount);
      signal.metrics = [
        {
          name: c.AlertType ?? 'query',
          namespace: null,
          operator: c.Operator ?? null,
          threshold: num(c.Threshold),
          value: measured,
          aggregation: null,
          windowMinutes: num(c.SearchIntervalInMinutes ?? c.SearchIntervalDurationMin),
          dimensions: dims(c.Dimensions),
        },
      ];
      break;
    }
    case 'activity-administrative':
    case 'activity-policy':
    case 'activity-autoscale':
    case 'activity-security':
    case 'activity-other':
    case 'service-health':
    case 'resource-health': {
      const c = parsed.context;
      const p = c.properties ?? {};
      signal.activity = {
        operationName: c.operationName ?? null,
        status: c.status ?? null,
        level: str(c.level),
        caller: c.caller ?? null,
        title: str(p.title) ?? str(p.message) ?? str(p.description) ?? null,
        healthStatus: str(p.currentHealthStatus),
      };
      break;
    }
    case 'smart-detector': {
      const c = parsed.context;
      signal.activity = {
        operationName: c.SmartDetectorName ?? null,
        status: null,
        level: null,
        caller: null,
        title: c.DetectionSummary ?? null,
        healthStatus: null,
      };
      break;
    }
    case 'prometheus': {
      const c = parsed.context;
      signal.metrics = [
        {
          name: c.expression,
          namespace: 'prometheus',
          operator: null,
          threshold: null,
          value: num(c.expressionValue),
          aggregation: null,
          windowMinutes: durationMinutes(c.for ?? c.interval),
          dimensions: {},
        },
      ];
      signal.properties = flatProperties(c.labels, c.annotations, alert.data.customProperties);
      break;
    }
    case 'cost':
      signal.properties = flatProperties(parsed.context.AlertData, alert.data.customProperties);
      break;
    case 'unknown':
      signal.contextProblems = parsed.problems.slice(0, 20);
      break;
  }
  return signal;
}

/** Case-insensitive lookup of a property (alert authors are not consistent about case). */
export function property(signal: Signal, name: string): string | undefined {
  const want = name.toLowerCase();
  for (const [k, v] of Object.entries(signal.properties)) if (k.toLowerCase() === want) return v;
  return undefined;
}
