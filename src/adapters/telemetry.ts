/**
 * The process's telemetry (src/ports/telemetry.ts). With APPLICATIONINSIGHTS_CONNECTION_STRING
 * set, OpenTelemetry to Application Insights (./telemetry-otel.ts: the SDKs load then, and only
 * then, so the app's cold import does not pay for them); without it, an in-memory summary of the
 * same metrics that the dev host prints, and no spans.
 *
 * The telemetry lives on a global symbol, like the app clock (src/app/clock.ts): the dev host and
 * the app it loads may be two copies of this module, and the host prints what the app counted.
 */
import { METRICS, type Attributes, type CounterKey, type GaugeKey, type HistogramKey } from '../domain/telemetry.js';
import type { InvocationEnd, InvocationSpan, Telemetry } from '../ports/telemetry.js';
import type { Issue } from '../config/issues.js';
import type { TelemetrySettings } from '../config/telemetry.js';

const KEY = Symbol.for('incident-autopilot.telemetry');
type Holder = { [KEY]?: { telemetry: Telemetry; installed: boolean } };

function key(name: string, attributes: Attributes | undefined): string {
  const entries = Object.entries(attributes ?? {}).sort(([a], [b]) => a.localeCompare(b));
  return entries.length ? `${name} ${entries.map(([k, v]) => `${k.replace(/^autopilot\./, '')}=${String(v)}`).join(' ')}` : name;
}

/** Counts in memory; `lines()` is what the dev host prints. Spans are not kept, only counted. */
export class SummaryTelemetry implements Telemetry {
  readonly mode = 'summary' as const;
  readonly counters = new Map<string, number>();
  readonly histograms = new Map<string, { count: number; sum: number; max: number }>();
  readonly gauges = new Map<string, number>();
  readonly invocations = new Map<string, { count: number; failed: number }>();

  count(metric: CounterKey, attributes?: Attributes, by = 1): void {
    const k = key(METRICS[metric].name, attributes);
    this.counters.set(k, (this.counters.get(k) ?? 0) + by);
  }

  record(metric: HistogramKey, value: number, attributes?: Attributes): void {
    const k = key(METRICS[metric].name, attributes);
    const h = this.histograms.get(k) ?? { count: 0, sum: 0, max: Number.NEGATIVE_INFINITY };
    h.count++;
    h.sum += value;
    h.max = Math.max(h.max, value);
    this.histograms.set(k, h);
  }

  gauge(metric: GaugeKey, value: number, attributes?: Attributes): void {
    this.gauges.set(key(METRICS[metric].name, attributes), value);
  }

  async invocation<T>(span: InvocationSpan, run: () => Promise<T>, end: (r: { result?: T; error?: unknown }) => InvocationEnd): Promise<T> {
    const tally = this.invocations.get(span.name) ?? { count: 0, failed: 0 };
    this.invocations.set(span.name, tally);
    tally.count++;
    try {
      const result = await run();
      if (!end({ result }).ok) tally.failed++;
      return result;
    } catch (error) {
      end({ error });
      tally.failed++;
      throw error;
    }
  }

  async external<T>(system: string, operation: string, run: () => Promise<T>, outcome?: (error: unknown) => string): Promise<T> {
    const started = performance.now();
    const attributes = (o: string): Attributes => ({ 'autopilot.system': system, 'autopilot.operation': operation, 'autopilot.outcome': o });
    try {
      const value = await run();
      this.record('externalDuration', performance.now() - started, attributes('ok'));
      return value;
    } catch (err) {
      this.record('externalDuration', performance.now() - started, attributes(outcome?.(err) ?? 'error'));
      throw err;
    }
  }

  setIncident(): void {}

  flush(): Promise<void> {
    return Promise.resolve();
  }

  /** A short summary: counters and gauges as they are, latencies as count / mean / max. */
  lines(): string[] {
    const out: string[] = [];
    for (const [k, v] of [...this.counters].sort()) out.push(`${k}: ${v}`);
    for (const [k, v] of [...this.gauges].sort()) out.push(`${k}: ${v}`);
    for (const [k, h] of [...this.histograms].sort()) out.push(`${k}: ${h.count} x, mean ${Math.round(h.sum / h.count)}, max ${Math.round(h.max)}`);
    const invocations = [...this.invocations.values()].reduce((a, t) => ({ count: a.count + t.count, failed: a.failed + t.failed }), { count: 0, failed: 0 });
    const failing = [...this.invocations].filter(([, t]) => t.failed > 0).map(([n, t]) => `${n} ${t.failed}`);
    if (invocations.count) out.push(`invocations: ${invocations.count}, failed ${invocations.failed}${failing.length ? ` (${failing.join(', ')})` : ''}`);
    return out;
  }
}

function holder(): Holder {
  return globalThis as Holder;
}

/** The process's telemetry; an in-memory summary until startTelemetry or installTelemetry says otherwise. */
export function telemetry(): Telemetry {
  const h = holder();
  h[KEY] ??= { telemetry: new SummaryTelemetry(), installed: false };
  return h[KEY].telemetry;
}

/** Tests and tools: use this telemetry (e.g. OpenTelemetry with in-memory exporters); null removes it. */
export function installTelemetry(t: Telemetry | null): void {
  if (t) holder()[KEY] = { telemetry: t, installed: true };
  else delete holder()[KEY];
}

/**
 * At app start (functions/telemetry.ts): OpenTelemetry to Application Insights when the
 * connection string is set, unless a telemetry was installed already. Invalid settings are
 * reported through `warn` and leave the summary in place: the automation runs without telemetry
 * rather than not at all (GET /api/health and the canary name the setting). The composition root
 * parses the settings (src/app/telemetry.ts).
 */
export function startTelemetry(read: { ok: true; settings: TelemetrySettings } | { ok: false; issues: Issue[] }, warn: (message: string) => void = (m) => console.warn(m)): Telemetry {
  const current = holder()[KEY];
  if (current?.installed || current?.telemetry.mode === 'opentelemetry') return current.telemetry;
  if (!read.ok) {
    warn(`Telemetry is off: ${read.issues.map((i) => `${i.path} ${i.message}`).join('; ')}`);
    return telemetry();
  }
  if (!read.settings.connectionString) return telemetry();
  const otel = require('./telemetry-otel.js') as typeof import('./telemetry-otel.js');
  const t = otel.startAzureMonitor({ connectionString: read.settings.connectionString, entra: read.settings.entra });
  holder()[KEY] = { telemetry: t, installed: false };
  return t;
}
