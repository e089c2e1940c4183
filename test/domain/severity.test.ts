/** Severity (RB-03 section 3) branch by branch. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAlert } from '../../src/app/intake.js';
import { type Environment, Policy, type TriggerRule } from '../../src/config/policy.js';
import { classifySeverity } from '../../src/domain/severity.js';
import type { Signal } from '../../src/domain/signal.js';

const policy = Policy.parse(JSON.parse(readFileSync(path.join(__dirname, '..', 'fixtures', 'policy', 'test-policy.json'), 'utf8')));
const sev = { azure: policy.severity.azure, whenUnsure: policy.severity.whenUnsure, triggers: policy.triggers };
const prod = policy.environments.Prod as Environment;
const beta = policy.environments.Beta as Environment;

function fixture(name: string): Signal {
  const r = parseAlert(JSON.parse(readFileSync(path.join(__dirname, '..', 'fixtures', 'azure-monitor', name), 'utf8')));
  if (!r.ok) throw new Error(r.message);
  return r.signal;
}

function metricSignal(over: Partial<Signal['metrics'][number]>, extra: Partial<Signal> = {}): Signal {
  const base = fixture('metric-5xx-fired.json');
  return { ...base, ...extra, metrics: [{ ...(base.metrics[0] as Signal['metrics'][number]), ...over }] };
}

describe('classifySeverity', () => {
  it('maps the Azure severity when no trigger applies', () => {
    const s = fixture('metric-dynamic-fired.json');
    expect(classifySeverity(s, prod, sev)).toMatchObject({ level: 'P3', triggers: [] });
    expect(classifySeverity({ ...s, azureSeverity: 'Sev0' }, prod, sev).level).toBe('P1');
    expect(classifySeverity({ ...s, azureSeverity: 'Sev2' }, prod, sev).reasons[0]).toBe('Azure Sev2 maps to P2');
  });

  it('raises a Prod 5xx rate over 1 % for 5 min to P1, with the figures in the reason', () => {
    const d = classifySeverity(fixture('metric-5xx-fired.json'), prod, sev);
    expect(d.level).toBe('P1');
    expect(d.triggers).toEqual(['error-rate']);
    expect(d.reasons[0]).toBe('5xx rate: 2.7 % > 1 % over 5 min: RB-03 P1 trigger');
  });

  it('does not escalate a value within the threshold', () => {
    const d = classifySeverity(metricSignal({ value: 0.6 }), prod, sev);
    expect(d.level).toBe('P2');
    expect(d.reasons).toContain('5xx rate: 0.6 % is within 1 %, not an RB-03 trigger');
  });

  it('treats a breach over a shorter window than RB-03 asks as P2 (not yet proven)', () => {
    const d = classifySeverity(metricSignal({ windowMinutes: 1 }), prod, sev);
    expect(d.level).toBe('P2');
    expect(d.reasons[0]).toContain('over 1 min (RB-03 asks 5 min); not yet proven, treated as P2');
  });

  it('uses the environment thresholds and trigger severity (Beta is laxer and tops out at P2)', () => {
    expect(classifySeverity(metricSignal({ value: 2.7 }), beta, sev).level).toBe('P2');
    expect(classifySeverity(metricSignal({ value: 2.7 }, { azureSeverity: 'Sev3' }), beta, sev).reasons).toContain(
      '5xx rate: 2.7 % is within 5 %, not an RB-03 trigger',
    );
    expect(classifySeverity(metricSignal({ value: 7 }, { azureSeverity: 'Sev3' }), beta, sev).level).toBe('P2');
  });

  it('escalates SSE first-event time over 200 ms for 10 min from a log alert (seconds converted)', () => {
    const d = classifySeverity(fixture('log-v1-metric-measurement-fired.json'), prod, sev);
    expect(d.triggers).toEqual(['sse-ttfb']);
    expect(d.level).toBe('P1');
    const rules: TriggerRule[] = [{ trigger: 'sse-ttfb', match: { metricPattern: 'ttfb' }, unit: 's' }];
    const inSeconds = metricSignal({ name: 'sse_ttfb_seconds', value: 0.35, windowMinutes: 10 }, { azureSeverity: 'Sev3' });
    expect(classifySeverity(inSeconds, prod, { ...sev, triggers: rules }).reasons[0]).toBe(
      'SSE first-event time (TTFB): 350 ms > 200 ms over 10 min: RB-03 P1 trigger',
    );
  });

  it('escalates when the trigger has no measured value (when in doubt, higher)', () => {
    const d = classifySeverity(metricSignal({ value: null }), prod, sev);
    expect(d.level).toBe('P1');
    expect(d.reasons[0]).toContain('in doubt, treated as the trigger (P1)');
  });

  it('treats security alerts and unavailable resources as P1 triggers in Prod', () => {
    expect(classifySeverity(fixture('activity-log-security-fired.json'), prod, sev)).toMatchObject({ level: 'P1', triggers: ['security-exposure'] });
    expect(classifySeverity(fixture('resource-health-fired.json'), prod, sev)).toMatchObject({ level: 'P1', triggers: ['availability-down'] });
  });

  it('honours a trigger named by the alert rule author in a custom property', () => {
    const s = { ...fixture('metric-dynamic-fired.json'), properties: { trigger: 'cors-denied' } };
    expect(classifySeverity(s, prod, sev)).toMatchObject({ level: 'P1', triggers: ['cors-denied'] });
    const p2 = { ...fixture('metric-dynamic-fired.json'), properties: { trigger: 'auth-failures' } };
    expect(classifySeverity(p2, prod, sev)).toMatchObject({ level: 'P2', triggers: ['auth-failures'] });
  });

  it('takes the higher severity when unsure: no Azure severity, or an unreadable context', () => {
    expect(classifySeverity(fixture('cost-budget-fired.json'), prod, sev).level).toBe('P2');
    const unknown = classifySeverity(fixture('unknown-service-fired.json'), prod, sev);
    expect(unknown.level).toBe('P2');
    expect(unknown.reasons.join(' ')).toContain('could not be read');
  });

  describe('units of the measured value', () => {
    const withRule = (rule: TriggerRule) => ({ ...sev, triggers: [rule] });
    const unitless: TriggerRule = { trigger: 'error-rate', match: { metricPattern: '5xx' } };

    it('reads a value without a unit in the trigger\'s own unit (percent for the 5xx rate), never as a fraction', () => {
      // 0.5 means 0.5 %: within Prod's 1 %, so no P1 (it used to be taken for 50 %).
      const half = classifySeverity(metricSignal({ value: 0.5 }, { azureSeverity: 'Sev3' }), prod, withRule(unitless));
      expect(half.level).toBe('P3');
      expect(half.triggers).toEqual([]);
      expect(half.reasons).toContain('5xx rate: 0.5 % is within 1 % (read as %: the trigger rule names no unit), not an RB-03 trigger');
      const over = classifySeverity(metricSignal({ value: 2.7 }, { azureSeverity: 'Sev3' }), prod, withRule(unitless));
      expect(over.level).toBe('P1');
      expect(over.reasons[0]).toBe('5xx rate: 2.7 % > 1 % over 5 min (read as %: the trigger rule names no unit): RB-03 P1 trigger');
    });

    it('scales a fraction only when the rule says "ratio"', () => {
      const d = classifySeverity(metricSignal({ value: 0.027 }, { azureSeverity: 'Sev3' }), prod, withRule({ ...unitless, unit: 'ratio' }));
      expect(d.level).toBe('P1');
      expect(d.reasons[0]).toBe('5xx rate: 2.7 % > 1 % over 5 min: RB-03 P1 trigger');
      const small = classifySeverity(metricSignal({ value: 0.005 }, { azureSeverity: 'Sev3' }), prod, withRule({ ...unitless, unit: 'ratio' }));
      expect(small.level).toBe('P3');
    });

    it('reads a latency without a unit in milliseconds, and seconds when the rule says "s"', () => {
      const p95: TriggerRule = { trigger: 'latency-p95', match: { metricPattern: 'duration' } };
      const latency = (value: number) => metricSignal({ name: 'HttpResponseTime duration p95', value, windowMinutes: 10 }, { azureSeverity: 'Sev3' });
      expect(classifySeverity(latency(0.75), prod, withRule(p95)).level).toBe('P3');
      expect(classifySeverity(latency(750), prod, withRule(p95)).reasons[0]).toBe(
        'p95 JSON latency: 750 ms > 600 ms over 10 min (read as ms: the trigger rule names no unit): RB-03 P1 trigger',
      );
      expect(classifySeverity(latency(0.75), prod, withRule({ ...p95, unit: 's' })).level).toBe('P1');
    });

    it('refuses, in the policy, a unit that cannot measure the trigger', () => {
      const doc = JSON.parse(readFileSync(path.join(__dirname, '..', 'fixtures', 'policy', 'test-policy.json'), 'utf8')) as { triggers: unknown[] };
      doc.triggers = [
        { trigger: 'error-rate', match: { metricPattern: '5xx' }, unit: 'ms' },
        { trigger: 'heartbeat-gap', match: { rulePattern: 'heartbeat' }, unit: 'percent' },
        { trigger: 'latency-p95', match: { rulePattern: 'p95' }, unit: 'ratio' },
      ];
      const r = Policy.safeParse(doc);
      expect(r.success).toBe(false);
      expect(r.error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`)).toEqual([
        'triggers.0.unit: error-rate measures a share of requests ("percent" or "ratio"), not "ms"',
        'triggers.1.unit: heartbeat-gap measures a time ("ms" or "s"), not "percent"',
        'triggers.2.unit: latency-p95 measures a time ("ms" or "s"), not "ratio"',
      ]);
    });
  });

  describe('the RB-03 Prod triggers, with policy.sample.json', () => {
    const sample = Policy.parse(JSON.parse(readFileSync(path.join(__dirname, '..', '..', 'policy.sample.json'), 'utf8')));
    const sampleSev = { azure: sample.severity.azure, whenUnsure: sample.severity.whenUnsure, triggers: sample.triggers };
    const sampleProd = sample.environments.Prod as Environment;
    const sampleBeta = sample.environments.Beta as Environment;

    /** A Sev3 metric alert as Azure Monitor sends it, through the schema and toSignal. */
    function metricAlert(rule: string, metric: string, value: number, window: string): Signal {
      const doc = JSON.parse(readFileSync(path.join(__dirname, '..', 'fixtures', 'azure-monitor', 'metric-5xx-fired.json'), 'utf8')) as {
        data: { essentials: Record<string, unknown>; alertContext: { condition: { windowSize: string; allOf: Record<string, unknown>[] } } };
      };
      Object.assign(doc.data.essentials, { alertRule: rule, severity: 'Sev3' });
      doc.data.alertContext.condition.windowSize = window;
      Object.assign(doc.data.alertContext.condition.allOf[0] as object, { metricName: metric, metricValue: value });
      const r = parseAlert(doc);
      if (!r.ok) throw new Error(r.message);
      return r.signal;
    }

    it('p95 JSON latency over 600 ms for 10 min is P1; for a shorter window P2; within 600 ms no trigger', () => {
      const over = classifySeverity(metricAlert('prod-admin-api-p95-json', 'HttpResponseTimeP95', 750, 'PT10M'), sampleProd, sampleSev);
      expect(over).toMatchObject({ level: 'P1', triggers: ['latency-p95'] });
      expect(over.reasons[0]).toBe('p95 JSON latency: 750 ms > 600 ms over 10 min: RB-03 P1 trigger');
      const short = classifySeverity(metricAlert('prod-admin-api-p95-json', 'HttpResponseTimeP95', 750, 'PT5M'), sampleProd, sampleSev);
      expect(short.level).toBe('P2');
      expect(short.reasons[0]).toBe('p95 JSON latency: 750 ms > 600 ms, but over 5 min (RB-03 asks 10 min); not yet proven, treated as P2');
      const within = classifySeverity(metricAlert('prod-admin-api-p95-json', 'HttpResponseTimeP95', 580, 'PT10M'), sampleProd, sampleSev);
      expect(within).toMatchObject({ level: 'P3', triggers: [] });
      expect(within.reasons).toContain('p95 JSON latency: 580 ms is within 600 ms, not an RB-03 trigger');
      // Beta's budget is 1200 ms, and its triggers top out at P2.
      expect(classifySeverity(metricAlert('beta-admin-api-p95-json', 'HttpResponseTimeP95', 750, 'PT10M'), sampleBeta, sampleSev).level).toBe('P3');
      expect(classifySeverity(metricAlert('beta-admin-api-p95-json', 'HttpResponseTimeP95', 1500, 'PT10M'), sampleBeta, sampleSev).level).toBe('P2');
    });

    it('/ready red for 5 min is P1; red for a shorter window is P2', () => {
      const red = classifySeverity(metricAlert('prod-admin-api-ready-red', 'HealthCheckStatus', 0, 'PT5M'), sampleProd, sampleSev);
      expect(red).toMatchObject({ level: 'P1', triggers: ['ready-red'] });
      expect(red.reasons[0]).toBe('/ready red: red over 5 min: RB-03 P1 trigger');
      const brief = classifySeverity(metricAlert('prod-admin-api-ready-red', 'HealthCheckStatus', 0, 'PT2M'), sampleProd, sampleSev);
      expect(brief).toMatchObject({ level: 'P2', triggers: ['ready-red'] });
      expect(brief.reasons[0]).toBe('/ready red: red over 2 min (RB-03 asks 5 min); not yet proven, treated as P2');
    });

    it('an SSE heartbeat gap over 15 s is P1 whatever the window; up to 15 s it is not a trigger', () => {
      const gap = classifySeverity(metricAlert('prod-admin-api-sse-heartbeat-gap', 'SseHeartbeatGapMs', 16_000, 'PT1M'), sampleProd, sampleSev);
      expect(gap).toMatchObject({ level: 'P1', triggers: ['heartbeat-gap'] });
      expect(gap.reasons[0]).toBe('SSE heartbeat gap: 16000 ms > 15 s over 1 min: RB-03 P1 trigger');
      const ok = classifySeverity(metricAlert('prod-admin-api-sse-heartbeat-gap', 'SseHeartbeatGapMs', 15_000, 'PT1M'), sampleProd, sampleSev);
      expect(ok).toMatchObject({ level: 'P3', triggers: [] });
    });

    it('critical parity drift reported by an alert is P1', () => {
      const log = parseAlert(
        (() => {
          const doc = JSON.parse(readFileSync(path.join(__dirname, '..', 'fixtures', 'azure-monitor', 'log-v2-fired.json'), 'utf8')) as { data: { essentials: Record<string, unknown> } };
          doc.data.essentials.alertRule = 'prod-admin-api-parity-critical-drift';
          return doc;
        })(),
      );
      if (!log.ok) throw new Error(log.message);
      const d = classifySeverity(log.signal, sampleProd, sampleSev);
      expect(d).toMatchObject({ level: 'P1', triggers: ['parity-critical'] });
      expect(d.reasons[0]).toBe('critical parity drift: reported by the alert: RB-03 P1 trigger');
    });

    it('does not take a trigger property named like an Object member for a trigger', () => {
      for (const trigger of ['constructor', '__proto__', 'hasownproperty']) {
        const s = { ...fixture('metric-dynamic-fired.json'), properties: { trigger } };
        expect(classifySeverity(s, sampleProd, sampleSev)).toMatchObject({ level: 'P3', triggers: [] });
      }
    });
  });
});
