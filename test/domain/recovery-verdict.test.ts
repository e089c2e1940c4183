/**
 * The recovery verdict (checks + the fired metric back under its threshold for the hold time + no
 * active alert), the flap rule, the look-again rule at a deadline and the triage summary: pure
 * functions of their readings, each path as data, with properties checked by fast-check.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { lookAgainAtDeadline } from '../../src/domain/deadline-look.js';
import { flapsIn, flapVerdict, metricObservations } from '../../src/domain/flap-rule.js';
import type { ActiveAlert, MetricObservation, MetricSeries, Reading, WatchedMetric } from '../../src/domain/monitor-signals.js';
import { judgeMetric, recoveryVerdict, type RecoveryInput } from '../../src/domain/recovery-verdict.js';
import { triageSummary } from '../../src/domain/triage.js';

const MIN = 60_000;
const T = Date.parse('2026-11-20T10:30:00Z');
const iso = (ms: number) => new Date(ms).toISOString();

const rate: WatchedMetric = {
  key: 'alert|microsoft.web/sites|http5xx',
  label: '5xx rate',
  source: 'alert',
  resourceIds: ['/subscriptions/s/resourceGroups/rg/providers/Microsoft.Web/sites/api'],
  namespace: 'Microsoft.Web/sites',
  metric: 'Http5xx',
  per: 'Requests',
  aggregation: 'Total',
  operator: 'GreaterThan',
  threshold: 1,
  unit: '%',
};

/** A series with one point a minute for the `values.length` minutes before T. */
const seriesOf = (values: (number | null)[]): MetricSeries[] => [
  { resourceId: rate.resourceIds[0]!, points: values.map((v, i) => ({ at: iso(T - (values.length - i) * MIN), value: v })) },
];
const read = <V,>(value: V): Reading<V> => ({ status: 'read', at: iso(T), value });
const obs = (values: (number | null)[], metric = rate): MetricObservation => ({ metric, reading: read(seriesOf(values)) });
const noAlerts = read<ActiveAlert[]>([]);
const alert = (over: Partial<ActiveAlert> = {}): ActiveAlert => ({
  id: '/x/alerts/1',
  rule: 'prod-admin-api-http5xx',
  severity: 'Sev2',
  monitorCondition: 'Fired',
  alertState: 'New',
  targetResource: rate.resourceIds[0]!,
  firedAt: '2026-11-20T10:05:00Z',
  monitorService: 'Platform',
  ...over,
});
const green = { verdict: 'green' as const, reasons: ['api/production: all 2 checks passed'] };
const input = (over: Partial<RecoveryInput> = {}): RecoveryInput => ({ at: T, smoke: green, metrics: [obs([0.2, 0.3, 0.1, 0.2, 0.1, 0.2])], alerts: noAlerts, holdMinutes: 5, ...over });

describe('recovery verdict', () => {
  it('recovers when the checks are green, the metric has held under its threshold for the hold time and no alert is active', () => {
    const v = recoveryVerdict(input());
    expect(v).toMatchObject({ recovered: true, basis: 'signals', blocking: [], blind: [] });
    expect(v.summary).toBe('Recovered: smoke checks green; 5xx rate <= 1 % for 5 min or more (latest 0.2 %); no alert active for the service.');
  });

  it('does not recover on green checks while the 5xx rate is still over its threshold', () => {
    const v = recoveryVerdict(input({ metrics: [obs([3, 2.8, 2.6, 2.5, 2.4])] }));
    expect(v.recovered).toBe(false);
    expect(v.blocking).toEqual(['5xx rate 2.4 % > 1 % (latest value)']);
    expect(v.metrics[0]).toMatchObject({ state: 'over', latest: 2.4 });
  });

  it('waits for the hold time: back under for 2 of 5 minutes is not recovered yet', () => {
    const v = recoveryVerdict(input({ metrics: [obs([3, 3, 3, 3, 0.5, 0.4])] }));
    expect(v.recovered).toBe(false);
    expect(v.blocking).toEqual(['5xx rate 0.4 %, back <= 1 % for 2 min of the 5 min it must hold']);
  });

  it('keeps the incident open while an alert for the service is still active, but not for one a person closed', () => {
    expect(recoveryVerdict(input({ alerts: read([alert()]) }))).toMatchObject({ recovered: false, blocking: ['1 alert(s) still active: prod-admin-api-http5xx (fired 10:05Z)'] });
    expect(recoveryVerdict(input({ alerts: read([alert({ alertState: 'Closed' })]) })).recovered).toBe(true);
    expect(recoveryVerdict(input({ alerts: read([alert({ monitorCondition: 'Resolved' })]) })).recovered).toBe(true);
  });

  it('names what it could not see when a reader is down, and falls back to the checks', () => {
    const v = recoveryVerdict(
      input({
        metrics: [{ metric: rate, reading: { status: 'unavailable', at: iso(T), reason: 'metrics Http5xx: no answer within 10 s' } }],
        alerts: { status: 'unavailable', at: iso(T), reason: 'alerts: 403 AuthorizationFailed: no Monitoring Reader' },
      }),
    );
    expect(v).toMatchObject({ recovered: true, basis: 'checks-only' });
    expect(v.blind).toEqual([
      'the metric 5xx rate: the reader could not answer (metrics Http5xx: no answer within 10 s)',
      'active alerts: the reader could not answer (alerts: 403 AuthorizationFailed: no Monitoring Reader)',
    ]);
    expect(v.summary).toContain('Could not see: the metric 5xx rate: the reader could not answer');
    expect(v.summary).toContain('(judged on the smoke checks alone)');
  });

  it('says a reader that is not configured is not read, and a series without data is not seen', () => {
    const v = recoveryVerdict(input({ metrics: [obs([null, null, null])], alerts: { status: 'not-configured', reason: 'no scope to list alerts in' } }));
    expect(v.basis).toBe('checks-only');
    expect(v.blind).toEqual(['the metric 5xx rate: no data points in the last minutes', 'active alerts: not read (no scope to list alerts in)']);
  });

  it('never recovers on red or degraded checks, whatever the metrics say', () => {
    expect(recoveryVerdict(input({ smoke: { verdict: 'red', reasons: ['api/production health: /ready answered 503'] } })).blocking).toEqual(['smoke checks red: api/production health: /ready answered 503']);
    expect(recoveryVerdict(input({ smoke: { verdict: 'degraded', reasons: [] } })).recovered).toBe(false);
  });

  it('property: recovered exactly when the checks are green, every value in the hold time is under and no alert is active', () => {
    fc.assert(
      fc.property(
        fc.array(fc.option(fc.double({ min: 0, max: 5, noNaN: true }), { nil: null }), { minLength: 1, maxLength: 20 }),
        fc.constantFrom<'green' | 'degraded' | 'red'>('green', 'degraded', 'red'),
        fc.boolean(),
        (values, verdict, alerting) => {
          const v = recoveryVerdict(input({ smoke: { verdict, reasons: [] }, metrics: [obs(values)], alerts: read(alerting ? [alert()] : []) }));
          const points = values.map((value, i) => ({ at: T - (values.length - i) * MIN, value })).filter((p) => p.value !== null) as { at: number; value: number }[];
          const lastBreach = [...points].reverse().find((p) => p.value > 1);
          const underLongEnough = points.length > 0 && points.at(-1)!.value <= 1 && T - (lastBreach ? lastBreach.at + MIN : points[0]!.at) >= 5 * MIN;
          const noData = points.length === 0;
          expect(v.recovered).toBe(verdict === 'green' && !alerting && (underLongEnough || noData));
          if (noData) expect(v.blind.length).toBeGreaterThan(0);
        },
      ),
    );
  });

  it('judges several resources by the worst of them', () => {
    const series: MetricSeries[] = [
      { resourceId: 'a', points: [0, 0, 0, 0, 0, 0].map((v, i) => ({ at: iso(T - (6 - i) * MIN), value: v })) },
      { resourceId: 'b', points: [0, 0, 0, 0, 0, 4].map((v, i) => ({ at: iso(T - (6 - i) * MIN), value: v })) },
    ];
    expect(judgeMetric(rate, series, T, 5)).toMatchObject({ state: 'over', latest: 4 });
  });
});

describe('flap rule (RB-02 section 3)', () => {
  const policy = { flapCount: 3, flapWindowMinutes: 10 };
  const flapping = (n: number, everyMin: number) =>
    Array.from({ length: n * 2 + 1 }, (_, i) => ({ at: T - (n * 2 - i) * everyMin * MIN, healthy: i % 2 === 0 }));

  it('rolls back at four flaps in ten minutes, with the times', () => {
    const v = flapVerdict('/ready', flapping(4, 1), policy, T);
    expect(v).toMatchObject({ rollBack: true, flaps: 4 });
    expect(v.text).toBe('/ready flapped 4 times in 10 min (at 10:23, 10:25, 10:27, 10:29 UTC): the policy rolls back at 3 (RB-02 section 3)');
  });

  it('does not count the first failure (nothing healthy before it), nor flaps older than the window', () => {
    expect(flapsIn([{ at: T - MIN, healthy: false }, { at: T, healthy: false }], 10, T)).toEqual([]);
    expect(flapVerdict('5xx rate', flapping(4, 4), policy, T)).toMatchObject({ rollBack: false, flaps: 1 });
  });

  it('reads a metric series as observations: a minute over the threshold is unhealthy', () => {
    const obsv = metricObservations(rate, seriesOf([0, 3, 0, 3, 0, 3, 0, 3]));
    expect(flapVerdict('5xx rate', obsv, policy, T)).toMatchObject({ rollBack: true, flaps: 4 });
  });

  it('property: the count is the number of healthy-to-unhealthy steps inside the window, however the observations are ordered', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.record({ at: fc.integer({ min: T - 30 * MIN, max: T }), healthy: fc.boolean() }), { maxLength: 40, selector: (o) => o.at }), (list) => {
        const sorted = [...list].sort((a, b) => a.at - b.at);
        let expected = 0;
        for (let i = 1; i < sorted.length; i++) if (sorted[i - 1]!.healthy && !sorted[i]!.healthy && sorted[i]!.at >= T - 10 * MIN) expected++;
        expect(flapsIn([...list].reverse(), 10, T)).toHaveLength(expected);
        expect(flapVerdict('x', list, policy, T).rollBack).toBe(expected >= 3);
      }),
    );
  });
});

describe('look again before acting at a deadline', () => {
  const base = { ...input(), enabled: true, deadline: 'The decision timebox' };

  it('does not roll back blindly when the alert resolved and the metric held under its threshold', () => {
    const look = lookAgainAtDeadline(base);
    expect(look.kind).toBe('recovered-before-deadline');
    expect(look.text).toBe(
      'Recovered before the deadline: The decision timebox ran out, but the alert has resolved and 5xx rate <= 1 % for 5 min or more (latest 0.2 %); smoke checks green. The automatic rollback is not taken; the runbook keeps verifying.',
    );
  });

  it('rolls back when in doubt: an alert still active, the metric still over, or a reader that cannot see', () => {
    expect(lookAgainAtDeadline({ ...base, alerts: read([alert()]) })).toMatchObject({ kind: 'roll-back', text: expect.stringContaining('1 alert(s) still active') as unknown });
    expect(lookAgainAtDeadline({ ...base, metrics: [obs([0.1, 0.1, 0.1, 0.1, 2])] }).kind).toBe('roll-back');
    const blindAlerts = lookAgainAtDeadline({ ...base, alerts: { status: 'unavailable', at: iso(T), reason: 'timeout' } });
    expect(blindAlerts.text).toContain('the alerts could not be read, so it is not known whether the alert resolved');
    expect(blindAlerts.text).toMatch(/rolling back \(RB-03: if in doubt, roll back\)\.$/);
    const blindMetric = lookAgainAtDeadline({ ...base, metrics: [{ metric: rate, reading: { status: 'unavailable', at: iso(T), reason: 'timeout' } }] });
    expect(blindMetric.text).toContain('the fired metric 5xx rate could not be read back');
  });

  it('rolls back without looking when the environment turns it off', () => {
    expect(lookAgainAtDeadline({ ...base, enabled: false })).toMatchObject({ kind: 'roll-back', verdict: null });
  });
});

describe('triage summary', () => {
  it('carries the top codes, requestIds, p95 against its threshold and the link', () => {
    const t = triageSummary(
      read({
        topErrorCodes: [{ code: 'rate_limited', count: 38 }, { code: 'origin_forbidden', count: 412 }],
        failingRequests: [{ at: iso(T), requestId: '0HN7REQ1', operationId: 'op-1', route: 'GET /api/flags', resultCode: '403', code: 'origin_forbidden', link: 'https://portal/op-1' }],
        p95ByRoute: [{ route: 'GET /api/flags', p95Ms: 120, count: 3000 }, { route: 'GET /api/jobs', p95Ms: 1840.4, count: 900 }],
        queryLink: 'https://portal/q',
        from: iso(T - 15 * MIN),
        to: iso(T),
        problems: [],
      }),
      600,
    );
    expect(t.lines).toEqual([
      'Top error codes (10:15-10:30 UTC): origin_forbidden ×412, rate_limited ×38',
      'Failing requests: 0HN7REQ1 (GET /api/flags, 403, origin_forbidden)',
      'p95 over 600 ms on 1 of 2 route(s): GET /api/jobs 1840 ms',
      'Query: https://portal/q',
    ]);
    expect(t.p95.worst).toMatchObject({ route: 'GET /api/jobs' });
  });

  it('says why there is no triage when the logs cannot be read', () => {
    expect(triageSummary({ status: 'unavailable', at: iso(T), reason: 'topErrorCodes: 403 Forbidden' }, 600).lines).toEqual(['Triage: the logs reader could not answer: topErrorCodes: 403 Forbidden.']);
    expect(triageSummary({ status: 'not-configured', reason: 'no Application Insights for api@Prod' }, 600).lines).toEqual(['Triage: no logs are read: no Application Insights for api@Prod.']);
  });
});
