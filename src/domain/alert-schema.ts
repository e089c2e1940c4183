/**
 * The Azure Monitor common alert schema (schemaId "azureMonitorCommonAlertSchema"), read by its
 * documented shape rather than by samples: the envelope and `essentials` are validated strictly
 * enough to trust them; `alertContext` is read by `monitoringService` (and `conditionType`), with
 * every variant tolerant of the documented quirks. Unknown fields are kept everywhere; an
 * `alertContext` that matches no known variant is kept raw, never a reason to refuse the alert.
 */
import { z } from 'zod';

export const COMMON_SCHEMA_ID = 'azureMonitorCommonAlertSchema';

const when = z.string().refine((s) => !Number.isNaN(Date.parse(s)), 'must be a date-time');
const nullableString = z.string().nullable().optional();
/** Numbers sometimes arrive as strings ("25", "1440") and sometimes as numbers. */
const numberish = z.union([z.number(), z.string()]).nullable().optional();

export const AzureSeverity = z.enum(['Sev0', 'Sev1', 'Sev2', 'Sev3', 'Sev4']);
export type AzureSeverity = z.infer<typeof AzureSeverity>;

export const Essentials = z.looseObject({
  alertId: z.string().min(1).max(1024),
  alertRule: nullableString,
  // CostAlerts send null severity, signalType and monitorCondition.
  severity: AzureSeverity.nullable().optional(),
  signalType: nullableString,
  monitorCondition: z.enum(['Fired', 'Resolved']).nullable().optional(),
  monitoringService: nullableString,
  alertTargetIDs: z.array(z.string()).nullable().optional(),
  configurationItems: z.array(z.string()).nullable().optional(),
  originAlertId: nullableString,
  firedDateTime: when,
  resolvedDateTime: when.nullable().optional(),
  description: nullableString,
  essentialsVersion: nullableString,
  alertContextVersion: nullableString,
  investigationLink: nullableString,
});
export type Essentials = z.infer<typeof Essentials>;

export const CommonAlert = z.looseObject({
  schemaId: z.literal(COMMON_SCHEMA_ID),
  data: z.looseObject({
    essentials: Essentials,
    alertContext: z.unknown().optional(),
    customProperties: z.record(z.string(), z.unknown()).nullable().optional(),
  }),
});
export type CommonAlert = z.infer<typeof CommonAlert>;

// ---- alertContext variants ----------------------------------------------------------------------

const Dimension = z.looseObject({ name: z.string(), value: z.unknown() });

const MetricCriterion = z.looseObject({
  metricName: nullableString,
  metricNamespace: nullableString,
  operator: nullableString,
  threshold: numberish,
  timeAggregation: nullableString,
  dimensions: z.array(Dimension).nullable().optional(),
  metricValue: numberish,
  webTestName: nullableString,
  alertSensitivity: nullableString,
  failingPeriods: z.unknown().optional(),
  ignoreDataBefore: z.unknown().optional(),
});

const MetricCondition = z.looseObject({
  windowSize: nullableString,
  allOf: z.array(MetricCriterion),
  windowStartTime: nullableString,
  windowEndTime: nullableString,
});

export const MetricContext = z.looseObject({
  properties: z.record(z.string(), z.unknown()).nullable().optional(),
  conditionType: z.string(),
  condition: MetricCondition,
});

/** Dynamic thresholds: the criterion always names its metric and how many periods failed. */
const DynamicCriterion = MetricCriterion.extend({
  metricName: z.string().min(1),
  failingPeriods: z.looseObject({ numberOfEvaluationPeriods: numberish, minFailingPeriodsToAlert: numberish }).nullable().optional(),
  ignoreDataBefore: nullableString,
});

export const DynamicMetricContext = MetricContext.extend({
  conditionType: z.literal('DynamicThresholdCriteria'),
  condition: MetricCondition.extend({ allOf: z.array(DynamicCriterion).min(1) }),
});

/** Availability tests: the criterion names the web test (its metric name may be generic or absent). */
const AvailabilityCriterion = MetricCriterion.extend({ webTestName: z.string().min(1) });

export const AvailabilityContext = MetricContext.extend({
  conditionType: z.literal('WebtestLocationAvailabilityCriteria'),
  condition: MetricCondition.extend({ allOf: z.array(AvailabilityCriterion).min(1) }),
});

const LogCriterion = z.looseObject({
  searchQuery: nullableString,
  metricMeasureColumn: nullableString,
  targetResourceTypes: nullableString,
  operator: nullableString,
  threshold: numberish,
  timeAggregation: nullableString,
  dimensions: z.array(Dimension).nullable().optional(),
  metricValue: numberish,
  failingPeriods: z.unknown().optional(),
  linkToSearchResultsUI: nullableString,
  linkToFilteredSearchResultsUI: nullableString,
  linkToSearchResultsAPI: nullableString,
  linkToFilteredSearchResultsAPI: nullableString,
});

export const LogV2Context = z.looseObject({
  properties: z.record(z.string(), z.unknown()).nullable().optional(),
  conditionType: z.literal('LogQueryCriteria'),
  condition: z.looseObject({
    windowSize: nullableString,
    allOf: z.array(LogCriterion),
    windowStartTime: nullableString,
    windowEndTime: nullableString,
  }),
});

/** Log search alerts V1 (Log Analytics / Application Insights): PascalCase, with known quirks. */
export const LogV1Context = z.looseObject({
  SearchQuery: nullableString,
  SearchIntervalStartTimeUtc: nullableString,
  // The documented spelling really is "Endtime".
  SearchIntervalEndtimeUtc: nullableString,
  ResultCount: numberish,
  LinkToSearchResults: nullableString,
  LinkToFilteredSearchResultsUI: nullableString,
  LinkToSearchResultsAPI: nullableString,
  LinkToFilteredSearchResultsAPI: nullableString,
  SeverityDescription: nullableString,
  WorkspaceId: nullableString,
  ApplicationId: nullableString,
  SearchIntervalDurationMin: numberish,
  SearchIntervalInMinutes: numberish,
  AffectedConfigurationItems: z.array(z.string()).nullable().optional(),
  Threshold: numberish,
  Operator: nullableString,
  Dimensions: z.array(Dimension).nullable().optional(),
  SearchResults: z.unknown().optional(),
  // Both spellings occur, with a boolean and a "True"/"False" string respectively.
  IncludeSearchResults: z.union([z.boolean(), z.string()]).nullable().optional(),
  IncludedSearchResults: z.union([z.boolean(), z.string()]).nullable().optional(),
  AlertType: nullableString,
});

/** Activity log events (administrative, policy, autoscale, security, service and resource health). */
export const ActivityLogContext = z.looseObject({
  authorization: z.looseObject({ action: nullableString, scope: nullableString }).nullable().optional(),
  // Service Health sends channels, eventSource and level as numbers.
  channels: z.union([z.string(), z.number()]).nullable().optional(),
  claims: nullableString,
  caller: nullableString,
  correlationId: nullableString,
  eventSource: z.union([z.string(), z.number()]).nullable().optional(),
  eventTimestamp: nullableString,
  eventDataId: nullableString,
  level: z.union([z.string(), z.number()]).nullable().optional(),
  operationName: nullableString,
  operationId: nullableString,
  properties: z.record(z.string(), z.unknown()).nullable().optional(),
  status: nullableString,
  subStatus: nullableString,
  submissionTimestamp: nullableString,
});

/** Service Health: the event is described by its properties (title, service, region, tracking id). */
export const ServiceHealthContext = ActivityLogContext.extend({
  properties: z.looseObject({
    title: nullableString,
    service: nullableString,
    region: nullableString,
    incidentType: nullableString,
    trackingId: nullableString,
    stage: nullableString,
    communication: nullableString,
    impactStartTime: nullableString,
  }),
});

/** Resource Health: the current status decides whether the resource is down. */
export const ResourceHealthContext = ActivityLogContext.extend({
  properties: z.looseObject({
    title: nullableString,
    details: nullableString,
    currentHealthStatus: nullableString,
    previousHealthStatus: nullableString,
    type: nullableString,
    cause: nullableString,
  }),
});

export const SmartDetectorContext = z.looseObject({
  DetectionSummary: nullableString,
  FormattedOccurrenceTime: nullableString,
  DetectedValue: nullableString,
  NormalValue: nullableString,
  SmartDetectorId: nullableString,
  SmartDetectorName: nullableString,
  AnalysisTimestamp: nullableString,
});

export const PrometheusContext = z.looseObject({
  expression: z.string(),
  expressionValue: numberish,
  interval: nullableString,
  for: nullableString,
  labels: z.record(z.string(), z.unknown()).nullable().optional(),
  annotations: z.record(z.string(), z.unknown()).nullable().optional(),
  ruleGroup: nullableString,
});

export const CostContext = z.looseObject({
  AlertCategory: nullableString,
  AlertData: z.record(z.string(), z.unknown()).nullable().optional(),
});

export type MetricContext = z.infer<typeof MetricContext>;
export type LogV1Context = z.infer<typeof LogV1Context>;
export type LogV2Context = z.infer<typeof LogV2Context>;
export type ActivityLogContext = z.infer<typeof ActivityLogContext>;
export type SmartDetectorContext = z.infer<typeof SmartDetectorContext>;
export type PrometheusContext = z.infer<typeof PrometheusContext>;
export type CostContext = z.infer<typeof CostContext>;

export type ContextKind =
  | 'metric-static'
  | 'metric-dynamic'
  | 'metric-availability'
  | 'metric-other'
  | 'log-v1'
  | 'log-v2'
  | 'activity-administrative'
  | 'activity-policy'
  | 'activity-autoscale'
  | 'activity-security'
  | 'activity-other'
  | 'service-health'
  | 'resource-health'
  | 'smart-detector'
  | 'prometheus'
  | 'cost'
  | 'unknown';

export type ParsedContext =
  | { kind: 'metric-static' | 'metric-dynamic' | 'metric-availability' | 'metric-other'; context: MetricContext }
  | { kind: 'log-v1'; context: LogV1Context }
  | { kind: 'log-v2'; context: LogV2Context }
  | {
      kind: 'activity-administrative' | 'activity-policy' | 'activity-autoscale' | 'activity-security' | 'activity-other' | 'service-health' | 'resource-health';
      context: ActivityLogContext;
    }
  | { kind: 'smart-detector'; context: SmartDetectorContext }
  | { kind: 'prometheus'; context: PrometheusContext }
  | { kind: 'cost'; context: CostContext }
  | { kind: 'unknown'; context: unknown; problems: string[] };

const norm = (s: string | null | undefined): string => (s ?? '').toLowerCase().replace(/[\s_-]+/g, '');

/** Reads `alertContext` by its declared variant; falls back to raw with the reasons it did not fit. */
export function parseContext(essentials: Essentials, alertContext: unknown): ParsedContext {
  const service = norm(essentials.monitoringService);
  // Any JSON may arrive here (a number, an array): only an object has fields to look at.
  const raw: Record<string, unknown> = alertContext !== null && typeof alertContext === 'object' && !Array.isArray(alertContext) ? (alertContext as Record<string, unknown>) : {};
  const has = (key: string): boolean => Object.hasOwn(raw, key);
  const conditionType = typeof raw.conditionType === 'string' ? raw.conditionType : undefined;
  const attempt = <T>(schema: z.ZodType<T>): { ok: true; value: T } | { ok: false; problems: string[] } => {
    const r = schema.safeParse(alertContext);
    return r.success ? { ok: true, value: r.data } : { ok: false, problems: r.error.issues.map((i) => `${i.path.join('.') || 'alertContext'}: ${i.message}`) };
  };
  let problems: string[] = [];

  if (conditionType === 'LogQueryCriteria' || service === 'logalertsv2') {
    const r = attempt(LogV2Context);
    if (r.ok) return { kind: 'log-v2', context: r.value };
    problems = r.problems;
  } else if (conditionType !== undefined || service === 'platform') {
    // The variants the Signal reads more from are checked by their own, tighter schemas.
    const r = attempt<MetricContext>(
      conditionType === 'DynamicThresholdCriteria' ? DynamicMetricContext : conditionType === 'WebtestLocationAvailabilityCriteria' ? AvailabilityContext : MetricContext,
    );
    if (r.ok) {
      const kind =
        r.value.conditionType === 'SingleResourceMultipleMetricCriteria' || r.value.conditionType === 'MultipleResourceMultipleMetricCriteria'
          ? 'metric-static'
          : r.value.conditionType === 'DynamicThresholdCriteria'
            ? 'metric-dynamic'
            : r.value.conditionType === 'WebtestLocationAvailabilityCriteria'
              ? 'metric-availability'
              : 'metric-other';
      return { kind, context: r.value };
    }
    problems = r.problems;
    // Log V1 alerts may arrive with monitoringService "Platform" too (documented sample).
    if (has('SearchQuery')) {
      const v1 = attempt(LogV1Context);
      if (v1.ok) return { kind: 'log-v1', context: v1.value };
    }
  } else if (service === 'loganalytics' || service === 'applicationinsights' || has('SearchQuery')) {
    const r = attempt(LogV1Context);
    if (r.ok) return { kind: 'log-v1', context: r.value };
    problems = r.problems;
  } else if (service.startsWith('activitylog') || service === 'servicehealth' || service === 'resourcehealth') {
    const r = attempt<ActivityLogContext>(service === 'servicehealth' ? ServiceHealthContext : service === 'resourcehealth' ? ResourceHealthContext : ActivityLogContext);
    if (r.ok) {
      const kind =
        service === 'servicehealth'
          ? 'service-health'
          : service === 'resourcehealth'
            ? 'resource-health'
            : service === 'activitylogadministrative'
              ? 'activity-administrative'
              : service === 'activitylogpolicy'
                ? 'activity-policy'
                : service === 'activitylogautoscale'
                  ? 'activity-autoscale'
                  : service === 'activitylogsecurity'
                    ? 'activity-security'
                    : 'activity-other';
      return { kind, context: r.value };
    }
    problems = r.problems;
  } else if (service === 'smartdetector' || has('SmartDetectorId')) {
    const r = attempt(SmartDetectorContext);
    if (r.ok) return { kind: 'smart-detector', context: r.value };
    problems = r.problems;
  } else if (service === 'prometheus' || has('expression')) {
    const r = attempt(PrometheusContext);
    if (r.ok) return { kind: 'prometheus', context: r.value };
    problems = r.problems;
  } else if (service === 'costalerts') {
    const r = attempt(CostContext);
    if (r.ok) return { kind: 'cost', context: r.value };
    problems = r.problems;
  } else {
    problems = [`monitoringService "${essentials.monitoringService ?? ''}" is not one this version knows; the context is kept as received`];
  }
  return { kind: 'unknown', context: alertContext, problems };
}
