/** From the policy's endpoints to smoke targets, and from a suite's output to the runbook's verdict. */
import { describe, expect, it } from 'vitest';
import type { SmokeSuiteOutput } from '../../src/activities/smoke.contracts.js';
import { Environment, ServiceEntry } from '../../src/config/policy.js';
import type { CheckResult } from '../../src/domain/smoke-checks.js';
import { areasOf, checkFactsOf, probeStates, smokeRunOf, smokeTargetsOf, smokeThresholdsOf } from '../../src/domain/smoke-plan.js';

const entry = (endpoints: unknown) => ServiceEntry.parse({ service: 'admin-api', environment: 'Prod', endpoints });
const endpointsOf = (e: unknown) => {
  const ep = entry(e).endpoints;
  if (!ep) throw new Error('no endpoints');
  return ep;
};

describe('smoke targets from the policy', () => {
  it('probes health/ready and SSE on the production URL, pages on the web URL, never staging', () => {
    const targets = smokeTargetsOf(
      endpointsOf({
        baseUrl: 'https://api.contoso.test/',
        stagingBaseUrl: 'https://api-staging.contoso.test',
        webBaseUrl: 'https://admin.contoso.test',
        ready: '/health/ready',
        sse: '/events',
        checks: [
          { kind: 'contract', endpoints: [{ path: '/api/flags', requiredFields: ['items.0.key'] }] },
          { kind: 'pages', marker: 'id="root"' },
        ],
        auth: { kind: 'setting', setting: 'SMOKE_API_TOKEN' },
      }),
    );
    expect(targets.map((t) => [t.label, t.baseUrl, t.checks.map((c) => c.kind)])).toEqual([
      ['api/production', 'https://api.contoso.test', ['health', 'sse', 'contract']],
      ['web/production', 'https://admin.contoso.test', ['pages']],
    ]);
    expect(targets[0]?.checks[0]).toMatchObject({ kind: 'health', healthPath: '/healthz', readyPath: '/health/ready' });
    expect(targets[0]?.checks[1]).toMatchObject({ kind: 'sse', path: '/events' });
    expect(targets.every((t) => t.auth.kind === 'setting')).toBe(true);
  });

  it('fans the API checks out across every production instance the policy lists', () => {
    const targets = smokeTargetsOf(
      endpointsOf({
        baseUrl: 'https://api-weu.contoso.test',
        sse: '/events',
        instances: [
          { name: 'neu', baseUrl: 'https://api-neu.contoso.test/' },
          { name: 'instance-2', baseUrl: 'https://api-2.contoso.test' },
        ],
        webBaseUrl: 'https://admin.contoso.test',
        checks: [{ kind: 'pages', marker: 'root' }],
      }),
    );
    expect(targets.map((t) => [t.label, t.baseUrl, t.checks.map((c) => c.kind)])).toEqual([
      ['api/production', 'https://api-weu.contoso.test', ['health', 'sse']],
      ['api/neu', 'https://api-neu.contoso.test', ['health', 'sse']],
      ['api/instance-2', 'https://api-2.contoso.test', ['health', 'sse']],
      ['web/production', 'https://admin.contoso.test', ['pages']],
    ]);
    const dup = ServiceEntry.safeParse({ service: 'a', environment: 'Prod', endpoints: { baseUrl: 'https://a.test', instances: [{ name: 'x', baseUrl: 'https://b.test' }, { name: 'X', baseUrl: 'https://c.test' }] } });
    expect(dup.error?.issues[0]).toMatchObject({ path: ['endpoints', 'instances'], message: 'instance names must be unique' });
  });

  it('runs pages checks against the API when the service has no web URL', () => {
    const targets = smokeTargetsOf(endpointsOf({ baseUrl: 'https://api.contoso.test', checks: [{ kind: 'pages', marker: 'root' }] }));
    expect(targets.map((t) => [t.label, t.checks.map((c) => c.kind)])).toEqual([['api/production', ['health', 'pages']]]);
  });

  it('names the bad field of a misconfigured check when the policy is loaded', () => {
    const parsed = ServiceEntry.safeParse({ service: 'admin-api', environment: 'Prod', endpoints: { baseUrl: 'https://api.contoso.test', checks: [{ kind: 'contract', endpoints: [{ path: 'no-slash' }] }] } });
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0]?.path).toEqual(['endpoints', 'checks', 0, 'endpoints', 0, 'path']);
    const secret = ServiceEntry.safeParse({ service: 'a', environment: 'Prod', endpoints: { baseUrl: 'https://api.contoso.test', checks: [{ kind: 'health', headers: { Authorization: 'Bearer x' } }] } });
    expect(secret.error?.issues[0]?.message).toMatch(/credentials do not belong in the policy file/);
  });
});

describe('thresholds', () => {
  it("uses the environment's RB-03 figures; the SSE first-event budget is critical only where triggers are P1", () => {
    const prod = Environment.parse({ thresholds: { sseTtfbMs: 250, p95JsonMs: 800 } });
    expect(smokeThresholdsOf(prod)).toEqual({ sse: { ttfbMs: 250, heartbeatMs: 10_000, criticalGapMs: 15_000, ttfbBreach: 'critical' }, http: { slowMs: 800 } });
    expect(smokeThresholdsOf(Environment.parse({ triggerSeverity: 'P2' })).sse.ttfbBreach).toBe('warning');
  });
});

const http = { method: 'GET', status: 200, contentType: 'application/json', headersMs: 3, latencyMs: 5, bytesRead: 40, truncated: false, error: null };
const base = { baseUrl: 'https://api.contoso.test', requestedAt: '2026-01-01T00:00:00.000Z', durationMs: 12, findings: [] };

function healthResult(
  target: string,
  ready: { status: number | null; bodyStatus: 'green' | 'red' | null },
  outcome: CheckResult['outcome'],
  live: { status: number | null; bodyStatus: 'green' | 'red' | null } = { status: 200, bodyStatus: 'green' },
): CheckResult {
  const ep = (role: 'liveness' | 'readiness', status: number | null, bodyStatus: 'green' | 'red' | null) => ({
    ...http,
    status,
    path: role === 'liveness' ? '/healthz' : '/ready',
    role,
    bodyStatus,
    rawStatus: null,
    components: [],
    bodySample: null,
  });
  return { kind: 'health', ...base, target, check: 'health', outcome, endpoints: [ep('liveness', live.status, live.bodyStatus), ep('readiness', ready.status, ready.bodyStatus)] };
}

function sseResult(ttfbMs: number, maxGapMs: number, trailing: number, outcome: CheckResult['outcome']): CheckResult {
  return {
    kind: 'sse',
    ...base,
    target: 'api/production',
    check: 'sse',
    outcome,
    findings: outcome === 'fail' ? [{ severity: 'critical', code: 'sse.gap', message: 'gap of 16.0 s' }] : [],
    sse: {
      path: '/sse',
      status: 200,
      contentType: 'text/event-stream',
      headersMs: 2,
      ttfbMs,
      ttfbSamplesMs: [ttfbMs],
      events: 3,
      comments: 0,
      gaps: { count: 2, medianMs: maxGapMs, p95Ms: maxGapMs, maxMs: maxGapMs },
      largestGaps: [],
      trailingSilenceMs: trailing,
      observedMs: 20_000,
      endedBy: 'window',
      bytesRead: 100,
      lastEventId: null,
      error: null,
    },
  };
}

describe('from the suite to the runbook', () => {
  it('names failing areas as the decision tree knows them (ready vs health, web) and quotes the worst SSE figures', () => {
    const results = [
      healthResult('api/production', { status: 503, bodyStatus: 'red' }, 'fail'),
      healthResult('web/production', { status: 200, bodyStatus: 'green' }, 'error'),
      sseResult(120, 16_000, 500, 'fail'),
      sseResult(240, 2_000, 18_000, 'pass'),
    ];
    const out: SmokeSuiteOutput = { verdict: 'red', reasons: ['api/production health: /ready answered 503'], targets: [], results, startedAt: base.requestedAt, finishedAt: base.requestedAt };
    expect(areasOf(results[0] as CheckResult)).toEqual(['ready']);
    expect(checkFactsOf(out)).toEqual({ verdict: 'red', reasons: out.reasons, failing: ['ready', 'web', 'sse'], liveness: 'green', readiness: 'red', sse: { ttfbMs: 240, heartbeatMs: 18_000 } });
  });

  it('judges /healthz and /ready each on its own: a failing readiness never hides a failing liveness', () => {
    const both = healthResult('api/production', { status: 503, bodyStatus: 'red' }, 'fail', { status: 503, bodyStatus: 'red' });
    expect(areasOf(both)).toEqual(['health', 'ready']);
    expect(probeStates([both])).toEqual({ liveness: 'red', readiness: 'red' });
    // A web target's health is the web's, not the API's liveness.
    expect(probeStates([healthResult('web/production', { status: 503, bodyStatus: 'red' }, 'fail', { status: 503, bodyStatus: 'red' })])).toEqual({ liveness: 'unknown', readiness: 'unknown' });
    const unreachable = healthResult('api/production', { status: 200, bodyStatus: 'green' }, 'error', { status: null, bodyStatus: null });
    expect(probeStates([unreachable])).toEqual({ liveness: 'red', readiness: 'green' });
    expect(probeStates([])).toEqual({ liveness: 'unknown', readiness: 'unknown' });
  });

  it('archives one line per check with its headline measurements', () => {
    const out: SmokeSuiteOutput = { verdict: 'red', reasons: [], targets: [], results: [sseResult(120, 16_000, 500, 'fail')], startedAt: base.requestedAt, finishedAt: base.requestedAt };
    expect(smokeRunOf(out, '001-verify', 'verify', base.requestedAt)).toEqual({
      runId: '001-verify',
      at: base.requestedAt,
      phase: 'verify',
      results: [
        {
          check: 'sse',
          target: 'api/production',
          status: 'fail',
          summary: 'critical: gap of 16.0 s',
          measurements: { status: 200, ttfbMs: 120, events: 3, maxGapMs: 16_000, trailingSilenceMs: 500, endedBy: 'window' },
          durationMs: 12,
        },
      ],
    });
  });
});
