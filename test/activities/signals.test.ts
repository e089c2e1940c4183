/**
 * The `signalsRead` activity with the real readers against the loopback Azure Monitor fake, and
 * what the runbook makes of its output: green checks with a 5xx rate still over its threshold is
 * not a recovery; a lingering alert holds it back; a reader that is down is named; flapping rolls
 * back; the look-again rule; the triage lines a Teams update carries. The output always satisfies
 * the activity's contract (it crosses a queue and the orchestration's history).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ReadSignalsInput, ReadSignalsOutput } from '../../src/activities/signals.contracts.js';
import { createSignalsActivities } from '../../src/activities/signals.js';
import { AzureMonitorReaders } from '../../src/adapters/azure-monitor.js';
import { Environment, ServiceEntry } from '../../src/config/policy.js';
import { lookAgainAtDeadline } from '../../src/domain/deadline-look.js';
import { flapVerdict, metricObservations } from '../../src/domain/flap-rule.js';
import { signalsPlanOf } from '../../src/domain/monitor-signals.js';
import { recoveryVerdict } from '../../src/domain/recovery-verdict.js';
import { triageSummary } from '../../src/domain/triage.js';
import { TestTokenCredential } from '../fakes/credentials.js';
import { MonitorFake, series } from '../fakes/monitor-server.js';

const SUB = '00000000-0000-4000-8000-000000000001';
const SITE = `/subscriptions/${SUB}/resourceGroups/rg-admin-prod/providers/Microsoft.Web/sites/admin-api-prod`;
const COMPONENT = `/subscriptions/${SUB}/resourceGroups/rg-admin-prod/providers/microsoft.insights/components/appi-admin`;
const T0 = Date.parse('2026-11-20T10:00:00Z');
const MIN = 60_000;
const iso = (ms: number) => new Date(ms).toISOString();

let fake: MonitorFake;
let activities: ReturnType<typeof createSignalsActivities>;
const service = ServiceEntry.parse({
  service: 'admin-api',
  environment: 'Prod',
  match: { properties: { service: 'admin-api' } },
  signals: { resourceIds: [SITE], logs: { appInsights: COMPONENT } },
});
const environment = Environment.parse({ signals: { region: 'westeurope', timeoutMs: 2000 } });
const plan = signalsPlanOf({ service, environment });
const input = (at: number, read = { metrics: true, alerts: true, triage: false }) => ReadSignalsInput.parse({ incidentId: 'inc-1', plan, at: iso(at), read });
const green = { verdict: 'green' as const, reasons: ['api/production: all 2 checks passed'] };

beforeAll(async () => {
  fake = await new MonitorFake().start();
  const readers = new AzureMonitorReaders({ credential: new TestTokenCredential(), metricsEndpoint: fake.metricsEndpoint, logsEndpoint: fake.logsEndpoint, armEndpoint: fake.armEndpoint, caPem: fake.ca, retries: 0 });
  activities = createSignalsActivities({ readers: () => ({ ok: true, value: readers }) });
  fake.setMetric(SITE, 'Requests', series.constant(200));
});
afterAll(() => fake.stop());
beforeEach(() => fake.clearFaults());

const verdictAt = async (at: number, smoke = green) => {
  const out = ReadSignalsOutput.parse(await activities.read(input(at)));
  return recoveryVerdict({ at, smoke, metrics: out.metrics, alerts: out.alerts, holdMinutes: plan.holdMinutes, unwatchable: plan.unwatchable });
};

describe('signalsRead and the recovery verdict', () => {
  it('checks green but the 5xx rate still above its threshold: not recovered; after it held under for 5 min: recovered', async () => {
    // 5xx at 3 % until 10:20, then 0.5 %.
    fake.setMetric(SITE, 'Http5xx', series.step(T0 + 20 * MIN, 6, 1));
    const during = await verdictAt(T0 + 15 * MIN);
    expect(during).toMatchObject({ recovered: false, basis: 'signals', blocking: ['5xx rate 3 % > 1 % (latest value)'] });
    const settling = await verdictAt(T0 + 22 * MIN);
    expect(settling.blocking).toEqual(['5xx rate 0.5 %, back <= 1 % for 2 min of the 5 min it must hold']);
    const after = await verdictAt(T0 + 26 * MIN);
    expect(after).toMatchObject({ recovered: true, basis: 'signals' });
  });

  it('an alert still active for the service holds recovery back until it resolves', async () => {
    fake.setMetric(SITE, 'Http5xx', series.constant(0));
    const alert = fake.fireAlert({ rule: 'prod-admin-api-http5xx', targetResource: SITE, at: T0 });
    expect((await verdictAt(T0 + 40 * MIN)).blocking).toEqual(['1 alert(s) still active: prod-admin-api-http5xx (fired 10:00Z)']);
    fake.resolveAlert(alert.id, T0 + 41 * MIN);
    expect((await verdictAt(T0 + 42 * MIN)).recovered).toBe(true);
  });

  it('a reader down: the verdict names what it could not see and falls back to the checks', async () => {
    fake.setMetric(SITE, 'Http5xx', series.constant(0));
    fake.delay('metrics', 5_000);
    fake.failNext('alerts', 403);
    const v = await verdictAt(T0 + 50 * MIN);
    expect(v).toMatchObject({ recovered: true, basis: 'checks-only' });
    expect(v.blind).toEqual([
      'the metric 5xx rate: the reader could not answer (metrics Http5xx: no answer within 2 s)',
      expect.stringMatching(/^active alerts: the reader could not answer \(alerts in .*admin-api-prod: 403 AuthorizationFailed: Injected 403/) as unknown,
    ]);
  });

  it('settings that cannot build the readers: every reading says so', async () => {
    const broken = createSignalsActivities({ readers: () => ({ ok: false, issues: [{ path: 'SIGNALS_CA_FILE', code: 'unreadable', message: 'cannot be read: ENOENT' }] }) });
    const out = ReadSignalsOutput.parse(await broken.read(input(T0, { metrics: true, alerts: true, triage: true })));
    const why = "the signal readers' settings are invalid: SIGNALS_CA_FILE: cannot be read: ENOENT";
    expect(out.metrics[0]!.reading).toEqual({ status: 'unavailable', at: iso(T0), reason: why });
    expect(out.alerts).toEqual({ status: 'unavailable', at: iso(T0), reason: why });
    expect(out.triage).toEqual({ status: 'unavailable', at: iso(T0), reason: why });
  });

  it('four flaps of the 5xx rate in ten minutes roll back', async () => {
    fake.setMetric(SITE, 'Http5xx', series.flapping(T0 + 61 * MIN, 1, 6, 0));
    const at = T0 + 68 * MIN;
    const out = ReadSignalsOutput.parse(await activities.read(input(at)));
    const obs = out.metrics[0]!.reading;
    expect(obs.status).toBe('read');
    if (obs.status !== 'read') return;
    const v = flapVerdict('5xx rate', metricObservations(plan.metrics[0]!, obs.value), { flapCount: 3, flapWindowMinutes: 10 }, at);
    expect(v).toMatchObject({ rollBack: true, flaps: 4 });
  });

  it('looks again at the deadline: recovered before it, or "if in doubt, roll back"', async () => {
    fake.setMetric(SITE, 'Http5xx', series.step(T0 + 70 * MIN, 6, 0));
    const read = async (at: number) => ReadSignalsOutput.parse(await activities.read(input(at)));
    const early = await read(T0 + 72 * MIN);
    expect(lookAgainAtDeadline({ enabled: true, deadline: 'The decision timebox', at: T0 + 72 * MIN, smoke: null, metrics: early.metrics, alerts: early.alerts, holdMinutes: 5 }).kind).toBe('roll-back');
    const later = await read(T0 + 76 * MIN);
    const look = lookAgainAtDeadline({ enabled: true, deadline: 'The decision timebox', at: T0 + 76 * MIN, smoke: null, metrics: later.metrics, alerts: later.alerts, holdMinutes: 5 });
    expect(look).toMatchObject({ kind: 'recovered-before-deadline' });
    expect(look.text).toContain('5xx rate <= 1 % for 5 min or more (latest 0 %)');
  });

  it('the triage a Teams update carries: top error codes and requestIds from the logs', async () => {
    fake.setLogs({
      topErrorCodes: [{ code: 'feature_disabled', count: 118 }, { code: 'HTTP 500', count: 12 }],
      failingRequests: [
        { timestamp: iso(T0 + 79 * MIN), requestId: '0HN7R2Q3A1B', operationId: 'op-9', route: 'GET /api/flags', resultCode: '500', code: 'feature_disabled' },
        { timestamp: iso(T0 + 78 * MIN), requestId: '0HN7R2Q3A1A', operationId: 'op-8', route: 'GET /api/jobs', resultCode: '500', code: 'feature_disabled' },
      ],
      p95ByRoute: [{ route: 'GET /api/jobs', p95Ms: 950, count: 400 }],
    });
    const out = ReadSignalsOutput.parse(await activities.read(input(T0 + 80 * MIN, { metrics: false, alerts: false, triage: true })));
    expect(out.metrics).toEqual([]);
    const t = triageSummary(out.triage!, environment.thresholds.p95JsonMs);
    expect(t.lines.slice(0, 3)).toEqual([
      'Top error codes (11:05-11:20 UTC): feature_disabled ×118, HTTP 500 ×12',
      'Failing requests: 0HN7R2Q3A1B (GET /api/flags, 500, feature_disabled); 0HN7R2Q3A1A (GET /api/jobs, 500, feature_disabled)',
      'p95 over 600 ms on 1 of 1 route(s): GET /api/jobs 950 ms',
    ]);
    expect(t.lines[3]).toMatch(/^Query: https:\/\/portal\.azure\.com\/#blade\/Microsoft_Azure_Monitoring_Logs\/LogsBlade\/resourceId\//);
  });
});
