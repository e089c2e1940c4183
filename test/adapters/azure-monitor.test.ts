/**
 * The signal readers with the real Azure SDKs (@azure/monitor-query-metrics, @azure/monitor-query-logs,
 * @azure-rest/core-client for Alerts Management) against a loopback fake of the three APIs over
 * TLS: scripted series (rising 5xx, recovery, flapping), a lingering alert, paging, a slow and a
 * failing endpoint. Nothing here is mocked in-process.
 */
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AzureMonitorReaders, combine, windowEndingAt } from '../../src/adapters/azure-monitor.js';
import { APP_INSIGHTS_QUERIES, type WatchedMetric } from '../../src/domain/monitor-signals.js';
import { TestTokenCredential } from '../fakes/credentials.js';
import { MonitorFake, series } from '../fakes/monitor-server.js';

const SITE = '/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-admin-prod/providers/Microsoft.Web/sites/admin-api-prod';
const OTHER = '/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-other/providers/Microsoft.Web/sites/other';
const COMPONENT = '/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-admin-prod/providers/microsoft.insights/components/appi-admin';
const T0 = Date.parse('2026-11-20T10:00:00Z');
const MIN = 60_000;

const rate: WatchedMetric = {
  key: 'k',
  label: '5xx rate',
  source: 'policy',
  resourceIds: [SITE],
  namespace: 'Microsoft.Web/sites',
  metric: 'Http5xx',
  per: 'Requests',
  aggregation: 'Total',
  operator: 'GreaterThan',
  threshold: 1,
  unit: '%',
};

let fake: MonitorFake;
let credential: TestTokenCredential;
let readers: AzureMonitorReaders;

beforeAll(async () => {
  fake = await new MonitorFake().start();
  credential = new TestTokenCredential('monitor-token');
  readers = new AzureMonitorReaders({
    credential,
    metricsEndpoint: fake.metricsEndpoint,
    logsEndpoint: fake.logsEndpoint,
    armEndpoint: fake.armEndpoint,
    caPem: fake.ca,
    retries: 0,
  });
});
afterAll(() => fake.stop());
beforeEach(() => fake.clearFaults());

describe('metrics reader (MetricsClient, metrics:getBatch)', () => {
  it('reads a ratio metric minute by minute: Http5xx per Requests in percent, rising', async () => {
    fake.setMetric(SITE, 'Http5xx', series.rising(T0, 0, 2));
    fake.setMetric(SITE, 'Requests', series.constant(100));
    const r = await readers.readMetric(rate, 'westeurope', windowEndingAt(new Date(T0 + 5 * MIN).toISOString(), 5, 5_000));
    expect(r.status).toBe('read');
    if (r.status !== 'read') return;
    expect(r.value).toHaveLength(1);
    expect(r.value[0]!.points.map((p) => p.value)).toEqual([0, 2, 4, 6, 8]);
    const req = fake.requests.filter((x) => x.api === 'metrics').at(-1)!;
    expect(req.path).toBe('/subscriptions/00000000-0000-0000-0000-000000000001/metrics:getBatch');
    expect(req.query).toMatchObject({ metricnamespace: 'Microsoft.Web/sites', metricnames: 'Http5xx,Requests', aggregation: 'total', interval: 'PT1M' });
    expect(req.body).toEqual({ resourceids: [SITE] });
    expect(req.token).toBe('monitor-token');
  });

  it('keeps missing minutes missing, and reads no traffic without errors as 0 %', () => {
    const at = (m: number) => new Date(T0 + m * MIN).toISOString();
    expect(
      combine(
        [{ at: at(0), value: 0 }, { at: at(1), value: 3 }, { at: at(2), value: null }, { at: at(3), value: 1 }],
        [{ at: at(0), value: 0 }, { at: at(1), value: 0 }, { at: at(2), value: 10 }, { at: at(3), value: 50 }],
      ).map((p) => p.value),
    ).toEqual([0, null, null, 2]);
  });

  it('says a slow endpoint did not answer in time, instead of waiting', async () => {
    fake.setMetric(SITE, 'Http5xx', series.constant(1));
    fake.setMetric(SITE, 'Requests', series.constant(100));
    fake.delay('metrics', 3_000);
    const r = await readers.readMetric(rate, 'westeurope', windowEndingAt(new Date(T0).toISOString(), 5, 300));
    expect(r).toMatchObject({ status: 'unavailable', reason: expect.stringMatching(/metrics Http5xx: no answer within 0\.3 s/) as unknown });
  });

  it('names the status and code of a refusal (a missing Monitoring Reader role)', async () => {
    fake.failNext('metrics', 403);
    const r = await readers.readMetric(rate, 'westeurope', windowEndingAt(new Date(T0).toISOString(), 5, 5_000));
    expect(r).toMatchObject({ status: 'unavailable', reason: expect.stringContaining('403 AuthorizationFailed') as unknown });
  });
});

describe('alerts reader (Alerts Management through ARM)', () => {
  it('lists the fired alerts in each scope, every page, and not the resolved ones nor other scopes', async () => {
    fake.alertsPageSize = 2;
    const lingering = fake.fireAlert({ rule: 'prod-admin-api-http5xx', targetResource: SITE, at: T0 });
    fake.fireAlert({ rule: 'prod-admin-api-p95', targetResource: SITE, at: T0 + MIN });
    fake.fireAlert({ rule: 'prod-admin-api-ready', targetResource: SITE, at: T0 + 2 * MIN });
    const resolved = fake.fireAlert({ rule: 'prod-admin-api-old', targetResource: SITE, at: T0 - 60 * MIN });
    fake.resolveAlert(resolved.id, T0 - 30 * MIN);
    fake.fireAlert({ rule: 'other-service', targetResource: OTHER, at: T0 });
    const before = fake.count('alerts');
    const r = await readers.activeAlerts(['/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-admin-prod'], windowEndingAt(new Date(T0).toISOString(), 30, 5_000));
    expect(r.status).toBe('read');
    if (r.status !== 'read') return;
    expect(r.value.map((a) => a.rule).sort()).toEqual(['prod-admin-api-http5xx', 'prod-admin-api-p95', 'prod-admin-api-ready']);
    expect(r.value.find((a) => a.id === lingering.id)).toMatchObject({ monitorCondition: 'Fired', alertState: 'New', severity: 'Sev2', firedAt: new Date(T0).toISOString() });
    // Three fired alerts at two a page: two requests, the second by ARM's nextLink.
    expect(fake.count('alerts') - before).toBe(2);
    const first = fake.requests.filter((x) => x.api === 'alerts').at(-2)!;
    expect(first.path).toBe('/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-admin-prod/providers/Microsoft.AlertsManagement/alerts');
    expect(first.query).toMatchObject({ 'api-version': '2019-03-01', monitorCondition: 'Fired' });
    expect(first.token).toBe('monitor-token');
    fake.alertsPageSize = 25;
  });

  it('says the alerts could not be read when ARM refuses', async () => {
    fake.failNext('alerts', 403);
    const r = await readers.activeAlerts([SITE], windowEndingAt(new Date(T0).toISOString(), 30, 5_000));
    expect(r).toMatchObject({ status: 'unavailable', reason: expect.stringMatching(/alerts in .*admin-api-prod: 403 AuthorizationFailed/) as unknown });
  });
});

describe('logs reader (LogsQueryClient)', () => {
  const logs = { kind: 'app-insights' as const, resourceId: COMPONENT, queries: APP_INSIGHTS_QUERIES };

  it('reads top error codes, failing requests with requestIds and operation links, and p95 per route', async () => {
    fake.setLogs({
      topErrorCodes: [{ code: 'origin_forbidden', count: 412 }, { code: 'rate_limited', count: 38 }],
      failingRequests: [{ timestamp: '2026-11-20T10:04:59Z', requestId: '0HN7REQ1', operationId: 'op-1', route: 'GET /api/flags', resultCode: '403', code: 'origin_forbidden' }],
      p95ByRoute: [{ route: 'GET /api/jobs', p95Ms: 1840, count: 900 }, { route: 'GET /api/flags', p95Ms: 120, count: 3000 }],
    });
    const w = windowEndingAt(new Date(T0 + 15 * MIN).toISOString(), 15, 5_000);
    const r = await readers.triage(logs, w);
    expect(r.status).toBe('read');
    if (r.status !== 'read') return;
    expect(r.value.topErrorCodes).toEqual([{ code: 'origin_forbidden', count: 412 }, { code: 'rate_limited', count: 38 }]);
    expect(r.value.failingRequests[0]).toMatchObject({ requestId: '0HN7REQ1', operationId: 'op-1', route: 'GET /api/flags', resultCode: '403', code: 'origin_forbidden' });
    expect(r.value.p95ByRoute[0]).toEqual({ route: 'GET /api/jobs', p95Ms: 1840, count: 900 });
    expect(r.value.problems).toEqual([]);
    // The deep link opens the same query over the same range, as Azure Monitor's own links do.
    const link = r.value.queryLink!;
    expect(link).toContain(`/resourceId/${encodeURIComponent(COMPONENT)}/`);
    const q = decodeURIComponent(/\/q\/([^/]+)\//.exec(link)![1]!);
    expect(gunzipSync(Buffer.from(q, 'base64')).toString('utf8')).toBe(APP_INSIGHTS_QUERIES.topErrorCodes);
    const opQuery = gunzipSync(Buffer.from(decodeURIComponent(/\/q\/([^/]+)\//.exec(r.value.failingRequests[0]!.link!)![1]!), 'base64')).toString('utf8');
    expect(opQuery).toContain('operation_Id == "op-1"');
    // Resource-centric queries, over the window.
    const sent = fake.requests.filter((x) => x.api === 'logs').slice(-3);
    expect(sent.map((x) => x.path)).toEqual([`/v1${COMPONENT}/query`, `/v1${COMPONENT}/query`, `/v1${COMPONENT}/query`]);
    expect(sent[0]!.body).toMatchObject({ timespan: `${w.from}/${w.to}` });
  });

  it('keeps what answered when one query fails, and names the failure', async () => {
    fake.failNext('logs', 500, 1);
    const r = await readers.triage(logs, windowEndingAt(new Date(T0).toISOString(), 15, 5_000));
    expect(r.status).toBe('read');
    if (r.status !== 'read') return;
    expect(r.value.problems).toHaveLength(1);
    expect(r.value.problems[0]).toMatch(/500 InternalServerError/);
  });

  it('is unavailable, with the reason, when no query answers in time', async () => {
    fake.delay('logs', 3_000);
    const r = await readers.triage(logs, windowEndingAt(new Date(T0).toISOString(), 15, 300));
    expect(r).toMatchObject({ status: 'unavailable', reason: expect.stringContaining('no answer within 0.3 s') as unknown });
  });
});
