/**
 * The signal readers' answers judged once, as a fact for the incident record (`signals-read`):
 * the recovery verdict (./recovery-verdict.ts), the flap rule (./flap-rule.ts) and the triage
 * lines (./triage.ts) from one reading. The runbook decides on the recorded facts; Teams, the
 * timeline, the custom status and the evidence pack read them. Pure.
 */
import type { EnvironmentSignals, Thresholds } from './policy.js';
import type { SignalsFacts } from './incident-record.js';
import { lookAgainAtDeadline, type DeadlineLook } from './deadline-look.js';
import { alertObservations, flapVerdict, metricObservations, worstFlap, type FlapPolicy } from './flap-rule.js';
import type { ActiveAlert, LogsTriage, MetricObservation, Reading, SignalsPlan } from './monitor-signals.js';
import { recoveryVerdict, type RecoveryVerdict, type SmokeInput } from './recovery-verdict.js';
import { triageSummary } from './triage.js';

/** What the `signalsRead` activity brought back (src/activities/signals.contracts.ts). */
export interface SignalReadings {
  at: string;
  metrics: MetricObservation[];
  alerts: Reading<ActiveAlert[]>;
  triage: Reading<LogsTriage> | null;
}

/** The runbook's signals settings for one incident (null in RunbookConfig: the service's signals are not read). */
export interface SignalsConfig {
  plan: SignalsPlan & { unwatchable: string[] };
  lookAgainBeforeDeadline: boolean;
  alertAtWindowEnd: EnvironmentSignals['alertAtWindowEnd'];
  extendMinutes: number;
  maxExtensions: number;
  flap: FlapPolicy;
  p95JsonMs: number;
}

export function signalsConfigOf(plan: SignalsPlan & { unwatchable: string[] }, env: EnvironmentSignals, thresholds: Pick<Thresholds, 'flapCount' | 'flapWindowMinutes' | 'p95JsonMs'>): SignalsConfig {
  return {
    plan,
    lookAgainBeforeDeadline: env.lookAgainBeforeDeadline,
    alertAtWindowEnd: env.alertAtWindowEnd,
    extendMinutes: env.extendMinutes,
    maxExtensions: env.maxExtensions,
    flap: { flapCount: thresholds.flapCount, flapWindowMinutes: thresholds.flapWindowMinutes },
    p95JsonMs: thresholds.p95JsonMs,
  };
}

const asked = (r: SignalReadings): boolean => r.metrics.length > 0 || !(r.alerts.status === 'not-configured' && r.alerts.reason === NOT_ASKED);
/** The activity's reason for a reader it was not asked to run this time. */
export const NOT_ASKED = 'not asked this time';

function recoveryFacts(v: RecoveryVerdict): NonNullable<SignalsFacts['recovery']> {
  return {
    recovered: v.recovered,
    basis: v.basis,
    summary: v.summary,
    blocking: v.blocking,
    blind: v.blind,
    activeAlerts: v.activeAlerts.map((a) => a.rule).slice(0, 10),
    metrics: v.metrics.map((m) => ({ label: m.label, state: m.state, text: m.text })),
  };
}

/**
 * One reading judged. `smoke`: the round's checks (null at the snapshot when they could not run, or
 * for a service without checks). `alertEvents`: the alert deliveries the incident has received
 * (Fired / Resolved), for the flap rule besides the metric minutes.
 */
export function judgeSignals(
  purpose: SignalsFacts['purpose'],
  r: SignalReadings,
  c: SignalsConfig,
  smoke: SmokeInput | null,
  alertEvents: readonly { at: number; condition: 'Fired' | 'Resolved' }[],
  now: number,
): SignalsFacts {
  const recovery = asked(r) ? recoveryFacts(recoveryVerdict({ at: now, smoke, metrics: r.metrics, alerts: r.alerts, holdMinutes: c.plan.holdMinutes, unwatchable: c.plan.unwatchable })) : null;
  let flap: SignalsFacts['flap'] = null;
  if (purpose === 'verify' || purpose === 'monitor') {
    const verdicts = r.metrics.flatMap((o) => (o.reading.status === 'read' ? [flapVerdict(o.metric.label, metricObservations(o.metric, o.reading.value), c.flap, now)] : []));
    if (alertEvents.length) verdicts.push(flapVerdict('the alert', alertObservations(alertEvents), c.flap, now));
    const worst = worstFlap(verdicts);
    flap = worst && worst.flaps > 0 ? { signal: worst.signal, flaps: worst.flaps, times: worst.times, rollBack: worst.rollBack, text: worst.text } : null;
  }
  let triage: SignalsFacts['triage'] = null;
  if (r.triage) {
    const t = triageSummary(r.triage, c.p95JsonMs);
    triage = { status: t.status, lines: t.lines.slice(0, 8), topErrorCodes: t.topErrorCodes, requestIds: t.samples.map((x) => x.requestId), queryLink: t.queryLink };
  }
  return { purpose, recovery, flap, triage };
}

/** Before an automatic rollback at a deadline: the look-again rule on a fresh reading. */
export function lookAgain(deadline: string, r: SignalReadings, c: SignalsConfig, smoke: SmokeInput | null, now: number): DeadlineLook {
  return lookAgainAtDeadline({ enabled: c.lookAgainBeforeDeadline, deadline, at: now, smoke, metrics: r.metrics, alerts: r.alerts, holdMinutes: c.plan.holdMinutes, unwatchable: c.plan.unwatchable });
}
