/**
 * The automation's telemetry over a whole incident, exported to OpenTelemetry's in-memory
 * exporters (the SDK's own, registered as the global providers, as @azure/monitor-opentelemetry
 * registers its own in Azure): the product app (dist/; run `npm run build`) on the dev host, from
 * an Azure Monitor alert through an approved rollback to the resolution (test/harness/product.ts).
 *
 *   - every span of the incident's work carries its id: the intake request, each orchestration
 *     episode (the incident's and its smoke-suite sub-orchestrations'), each activity, each
 *     external and storage call made inside them, the incident API and approval calls; the only
 *     exception, the intake's storage calls made before the incident's id existed (claim, payload
 *     archive, correlation), share the trace of the request that carries it;
 *   - one span per episode and none per replayed step: the incident's episode spans are exactly
 *     its history's OrchestratorStarted events, and each activity ran (and was traced) once per
 *     completed task;
 *   - the metrics: the alert by outcome, the incident by severity, ARM and SQL latencies;
 *   - the resolved incident's metrics, emitted once: MTTx equal to the sealed evidence pack's
 *     metrics.json, timeboxes equal to the record's verdicts (incident.json), actions equal to the
 *     pack's action records;
 *   - a repeated delivery of the alert after the resolution is traced under the incident's id.
 */
import { context, metrics, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { AggregationTemporality, InMemoryMetricExporter, MeterProvider, PeriodicExportingMetricReader, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import * as coreTracing from '@azure/core-tracing';
import { createAzureSdkInstrumentation } from '@azure/opentelemetry-instrumentation-azure-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installTelemetry } from '../../src/adapters/telemetry.js';
import { IncidentSpanProcessor, OtelTelemetry } from '../../src/adapters/telemetry-otel.js';
import { ATTR, METRICS } from '../../src/domain/telemetry.js';
import { alertFixture, withAlertId } from '../harness/alerts.js';
import { APPROVER, MINUTE, ProductWorld, principal } from '../harness/product.js';
import { Scenarios, type PackMetrics } from '../harness/truth.js';

const spans = new InMemorySpanExporter();
const metricExporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
const reader = new PeriodicExportingMetricReader({ exporter: metricExporter, exportIntervalMillis: 3_600_000 });
const tracerProvider = new BasicTracerProvider({ spanProcessors: [new IncidentSpanProcessor(), new SimpleSpanProcessor(spans)] });
const meterProvider = new MeterProvider({ readers: [reader] });
const contextManager = new AsyncLocalStorageContextManager().enable();

let w: ProductWorld;
let incidentId: string;
let pack: { metrics: PackMetrics; incident: { timeboxes: { name: string; verdict: string }[] }; actions: { action: string; mode: string; outcome: { kind: string } }[] };
let duplicate: { status: number; body: { kind?: string; incidentId?: string } };

beforeAll(async () => {
  context.setGlobalContextManager(contextManager);
  trace.setGlobalTracerProvider(tracerProvider);
  metrics.setGlobalMeterProvider(meterProvider);
  installTelemetry(new OtelTelemetry());
  // The Azure SDK's spans (storage, as the distro's Azure SDK instrumentation makes them in Azure):
  // the instrumentation's own patch of @azure/core-tracing, applied to the module already loaded.
  (createAzureSdkInstrumentation() as unknown as { init(): { patch(m: unknown): unknown } }).init().patch(coreTracing);
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
  const x = new Scenarios(w);
  pack = {
    metrics: await x.json<PackMetrics>(incidentId, 'metrics.json'),
    incident: await x.json(incidentId, 'incident.json'),
    actions: (await x.folder(incidentId, 'rollback/')).map((t) => JSON.parse(t) as (typeof pack.actions)[number]),
  };
  // Azure Monitor delivers the same alert again after the incident is over: a duplicate of it.
  duplicate = await w.post('/api/alerts', withAlertId(alertFixture('metric-5xx-fired.json'), 'e2e-1', { firedDateTime: new Date(w.now() - 30_000).toISOString() }));
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
const hr = (t: [number, number]) => t[0] * 1e9 + t[1];

describe('spans of a whole incident', () => {
  it('carry the incident id on every span of its work: intake, episodes, activities, external calls, API calls', () => {
    const all = spans.getFinishedSpans();
    const byId = new Map(all.map((s) => [s.spanContext().spanId, s]));
    const mine = all.filter((s) => idOf(s) === incidentId);
    const names = new Set(mine.map((s) => s.name));
    for (const expected of ['http alerts', 'http incidentsAck', 'http incidentsGet', 'http approvals', 'orchestration incident', 'orchestration smokeSuite', 'activity smokeRunCheck', 'arm list-app-settings', 'arm swap-slot']) {
      expect([...names], expected).toContain(expected);
    }
    expect([...names].some((n) => n.startsWith('activity ') && n !== 'activity smokeRunCheck')).toBe(true);
    // The alert's first delivery and its repeat after the resolution, a duplicate of that incident.
    expect(duplicate.body).toMatchObject({ kind: 'duplicate', incidentId });
    expect(mine.filter((s) => s.name === 'http alerts')).toHaveLength(2);
    // The resolved incident's metrics were emitted by one activity run, under the incident's id.
    expect(mine.filter((s) => s.name === 'activity telemetry_recordIncident')).toHaveLength(1);
    // Storage calls made in the incident's work carry it too (the evidence pack's uploads, the ledger).
    expect(mine.filter((s) => s.name === 'BlockBlobClient-upload').length).toBeGreaterThan(1);
    expect(mine.some((s) => s.name.startsWith('TableClient.') && parentOf(s) && byId.get(parentOf(s)!)?.name === 'http approvals')).toBe(true);

    // What is not about this incident: the LKG record before it, the timer sweeps (reminders every 15 min, the synthetic monitor),
    // the dev host's own storage work (the task hub) and this test's reads of the evidence pack.
    const others = all.filter((s) => idOf(s) !== incidentId);
    expect([...new Set(others.map((s) => s.name))].sort()).toEqual(expect.arrayContaining(['http lkgRecord']));
    const ancestors = (s: ReadableSpan): ReadableSpan[] => {
      const out: ReadableSpan[] = [];
      for (let p = byId.get(parentOf(s) ?? ''); p; p = byId.get(parentOf(p) ?? '')) out.push(p);
      return out;
    };
    const beforeTheId: ReadableSpan[] = [];
    for (const s of others) {
      expect(s.name, `${s.name} has no incident id`).toMatch(/^(http lkgRecord|timer postmortemReminders|timer syntheticMonitor|sql |arm |keyvault |entra |graph |TableClient\.|TableTransaction\.|(Block)?BlobClient-|ContainerClient-|HTTP )/);
      const up = ancestors(s);
      if (!up.some((p) => idOf(p) === incidentId)) continue;
      // Made inside the incident's work and yet without its id: only the intake's calls that ran
      // before the id existed (it is allocated by the correlation, a storage call itself).
      expect(up.at(-1)?.name, `${s.name} inside ${up[0]?.name ?? '?'}`).toBe('http alerts');
      beforeTheId.push(s);
    }
    // Those calls ended before the first call that knows the id started, and share the trace of
    // the request span that carries it (the workbook's trace view follows the request's operation).
    expect(beforeTheId.filter((s) => s.name === 'TableClient.createEntity').length).toBeGreaterThan(0);
    for (const s of beforeTheId) {
      const request = ancestors(s).at(-1)!;
      expect(idOf(request)).toBe(incidentId);
      const firstKnowing = Math.min(...mine.filter((m) => m !== request && m.spanContext().traceId === request.spanContext().traceId).map((m) => hr(m.startTime)));
      expect(hr(s.endTime)).toBeLessThanOrEqual(firstKnowing);
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
    expect(points(METRICS.alertsReceived.name).map((p) => [p.attributes, p.value])).toEqual([
      [{ [ATTR.outcome]: 'declared', [ATTR.httpStatus]: 202 }, 1],
      [{ [ATTR.outcome]: 'duplicate', [ATTR.httpStatus]: 200 }, 1],
    ]);
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

  describe('of the resolved incident, once, from its record', () => {
    const base = { [ATTR.severity]: 'P1', [ATTR.environment]: 'Prod', [ATTR.service]: 'admin-api', [ATTR.drill]: false };
    type Histogram = { count: number; sum: number };

    it('count it resolved once, with its rollback', () => {
      expect(points(METRICS.incidentsResolved.name).map((p) => [p.attributes, p.value])).toEqual([[{ ...base, [ATTR.source]: 'alert', [ATTR.rolledBack]: true }, 1]]);
    });

    it('time it with the evidence pack\'s figures (metrics.json), each against the runbook\'s target', () => {
      const figures = [
        [METRICS.timeToDetect.name, pack.metrics.timeToDeclare],
        [METRICS.timeToAcknowledge.name, pack.metrics.timeToAcknowledge],
        [METRICS.timeToMitigate.name, pack.metrics.timeToMitigate],
        [METRICS.timeToRecover.name, pack.metrics.timeToRecover],
      ] as const;
      for (const [name, figure] of figures) {
        // This incident has every figure (a believed fired time, an ack, a rollback, a recovery).
        expect(figure, name).not.toBeNull();
        const emitted = points(name);
        expect(emitted, name).toHaveLength(1);
        expect(emitted[0]!.value as Histogram, name).toMatchObject({ count: 1, sum: figure!.seconds });
      }
      // The policy's P1 timeboxes (test/harness/product.ts): ack 15, decision 10, containment 15, recovery 30 minutes.
      expect(points(METRICS.timeToDetect.name)[0]!.attributes).toEqual(base);
      expect(points(METRICS.timeToAcknowledge.name)[0]!.attributes).toEqual({ ...base, [ATTR.targetSeconds]: 15 * 60 });
      expect(points(METRICS.timeToMitigate.name)[0]!.attributes).toEqual({ ...base, [ATTR.targetSeconds]: 25 * 60 });
      expect(points(METRICS.timeToRecover.name)[0]!.attributes).toEqual({ ...base, [ATTR.targetSeconds]: 40 * 60 });
    });

    it('count its timeboxes by the record\'s verdicts (incident.json, metrics.json)', () => {
      const tally = (rows: { name: string; verdict: string }[]) => {
        const m = new Map<string, number>();
        for (const r of rows) if (r.verdict !== 'open') m.set(`${r.name} ${r.verdict}`, (m.get(`${r.name} ${r.verdict}`) ?? 0) + 1);
        return Object.fromEntries([...m].sort());
      };
      const emitted = tally(points(METRICS.timeboxes.name).flatMap((p) => Array.from({ length: Number(p.value) }, () => ({ name: String(p.attributes[ATTR.timebox]), verdict: String(p.attributes[ATTR.verdict]) }))));
      expect(emitted).toEqual(tally(pack.incident.timeboxes));
      expect(emitted).toEqual(tally(pack.metrics.timeboxes));
      expect(emitted).toMatchObject({ 'ack met': 1, 'decision met': 1 });
    });

    it('count its actions by the outcome the pack records for each', () => {
      const tally = (rows: string[]) => rows.sort().join(', ');
      const emitted = points(METRICS.actions.name).flatMap((p) => Array.from({ length: Number(p.value) }, () => `${String(p.attributes[ATTR.outcome])}/${String(p.attributes[ATTR.mode])}`));
      expect(pack.actions.length).toBeGreaterThan(0);
      expect(tally(emitted)).toBe(tally(pack.actions.map((a) => `${a.outcome.kind}/${a.mode}`)));
      expect(points(METRICS.actions.name).map((p) => p.attributes[ATTR.action])).toEqual(expect.arrayContaining(['api-to-lkg', 'freeze']));
    });
  });
});
