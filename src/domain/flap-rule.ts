/**
 * RB-02 section 3: roll back when a signal flaps ("/healthz or /ready ... flapping > 3 times / 10
 * minutes"). The policy says how many flaps within how many minutes (`thresholds.flapCount`,
 * `thresholds.flapWindowMinutes`); the rule rolls back when a signal has flapped that many times
 * or more within the window ending now.
 *
 * A flap is the signal going bad again after it had been good: a healthy observation followed by
 * an unhealthy one (a smoke round red after a green one, a metric minute over its threshold after
 * one under it, an alert firing again after it resolved). The first failure of an incident, with
 * nothing healthy before it, is the incident itself, not a flap.
 */
import { breaches, type MetricSeries, type WatchedMetric } from './monitor-signals.js';

const MINUTE = 60_000;

export interface Observation {
  /** ms */
  at: number;
  healthy: boolean;
}

export interface FlapPolicy {
  flapCount: number;
  flapWindowMinutes: number;
}

export interface FlapVerdict {
  signal: string;
  flaps: number;
  /** When each flap (healthy -> unhealthy) happened, ISO, oldest first. */
  times: string[];
  rollBack: boolean;
  text: string;
}

/** The healthy -> unhealthy transitions within `windowMinutes` ending at `now`. */
export function flapsIn(observations: readonly Observation[], windowMinutes: number, now: number): number[] {
  const sorted = [...observations].filter((o) => o.at <= now).sort((a, b) => a.at - b.at);
  const from = now - windowMinutes * MINUTE;
  const out: number[] = [];
  for (let i = 1; i < sorted.length; i++) {
    const prev = sorted[i - 1]!;
    const cur = sorted[i]!;
    if (prev.healthy && !cur.healthy && cur.at >= from) out.push(cur.at);
  }
  return out;
}

export function flapVerdict(signal: string, observations: readonly Observation[], policy: FlapPolicy, now: number): FlapVerdict {
  const flaps = flapsIn(observations, policy.flapWindowMinutes, now);
  const rollBack = flaps.length >= policy.flapCount;
  const times = flaps.map((t) => new Date(t).toISOString());
  const text = rollBack
    ? `${signal} flapped ${flaps.length} times in ${policy.flapWindowMinutes} min (at ${times.map((t) => t.slice(11, 16)).join(', ')} UTC): ` +
      `the policy rolls back at ${policy.flapCount} (RB-02 section 3)`
    : `${signal}: ${flaps.length} flap(s) in the last ${policy.flapWindowMinutes} min (rollback at ${policy.flapCount})`;
  return { signal, flaps: flaps.length, times, rollBack, text };
}

/** A metric's minutes as observations: healthy while under its threshold (worst resource per minute). */
export function metricObservations(metric: Pick<WatchedMetric, 'operator' | 'threshold'>, series: readonly MetricSeries[]): Observation[] {
  const byMinute = new Map<number, boolean>();
  for (const s of series) {
    for (const p of s.points) {
      const at = Date.parse(p.at);
      if (p.value === null || !Number.isFinite(at)) continue;
      const healthy = !breaches(metric, p.value);
      byMinute.set(at, (byMinute.get(at) ?? true) && healthy);
    }
  }
  return [...byMinute.entries()].map(([at, healthy]) => ({ at, healthy }));
}

/** Alert deliveries (Fired / Resolved) as observations: healthy once resolved. */
export function alertObservations(events: readonly { at: number; condition: 'Fired' | 'Resolved' }[]): Observation[] {
  return events.map((e) => ({ at: e.at, healthy: e.condition === 'Resolved' }));
}

/** The worst of several signals' verdicts: the first that rolls back, else the one with most flaps. */
export function worstFlap(verdicts: readonly FlapVerdict[]): FlapVerdict | null {
  if (!verdicts.length) return null;
  return [...verdicts].sort((a, b) => Number(b.rollBack) - Number(a.rollBack) || b.flaps - a.flaps)[0]!;
}
