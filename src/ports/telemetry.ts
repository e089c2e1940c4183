/**
 * The automation's own telemetry (src/domain/telemetry.ts names everything it emits). Two
 * implementations: OpenTelemetry to Application Insights when APPLICATIONINSIGHTS_CONNECTION_STRING
 * is set (src/adapters/telemetry-otel.ts, loaded only then), else an in-memory summary that the
 * dev host prints (src/adapters/telemetry.ts).
 */
import type { Attributes, CounterKey, GaugeKey, HistogramKey } from '../domain/telemetry.js';

/** The root span of one function invocation. */
export interface InvocationSpan {
  name: string;
  /** The function's name and trigger type; never an input's content. */
  attributes: Attributes;
  /** Known from the trigger (a route's id, an activity's input, an orchestration's instance). */
  incidentId?: string | undefined;
  /** The Functions host's W3C trace context, so the span joins the host's own operation. */
  traceParent?: string | undefined;
  traceState?: string | undefined;
}

/** How an invocation ended, as the caller reads its result. */
export interface InvocationEnd {
  ok: boolean;
  attributes?: Attributes;
  /** Learnt from the result (the incident an alert declared). */
  incidentId?: string | undefined;
  /** Why it is not ok, short (no payload). */
  error?: string;
}

export interface Telemetry {
  readonly mode: 'summary' | 'opentelemetry';
  count(metric: CounterKey, attributes?: Attributes, by?: number): void;
  record(metric: HistogramKey, value: number, attributes?: Attributes): void;
  gauge(metric: GaugeKey, value: number, attributes?: Attributes): void;
  /** Runs one invocation inside its root span; `end` reads the result (or the error thrown). */
  invocation<T>(span: InvocationSpan, run: () => Promise<T>, end: (r: { result?: T; error?: unknown }) => InvocationEnd): Promise<T>;
  /**
   * A call to an external system: a client span (a child of the invocation) and its latency in
   * `autopilot.external.duration`. `outcome` names a failure's kind (default "error"); the error
   * is rethrown unchanged.
   */
  external<T>(system: string, operation: string, run: () => Promise<T>, outcome?: (error: unknown) => string): Promise<T>;
  /** The incident the current invocation is about, once it is known (every span after this carries it). */
  setIncident(incidentId: string): void;
  /** Sends what is buffered (the host may freeze the process between invocations). */
  flush(): Promise<void>;
}
