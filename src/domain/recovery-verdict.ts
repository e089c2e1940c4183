/**
 * Is the service recovered? RB-03 section 8 and RB-02 sections 10 and 13 ask for more than green
 * smoke checks: the error rate and latency back under threshold, and no lingering alert. So a
 * recovery verdict combines three things:
 *
 *   1. the smoke checks are green;
 *   2. every watched metric (the one the alert fired on, and the policy's) is back under its
 *      threshold and has stayed there for the policy's hold time (`holdMinutes`);
 *   3. no alert for the service is still active (fired, not resolved, not closed by a person).
 *
 * A reader that is unavailable or not configured does not block recovery (the checks still decide)
 * but is never silent: the verdict names what it could not see and why, in `blind`, and its basis
 * says whether it judged on every signal or fell back.
 */
import { breaches, breachText, figure, underText, type ActiveAlert, type MetricObservation, type MetricSeries, type Reading, type WatchedMetric } from './monitor-signals.js';

const MINUTE = 60_000;

export type MetricState = 'under' | 'settling' | 'over' | 'no-data' | 'unseen';

export interface MetricJudgement {
  key: string;
  label: string;
  state: MetricState;
  /** The newest value read (null when none). */
  latest: number | null;
  threshold: number;
  unit: string;
  /** How long it has been under its threshold, as far as the series shows (minutes). */
  underForMinutes: number | null;
  /** One line for people. */
  text: string;
}

export interface SmokeInput {
  verdict: 'green' | 'degraded' | 'red';
  reasons: readonly string[];
}

export interface RecoveryInput {
  /** Orchestration time of the verdict (ms). */
  at: number;
  /** The latest smoke verdict; null when the service has no checks. */
  smoke: SmokeInput | null;
  metrics: readonly MetricObservation[];
  alerts: Reading<ActiveAlert[]>;
  holdMinutes: number;
  /** Metrics the plan could not watch at all (a dynamic threshold, no resource), with the reason. */
  unwatchable?: readonly string[];
}

export interface RecoveryVerdict {
  recovered: boolean;
  /** 'signals': judged on checks, metrics and alerts; 'checks-and-partial': some readers blind; 'checks-only': every reader blind. */
  basis: 'signals' | 'checks-and-partial' | 'checks-only';
  /** Why not recovered (empty when recovered). */
  blocking: string[];
  /** What passed. */
  passing: string[];
  /** What it could not see, and why. Never empty when basis is not 'signals'. */
  blind: string[];
  metrics: MetricJudgement[];
  activeAlerts: ActiveAlert[];
  /** One line for Teams and the timeline. */
  summary: string;
}

/** Judges one metric's series against its threshold over the hold time. */
export function judgeMetric(metric: WatchedMetric, series: readonly MetricSeries[], at: number, holdMinutes: number): MetricJudgement {
  const holdMs = holdMinutes * MINUTE;
  const rank: Record<MetricState, number> = { 'no-data': 0, unseen: 0, under: 1, settling: 2, over: 3 };
  // Each resource on its own; the metric is as bad as its worst resource (and quotes its figures).
  let state: MetricState = 'no-data';
  let latest: number | null = null;
  let underFor: number | null = null;
  for (const s of series) {
    const points = s.points
      .map((p) => ({ at: Date.parse(p.at), value: p.value }))
      .filter((p): p is { at: number; value: number } => p.value !== null && Number.isFinite(p.value) && Number.isFinite(p.at) && p.at <= at)
      .sort((a, b) => a.at - b.at);
    if (!points.length) continue;
    const last = points[points.length - 1]!;
    let own: MetricState;
    let ownUnder: number | null = null;
    if (breaches(metric, last.value)) own = 'over';
    else {
      const lastBreach = [...points].reverse().find((p) => breaches(metric, p.value));
      // Under since the end of the last breaching minute, or for as long as the series reaches back.
      const since = lastBreach ? lastBreach.at + MINUTE : points[0]!.at;
      ownUnder = Math.max(0, at - since);
      own = ownUnder >= holdMs ? 'under' : 'settling';
    }
    const worse = rank[own] > rank[state] || (own === state && (own === 'over' ? last.value > (latest ?? -Infinity) : (ownUnder ?? Infinity) < (underFor ?? Infinity)));
    if (worse) {
      state = own;
      latest = last.value;
      underFor = ownUnder;
    }
  }
  const minutes = underFor === null ? null : Math.floor(underFor / MINUTE);
  const text =
    state === 'over'
      ? `${breachText(metric, latest ?? 0)} (latest value)`
      : state === 'settling'
        ? `${metric.label} ${figure(latest ?? 0, metric.unit)}, back ${underText(metric)} for ${minutes} min of the ${holdMinutes} min it must hold`
        : state === 'under'
          ? `${metric.label} ${underText(metric)} for ${holdMinutes} min or more (latest ${figure(latest ?? 0, metric.unit)})`
          : `${metric.label}: no data points in the series read`;
  return { key: metric.key, label: metric.label, state, latest, threshold: metric.threshold, unit: metric.unit, underForMinutes: minutes, text };
}

/** Alerts that still hold recovery back: fired, not resolved, not closed by a person. */
export function activeOnly(alerts: readonly ActiveAlert[]): ActiveAlert[] {
  return alerts.filter((a) => a.monitorCondition === 'Fired' && (a.alertState ?? '').toLowerCase() !== 'closed');
}

function blindText(what: string, r: Exclude<Reading<unknown>, { status: 'read' }>): string {
  return r.status === 'unavailable' ? `${what}: the reader could not answer (${r.reason})` : `${what}: not read (${r.reason})`;
}

export function recoveryVerdict(input: RecoveryInput): RecoveryVerdict {
  const blocking: string[] = [];
  const passing: string[] = [];
  const blind: string[] = [...(input.unwatchable ?? []).map((u) => `not watched: ${u}`)];
  let seen = 0;

  if (!input.smoke) blocking.push('no smoke checks are configured, so nothing proves the service healthy');
  else if (input.smoke.verdict !== 'green') blocking.push(`smoke checks ${input.smoke.verdict}: ${input.smoke.reasons.slice(0, 3).join('; ') || 'no reason given'}`);
  else passing.push('smoke checks green');

  const metrics: MetricJudgement[] = [];
  for (const obs of input.metrics) {
    if (obs.reading.status !== 'read') {
      blind.push(blindText(`the metric ${obs.metric.label}`, obs.reading));
      metrics.push({ key: obs.metric.key, label: obs.metric.label, state: 'unseen', latest: null, threshold: obs.metric.threshold, unit: obs.metric.unit, underForMinutes: null, text: `${obs.metric.label}: not seen` });
      continue;
    }
    const j = judgeMetric(obs.metric, obs.reading.value, input.at, input.holdMinutes);
    metrics.push(j);
    if (j.state === 'no-data') {
      blind.push(`the metric ${obs.metric.label}: no data points in the last minutes`);
      continue;
    }
    seen++;
    if (j.state === 'under') passing.push(j.text);
    else blocking.push(j.text);
  }

  let activeAlerts: ActiveAlert[] = [];
  if (input.alerts.status === 'read') {
    seen++;
    activeAlerts = activeOnly(input.alerts.value);
    if (activeAlerts.length) {
      const names = activeAlerts.slice(0, 3).map((a) => `${a.rule}${a.firedAt ? ` (fired ${a.firedAt.slice(11, 16)}Z)` : ''}`);
      blocking.push(`${activeAlerts.length} alert(s) still active: ${names.join(', ')}${activeAlerts.length > 3 ? ', ...' : ''}`);
    } else passing.push('no alert active for the service');
  } else blind.push(blindText('active alerts', input.alerts));

  const basis: RecoveryVerdict['basis'] = blind.length === 0 ? 'signals' : seen === 0 ? 'checks-only' : 'checks-and-partial';
  const recovered = blocking.length === 0;
  const head = recovered ? 'Recovered' : 'Not recovered';
  const why = recovered ? passing.join('; ') : blocking.join('; ');
  const fallback = blind.length ? ` Could not see: ${blind.join('; ')}${basis === 'checks-only' ? ' (judged on the smoke checks alone)' : ''}.` : '';
  return { recovered, basis, blocking, passing, blind, metrics, activeAlerts, summary: `${head}: ${why}.${fallback}` };
}
