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

  describe('variants whose fields the Signal relies on are typed', () => {
    type Doc = { data: { alertContext: Record<string, unknown> & { condition?: { allOf: Record<string, unknown>[] }; properties?: Record<string, unknown> } } };
    const read = (name: string, edit: (c: Doc['data']['alertContext']) => void) => {
      const doc = load(name) as Doc;
      edit(doc.data.alertContext);
      const r = parseAlert(doc);
      if (!r.ok) throw new Error(r.message);
      return r.signal;
    };
    const criterion = (c: Doc['data']['alertContext']): Record<string, unknown> => c.condition?.allOf[0] as Record<string, unknown>;
    type Edit = Doc['data']['alertContext'];

    it.each([
      ['metric-dynamic-fired.json', 'a dynamic criterion without its metric', (c: Edit) => {
        delete criterion(c).metricName;
      }, 'condition.allOf.0.metricName'],
      ['metric-dynamic-fired.json', 'failing periods that are not counts', (c: Edit) => {
        criterion(c).failingPeriods = { numberOfEvaluationPeriods: [3] };
      }, 'condition.allOf.0.failingPeriods.numberOfEvaluationPeriods'],
      ['metric-dynamic-fired.json', 'a sensitivity that is not text', (c: Edit) => {
        criterion(c).alertSensitivity = 3;
      }, 'condition.allOf.0.alertSensitivity'],
      ['metric-dynamic-fired.json', 'no criteria', (c: Edit) => {
        c.condition!.allOf = [];
      }, 'condition.allOf'],
      ['metric-availability-fired.json', 'an availability criterion without its web test', (c: Edit) => {
        delete criterion(c).webTestName;
      }, 'condition.allOf.0.webTestName'],
      ['service-health-fired.json', 'Service Health without its properties', (c: Edit) => {
        delete c.properties;
      }, 'properties'],
      ['service-health-fired.json', 'a Service Health title that is not text', (c: Edit) => {
        c.properties!.title = { en: 'x' };
      }, 'properties.title'],
      ['resource-health-fired.json', 'a health status that is not text', (c: Edit) => {
        c.properties!.currentHealthStatus = 0;
      }, 'properties.currentHealthStatus'],
    ] as const)('%s: %s is kept raw, with the field named', (file, _what, edit, where) => {
      const s = read(file, edit);
      expect(s.kind).toBe('unknown');
      expect(s.contextProblems.join('\n')).toContain(`${where}: `);
    });

    it('keeps unknown fields of these variants and reads what the Signal needs', () => {
      const dynamic = load('metric-dynamic-fired.json') as Doc;
      Object.assign(criterion(dynamic.data.alertContext), { futureField: 1 });
      const r = parseAlert(dynamic);
      expect(r.ok && r.signal.kind).toBe('metric-dynamic');
      const health = read('resource-health-fired.json', (c) => Object.assign(c.properties!, { recommendedActions: [{ action: 'x' }] }));
      expect(health).toMatchObject({ kind: 'resource-health', activity: { healthStatus: 'Unavailable', title: 'The app is unavailable' } });
      expect(signalOf('service-health-fired.json')).toMatchObject({ kind: 'service-health', activity: { title: 'App Service - West Europe - Degraded' } });
      expect(signalOf('metric-availability-fired.json').metrics[0]).toMatchObject({ name: 'Failed Location', value: 5, windowMinutes: 5 });
    });

    it('keeps a context that is not an object raw instead of failing on it', () => {
      for (const context of [42, 'text', [1, 2], true]) {
        const doc = load('metric-5xx-fired.json') as { data: { alertContext: unknown } };
        doc.data.alertContext = context;
        const r = parseAlert(doc);
        expect(r.ok && r.signal.kind).toBe('unknown');
      }
    });
  });

  it('reads ISO 8601 durations', () => {
    expect(durationMinutes('PT5M')).toBe(5);
    expect(durationMinutes('PT1H')).toBe(60);
    expect(durationMinutes('P1DT30M')).toBe(1470);
    expect(durationMinutes('PT30S')).toBe(0.5);
    expect(durationMinutes('5 minutes')).toBeNull();
    expect(durationMinutes('PT')).toBeNull();
    // Too large to be a window (it would be Infinity, which JSON cannot carry).
    expect(durationMinutes(`P${'9'.repeat(400)}D`)).toBeNull();
  });
});
