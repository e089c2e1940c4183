/**
 * The synthetic monitor's memory of one service, and what one run does with it. Detection should
 * not depend entirely on Azure Monitor alerts being wired up: the monitor runs the policy's smoke
 * checks on a schedule and, after `failuresToDeclare` red runs in a row, declares an incident
 * through the alert intake (as an alert of its own, so the intake's deduplication and correlation
 * apply: an incident already open for the service takes it in instead of a second one opening).
 * When the checks are green again it resolves that alert, which the intake raises into the open
 * incident as a recovery signal (recovery itself is still judged by the incident's own checks).
 *
 * A run is identified by its scheduled minute; a run applied once is never applied again (a
 * retried timer, two hosts), so the count of failures in a row is exact.
 */
import type { SeverityLevel } from './policy.js';
import type { Verdict } from './smoke-verdict.js';

export interface MonitorState {
  consecutiveFailures: number;
  /** The scheduled minute of the last run applied (ISO); runs at or before it are not applied again. */
  lastRunAt: string | null;
  lastVerdict: Verdict | null;
  /** The first red run of the current failure episode (ISO), while failing. */
  episode: string | null;
  /** Whether this episode's alert was given to the intake. */
  fired: boolean;
  /** The incident the intake answered with (declared or correlated). */
  incidentId: string | null;
}

export const INITIAL_MONITOR_STATE: MonitorState = { consecutiveFailures: 0, lastRunAt: null, lastVerdict: null, episode: null, fired: false, incidentId: null };

export type MonitorAction =
  | { kind: 'none' }
  | { kind: 'fire'; episode: string; failures: number }
  | { kind: 'resolve'; episode: string };

export interface MonitorStep {
  state: MonitorState;
  action: MonitorAction;
  /** What happened, for the log. */
  note: string;
}

export function stepMonitor(prev: MonitorState, run: { at: string; verdict: Verdict }, failuresToDeclare: number): MonitorStep {
  if (prev.lastRunAt !== null && Date.parse(run.at) <= Date.parse(prev.lastRunAt)) {
    return { state: prev, action: { kind: 'none' }, note: `the run of ${run.at} was applied already` };
  }
  const base = { ...prev, lastRunAt: run.at, lastVerdict: run.verdict };
  if (run.verdict === 'red') {
    const failures = prev.consecutiveFailures + 1;
    const episode = prev.episode ?? run.at;
    if (prev.fired) return { state: { ...base, consecutiveFailures: failures, episode }, action: { kind: 'none' }, note: `red ${failures} runs in a row; the incident knows` };
    if (failures >= failuresToDeclare) {
      return { state: { ...base, consecutiveFailures: failures, episode, fired: true }, action: { kind: 'fire', episode, failures }, note: `red ${failures} runs in a row: declaring` };
    }
    return { state: { ...base, consecutiveFailures: failures, episode }, action: { kind: 'none' }, note: `red ${failures} of ${failuresToDeclare} runs before declaring` };
  }
  if (run.verdict === 'degraded') {
    // Neither a failure nor a pass: the count holds until the checks say red or green.
    return { state: base, action: { kind: 'none' }, note: `degraded; ${prev.consecutiveFailures} red run(s) in a row so far` };
  }
  const reset: MonitorState = { ...base, consecutiveFailures: 0, episode: null, fired: false, incidentId: null };
  if (prev.fired && prev.episode) return { state: reset, action: { kind: 'resolve', episode: prev.episode }, note: 'green again: resolving the synthetic alert' };
  if (prev.consecutiveFailures > 0) return { state: reset, action: { kind: 'none' }, note: `green again after ${prev.consecutiveFailures} red run(s), below ${failuresToDeclare}` };
  return { state: reset, action: { kind: 'none' }, note: 'green' };
}

/** The namespace of the synthetic monitor's own metric: not an Azure Monitor metric, never read back. */
export const SYNTHETIC_NAMESPACE = 'incident-autopilot/synthetic-monitor';
export const SYNTHETIC_METRIC = 'FailedRunsInARow';

/**
 * The monitor's alert in the Azure Monitor common alert schema, so it takes the intake's path
 * (routing by its custom properties, severity, deduplication, correlation, archive). One alert id
 * per failure episode; Fired when declaring, Resolved when green again.
 */
export function syntheticAlert(a: {
  environment: string;
  service: string;
  episode: string;
  condition: 'Fired' | 'Resolved';
  at: string;
  failures: number;
  failuresToDeclare: number;
  azureSeverity: string;
  reasons: readonly string[];
  /** An RB-03 trigger named on the alert, when the policy's severity map cannot express the level. */
  trigger?: string;
}): unknown {
  const slug = (s: string) => s.toLowerCase().replace(/[^a-z0-9-]+/g, '-');
  const rule = `Detected by the synthetic monitor: ${a.service}@${a.environment} smoke checks red`;
  return {
    schemaId: 'azureMonitorCommonAlertSchema',
    data: {
      essentials: {
        alertId: `/providers/incident-autopilot/syntheticMonitor/${slug(a.environment)}/${slug(a.service)}/episodes/${a.episode.replace(/[^0-9TZ]/g, '')}`,
        alertRule: rule,
        severity: a.azureSeverity,
        signalType: 'Metric',
        monitorCondition: a.condition,
        monitoringService: 'Platform',
        alertTargetIDs: [],
        configurationItems: [`${a.service}@${a.environment}`],
        originAlertId: `synthetic-monitor/${a.environment}/${a.service}`,
        firedDateTime: a.episode,
        ...(a.condition === 'Resolved' ? { resolvedDateTime: a.at } : {}),
        description: `${a.condition === 'Fired' ? `Smoke checks red ${a.failures} scheduled runs in a row` : 'Smoke checks green again'}: ${a.reasons.slice(0, 5).join('; ')}`.slice(0, 1000),
        essentialsVersion: '1.0',
        alertContextVersion: '1.0',
      },
      alertContext: {
        conditionType: 'SingleResourceMultipleMetricCriteria',
        condition: {
          windowSize: 'PT1M',
          allOf: [
            {
              metricName: SYNTHETIC_METRIC,
              metricNamespace: SYNTHETIC_NAMESPACE,
              operator: 'GreaterThanOrEqual',
              threshold: String(a.failuresToDeclare),
              timeAggregation: 'Count',
              dimensions: [],
              metricValue: a.condition === 'Fired' ? a.failures : 0,
            },
          ],
        },
      },
      customProperties: { service: a.service, environment: a.environment, detectedBy: 'synthetic-monitor', ...(a.trigger ? { trigger: a.trigger } : {}) },
    },
  };
}

/** The Azure severity the policy maps to `level` (the most severe one), or null when none does. */
export function azureSeverityFor(map: Partial<Record<string, SeverityLevel>>, level: SeverityLevel): string | null {
  for (const sev of ['Sev0', 'Sev1', 'Sev2', 'Sev3', 'Sev4']) if (map[sev] === level) return sev;
  return null;
}
