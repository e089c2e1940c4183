/**
 * From a service's policy entry to the smoke suite the incident runs, and from the suite's output
 * back to what the runbook and the evidence pack need. Pure, so the orchestration stays thin and
 * the mapping is tested on its own.
 *
 * Targets: the API's production URL gets a health/ready check (the policy's `health` and `ready`
 * paths), an SSE check when `sse` is set, and every further check in `checks` except `pages`;
 * `pages` checks run against `webBaseUrl` when the service has one; every further production
 * instance the policy lists (`instances`) gets the API's checks too. Staging is never a target:
 * after a rollback swap it holds the bad build on purpose, and probing it would keep the verdict red.
 */
import type { Environment, Thresholds } from './policy.js';
import type { CheckArea } from './containment.js';
import type { SmokeRun } from './evidence.js';
import type { IncidentInput } from './incident.js';
import type { CheckFacts, ProbeState } from './incident-record.js';
import { Check, SmokeThresholds, type CheckResult, type HealthEndpointResult, type SmokeTarget, type TargetAuth } from './smoke-checks.js';

/** A smoke suite's output, as far as the runbook reads it (the smoke suite orchestration's answer). */
export interface SuiteOutput {
  verdict: 'green' | 'degraded' | 'red';
  reasons: string[];
  results: CheckResult[];
}

export interface SmokePlan {
  targets: SmokeTarget[];
  thresholds: SmokeThresholds;
}

type Endpoints = NonNullable<IncidentInput['policy']['service']['endpoints']>;

/** The suite for this incident's service, or null when the policy names no endpoints. */
export function smokePlanOf(input: IncidentInput): SmokePlan | null {
  const ep = input.policy.service.endpoints;
  if (!ep) return null;
  return { targets: smokeTargetsOf(ep), thresholds: smokeThresholdsOf(input.policy.environment) };
}

export function smokeTargetsOf(ep: Endpoints): SmokeTarget[] {
  const auth: TargetAuth = ep.auth ?? { kind: 'none' };
  const extra = ep.checks.map((c) => Check.parse(c));
  const api: Check[] = [Check.parse({ kind: 'health', healthPath: ep.health, readyPath: ep.ready })];
  if (ep.sse) api.push(Check.parse({ kind: 'sse', path: ep.sse }));
  const pages = extra.filter((c) => c.kind === 'pages');
  api.push(...extra.filter((c) => c.kind !== 'pages' || !ep.webBaseUrl));
  const targets: SmokeTarget[] = [{ label: 'api/production', baseUrl: trim(ep.baseUrl), auth, checks: api }];
  for (const instance of ep.instances) targets.push({ label: `api/${instance.name}`, baseUrl: trim(instance.baseUrl), auth, checks: api });
  if (ep.webBaseUrl && pages.length) targets.push({ label: 'web/production', baseUrl: trim(ep.webBaseUrl), auth, checks: pages });
  return targets;
}

/**
 * The environment's RB-03 thresholds in the probes' terms. An SSE first-event breach is critical
 * where RB-03's triggers are P1 (Prod and the environments that gate it), a warning elsewhere.
 */
export function smokeThresholdsOf(env: Pick<Environment, 'thresholds' | 'triggerSeverity'>): SmokeThresholds {
  const t: Thresholds = env.thresholds;
  return SmokeThresholds.parse({
    sse: { ttfbMs: t.sseTtfbMs, heartbeatMs: Math.min(t.heartbeatMs, t.heartbeatGapCriticalMs), criticalGapMs: t.heartbeatGapCriticalMs, ttfbBreach: env.triggerSeverity === 'P1' ? 'critical' : 'warning' },
    http: { slowMs: t.p95JsonMs },
  });
}

/** One health probe's own state: an endpoint that could not be reached, or answered non-2xx or "Unhealthy", is red. */
export function probeState(e: HealthEndpointResult): ProbeState {
  if (e.error !== null || e.status === null || e.status < 200 || e.status > 299 || e.bodyStatus === 'red') return 'red';
  if (e.bodyStatus === 'degraded' || e.components.some((c) => c.status === 'red' || c.status === 'degraded')) return 'degraded';
  return 'green';
}

const WORST: ProbeState[] = ['red', 'degraded', 'green', 'unknown'];

/** Liveness (/healthz) and readiness (/ready) across the API targets, each from its own results (worst wins; unknown when not probed). */
export function probeStates(results: readonly CheckResult[]): { liveness: ProbeState; readiness: ProbeState } {
  const seen: Record<'liveness' | 'readiness', ProbeState[]> = { liveness: [], readiness: [] };
  for (const r of results) if (r.kind === 'health' && !r.target.startsWith('web/')) for (const e of r.endpoints) seen[e.role].push(probeState(e));
  const worst = (xs: ProbeState[]): ProbeState => WORST.find((w) => xs.includes(w)) ?? 'unknown';
  return { liveness: worst(seen.liveness), readiness: worst(seen.readiness) };
}

/** Which RB-02 decision-tree areas a failing result belongs to (a health check can fail both /healthz and /ready). */
export function areasOf(r: CheckResult): CheckArea[] {
  if (r.target.startsWith('web/')) return ['web'];
  if (r.kind === 'health') {
    const areas: CheckArea[] = [];
    if (r.endpoints.some((e) => e.role === 'liveness' && probeState(e) === 'red')) areas.push('health');
    if (r.endpoints.some((e) => e.role === 'readiness' && probeState(e) === 'red')) areas.push('ready');
    return areas.length ? areas : ['health'];
  }
  return [r.kind];
}

/** The suite's output as the runbook judges it: the verdict, failing areas, each probe's own state and the figures the messages quote. */
export function checkFactsOf(out: SuiteOutput): CheckFacts {
  const failing = [...new Set(out.results.filter((r) => r.outcome === 'fail' || r.outcome === 'error').flatMap(areasOf))];
  let ttfb: number | null = null;
  let gap: number | null = null;
  for (const r of out.results) {
    if (r.kind !== 'sse') continue;
    if (r.sse.ttfbMs !== null) ttfb = Math.max(ttfb ?? 0, r.sse.ttfbMs);
    const g = Math.max(r.sse.gaps.maxMs ?? 0, r.sse.trailingSilenceMs ?? 0);
    if (r.sse.gaps.maxMs !== null || r.sse.trailingSilenceMs !== null) gap = Math.max(gap ?? 0, g);
  }
  // The keys whose parity drift is critical, on any target (RB-02 section 9 reapplies their intended values).
  const drift = [...new Set(out.results.flatMap((r) => (r.kind === 'parity' ? r.parity.drift.filter((d) => d.severity === 'critical').map((d) => d.key) : [])))];
  return { verdict: out.verdict, reasons: out.reasons, failing, ...probeStates(out.results), sse: ttfb === null ? null : { ttfbMs: ttfb, heartbeatMs: gap }, ...(drift.length ? { drift } : {}) };
}

/** Checks that could not be judged (none configured, or the suite could not run): not green, and why. */
export function uncheckedFacts(why: string): CheckFacts {
  return { verdict: 'degraded', reasons: [why], failing: [], liveness: 'unknown', readiness: 'unknown', sse: null };
}

/** One smoke round as an evidence artifact: one line per check with its headline measurements. */
export function smokeRunOf(out: SuiteOutput, runId: string, phase: string, at: string): SmokeRun {
  return {
    runId,
    at,
    phase,
    results: out.results.slice(0, 500).map((r) => ({
      check: r.check.slice(0, 64),
      target: r.target.slice(0, 500),
      status: r.outcome === 'warn' ? 'degraded' : r.outcome,
      summary: (r.findings.length ? r.findings.map((f) => `${f.severity}: ${f.message}`).join('; ') : 'passed').slice(0, 2000),
      measurements: headline(r),
      durationMs: Math.max(0, r.durationMs),
    })),
  };
}

function headline(r: CheckResult): Record<string, number | string | boolean | null> {
  switch (r.kind) {
    case 'health': {
      const out: Record<string, number | string | boolean | null> = {};
      for (const e of r.endpoints) {
        out[`${e.role}.status`] = e.status;
        out[`${e.role}.body`] = e.rawStatus?.slice(0, 100) ?? null;
        out[`${e.role}.latencyMs`] = e.latencyMs;
      }
      return out;
    }
    case 'sse':
      return { status: r.sse.status, ttfbMs: r.sse.ttfbMs, events: r.sse.events, maxGapMs: r.sse.gaps.maxMs, trailingSilenceMs: r.sse.trailingSilenceMs, endedBy: r.sse.endedBy };
    case 'contract':
      return { endpoints: r.endpoints.length, failing: r.endpoints.filter((e) => !e.statusOk || e.contentTypeOk === false || e.jsonOk === false || e.missingFields.length > 0).length };
    case 'pages':
      return { pages: r.pages.length, failing: r.pages.filter((p) => !p.statusOk || !p.markerFound).length };
    case 'parity':
      return { status: r.parity.status, keysCompared: r.parity.keysCompared, criticalDrift: r.parity.criticalDrift, nonCriticalDrift: r.parity.nonCriticalDrift };
  }
}

const trim = (u: string): string => u.replace(/\/+$/, '');
