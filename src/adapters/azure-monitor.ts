/**
 * The signal readers on Azure Monitor (src/ports/signals.ts), with the SDKs made for each API,
 * loaded on first use:
 *
 * - metrics: `@azure/monitor-query-metrics` (MetricsClient, the regional metrics data plane
 *   `https://{region}.metrics.monitor.azure.com`, `metrics:getBatch`), one point a minute;
 * - logs: `@azure/monitor-query-logs` (LogsQueryClient), resource-centric queries on an
 *   Application Insights component, or workspace queries;
 * - active alerts: the Alerts Management REST API through ARM
 *   (`GET {scope}/providers/Microsoft.AlertsManagement/alerts?api-version=2019-03-01`), with the
 *   Azure REST client (`@azure-rest/core-client`): no ARM client package for Alerts Management is
 *   published to npm any more, and this is the same pipeline (bearer token, retries, TLS) the
 *   App Service client runs on.
 *
 * Every call has a deadline (an AbortSignal covering its retries). Nothing here throws for what
 * Azure answers: a timeout, a 403, a query error come back as an `unavailable` reading with the
 * reason (status, code and the first line of the message; never the request, which carries the
 * token).
 */
import { gzipSync } from 'node:zlib';
import type { TokenCredential } from '@azure/core-auth';
import type { Client } from '@azure-rest/core-client';
import type { LogsQueryClient, LogsTable } from '@azure/monitor-query-logs';
import type { MetricsClient } from '@azure/monitor-query-metrics';
import type {
  ActiveAlert,
  ErrorCodeCount,
  FailingRequest,
  LogsTriage,
  MetricPoint,
  MetricSeries,
  Reading,
  RouteLatency,
  SignalsPlan,
  WatchedMetric,
} from '../domain/monitor-signals.js';
import type { ReadWindow, SignalReaders } from '../ports/signals.js';
import { lazy } from './lazy.js';

// CommonJS builds on purpose: `import()` would load the SDKs' ESM builds, a second copy.
const metricsSdk = lazy(() => require('@azure/monitor-query-metrics') as typeof import('@azure/monitor-query-metrics'));
const logsSdk = lazy(() => require('@azure/monitor-query-logs') as typeof import('@azure/monitor-query-logs'));
const restSdk = lazy(() => require('@azure-rest/core-client') as typeof import('@azure-rest/core-client'));

export const ALERTS_API_VERSION = '2019-03-01';
const MINUTE = 60_000;
const MAX_ALERT_PAGES = 10;

export interface AzureMonitorOptions {
  credential: TokenCredential;
  /** Metrics data plane; `{region}` is replaced (default https://{region}.metrics.monitor.azure.com). */
  metricsEndpoint?: string;
  /** Log Analytics query API, with its version path (default https://api.loganalytics.io/v1). */
  logsEndpoint?: string;
  /** Azure Resource Manager (default https://management.azure.com); also the metrics audience. */
  armEndpoint?: string;
  /** Azure portal, for deep links (default https://portal.azure.com). */
  portalUrl?: string;
  /** Extra CA certificate(s), PEM: a loopback fake in tests, a TLS-inspecting proxy. */
  caPem?: string;
  /** Pipeline retries per call, within its deadline (default 1). */
  retries?: number;
}

/** What went wrong, for people: status, code and the first line of the message; never the request. */
export function failureText(err: unknown, timeoutMs: number): string {
  const e = (err ?? {}) as { name?: string; statusCode?: number; code?: string; message?: string };
  if (e.name === 'AbortError' || e.name === 'TimeoutError') return `no answer within ${Math.round(timeoutMs / 100) / 10} s`;
  const first = (e.message ?? String(err)).split('\n')[0]!.slice(0, 300);
  if (e.statusCode !== undefined) return `${e.statusCode} ${e.code ?? ''}`.trim() + `: ${first}`;
  if (e.name === 'RestError') return `${e.code ?? 'network error'}: ${first}`;
  return first;
}

const unavailable = <T>(at: string, reason: string): Reading<T> => ({ status: 'unavailable', at, reason: reason.slice(0, 500) });

export class AzureMonitorReaders implements SignalReaders {
  private readonly metricsClients = new Map<string, MetricsClient>();
  private logsClient: LogsQueryClient | undefined;
  private armClient: Client | undefined;
  private readonly arm: string;
  private readonly portal: string;

  constructor(private readonly o: AzureMonitorOptions) {
    this.arm = (o.armEndpoint ?? 'https://management.azure.com').replace(/\/+$/, '');
    this.portal = (o.portalUrl ?? 'https://portal.azure.com').replace(/\/+$/, '');
  }

  private common() {
    return {
      retryOptions: { maxRetries: this.o.retries ?? 1, retryDelayInMs: 500, maxRetryDelayInMs: 2_000 },
      userAgentOptions: { userAgentPrefix: 'incident-autopilot' },
      ...(this.o.caPem ? { tlsOptions: { ca: this.o.caPem } } : {}),
    };
  }

  private metrics(region: string): MetricsClient {
    const endpoint = (this.o.metricsEndpoint ?? 'https://{region}.metrics.monitor.azure.com').replace('{region}', region).replace(/\/+$/, '');
    let client = this.metricsClients.get(endpoint);
    if (!client) {
      client = new (metricsSdk().MetricsClient)(endpoint, this.o.credential, { ...this.common(), audience: `${new URL(this.arm).origin}/.default` });
      this.metricsClients.set(endpoint, client);
    }
    return client;
  }

  private logs(): LogsQueryClient {
    const endpoint = (this.o.logsEndpoint ?? 'https://api.loganalytics.io/v1').replace(/\/+$/, '');
    this.logsClient ??= new (logsSdk().LogsQueryClient)(this.o.credential, { ...this.common(), endpoint, credentials: { scopes: [`${new URL(endpoint).origin}/.default`] } });
    return this.logsClient;
  }

  private armRest(): Client {
    this.armClient ??= restSdk().getClient(this.arm, this.o.credential, { ...this.common(), credentials: { scopes: [`${new URL(this.arm).origin}/.default`] } });
    return this.armClient;
  }

  async readMetric(metric: WatchedMetric, region: string, window: ReadWindow): Promise<Reading<MetricSeries[]>> {
    const at = window.to;
    if (!metric.resourceIds.length) return { status: 'not-configured', reason: `no resource to read ${metric.label} from` };
    const names = metric.per ? [metric.metric, metric.per] : [metric.metric];
    const aggregation = metric.aggregation.toLowerCase() as 'total' | 'average' | 'maximum' | 'minimum' | 'count';
    // metrics:getBatch takes the resources of one subscription per call.
    const bySubscription = new Map<string, string[]>();
    for (const id of metric.resourceIds) {
      const sub = /^\/subscriptions\/([^/]+)/i.exec(id)?.[1]?.toLowerCase() ?? '';
      bySubscription.set(sub, [...(bySubscription.get(sub) ?? []), id]);
    }
    const signal = AbortSignal.timeout(window.timeoutMs);
    try {
      const out: MetricSeries[] = [];
      for (const ids of bySubscription.values()) {
        const options = { startTime: new Date(window.from), endTime: new Date(window.to), interval: 'PT1M', aggregation, abortSignal: signal };
        const results = await this.metrics(region).queryResources(ids, names, metric.namespace, options);
        for (const r of results) {
          const find = (name: string) => r.metrics.find((m) => m.id?.toLowerCase().endsWith(`/metrics/${name.toLowerCase()}`)) ?? r.metrics.find((m) => m.name.toLowerCase() === name.toLowerCase());
          const main = find(metric.metric);
          const per = metric.per ? find(metric.per) : undefined;
          const failed = [main, per].find((m) => m?.errorCode && m.errorCode !== 'Success');
          if (!main || (metric.per && !per)) return unavailable(at, `${r.resourceId ?? 'a resource'} answered no ${!main ? metric.metric : metric.per} metric (check signals.metrics and the namespace ${metric.namespace})`);
          if (failed) return unavailable(at, `${failed.name}: ${failed.errorCode}${failed.errorMessage ? ` ${failed.errorMessage}` : ''}`);
          out.push({ resourceId: r.resourceId ?? ids[0]!, points: combine(pointsOf(main, aggregation), per ? pointsOf(per, aggregation) : null) });
        }
      }
      return { status: 'read', at, value: out };
    } catch (err) {
      return unavailable(at, `metrics ${metric.metric}: ${failureText(err, window.timeoutMs)}`);
    }
  }

  async activeAlerts(scopes: readonly string[], window: ReadWindow): Promise<Reading<ActiveAlert[]>> {
    const at = window.to;
    if (!scopes.length) return { status: 'not-configured', reason: 'no scope to list alerts in' };
    const signal = AbortSignal.timeout(window.timeoutMs);
    const found = new Map<string, ActiveAlert>();
    try {
      for (const scope of [...new Set(scopes.map((s) => s.replace(/\/+$/, '')))]) {
        let next: string | null = `${scope}/providers/Microsoft.AlertsManagement/alerts`;
        let query: Record<string, string> | undefined = { 'api-version': ALERTS_API_VERSION, monitorCondition: 'Fired', timeRange: '7d' };
        for (let page = 0; next && page < MAX_ALERT_PAGES; page++) {
          const res = await this.armRest().pathUnchecked(next).get({ abortSignal: signal, ...(query ? { queryParameters: query } : {}) });
          if (res.status !== '200') {
            const e = (res.body as { error?: { code?: string; message?: string } } | undefined)?.error;
            return unavailable(at, `alerts in ${scope}: ${res.status} ${e?.code ?? ''}: ${(e?.message ?? '').split('\n')[0]}`);
          }
          const body = res.body as { value?: unknown; nextLink?: unknown };
          for (const a of Array.isArray(body.value) ? body.value : []) {
            const alert = alertOf(a);
            if (alert) found.set(alert.id.toLowerCase(), alert);
          }
          next = typeof body.nextLink === 'string' && body.nextLink ? body.nextLink : null;
          // A nextLink elsewhere than ARM would get our token: follow ARM's own only.
          if (next && new URL(next).origin !== new URL(this.arm).origin) return unavailable(at, `alerts in ${scope}: ARM answered a next page on another host (${new URL(next).host})`);
          query = undefined;
        }
      }
      return { status: 'read', at, value: [...found.values()] };
    } catch (err) {
      return unavailable(at, `alerts: ${failureText(err, window.timeoutMs)}`);
    }
  }

  async triage(logs: NonNullable<SignalsPlan['logs']>, window: ReadWindow): Promise<Reading<LogsTriage>> {
    const at = window.to;
    const signal = AbortSignal.timeout(window.timeoutMs);
    const timespan = { startTime: new Date(window.from), endTime: new Date(window.to) };
    // LogsQueryClient 1.0.0 drops `abortSignal` on the floor (only `requestOptions` reach the
    // pipeline), so each request gets its timeout there, and the whole call a deadline of its own.
    const options = { abortSignal: signal, requestOptions: { timeout: window.timeoutMs }, serverTimeoutInSeconds: Math.max(1, Math.floor(window.timeoutMs / 1000)) };
    // The API's path is /v1/subscriptions/...: the SDK puts its own slash before the resource id.
    const resourcePath = logs.kind === 'app-insights' ? logs.resourceId.replace(/^\/+/, '') : '';
    const run = (query: string) =>
      withDeadline(
        logs.kind === 'app-insights' ? this.logs().queryResource(resourcePath, query, timespan, options) : this.logs().queryWorkspace(logs.workspaceId, query, timespan, options),
        signal,
      );
    const names = ['topErrorCodes', 'failingRequests', 'p95ByRoute'] as const;
    const settled = await Promise.allSettled(names.map((n) => run(logs.queries[n])));
    const problems: string[] = [];
    const tables: Partial<Record<(typeof names)[number], LogsTable>> = {};
    settled.forEach((s, i) => {
      const name = names[i]!;
      if (s.status === 'rejected') return problems.push(`${name}: ${failureText(s.reason, window.timeoutMs)}`);
      const r = s.value;
      if (String(r.status) === 'PartialFailure' && 'partialError' in r) problems.push(`${name}: partial result (${r.partialError.code}: ${(r.partialError.message ?? '').split('\n')[0]})`);
      const table = 'tables' in r ? r.tables[0] : 'partialTables' in r ? r.partialTables[0] : undefined;
      if (table) tables[name] = table;
    });
    if (!Object.keys(tables).length) return unavailable(at, problems.join('; ') || 'no table answered');

    const codes = rowsOf(tables.topErrorCodes, ['code', 'count'], 'topErrorCodes', problems);
    const requests = rowsOf(tables.failingRequests, ['requestId'], 'failingRequests', problems);
    const routes = rowsOf(tables.p95ByRoute, ['route', 'p95Ms'], 'p95ByRoute', problems);
    const target = logs.kind === 'app-insights' ? logs.resourceId : (logs.workspaceResourceId ?? null);
    const link = (query: string) => (target ? this.portalLink(target, query, window) : null);
    const topErrorCodes: ErrorCodeCount[] = codes.flatMap((r) => (text(r.code) && num(r.count) !== null ? [{ code: text(r.code)!.slice(0, 100), count: num(r.count)! }] : []));
    const failingRequests: FailingRequest[] = requests.flatMap((r) => {
      const requestId = text(r.requestId);
      if (!requestId) return [];
      const operationId = text(r.operationId);
      return [{
        at: r.timestamp instanceof Date ? r.timestamp.toISOString() : text(r.timestamp),
        requestId: requestId.slice(0, 128),
        operationId: operationId?.slice(0, 128) ?? null,
        route: text(r.route)?.slice(0, 200) ?? null,
        resultCode: text(r.resultCode)?.slice(0, 16) ?? null,
        code: text(r.code)?.slice(0, 100) ?? null,
        link: operationId ? link(operationQuery(logs.kind, operationId)) : null,
      }];
    });
    const p95ByRoute: RouteLatency[] = routes.flatMap((r) => (text(r.route) !== null && num(r.p95Ms) !== null ? [{ route: text(r.route)!.slice(0, 200), p95Ms: num(r.p95Ms)!, count: num(r.count) ?? 0 }] : []));
    if (!target) problems.push('no deep links: give signals.logs.workspaceResourceId (the workspace ARM id) for portal links');
    return { status: 'read', at, value: { topErrorCodes, failingRequests, p95ByRoute, queryLink: link(logs.queries.topErrorCodes), from: window.from, to: window.to, problems } };
  }

  /**
   * A link that opens the query in the portal's Logs blade over the same time range, in the form
   * Azure Monitor's own alert notifications use (the query gzip-compressed, base64).
   */
  portalLink(resourceId: string, query: string, window: Pick<ReadWindow, 'from' | 'to'>): string {
    const q = gzipSync(Buffer.from(query, 'utf8')).toString('base64');
    return (
      `${this.portal}/#blade/Microsoft_Azure_Monitoring_Logs/LogsBlade/resourceId/${encodeURIComponent(resourceId)}` +
      `/source/LogsBlade.AnalyticsShareLinkToQuery/q/${encodeURIComponent(q)}/timespan/${encodeURIComponent(`${window.from}/${window.to}`)}`
    );
  }
}

/** Rejects with an AbortError when `signal` aborts first (the underlying request is timed out by its pipeline). */
function withDeadline<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const abort = () => reject(Object.assign(new Error('The operation was aborted.'), { name: 'AbortError' }));
    if (signal.aborted) return abort();
    signal.addEventListener('abort', abort, { once: true });
    p.then(resolve, reject).finally(() => signal.removeEventListener('abort', abort));
  });
}

function operationQuery(kind: 'app-insights' | 'workspace', operationId: string): string {
  const id = operationId.replace(/["\\]/g, '');
  return kind === 'app-insights'
    ? `union requests, dependencies, exceptions, traces\n| where operation_Id == "${id}"\n| order by timestamp asc`
    : `union AppRequests, AppDependencies, AppExceptions, AppTraces\n| where OperationId == "${id}"\n| order by TimeGenerated asc`;
}

type Cell = LogsTable['rows'][number][number];

function rowsOf(table: LogsTable | undefined, required: string[], name: string, problems: string[]): Record<string, Cell>[] {
  if (!table) return [];
  const columns = table.columnDescriptors.map((c) => c.name ?? '');
  const missing = required.filter((r) => !columns.includes(r));
  if (missing.length) {
    problems.push(`${name}: the query answered no column ${missing.join(', ')} (columns: ${columns.join(', ') || 'none'})`);
    return [];
  }
  return table.rows.slice(0, 50).map((row) => Object.fromEntries(columns.map((c, i) => [c, row[i]!])));
}

function text(v: Cell | undefined): string | null {
  if (typeof v === 'string') return v.trim() ? v : null;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return null;
}

function num(v: Cell | undefined): number | null {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() ? Number(v) : NaN;
  return Number.isFinite(n) ? n : null;
}

type SdkMetric = Awaited<ReturnType<MetricsClient['queryResources']>>[number]['metrics'][number];

function pointsOf(m: SdkMetric, aggregation: 'total' | 'average' | 'maximum' | 'minimum' | 'count'): MetricPoint[] {
  // One time series unless the query splits by a dimension (it does not): sum them per minute anyway.
  const byMinute = new Map<number, number | null>();
  for (const ts of m.timeseries ?? []) {
    for (const d of ts.data ?? []) {
      const t = d.timeStamp instanceof Date ? d.timeStamp.getTime() : Date.parse(String(d.timeStamp));
      if (!Number.isFinite(t)) continue;
      const v = d[aggregation];
      const value = typeof v === 'number' && Number.isFinite(v) ? v : null;
      const prev = byMinute.get(t);
      byMinute.set(t, value === null ? (prev ?? null) : (prev ?? 0) + value);
    }
  }
  return [...byMinute.entries()].sort((a, b) => a[0] - b[0]).map(([t, value]) => ({ at: new Date(t).toISOString(), value }));
}

/** `main` per `per` in percent, minute by minute; no requests and no errors is 0 %, missing data stays missing. */
export function combine(main: MetricPoint[], per: MetricPoint[] | null): MetricPoint[] {
  if (!per) return main;
  const denominators = new Map(per.map((p) => [p.at, p.value]));
  return main.map((p) => {
    const d = denominators.get(p.at);
    if (p.value === null || d === null || d === undefined) return { at: p.at, value: null };
    if (d === 0) return { at: p.at, value: p.value === 0 ? 0 : null };
    return { at: p.at, value: (p.value / d) * 100 };
  });
}

function alertOf(raw: unknown): ActiveAlert | null {
  if (!raw || typeof raw !== 'object') return null;
  const a = raw as { id?: unknown; name?: unknown; properties?: { essentials?: Record<string, unknown> } };
  const e = a.properties?.essentials ?? {};
  const s = (v: unknown) => (typeof v === 'string' && v ? v : null);
  const id = s(a.id);
  const condition = s(e.monitorCondition);
  if (!id || (condition !== 'Fired' && condition !== 'Resolved')) return null;
  const ruleId = s(e.alertRule);
  return {
    id,
    rule: (s(a.name) ?? ruleId?.split('/').at(-1) ?? id).slice(0, 200),
    severity: s(e.severity),
    monitorCondition: condition,
    alertState: s(e.alertState),
    targetResource: s(e.targetResource),
    firedAt: s(e.startDateTime),
    monitorService: s(e.monitorService),
  };
}

/** A reading window ending at `at` (ISO), `minutes` long, on whole minutes. */
export function windowEndingAt(at: string, minutes: number, timeoutMs: number): ReadWindow {
  const end = Math.floor(Date.parse(at) / MINUTE) * MINUTE;
  return { from: new Date(end - minutes * MINUTE).toISOString(), to: new Date(end).toISOString(), timeoutMs };
}

