/** The signals plan from the policy (defaults for App Service + Application Insights), the policy's strict `signals` sections, and NCRONTAB. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkPolicy, Environment, ServiceEntry } from '../../src/config/policy.js';
import { signalsPlanOf, watchedFromAlert } from '../../src/domain/monitor-signals.js';
import { dueInMinute, matches, parseNcrontab } from '../../src/domain/ncrontab.js';
import type { Signal } from '../../src/domain/signal.js';

const SUB = '00000000-0000-4000-8000-000000000001';
const SITE = `/subscriptions/${SUB}/resourceGroups/rg-admin-prod/providers/Microsoft.Web/sites/admin-api-prod`;
const service = ServiceEntry.parse({
  service: 'admin-api',
  environment: 'Prod',
  match: { targetResourceIds: [`/subscriptions/${SUB}/resourceGroups/rg-admin-prod`] },
  rollback: { api: { strategy: 'slot-swap', subscriptionId: SUB, resourceGroup: 'rg-admin-prod', site: 'admin-api-prod' } },
});
const env = Environment.parse({ signals: { region: 'westeurope' } });

const metricAlert = (over: Partial<Signal['metrics'][number]> = {}): Signal =>
  ({
    alertId: '/subscriptions/x/providers/Microsoft.AlertsManagement/alerts/1',
    rule: 'prod-admin-api-http5xx',
    kind: 'metric-static',
    targets: [SITE],
    metrics: [{ name: 'Http5xx', namespace: 'Microsoft.Web/sites', operator: 'GreaterThan', threshold: 10, value: 42, aggregation: 'Total', windowMinutes: 5, dimensions: {}, ...over }],
  }) as unknown as Signal;

describe('signals plan', () => {
  it('defaults for App Service: the 5xx rate of the rollback site against error5xxPercent, alerts on that site', () => {
    const plan = signalsPlanOf({ service, environment: env });
    expect(plan.metrics).toEqual([
      expect.objectContaining({ label: '5xx rate', source: 'policy', resourceIds: [SITE], metric: 'Http5xx', per: 'Requests', operator: 'GreaterThan', threshold: 1, unit: '%' }),
    ]);
    expect(plan).toMatchObject({ region: 'westeurope', logs: null, holdMinutes: 5, lookbackMinutes: 30, timeoutMs: 10_000 });
    expect(plan.alertScopes).toEqual([SITE]);
    // Without any resource of its own, the resource groups its alerts are routed by.
    expect(signalsPlanOf({ service: ServiceEntry.parse({ ...service, rollback: undefined }), environment: env }).alertScopes).toEqual([`/subscriptions/${SUB}/resourceGroups/rg-admin-prod`]);
    expect(plan.missing).toEqual({ metrics: null, logs: 'no Application Insights or Log Analytics workspace for admin-api@Prod (signals.logs)', alerts: null });
  });

  it('watches the metric the alert fired on, with its own threshold, first', () => {
    const plan = signalsPlanOf({ service, environment: env }, [metricAlert()]);
    expect(plan.metrics[0]).toMatchObject({ source: 'alert', label: 'Http5xx (Total)', threshold: 10, resourceIds: [SITE] });
    expect(plan.metrics).toHaveLength(2);
  });

  it('says why a dynamic threshold cannot be watched', () => {
    const w = watchedFromAlert(metricAlert(), { name: 'Http5xx', namespace: null, operator: 'GreaterOrLessThan', threshold: null, value: 3, aggregation: 'Total', windowMinutes: 5, dimensions: {} });
    expect(w).toEqual({ ok: false, reason: 'Http5xx of prod-admin-api-http5xx has no fixed threshold (GreaterOrLessThan, a dynamic threshold?), so "back under it" cannot be judged' });
  });

  it('says the metrics reader is not configured without a region', () => {
    const plan = signalsPlanOf({ service, environment: Environment.parse({}) });
    expect(plan.missing.metrics).toBe('no region for the metrics reader (signals.region of admin-api@Prod or of its environment)');
  });

  it('uses the policy queries and Application Insights component when given', () => {
    const s = ServiceEntry.parse({ ...service, signals: { logs: { appInsights: `/subscriptions/${SUB}/resourceGroups/rg/providers/microsoft.insights/components/appi`, queries: { p95ByRoute: 'requests | summarize p95Ms = percentile(duration, 95) by route = name' } } } });
    const plan = signalsPlanOf({ service: s, environment: env });
    expect(plan.logs).toMatchObject({ kind: 'app-insights', queries: { p95ByRoute: 'requests | summarize p95Ms = percentile(duration, 95) by route = name', topErrorCodes: expect.stringContaining('requests') as unknown } });
  });
});

describe('policy signals sections', () => {
  const doc = (environment: unknown, signals?: unknown) => ({
    version: 1,
    environments: { Prod: environment },
    timeboxes: Object.fromEntries(['P1', 'P2', 'P3'].map((l) => [l, { ackMinutes: 15, decisionMinutes: 10, noDecision: 'rollback', containmentMinutes: 15, recoveryMinutes: 30, monitoringMinutes: 60, updateEveryMinutes: 15 }])),
    services: [{ service: 'api', environment: 'Prod', match: { rulePatterns: ['^api'] }, ...(signals ? { signals } : {}) }],
  });

  it('refuses a misspelt key, a bad region, a schedule that is not at second 0, and logs with both targets', () => {
    const r = checkPolicy(doc({ signals: { holdMinuts: 5, region: 'West Europe', synthetic: { schedule: '30 * * * * *' } } }, { logs: { appInsights: SITE, workspaceId: SUB } }));
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.issues.map((i) => i.path).sort()).toEqual(['environments.Prod.signals.holdMinuts', 'environments.Prod.signals.region', 'environments.Prod.signals.synthetic.schedule', 'services[0].signals.logs'].sort());
  });

  it('fills every default', () => {
    const r = checkPolicy(doc({}));
    expect(r.ok && r.policy.environments.Prod!.signals).toEqual({
      lookbackMinutes: 30,
      holdMinutes: 5,
      lookAgainBeforeDeadline: true,
      alertAtWindowEnd: 'extend',
      extendMinutes: 15,
      maxExtensions: 2,
      timeoutMs: 10_000,
    });
  });
});

describe('NCRONTAB', () => {
  const at = (s: string) => Date.parse(s);
  it('matches seconds, steps, ranges, lists and names, in UTC', () => {
    const every2 = parseNcrontab('0 */2 * * * *');
    expect(every2.ok).toBe(true);
    if (!every2.ok) return;
    expect(matches(every2.schedule, at('2026-11-20T10:04:00Z'))).toBe(true);
    expect(matches(every2.schedule, at('2026-11-20T10:05:00Z'))).toBe(false);
    expect(dueInMinute(every2.schedule, at('2026-11-20T10:04:37Z'))).toBe(at('2026-11-20T10:04:00Z'));
    const office = parseNcrontab('0 0 9-17 * * Mon-Fri');
    expect(office.ok && matches(office.schedule, at('2026-11-20T09:00:00Z'))).toBe(true); // a Friday
    expect(office.ok && matches(office.schedule, at('2026-11-21T09:00:00Z'))).toBe(false); // a Saturday
    expect(parseNcrontab('0 */5 * * *')).toMatchObject({ ok: false, message: expect.stringContaining('NCRONTAB needs 6') as unknown });
    expect(parseNcrontab('0 61 * * * *')).toMatchObject({ ok: false, message: 'the minute field "61" has a value outside 0-59' });
  });

  it('property: "0 */n * * * *" is due exactly in the minutes divisible by n', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 59 }), fc.integer({ min: 0, max: 10_000_000 }), (n, minute) => {
        const p = parseNcrontab(`0 */${n} * * * *`);
        if (!p.ok) throw new Error(p.message);
        const ms = minute * 60_000 + 17_000;
        expect(dueInMinute(p.schedule, ms) !== null).toBe(new Date(minute * 60_000).getUTCMinutes() % n === 0);
      }),
    );
  });
});
