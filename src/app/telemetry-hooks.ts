/**
 * Where the automation's spans begin: one per function invocation, wrapped around the handler by
 * a preInvocation hook (the worker runs hooks for every trigger; the dev host runs them with the
 * worker's semantics). This is the span boundary on purpose:
 *   - an HTTP request or an activity runs once per attempt, so its span is a true event;
 *   - an orchestration is replayed from its history on every episode, so nothing inside
 *     orchestrator code may emit anything; the episode itself (one invocation: replay plus the
 *     new events) gets one span, with how much history it replayed;
 * and the incident id comes from what the trigger carries: a route's `{id}`, an activity's
 * `incidentId`, an orchestration's instance id, or (alert intake) the answer's incident.
 *
 * The answers that are metrics are read here too, from the response the caller got: the alert
 * intake's outcome (`autopilot.alerts.received`), and an orchestration episode that failed the
 * instance (`autopilot.orchestrations.failed`).
 */
import type { InvocationContext } from '@azure/functions';
import { ATTR, SPANS, incidentOfInstance, type Attributes } from '../domain/telemetry.js';
import type { InvocationEnd, InvocationSpan, Telemetry } from '../ports/telemetry.js';

/** The alert intake's function name (functions/alerts.ts). */
export const ALERTS_FUNCTION = 'alerts';

/** Durable history event types (the durable-functions HistoryEventType numbers) that frame an episode. */
const ORCHESTRATOR_STARTED = 12;
const ORCHESTRATOR_COMPLETED = 13;

/** Incident ids as the app makes them; anything else in a route is not one. */
const INCIDENT_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

function asRecord(v: unknown): Record<string, unknown> | undefined {
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

function idOf(v: unknown): string | undefined {
  return typeof v === 'string' && INCIDENT_ID.test(v) ? v : undefined;
}

/** `incidentId` at the top of an activity's input, or one level down (`{ pack: { incidentId } }`). */
export function incidentIdInInput(input: unknown): string | undefined {
  const top = asRecord(input);
  if (!top) return undefined;
  const direct = idOf(top.incidentId);
  if (direct) return direct;
  for (const v of Object.values(top)) {
    const nested = idOf(asRecord(v)?.incidentId);
    if (nested) return nested;
  }
  return undefined;
}

interface HttpResult {
  status?: number;
  jsonBody?: unknown;
}

/** The status an HTTP handler answered (a HttpResponseInit or HttpResponse; no status is 200). */
function httpStatus(result: unknown): number {
  const status = asRecord(result)?.status;
  return typeof status === 'number' ? status : 200;
}

/** What the intake answered, as an outcome: its `kind` on 2xx, else the kind of refusal. */
export function alertOutcome(status: number, body: unknown): string {
  const kind = asRecord(body)?.kind;
  if (status < 300 && typeof kind === 'string') return kind;
  if (status === 400 || status === 413 || status === 415) return 'invalid';
  if (status === 401 || status === 403) return 'unauthorized';
  if (status === 503) return 'unavailable';
  return status >= 500 ? 'error' : `http-${status}`;
}

export interface Described {
  span: InvocationSpan;
  end: (r: { result?: unknown; error?: unknown }) => InvocationEnd;
}

/** The span and the reading of the result, for one invocation. Never reads an input's content beyond ids. */
export function describeInvocation(t: Telemetry, context: Pick<InvocationContext, 'functionName' | 'options' | 'traceContext'>, inputs: unknown[]): Described {
  const fn = context.functionName;
  const type = context.options.trigger.type;
  const base: Attributes = { [ATTR.function]: fn, [ATTR.trigger]: type };
  const trace = { traceParent: context.traceContext?.traceParent ?? undefined, traceState: context.traceContext?.traceState ?? undefined };
  const failed = (error: unknown): InvocationEnd => ({ ok: false, error: error instanceof Error ? error.message.split('\n')[0]!.slice(0, 300) : String(error).slice(0, 300) });

  if (type === 'httpTrigger') {
    const params = asRecord(asRecord(inputs[0])?.params);
    return {
      span: { name: SPANS.http(fn), attributes: base, incidentId: idOf(params?.id), ...trace },
      end: ({ result, error }) => {
        const status = error === undefined ? httpStatus(result) : 500;
        const body = (result as HttpResult | undefined)?.jsonBody;
        if (fn === ALERTS_FUNCTION) t.count('alertsReceived', { [ATTR.outcome]: alertOutcome(status, body), [ATTR.httpStatus]: status });
        return { ok: status < 500, attributes: { [ATTR.httpStatus]: status }, incidentId: idOf(asRecord(body)?.incidentId), ...(status >= 500 ? { error: `answered ${status}` } : {}) };
      },
    };
  }
  if (type === 'activityTrigger') {
    return {
      span: { name: SPANS.activity(fn), attributes: base, incidentId: incidentIdInInput(inputs[0]), ...trace },
      end: ({ error }) => (error === undefined ? { ok: true } : failed(error)),
    };
  }
  if (type === 'orchestrationTrigger') {
    const payload = asRecord(inputs[0]);
    const history = Array.isArray(payload?.history) ? (payload.history as unknown[]) : [];
    const replayed = history.filter((e) => asRecord(e)?.IsPlayed !== false).length;
    // What this episode delivers: the start, task and sub-orchestration results, timers, raised
    // events; not the OrchestratorStarted/Completed markers that frame every episode.
    const fresh = history.filter((e) => {
      const r = asRecord(e);
      return r?.IsPlayed === false && r.EventType !== ORCHESTRATOR_STARTED && r.EventType !== ORCHESTRATOR_COMPLETED;
    }).length;
    const instanceId = typeof payload?.instanceId === 'string' ? payload.instanceId : undefined;
    return {
      span: {
        name: SPANS.episode(fn),
        attributes: { ...base, [ATTR.orchestration]: fn, [ATTR.historyEvents]: replayed, [ATTR.newEvents]: fresh },
        incidentId: instanceId ? idOf(incidentOfInstance(instanceId)) : undefined,
        ...trace,
      },
      end: ({ error }) => {
        if (error === undefined) return { ok: true };
        // The durable-functions library throws when the orchestrator did: the instance is Failed.
        t.count('orchestrationsFailed', { [ATTR.orchestration]: fn });
        return failed(error);
      },
    };
  }
  return {
    span: { name: type === 'timerTrigger' ? SPANS.timer(fn) : `${type} ${fn}`, attributes: base, ...trace },
    end: ({ error }) => (error === undefined ? { ok: true } : failed(error)),
  };
}

/** What a preInvocation hook gets and may change (the part of PreInvocationContext used here). */
export interface PreInvocation {
  invocationContext: InvocationContext;
  inputs: unknown[];
  functionHandler: (...args: unknown[]) => unknown;
}

/** The part of `app.hook` used here (so tests and the dev host need nothing more). */
export interface Hooks {
  appStart(handler: () => Promise<void> | void): unknown;
  preInvocation(handler: (context: PreInvocation) => Promise<void> | void): unknown;
  appTerminate(handler: () => Promise<void> | void): unknown;
}

/** Wraps one invocation's handler in its span; `current` is read per invocation (a test may install another telemetry). */
export function wrapInvocation(c: PreInvocation, current: () => Telemetry): void {
  const t = current();
  const described = describeInvocation(t, c.invocationContext, c.inputs);
  const handler = c.functionHandler;
  c.functionHandler = (...args: unknown[]) => t.invocation(described.span, async () => (await handler(...args)), described.end);
}
