/**
 * The signal readers: Azure Monitor as the runbook reads it (metrics, active alerts, logs). One
 * port for the three readers, because they answer one question together (is the service really
 * back?). A reader never throws for what it finds or fails to reach: a timeout, a refusal (403), a
 * query error or a missing setting come back as a Reading that says so, so every verdict can name
 * what it could not see.
 */
import type { ActiveAlert, LogsTriage, MetricSeries, Reading, SignalsPlan, WatchedMetric } from '../domain/monitor-signals.js';

export interface ReadWindow {
  /** ISO 8601, inclusive. */
  from: string;
  /** ISO 8601, exclusive. */
  to: string;
  /** Each call's deadline. */
  timeoutMs: number;
}

export interface SignalReaders {
  /** One watched metric over the window, per resource, one point a minute (ratio metrics already divided). */
  readMetric(metric: WatchedMetric, region: string, window: ReadWindow): Promise<Reading<MetricSeries[]>>;
  /** The alerts fired and not resolved in these scopes (resource groups or resources). */
  activeAlerts(scopes: readonly string[], window: ReadWindow): Promise<Reading<ActiveAlert[]>>;
  /** The triage queries: top error codes, failing requests with requestIds, p95 per route. */
  triage(logs: NonNullable<SignalsPlan['logs']>, window: ReadWindow): Promise<Reading<LogsTriage>>;
}
