/** Every alert payload variant parses into a Signal with what the runbook needs. */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAlert } from '../../src/app/intake.js';
import { durationMinutes, property } from '../../src/domain/signal.js';

const dir = path.join(__dirname, '..', 'fixtures', 'azure-monitor');
const load = (name: string): unknown => JSON.parse(readFileSync(path.join(dir, name), 'utf8'));
const signalOf = (name: string) => {
  const r = parseAlert(load(name));
  if (!r.ok) throw new Error(`${name}: ${r.message} ${JSON.stringify(r.issues)}`);
  return r.signal;
};

describe('common alert schema', () => {
  const expected: Record<string, string> = {
    'activity-log-administrative-fired.json': 'activity-administrative',
    'activity-log-autoscale-fired.json': 'activity-autoscale',
    'activity-log-policy-fired.json': 'activity-policy',
    'activity-log-security-fired.json': 'activity-security',
    'cost-budget-fired.json': 'cost',
    'log-v1-metric-measurement-fired.json': 'log-v1',
    'log-v1-platform-quirk-fired.json': 'log-v1',
    'log-v2-fired.json': 'log-v2',
    'metric-5xx-fired.json': 'metric-static',
    'metric-availability-fired.json': 'metric-availability',
    'metric-dynamic-fired.json': 'metric-dynamic',
    'metric-static-resolved.json': 'metric-static',
    'prometheus-fired.json': 'prometheus',
    'resource-health-fired.json': 'resource-health',
    'service-health-fired.json': 'service-health',
    'smart-detector-fired.json': 'smart-detector',
    'unknown-service-fired.json': 'unknown',
  };

  it('has a classification for every fixture', () => {
    const files = readdirSync(dir).filter((f) => f.endsWith('.json') && f !== 'budget-legacy-schema.json');
    expect(files.sort()).toEqual(Object.keys(expected).sort());
  });

  it.each(Object.entries(expected))('reads %s as %s', (file, kind) => {
    const s = signalOf(file);
    expect(s.kind).toBe(kind);
    expect(s.alertId).toMatch(/^\/subscriptions\//);
    expect(Number.isNaN(Date.parse(s.firedAt))).toBe(false);
  });

  it('reads metric measurements, windows and dimensions', () => {
    const s = signalOf('metric-5xx-fired.json');
    expect(s.metrics[0]).toEqual({
      name: 'Http5xxPercent',
      namespace: 'Microsoft.Web/sites',
      operator: 'GreaterThan',
      threshold: 1,
      value: 2.7,
      aggregation: 'Average',
      windowMinutes: 5,
      dimensions: { Instance: 'ln0sdlwk000001' },
    });
    expect(property(s, 'SERVICE')).toBe('admin-api');
    const resolved = signalOf('metric-static-resolved.json');
    expect(resolved.condition).toBe('Resolved');
    expect(resolved.resolvedAt).toBe('2019-03-22T14:03:16.224Z');
  });

  it('tolerates the documented quirks', () => {
    const v1 = signalOf('log-v1-metric-measurement-fired.json');
    expect(v1.query?.text).toContain('sse_ttfb_ms');
    expect(v1.metrics[0]?.windowMinutes).toBe(10);
    const health = signalOf('service-health-fired.json');
    expect(health.configurationItems).toEqual([]);
    expect(health.activity?.level).toBe('3');
    expect(health.activity?.title).toBe('App Service - West Europe - Degraded');
    const cost = signalOf('cost-budget-fired.json');
    expect(cost).toMatchObject({ azureSeverity: null, condition: 'Fired', rule: null, targets: [] });
    expect(property(cost, 'BudgetName')).toBe('admin-prod');
    expect(signalOf('resource-health-fired.json').activity?.healthStatus).toBe('Unavailable');
  });

  it('keeps an unknown alert context raw, with the reason', () => {
    const s = signalOf('unknown-service-fired.json');
    expect(s.contextProblems[0]).toContain('Future Telemetry Service');
  });

  it('keeps unknown fields instead of rejecting them', () => {
    const doc = load('metric-dynamic-fired.json') as { data: { essentials: Record<string, unknown> } } & Record<string, unknown>;
    doc.futureTopLevel = true;
    doc.data.essentials.futureEssential = { x: 1 };
    const r = parseAlert(doc);
    expect(r.ok).toBe(true);
    if (r.ok) expect((r.alert.data.essentials as Record<string, unknown>).futureEssential).toEqual({ x: 1 });
  });

  it('refuses what is not the common schema, naming the field', () => {
    const budget = parseAlert(load('budget-legacy-schema.json'));
    expect(budget.ok).toBe(false);
    if (!budget.ok) {
      expect(budget.message).toContain('enable the common alert schema');
      expect(budget.issues[0]?.path).toBe('schemaId');
    }
    const noId = load('metric-dynamic-fired.json') as { data: { essentials: Record<string, unknown> } };
    delete noId.data.essentials.alertId;
    const r = parseAlert(noId);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.issues.map((i) => i.path)).toContain('data.essentials.alertId');
    expect(parseAlert([1, 2]).ok).toBe(false);
    expect(parseAlert(null).ok).toBe(false);
  });

  it('reads ISO 8601 durations', () => {
    expect(durationMinutes('PT5M')).toBe(5);
    expect(durationMinutes('PT1H')).toBe(60);
    expect(durationMinutes('P1DT30M')).toBe(1470);
    expect(durationMinutes('PT30S')).toBe(0.5);
    expect(durationMinutes('5 minutes')).toBeNull();
    expect(durationMinutes('PT')).toBeNull();
  });
});
