/**
 * The automation's telemetry over a whole incident, exported to OpenTelemetry's in-memory
 * exporters (the SDK's own, registered as the global providers, as @azure/monitor-opentelemetry
 * registers its own in Azure): the product app (dist/; run `npm run build`) on the dev host, from
 * an Azure Monitor alert through an approved rollback to the resolution (test/harness/product.ts).
 *
 *   - every span of the incident's work carries its id: the intake request, each orchestration
 *     episode (the incident's and its smoke-suite sub-orchestrations'), each activity, each
 *     external call made inside them, and the incident API calls;
 *   - one span per episode and none per replayed step: the incident's episode spans are exactly
 *     its history's OrchestratorStarted events, and each activity ran (and was traced) once per
 *     completed task;
 *   - the metrics: the alert by outcome, the incident by severity, ARM and SQL latencies.
 */
import { context, metrics, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { AggregationTemporality, InMemoryMetricExporter, MeterProvider, PeriodicExportingMetricReader, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installTelemetry } from '../../src/adapters/telemetry.js';
import { IncidentSpanProcessor, OtelTelemetry } from '../../src/adapters/telemetry-otel.js';
import { ATTR, METRICS } from '../../src/domain/telemetry.js';
import { APPROVER, MINUTE, ProductWorld, principal } from '../harness/product.js';

const spans = new InMemorySpanExporter();
const metricExporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
const reader = new PeriodicExportingMetricReader({ exporter: metricExporter, exportIntervalMillis: 3_600_000 });
const tracerProvider = new BasicTracerProvider({ spanProcessors: [new IncidentSpanProcessor(), new SimpleSpanProcessor(spans)] });
const meterProvider = new MeterProvider({ readers: [reader] });
const contextManager = new AsyncLocalStorageContextManager().enable();

let w: ProductWorld;
let incidentId: string;

beforeAll(async () => {
  context.setGlobalContextManager(contextManager);
  trace.setGlobalTracerProvider(tracerProvider);
  metrics.setGlobalMeterProvider(meterProvider);
  installTelemetry(new OtelTelemetry());
  w = await ProductWorld.start();
  expect((await w.recordLkg()).status).toBe(201);

  // A bad release: alert, acknowledgement, the release manager approves the rollback, the
  // monitoring window passes green, resolved.
  w.breakProduction();
  const alert = await w.fireAlert();
  expect(alert.body).toMatchObject({ kind: 'declared', severity: { level: 'P1' } });
  incidentId = alert.body.incidentId as string;
  expect((await w.post(`/api/incidents/${incidentId}/ack`, { role: 'ic' }, principal('sam.lee@contoso.example', 'bbbbbbbb-0000-4000-8000-000000000002'))).status).toBe(202);
  await w.until(incidentId, (r) => r.runtime.customStatus?.phase === 'deciding', 'the decision');
  const link = await w.approvalPath(incidentId, 'Roll back API to last known good');
  const confirm = await w.host.fetch(link, {
    method: 'POST',
    headers: { accept: 'text/html', ...principal(APPROVER.upn, APPROVER.oid), 'content-type': 'application/x-www-form-urlencoded' },
    body: 'choice=api-to-lkg',
  });
  expect(confirm.status).toBe(200);
  await w.until(incidentId, (r) => r.runtime.customStatus?.phase === 'monitoring', 'monitoring');
  await w.advance(30 * MINUTE);
  await w.resolved(incidentId);
}, 120_000);

afterAll(async () => {
  await w?.stop();
  installTelemetry(null);
  await Promise.all([tracerProvider.shutdown(), meterProvider.shutdown()]);
  trace.disable();
  metrics.disable();
  context.disable();
});

const idOf = (s: ReadableSpan) => s.attributes[ATTR.incidentId];
const parentOf = (s: ReadableSpan) => s.parentSpanContext?.spanId;

describe('spans of a whole incident', () => {
  it('carry the incident id on every span of its work: intake, episodes, activities, external calls, API calls', () => {
    const all = spans.getFinishedSpans();
    const byId = new Map(all.map((s) => [s.spanContext().spanId, s]));
    const mine = all.filter((s) => idOf(s) === incidentId);
    const names = new Set(mine.map((s) => s.name));
    for (const expected of ['http alerts', 'http incidentsAction', 'http incidentsGet', 'http approvals', 'orchestration incident', 'orchestration smokeSuite', 'activity smokeRunCheck', 'arm list-app-settings', 'arm swap-slot']) {
      expect([...names], expected).toContain(expected);
    }
    expect([...names].some((n) => n.startsWith('activity ') && n !== 'activity smokeRunCheck')).toBe(true);

    // What is not about this incident: the LKG record before it, and the timer sweep (every 15 min).
    const others = all.filter((s) => idOf(s) !== incidentId);
    expect([...new Set(others.map((s) => s.name))].sort()).toEqual(expect.arrayContaining(['http lkgRecord']));
    for (const s of others) {
      // Nothing of the incident's own work is among them: not an episode, an activity, or a call made inside one.
      expect(s.name, `${s.name} has no incident id`).toMatch(/^(http lkgRecord|timer postmortemReminders|sql |arm |keyvault |entra |graph )/);
      if (/^(sql|arm|keyvault|entra|graph) /.test(s.name)) {
        const parent = byId.get(parentOf(s) ?? '');
        expect(parent && idOf(parent)).not.toBe(incidentId);
      }
    }
    // External calls are children of the invocation that made them, in the same trace.
    for (const s of mine.filter((x) => /^(arm|sql) /.test(x.name))) {
      const parent = byId.get(parentOf(s) ?? '');
      expect(parent?.name, s.name).toMatch(/^activity /);
      expect(parent?.spanContext().traceId).toBe(s.spanContext().traceId);
    }
  });

  it('emit one span per orchestration episode and per activity run, none for replayed steps', async () => {
    const status = await w.host.status(incidentId, '?showHistory=true');
    const history = (status?.historyEvents ?? []) as { EventType: string }[];
    // What episodes are fed with: each such event is new in exactly one episode.
    const inbound = history.filter((e) => ['ExecutionStarted', 'TaskCompleted', 'TaskFailed', 'SubOrchestrationInstanceCompleted', 'SubOrchestrationInstanceFailed', 'TimerFired', 'EventRaised'].includes(e.EventType)).length;
    const completedTasks = history.filter((e) => e.EventType === 'TaskCompleted' || e.EventType === 'TaskFailed').length;
    expect(inbound).toBeGreaterThan(10);
    const all = spans.getFinishedSpans().filter((s) => idOf(s) === incidentId);
    const episodeSpans = all.filter((s) => s.name === 'orchestration incident');
    // Every episode delivered something new, and every event was new in one traced episode only.
    for (const s of episodeSpans) {
      expect(s.attributes[ATTR.historyEvents]).toEqual(expect.any(Number));
      expect(s.attributes[ATTR.newEvents]).toBeGreaterThan(0);
    }
    expect(episodeSpans.reduce((n, s) => n + Number(s.attributes[ATTR.newEvents]), 0)).toBe(inbound);
    // The replay grows with the history: the last episode replayed nearly all of it, the first nothing.
    const replayed = episodeSpans.map((s) => Number(s.attributes[ATTR.historyEvents]));
    expect(Math.min(...replayed)).toBe(0);
    expect(Math.max(...replayed)).toBeGreaterThan(inbound);
    // Activities scheduled by the incident orchestration itself (the smoke checks run under the sub-orchestrations).
    const activitySpans = all.filter((s) => s.name.startsWith('activity ') && s.name !== 'activity smokeRunCheck');
    expect(activitySpans).toHaveLength(completedTasks);
  });
});

describe('metrics of a whole incident', () => {
  let exported: ResourceMetrics[];
  beforeAll(async () => {
    await reader.forceFlush();
    exported = metricExporter.getMetrics();
  });

  const points = (name: string) =>
    exported
      .flatMap((r) => r.scopeMetrics.flatMap((s) => s.metrics))
      .filter((m) => m.descriptor.name === name)
      .flatMap((m) => m.dataPoints as { attributes: Record<string, unknown>; value: unknown }[]);

  it('count the alert by its outcome and the incident by its severity', () => {
    expect(points(METRICS.alertsReceived.name)).toEqual([{ ...points(METRICS.alertsReceived.name)[0], attributes: { [ATTR.outcome]: 'declared', [ATTR.httpStatus]: 202 }, value: 1 }]);
    expect(points(METRICS.incidentsDeclared.name).map((p) => [p.attributes, p.value])).toEqual([
      [{ [ATTR.severity]: 'P1', [ATTR.environment]: 'Prod', [ATTR.service]: 'admin-api', [ATTR.source]: 'alert', [ATTR.drill]: false }, 1],
    ]);
    expect(points(METRICS.orchestrationsFailed.name)).toEqual([]);
  });

  it('time the external calls: ARM reads and the swap, by outcome', () => {
    const arm = points(METRICS.externalDuration.name).filter((p) => p.attributes[ATTR.system] === 'arm');
    const ops = arm.map((p) => `${String(p.attributes[ATTR.operation])} ${String(p.attributes[ATTR.outcome])}`);
    expect(ops).toEqual(expect.arrayContaining(['list-app-settings ok', 'swap-slot ok']));
    const swap = arm.find((p) => p.attributes[ATTR.operation] === 'swap-slot')?.value as { count: number };
    expect(swap.count).toBe(1);
  });
});
