/**
 * OpenTelemetry for the automation: spans and metrics through the OpenTelemetry API, exported by
 * the Azure Monitor distro (@azure/monitor-opentelemetry) to Application Insights. Loaded only
 * when APPLICATIONINSIGHTS_CONNECTION_STRING is set (./telemetry.ts), or by a test that installs
 * its own providers (in-memory exporters).
 *
 * Span boundaries: one span per function invocation (an HTTP request, an activity, an
 * orchestration episode, a timer), opened by the invocation hook (src/app/telemetry-hooks.ts),
 * never inside orchestrator code, which replays; one client span per external call. Every span
 * opened inside an invocation carries the incident id once the invocation knows it
 * (IncidentSpanProcessor).
 *
 * The host keeps its own Application Insights telemetry (requests, logs); our invocation spans
 * are internal spans continuing the host's trace context, so they appear under the host's
 * request in the same operation (in `dependencies`, type InProc).
 */
import * as api from '@opentelemetry/api';
import { ATTR, INSTRUMENTATION_SCOPE, METRICS, SPANS, type Attributes, type CounterKey, type GaugeKey, type HistogramKey, type MetricKey } from '../domain/telemetry.js';
import type { InvocationEnd, InvocationSpan, Telemetry } from '../ports/telemetry.js';

/** What one invocation knows about itself, carried in the OpenTelemetry context. */
interface Scope {
  incidentId: string | undefined;
  root: api.Span | undefined;
}

const SCOPE = api.createContextKey('incident-autopilot.invocation');

/** The structural part of the SDK's SpanProcessor that this processor implements. */
interface WritableSpan {
  setAttribute(key: string, value: api.AttributeValue): unknown;
  readonly attributes: api.Attributes;
}

/**
 * Stamps the invocation's incident id on every span started inside it: at the start when it is
 * known, and at the end otherwise (an alert's incident is known only once intake has routed it).
 * Register it with the tracer provider (useAzureMonitor's `spanProcessors`, or a test's provider).
 */
export class IncidentSpanProcessor {
  private readonly scopes = new WeakMap<object, Scope>();

  onStart(span: WritableSpan, parentContext: api.Context): void {
    const scope = parentContext.getValue(SCOPE) as Scope | undefined;
    if (!scope) return;
    this.scopes.set(span, scope);
    if (scope.incidentId) span.setAttribute(ATTR.incidentId, scope.incidentId);
  }

  onEnding(span: WritableSpan): void {
    const scope = this.scopes.get(span);
    if (scope?.incidentId && span.attributes[ATTR.incidentId] === undefined) span.setAttribute(ATTR.incidentId, scope.incidentId);
  }

  onEnd(): void {}

  forceFlush(): Promise<void> {
    return Promise.resolve();
  }

  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

/** `00-<trace id>-<span id>-<flags>` (W3C) as a remote parent; anything else: no parent. */
function parentFrom(traceParent: string | undefined, traceState: string | undefined): api.Context {
  const m = traceParent ? /^[\da-f]{2}-([\da-f]{32})-([\da-f]{16})-([\da-f]{2})$/i.exec(traceParent.trim()) : null;
  if (!m) return api.ROOT_CONTEXT;
  const spanContext: api.SpanContext = { traceId: m[1]!.toLowerCase(), spanId: m[2]!.toLowerCase(), traceFlags: parseInt(m[3]!, 16), isRemote: true };
  if (!api.isSpanContextValid(spanContext)) return api.ROOT_CONTEXT;
  if (traceState) spanContext.traceState = api.createTraceState(traceState);
  return api.trace.setSpanContext(api.ROOT_CONTEXT, spanContext);
}

function errorText(error: unknown): string {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return text.split('\n')[0]!.slice(0, 300);
}

type Instrument = api.Counter | api.Histogram | api.Gauge;

export class OtelTelemetry implements Telemetry {
  readonly mode = 'opentelemetry' as const;
  private readonly tracer = api.trace.getTracer(INSTRUMENTATION_SCOPE);
  private readonly instruments = new Map<MetricKey, Instrument>();

  /** Flushes the globally registered providers (the tracer provider behind the API's proxy, the meter provider). */
  async flush(): Promise<void> {
    const tracers = (api.trace.getTracerProvider() as { getDelegate?: () => unknown }).getDelegate?.() as { forceFlush?: () => Promise<void> } | undefined;
    const meters = api.metrics.getMeterProvider() as { forceFlush?: () => Promise<void> };
    await Promise.all([tracers?.forceFlush?.(), meters.forceFlush?.()]);
  }

  /** Instruments are made on first use, from the global meter provider registered by then. */
  private instrument(key: MetricKey): Instrument {
    let i = this.instruments.get(key);
    if (!i) {
      const def = METRICS[key];
      const meter = api.metrics.getMeter(INSTRUMENTATION_SCOPE);
      const options = { description: def.description, unit: def.unit };
      i = def.kind === 'counter' ? meter.createCounter(def.name, options) : def.kind === 'histogram' ? meter.createHistogram(def.name, options) : meter.createGauge(def.name, options);
      this.instruments.set(key, i);
    }
    return i;
  }

  count(metric: CounterKey, attributes?: Attributes, by = 1): void {
    (this.instrument(metric) as api.Counter).add(by, attributes);
  }

  record(metric: HistogramKey, value: number, attributes?: Attributes): void {
    (this.instrument(metric) as api.Histogram).record(value, attributes);
  }

  gauge(metric: GaugeKey, value: number, attributes?: Attributes): void {
    (this.instrument(metric) as api.Gauge).record(value, attributes);
  }

  invocation<T>(s: InvocationSpan, run: () => Promise<T>, end: (r: { result?: T; error?: unknown }) => InvocationEnd): Promise<T> {
    const scope: Scope = { incidentId: s.incidentId, root: undefined };
    const parent = parentFrom(s.traceParent, s.traceState).setValue(SCOPE, scope);
    return this.tracer.startActiveSpan(s.name, { kind: api.SpanKind.INTERNAL, attributes: s.attributes }, parent, async (span) => {
      scope.root = span;
      const finish = (e: InvocationEnd, error?: unknown) => {
        if (e.incidentId && !scope.incidentId) this.stamp(scope, e.incidentId);
        if (e.attributes) span.setAttributes(e.attributes);
        if (error !== undefined && error !== null) span.recordException(error instanceof Error ? error : new Error(errorText(error)));
        if (!e.ok) span.setStatus({ code: api.SpanStatusCode.ERROR, message: e.error ?? (error === undefined ? 'failed' : errorText(error)) });
        span.end();
      };
      try {
        const result = await run();
        finish(end({ result }));
        return result;
      } catch (error) {
        finish({ ...end({ error }), ok: false }, error);
        throw error;
      }
    });
  }

  async external<T>(system: string, operation: string, run: () => Promise<T>, outcome?: (error: unknown) => string): Promise<T> {
    const attributes = { [ATTR.system]: system, [ATTR.operation]: operation };
    const started = performance.now();
    return this.tracer.startActiveSpan(SPANS.external(system, operation), { kind: api.SpanKind.CLIENT, attributes }, async (span) => {
      try {
        const value = await run();
        this.record('externalDuration', performance.now() - started, { ...attributes, [ATTR.outcome]: 'ok' });
        span.setAttribute(ATTR.outcome, 'ok');
        return value;
      } catch (error) {
        const kind = outcome?.(error) ?? 'error';
        this.record('externalDuration', performance.now() - started, { ...attributes, [ATTR.outcome]: kind });
        span.setAttribute(ATTR.outcome, kind);
        span.setStatus({ code: api.SpanStatusCode.ERROR, message: errorText(error) });
        throw error;
      } finally {
        span.end();
      }
    });
  }

  setIncident(incidentId: string): void {
    const scope = api.context.active().getValue(SCOPE) as Scope | undefined;
    if (scope && scope.incidentId !== incidentId) this.stamp(scope, incidentId);
  }

  private stamp(scope: Scope, incidentId: string): void {
    scope.incidentId = incidentId;
    scope.root?.setAttribute(ATTR.incidentId, incidentId);
  }
}

export interface AzureMonitorSettings {
  connectionString: string;
  entra: { clientId: string | null } | null;
}

/**
 * Starts the Azure Monitor distro (tracer and meter providers, the W3C propagator, the Azure SDK
 * instrumentation for storage, Key Vault and ARM calls) and returns the telemetry that writes
 * through it. Every trace is kept (no rate-limited sampling: an incident's trace is small and
 * must be whole). Node's http instrumentation stays off: our own client spans time the calls
 * that matter, and the Functions host records the incoming requests itself.
 */
export function startAzureMonitor(s: AzureMonitorSettings): OtelTelemetry {
  const monitor = require('@azure/monitor-opentelemetry') as typeof import('@azure/monitor-opentelemetry');
  let credential: import('@azure/identity').TokenCredential | undefined;
  if (s.entra) {
    const { ManagedIdentityCredential } = require('@azure/identity') as typeof import('@azure/identity');
    credential = s.entra.clientId ? new ManagedIdentityCredential({ clientId: s.entra.clientId }) : new ManagedIdentityCredential();
  }
  monitor.useAzureMonitor({
    azureMonitorExporterOptions: { connectionString: s.connectionString, ...(credential ? { credential } : {}) },
    spanProcessors: [new IncidentSpanProcessor()],
    samplingRatio: 1,
    tracesPerSecond: 0,
    enableLiveMetrics: false,
    instrumentationOptions: { http: { enabled: false }, azureSdk: { enabled: true } },
  });
  return new OtelTelemetry();
}
