/**
 * Severity (RB-03 section 3): P1 / P2 / P3 from the Azure severity and from what the signal shows,
 * measured against the environment's thresholds. RB-03's P1 triggers (ready red > 5 min, 5xx > 1 %
 * for 5 min, p95 JSON > 600 ms for 10 min, SSE first event > 200 ms for 10 min, heartbeat gap
 * > 15 s, CORS denies, security exposure, critical parity drift) raise an incident to the
 * environment's trigger severity (P1 in Prod). When in doubt, the higher severity.
 */
import { P1_TRIGGER_KINDS, type Environment, type SeverityLevel, type TriggerKind, type TriggerRule } from './policy.js';
import type { AzureSeverity } from './alert-schema.js';
import { property, type MetricReading, type Signal } from './signal.js';

export interface SeverityDecision {
  level: SeverityLevel;
  /** Why, in words an SRE can check against the runbook, most important first. */
  reasons: string[];
  triggers: TriggerKind[];
}

export interface SeverityPolicy {
  azure: Partial<Record<AzureSeverity, SeverityLevel>>;
  whenUnsure: SeverityLevel;
  triggers: TriggerRule[];
}

const rank: Record<SeverityLevel, number> = { P1: 1, P2: 2, P3: 3 };
export const higher = (a: SeverityLevel, b: SeverityLevel): SeverityLevel => (rank[a] <= rank[b] ? a : b);
export const isHigher = (a: SeverityLevel, than: SeverityLevel): boolean => rank[a] < rank[than];

const P1_TRIGGERS: ReadonlySet<TriggerKind> = new Set(P1_TRIGGER_KINDS);

const describeTrigger: Record<TriggerKind, string> = {
  'ready-red': '/ready red',
  'availability-down': 'the resource is unavailable',
  'error-rate': '5xx rate',
  'latency-p95': 'p95 JSON latency',
  'sse-ttfb': 'SSE first-event time (TTFB)',
  'heartbeat-gap': 'SSE heartbeat gap',
  'cors-denied': 'CORS denies from allowed origins',
  'security-exposure': 'security exposure',
  'parity-critical': 'critical parity drift',
  'feature-errors': 'feature path error spike',
  'single-node-flap': 'single-node flapping',
  'rate-limit': 'rate-limit anomaly',
  'auth-failures': 'auth failure spike',
};

function ruleMatches(rule: TriggerRule, signal: Signal): boolean {
  const m = rule.match;
  if (m.rulePattern && !new RegExp(m.rulePattern, 'i').test(signal.rule ?? '')) return false;
  if (m.metricPattern && !signal.metrics.some((x) => x.name !== null && new RegExp(m.metricPattern ?? '', 'i').test(x.name))) return false;
  if (m.monitoringService && (signal.monitoringService ?? '').toLowerCase() !== m.monitoringService.toLowerCase()) return false;
  if (m.property && property(signal, m.property.name)?.toLowerCase() !== m.property.value.toLowerCase()) return false;
  return true;
}

/** Triggers the signal shows: from the policy's rules, the `trigger` custom property, and its kind. */
export function detectTriggers(signal: Signal, rules: readonly TriggerRule[]): { trigger: TriggerKind; rule: TriggerRule | undefined }[] {
  const out = new Map<TriggerKind, TriggerRule | undefined>();
  for (const rule of rules) if (ruleMatches(rule, signal) && !out.has(rule.trigger)) out.set(rule.trigger, rule);
  const tagged = property(signal, 'trigger')?.toLowerCase();
  // Own keys only: the property is the alert author's text, and `in` would accept "constructor".
  if (tagged && Object.hasOwn(describeTrigger, tagged) && !out.has(tagged as TriggerKind)) out.set(tagged as TriggerKind, undefined);
  if (signal.kind === 'activity-security' && !out.has('security-exposure')) out.set('security-exposure', undefined);
  if (signal.kind === 'resource-health' && signal.activity?.healthStatus?.toLowerCase() === 'unavailable' && !out.has('availability-down')) {
    out.set('availability-down', undefined);
  }
  return [...out].map(([trigger, rule]) => ({ trigger, rule }));
}

/**
 * Converts a measured value to the unit the thresholds use (ms, percent). A value without a unit
 * is already in that unit: it is never rescaled by its size (0.5 on a 5xx rate is 0.5 %, not a
 * fraction meaning 50 %, which would page someone for a P1 that is not there).
 */
function inUnit(value: number, unit: TriggerRule['unit'] | undefined, want: 'ms' | 'percent'): number {
  if (want === 'ms' && unit === 's') return value * 1000;
  if (want === 'percent' && unit === 'ratio') return value * 100;
  return value;
}

interface Assessment {
  /** 'over': meets the RB-03 condition; 'short': over the value but for a shorter window; 'under': below; 'unknown': not measurable. */
  verdict: 'over' | 'short' | 'under' | 'unknown';
  detail: string;
}

function assess(trigger: TriggerKind, metric: MetricReading | undefined, rule: TriggerRule | undefined, t: Environment['thresholds']): Assessment {
  const value = metric?.value ?? null;
  const window = metric?.windowMinutes ?? null;
  const unit = rule?.unit;
  const compare = (limit: number, limitText: string, needMinutes: number | undefined, want: 'ms' | 'percent'): Assessment => {
    if (value === null) return { verdict: 'unknown', detail: `no measured value (limit ${limitText})` };
    const v = inUnit(value, unit, want);
    const shown = want === 'ms' ? `${Math.round(v)} ms` : `${Math.round(v * 100) / 100} %`;
    // Say so when the unit was assumed: a wrong assumption is then visible in the reasons.
    const assumed = unit ? '' : ` (read as ${want === 'ms' ? 'ms' : '%'}: ${rule ? 'the trigger rule names no unit' : 'no trigger rule gives a unit'})`;
    if (!(v > limit)) return { verdict: 'under', detail: `${shown} is within ${limitText}${assumed}` };
    if (needMinutes !== undefined && window !== null && window < needMinutes) {
      return { verdict: 'short', detail: `${shown} > ${limitText}, but over ${window} min (RB-03 asks ${needMinutes} min)${assumed}` };
    }
    return { verdict: 'over', detail: `${shown} > ${limitText}${window !== null ? ` over ${window} min` : ''}${assumed}` };
  };
  switch (trigger) {
    case 'error-rate':
      return compare(t.error5xxPercent, `${t.error5xxPercent} %`, t.error5xxMinutes, 'percent');
    case 'latency-p95':
      return compare(t.p95JsonMs, `${t.p95JsonMs} ms`, t.p95Minutes, 'ms');
    case 'sse-ttfb':
      return compare(t.sseTtfbMs, `${t.sseTtfbMs} ms`, t.sseTtfbMinutes, 'ms');
    case 'heartbeat-gap':
      return compare(t.heartbeatGapCriticalMs, `${t.heartbeatGapCriticalMs / 1000} s`, undefined, 'ms');
    case 'ready-red':
      if (window !== null && window < t.readyRedMinutes) {
        return { verdict: 'short', detail: `red over ${window} min (RB-03 asks ${t.readyRedMinutes} min)` };
      }
      return { verdict: 'over', detail: window !== null ? `red over ${window} min` : 'red' };
    default:
      return { verdict: 'over', detail: 'reported by the alert' };
  }
}

export function classifySeverity(signal: Signal, environment: Environment, policy: SeverityPolicy): SeverityDecision {
  const reasons: string[] = [];
  const triggers: TriggerKind[] = [];
  let level: SeverityLevel;
  if (signal.azureSeverity) {
    level = policy.azure[signal.azureSeverity] ?? policy.whenUnsure;
    reasons.push(`Azure ${signal.azureSeverity} maps to ${level}`);
  } else {
    level = policy.whenUnsure;
    reasons.push(`the alert has no Azure severity: ${level} (when unsure, the higher severity)`);
  }
  if (signal.kind === 'unknown') {
    const floor = higher(level, policy.whenUnsure);
    if (floor !== level) reasons.push(`its details could not be read: at least ${policy.whenUnsure} (when unsure, the higher severity)`);
    level = floor;
  }

  for (const { trigger, rule } of detectTriggers(signal, policy.triggers)) {
    const metric = signal.metrics.find((m) => !rule?.match.metricPattern || (m.name !== null && new RegExp(rule.match.metricPattern, 'i').test(m.name))) ?? signal.metrics[0];
    const a = assess(trigger, metric, rule, environment.thresholds);
    const what = describeTrigger[trigger];
    const p1 = P1_TRIGGERS.has(trigger);
    let target: SeverityLevel | undefined;
    if (a.verdict === 'under') {
      reasons.push(`${what}: ${a.detail}, not an RB-03 trigger`);
      continue;
    }
    if (!p1) {
      target = 'P2';
      reasons.push(`${what} (${a.detail}): an RB-03 P2 signal`);
    } else if (a.verdict === 'short') {
      target = higher(environment.triggerSeverity, 'P2') === 'P1' ? 'P2' : environment.triggerSeverity;
      reasons.push(`${what}: ${a.detail}; not yet proven, treated as ${target}`);
    } else if (a.verdict === 'unknown') {
      target = environment.triggerSeverity;
      reasons.push(`${what}: ${a.detail}; in doubt, treated as the trigger (${target})`);
    } else {
      target = environment.triggerSeverity;
      reasons.push(`${what}: ${a.detail}: RB-03 ${target} trigger`);
    }
    triggers.push(trigger);
    level = higher(level, target);
  }
  // The decisive reason first.
  const decisive = reasons.findIndex((r) => r.includes(`RB-03 ${level}`) || r.includes(`treated as ${level}`) || r.includes(`the trigger (${level})`));
  if (decisive > 0) reasons.unshift(...reasons.splice(decisive, 1));
  return { level, reasons, triggers };
}
