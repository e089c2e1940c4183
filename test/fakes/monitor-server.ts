/**
 * A fake of the three Azure Monitor read APIs the signal readers use, on 127.0.0.1 over TLS (the
 * SDKs send bearer tokens over https only; `ca` is what clients must trust), for the real
 * `@azure/monitor-query-metrics` and `@azure/monitor-query-logs` clients and the ARM REST client
 * to talk to:
 *
 *   POST /subscriptions/{sub}/metrics:getBatch?starttime&endtime&interval&metricnamespace&metricnames&aggregation
 *        (the metrics data plane, https://{region}.metrics.monitor.azure.com)
 *   POST /v1/{resourceId}/query, POST /v1/workspaces/{id}/query
 *        (the Log Analytics query API, https://api.loganalytics.io)
 *   GET  /{scope}/providers/Microsoft.AlertsManagement/alerts?api-version&monitorCondition&...
 *        (Alerts Management through ARM, paged with nextLink)
 *
 * Metric series are scripted as functions of time (the minute a point starts at), so a test, or a
 * lab fault, describes "5xx rising from 10:00", "recovered at 10:20", "flapping every 2 minutes"
 * once and every query over any window sees a consistent history: see `series` below. Alerts are
 * fired and resolved by the test (a lingering alert is one never resolved). Any API can be made
 * slow or failing (`delay`, `failNext`). Every request is recorded with its bearer token.
 */
import { randomUUID } from 'node:crypto';
import https from 'node:https';
import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createTlsIdentity } from '../../src/lab/tls.js';

export type Api = 'metrics' | 'logs' | 'alerts';

/** A metric's value for the minute starting at `minuteMs` (null: no data for that minute). */
export type SeriesFn = (minuteMs: number) => number | null;

const MINUTE = 60_000;

/** Scripted series for tests and the lab. Times are ms since the epoch. */
export const series = {
  constant: (value: number | null): SeriesFn => () => value,
  /** `before` until `at`, `after` from then on (a step: an outage starting, or a recovery). */
  step: (at: number, before: number | null, after: number | null): SeriesFn => (t) => (t < at ? before : after),
  /** Rising linearly from `from` at `start` by `perMinute` each minute (a growing 5xx rate). */
  rising: (start: number, from: number, perMinute: number): SeriesFn => (t) => (t < start ? from : from + ((t - start) / MINUTE) * perMinute),
  /** Alternating `high` and `low` every `periodMinutes`, from `start` (a flapping signal). */
  flapping: (start: number, periodMinutes: number, high: number, low: number): SeriesFn => (t) =>
    t < start ? low : Math.floor((t - start) / (periodMinutes * MINUTE)) % 2 === 0 ? high : low,
  /** The values of `steps` in turn: [fromMs, value] pairs, the last one whose time has passed wins. */
  piecewise: (steps: readonly [number, number | null][], initial: number | null = null): SeriesFn => (t) => {
    let v = initial;
    for (const [from, value] of steps) if (t >= from) v = value;
    return v;
  },
};

export interface FakeAlert {
  id: string;
  rule: string;
  targetResource: string;
  severity: string;
  monitorCondition: 'Fired' | 'Resolved';
  alertState: 'New' | 'Acknowledged' | 'Closed';
  startDateTime: string;
  monitorConditionResolvedDateTime?: string;
  monitorService: string;
  signalType: string;
}

export interface LogsScript {
  topErrorCodes: { code: string; count: number }[];
  failingRequests: { timestamp: string; requestId: string; operationId: string; route: string; resultCode: string; code: string }[];
  p95ByRoute: { route: string; p95Ms: number; count: number }[];
}

export interface RecordedRequest {
  api: Api | 'other';
  method: string;
  path: string;
  query: Record<string, string>;
  token: string | null;
  body: unknown;
  status: number;
}

type Fault = { api: Api; status: number; times: number; code: string; message: string };

export class MonitorFake {
  readonly ca: string;
  readonly requests: RecordedRequest[] = [];
  /** Alerts per page (the API's pageCount); small in tests so paging is exercised. */
  alertsPageSize = 25;
  private readonly key: string;
  private server: https.Server | undefined;
  private port = 0;
  private readonly metrics = new Map<string, SeriesFn>();
  private readonly alerts: FakeAlert[] = [];
  private readonly delays = new Map<Api, number>();
  private readonly faults: Fault[] = [];
  private logsScript: LogsScript = { topErrorCodes: [], failingRequests: [], p95ByRoute: [] };
  private logsQueryError: { code: string; message: string } | null = null;

  constructor() {
    const id = createTlsIdentity();
    this.ca = id.cert;
    this.key = id.key;
  }

  get url(): string {
    return `https://127.0.0.1:${this.port}`;
  }
  /** For the metrics client (it appends /subscriptions/...). */
  get metricsEndpoint(): string {
    return this.url;
  }
  /** For the logs client (the SDK's endpoint includes the API version path). */
  get logsEndpoint(): string {
    return `${this.url}/v1`;
  }
  /** For the ARM client. */
  get armEndpoint(): string {
    return this.url;
  }

  async start(): Promise<this> {
    this.server = https.createServer({ cert: this.ca, key: this.key }, (req, res) => void this.handle(req, res));
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(0, '127.0.0.1', () => resolve());
    });
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  async stop(): Promise<void> {
    const s = this.server;
    if (!s) return;
    await new Promise<void>((resolve) => {
      s.close(() => resolve());
      s.closeAllConnections();
    });
  }

  /** Scripts `metric` of `resourceId` (case-insensitive). */
  setMetric(resourceId: string, metric: string, fn: SeriesFn): void {
    this.metrics.set(`${resourceId.toLowerCase()}|${metric.toLowerCase()}`, fn);
  }

  fireAlert(a: { rule: string; targetResource: string; severity?: string; at: number; monitorService?: string }): FakeAlert {
    const alert: FakeAlert = {
      id: `${a.targetResource}/providers/Microsoft.AlertsManagement/alerts/${randomUUID()}`,
      rule: a.rule,
      targetResource: a.targetResource,
      severity: a.severity ?? 'Sev2',
      monitorCondition: 'Fired',
      alertState: 'New',
      startDateTime: new Date(a.at).toISOString(),
      monitorService: a.monitorService ?? 'Platform',
      signalType: 'Metric',
    };
    this.alerts.push(alert);
    return alert;
  }

  resolveAlert(id: string, at: number): void {
    const a = this.alerts.find((x) => x.id === id);
    if (!a) throw new Error(`fake: no alert ${id}`);
    a.monitorCondition = 'Resolved';
    a.monitorConditionResolvedDateTime = new Date(at).toISOString();
  }

  /** Forgets every alert (a new scenario). */
  clearAlerts(): void {
    this.alerts.length = 0;
  }

  closeAlert(id: string): void {
    const a = this.alerts.find((x) => x.id === id);
    if (a) a.alertState = 'Closed';
  }

  setLogs(script: LogsScript): void {
    this.logsScript = script;
  }

  /** The logs API answers 200 with a partial error (one query failed server-side), until cleared. */
  setLogsQueryError(e: { code: string; message: string } | null): void {
    this.logsQueryError = e;
  }

  /** Every answer of `api` waits `ms` first (a slow endpoint; 0 to clear). */
  delay(api: Api, ms: number): void {
    this.delays.set(api, ms);
  }

  /** The next `times` requests of `api` answer `status` with the API's error body. */
  failNext(api: Api, status: number, times = 1, code = status === 403 ? 'AuthorizationFailed' : status === 429 ? 'TooManyRequests' : 'InternalServerError'): void {
    this.faults.push({ api, status, times, code, message: `Injected ${status} (${code}).` });
  }

  clearFaults(): void {
    this.faults.length = 0;
    this.delays.clear();
    this.logsQueryError = null;
  }

  count(api: Api): number {
    return this.requests.filter((r) => r.api === api).length;
  }

  private apiOf(method: string, path: string): Api | 'other' {
    if (method === 'POST' && /^\/subscriptions\/[^/]+\/metrics:getBatch$/i.test(path)) return 'metrics';
    if (method === 'POST' && /^\/v1\/.+\/query$/i.test(path)) return 'logs';
    if (method === 'GET' && /\/providers\/Microsoft\.AlertsManagement\/alerts$/i.test(path)) return 'alerts';
    return 'other';
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.url);
    const text = await new Promise<string>((resolve) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    });
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = text;
    }
    const method = req.method ?? 'GET';
    const path = decodeURIComponent(url.pathname);
    const api = this.apiOf(method, path);
    const token = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '')?.[1] ?? null;
    const record: RecordedRequest = { api, method, path, query: Object.fromEntries(url.searchParams), token, body, status: 0 };
    this.requests.push(record);
    const send = (status: number, payload: unknown) => {
      record.status = status;
      if (res.destroyed) return;
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'x-ms-request-id': randomUUID() });
      res.end(JSON.stringify(payload));
    };
    const error = (status: number, code: string, message: string) => send(status, { error: { code, message } });

    if (api === 'other') return error(404, 'NotFound', `No fake for ${method} ${path}.`);
    const wait = this.delays.get(api) ?? 0;
    if (wait > 0) {
      await new Promise((r) => setTimeout(r, wait));
      if (req.socket.destroyed) {
        record.status = -1;
        return;
      }
    }
    if (!token) return error(401, 'AuthenticationFailed', 'The Authorization header is missing.');
    const i = this.faults.findIndex((f) => f.api === api && f.times > 0);
    if (i >= 0) {
      const f = this.faults[i]!;
      if (--f.times <= 0) this.faults.splice(i, 1);
      return error(f.status, f.code, f.message);
    }
    if (api === 'metrics') return this.metricsBatch(url, body, send, error);
    if (api === 'logs') return this.logsQuery(body, send, error);
    return this.alertsList(url, path, send, error);
  }

  private metricsBatch(url: URL, body: unknown, send: (s: number, p: unknown) => void, error: (s: number, c: string, m: string) => void): void {
    const q = url.searchParams;
    if (!q.get('api-version')) return error(400, 'MissingApiVersionParameter', 'api-version is required.');
    const start = Date.parse(q.get('starttime') ?? '');
    const end = Date.parse(q.get('endtime') ?? '');
    if (!Number.isFinite(start) || !Number.isFinite(end) || end <= start) return error(400, 'BadRequest', 'starttime and endtime are required.');
    const interval = q.get('interval') ?? 'PT1M';
    if (interval !== 'PT1M') return error(400, 'BadRequest', `The fake serves PT1M only, not ${interval}.`);
    const names = (q.get('metricnames') ?? '').split(',').filter(Boolean);
    const aggregation = (q.get('aggregation') ?? 'average').split(',')[0]!.toLowerCase();
    const namespace = q.get('metricnamespace') ?? '';
    const ids = ((body as { resourceids?: unknown })?.resourceids ?? []) as string[];
    if (!Array.isArray(ids) || !ids.length) return error(400, 'BadRequest', 'resourceids is required.');
    const values = ids.map((resourceId) => ({
      starttime: new Date(start).toISOString(),
      endtime: new Date(end).toISOString(),
      interval,
      namespace,
      resourceregion: 'westeurope',
      resourceid: resourceId,
      value: names.map((name) => {
        const fn = this.metrics.get(`${resourceId.toLowerCase()}|${name.toLowerCase()}`);
        const data: Record<string, unknown>[] = [];
        for (let t = Math.floor(start / MINUTE) * MINUTE; t < end; t += MINUTE) {
          const v = fn ? fn(t) : null;
          data.push(v === null ? { timeStamp: new Date(t).toISOString() } : { timeStamp: new Date(t).toISOString(), [aggregation]: v });
        }
        return {
          id: `${resourceId}/providers/Microsoft.Insights/metrics/${name}`,
          type: 'Microsoft.Insights/metrics',
          name: { value: name, localizedValue: name },
          displayDescription: '',
          unit: 'Count',
          errorCode: 'Success',
          timeseries: [{ metadatavalues: [], data }],
        };
      }),
    }));
    send(200, { values });
  }

  private logsQuery(body: unknown, send: (s: number, p: unknown) => void, error: (s: number, c: string, m: string) => void): void {
    const query = (body as { query?: unknown })?.query;
    if (typeof query !== 'string' || !query.trim()) return error(400, 'BadArgumentError', 'The request had some invalid properties.');
    const s = this.logsScript;
    let table: { columns: { name: string; type: string }[]; rows: unknown[][] };
    if (/percentile\(/i.test(query)) {
      table = { columns: [{ name: 'route', type: 'string' }, { name: 'p95Ms', type: 'real' }, { name: 'count', type: 'long' }], rows: s.p95ByRoute.map((r) => [r.route, r.p95Ms, r.count]) };
    } else if (/by code/i.test(query)) {
      table = { columns: [{ name: 'code', type: 'string' }, { name: 'count', type: 'long' }], rows: s.topErrorCodes.map((r) => [r.code, r.count]) };
    } else {
      table = {
        columns: ['timestamp', 'requestId', 'operationId', 'route', 'resultCode', 'code'].map((name) => ({ name, type: name === 'timestamp' ? 'datetime' : 'string' })),
        rows: s.failingRequests.map((r) => [r.timestamp, r.requestId, r.operationId, r.route, r.resultCode, r.code]),
      };
    }
    const payload: Record<string, unknown> = { tables: [{ name: 'PrimaryResult', ...table }] };
    if (this.logsQueryError) payload.error = { ...this.logsQueryError, details: [] };
    send(200, payload);
  }

  private alertsList(url: URL, path: string, send: (s: number, p: unknown) => void, error: (s: number, c: string, m: string) => void): void {
    const q = url.searchParams;
    if (!q.get('api-version')) return error(400, 'MissingApiVersionParameter', 'api-version is required.');
    const scope = path.replace(/\/providers\/Microsoft\.AlertsManagement\/alerts$/i, '').toLowerCase();
    const condition = q.get('monitorCondition');
    const matching = this.alerts.filter((a) => a.targetResource.toLowerCase().startsWith(scope) && (!condition || a.monitorCondition === condition));
    const skip = Number(q.get('skipToken') ?? '0') || 0;
    const page = matching.slice(skip, skip + this.alertsPageSize);
    const next = skip + this.alertsPageSize < matching.length ? new URL(url.toString()) : null;
    next?.searchParams.set('skipToken', String(skip + this.alertsPageSize));
    send(200, {
      value: page.map((a) => ({
        id: a.id,
        type: 'Microsoft.AlertsManagement/alerts',
        name: a.rule,
        properties: {
          essentials: {
            severity: a.severity,
            signalType: a.signalType,
            alertState: a.alertState,
            monitorCondition: a.monitorCondition,
            monitorService: a.monitorService,
            targetResource: a.targetResource,
            targetResourceName: a.targetResource.split('/').at(-1),
            targetResourceGroup: a.targetResource.split('/')[4] ?? '',
            targetResourceType: 'sites',
            alertRule: `/subscriptions/x/resourceGroups/rg/providers/Microsoft.Insights/metricAlerts/${a.rule}`,
            startDateTime: a.startDateTime,
            lastModifiedDateTime: a.monitorConditionResolvedDateTime ?? a.startDateTime,
            ...(a.monitorConditionResolvedDateTime ? { monitorConditionResolvedDateTime: a.monitorConditionResolvedDateTime } : {}),
          },
        },
      })),
      ...(next ? { nextLink: next.toString() } : {}),
    });
  }
}
