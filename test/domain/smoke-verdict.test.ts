/** The judge and the suite verdict, branch by branch, from hand-made measurements. */
import { describe, expect, it } from 'vitest';
import {
  SmokeThresholds,
  smokeThresholdsFor,
  type CheckResult,
  type ContractEndpointResult,
  type HealthEndpointResult,
  type Measured,
  type PageResult,
  type ParityMeasure,
  type SseMeasure,
} from '../../src/domain/smoke-checks.js';
import { judgeCheck, judged, outcomeOf, smokeVerdict } from '../../src/domain/smoke-verdict.js';

const prod = smokeThresholdsFor('Prod');
const beta = smokeThresholdsFor('Beta');
const base = { target: 'api/production', baseUrl: 'https://api.contoso.test', requestedAt: '2026-01-01T00:00:00.000Z', durationMs: 12 };
const http = { method: 'GET', status: 200, contentType: 'application/json', headersMs: 3, latencyMs: 5, bytesRead: 40, truncated: false, error: null };

function health(...endpoints: Partial<HealthEndpointResult>[]): Measured {
  return {
    kind: 'health',
    ...base,
    check: 'health',
    endpoints: endpoints.map((e, i) => ({
      ...http,
      role: i === 0 ? 'liveness' : 'readiness',
      path: i === 0 ? '/healthz' : '/ready',
      bodyStatus: 'green',
      rawStatus: 'Healthy',
      components: [],
      bodySample: null,
      ...e,
    })),
  };
}

function sse(s: Partial<SseMeasure>): Measured {
  return {
    kind: 'sse',
    ...base,
    check: 'sse',
    sse: {
      path: '/sse',
      status: 200,
      contentType: 'text/event-stream',
      headersMs: 2,
      ttfbMs: 40,
      ttfbSamplesMs: [40, 42, 38],
      events: 5,
      comments: 0,
      gaps: { count: 4, medianMs: 5000, p95Ms: 5000, maxMs: 5000 },
      largestGaps: [],
      trailingSilenceMs: 1000,
      observedMs: 20_000,
      endedBy: 'window',
      bytesRead: 500,
      lastEventId: '5',
      error: null,
      ...s,
    },
  };
}

function contract(...endpoints: Partial<ContractEndpointResult>[]): Measured {
  return {
    kind: 'contract',
    ...base,
    check: 'contract',
    endpoints: endpoints.map((e) => ({
      ...http,
      name: 'flags',
      path: '/api/flags',
      expectStatus: [200],
      statusOk: true,
      contentTypeOk: true,
      jsonOk: true,
      missingFields: [],
      bodySample: null,
      ...e,
    })),
  };
}

function pages(...list: Partial<PageResult>[]): Measured {
  return {
    kind: 'pages',
    ...base,
    check: 'pages',
    pages: list.map((p) => ({ ...http, path: '/jobs', contentType: 'text/html', expectStatus: [200], statusOk: true, marker: 'id="root"', markerFound: true, ...p })),
  };
}

function parity(p: Partial<ParityMeasure>): Measured {
  return {
    kind: 'parity',
    ...base,
    check: 'parity',
    parity: { ...http, path: '/config/effective', jsonOk: true, keysCompared: 10, drift: [], criticalDrift: 0, nonCriticalDrift: 0, ...p },
  };
}

const findings = (m: Measured, t = prod) => judgeCheck(m, t).map((f) => `${f.severity}:${f.code}`);

describe('judge: health', () => {
  it('passes 2xx with a green or absent body status', () => {
    expect(findings(health({}, { bodyStatus: null, rawStatus: null }))).toEqual([]);
  });
  it('is critical when unreachable, non-2xx or red', () => {
    expect(findings(health({ status: null, error: { code: 'timeout', message: 'no response' } }))).toEqual(['critical:health.liveness.unreachable']);
    expect(findings(health({}, { status: 503, bodyStatus: 'red', rawStatus: 'Unhealthy' }))).toEqual(['critical:health.readiness.status']);
    expect(findings(health({}, { status: 200, bodyStatus: 'red', rawStatus: 'Unhealthy' }))).toEqual(['critical:health.readiness.red']);
    expect(findings(health({ status: 302 }))).toEqual(['critical:health.liveness.status']);
  });
  it('warns when degraded, or when a component is not green under a green status', () => {
    expect(findings(health({}, { bodyStatus: 'degraded', rawStatus: 'Degraded' }))).toEqual(['warning:health.readiness.degraded']);
    const m = health({}, { components: [{ name: 'sql', status: 'red', raw: 'Unhealthy' }] });
    expect(findings(m)).toEqual(['warning:health.readiness.component']);
    expect(judgeCheck(m, prod)[0]?.message).toBe('/ready is Healthy but reports (sql: Unhealthy)');
  });
});

describe('judge: SSE', () => {
  it('passes within budgets', () => {
    expect(findings(sse({}))).toEqual([]);
  });
  it('is critical when unreachable, not 200, not an event stream, or without an event', () => {
    expect(findings(sse({ status: null, events: 0, ttfbMs: null, endedBy: 'error', error: { code: 'connect', message: 'ECONNREFUSED' } }))).toEqual(['critical:sse.unreachable']);
    expect(findings(sse({ status: 502, endedBy: 'rejected', events: 0 }))).toEqual(['critical:sse.status']);
    expect(findings(sse({ contentType: 'application/json', endedBy: 'rejected', events: 0 }))).toEqual(['critical:sse.content_type']);
    const none = sse({ events: 0, ttfbMs: null, ttfbSamplesMs: [], endedBy: 'server-closed', gaps: { count: 0, medianMs: null, p95Ms: null, maxMs: null }, trailingSilenceMs: null });
    expect(findings(none)).toEqual(['critical:sse.no_event']);
    expect(judgeCheck(none, prod)[0]?.message).toContain('(the server closed the stream)');
  });
  it('treats a slow median first event as critical in Prod and RTM, a warning in Alpha and Beta', () => {
    expect(findings(sse({ ttfbMs: 201 }))).toEqual(['critical:sse.ttfb']);
    expect(findings(sse({ ttfbMs: 201 }), smokeThresholdsFor('RTM'))).toEqual(['critical:sse.ttfb']);
    expect(findings(sse({ ttfbMs: 201 }), beta)).toEqual(['warning:sse.ttfb']);
    expect(findings(sse({ ttfbMs: 201 }), smokeThresholdsFor('Alpha'))).toEqual(['warning:sse.ttfb']);
    expect(findings(sse({ ttfbMs: 200 }))).toEqual([]);
    expect(judgeCheck(sse({ ttfbMs: 850 }), prod)[0]?.message).toBe('first event after 850 ms (median of 3), budget 200 ms');
  });
  it('grades heartbeat gaps: above 10 s a warning, above 15 s critical, trailing silence included', () => {
    const gaps = (maxMs: number) => ({ count: 3, medianMs: 5000, p95Ms: maxMs, maxMs });
    expect(findings(sse({ gaps: gaps(10_000) }))).toEqual([]);
    expect(findings(sse({ gaps: gaps(10_001) }))).toEqual(['warning:sse.heartbeat']);
    expect(findings(sse({ gaps: gaps(15_000) }))).toEqual(['warning:sse.heartbeat']);
    expect(findings(sse({ gaps: gaps(15_001) }))).toEqual(['critical:sse.gap']);
    expect(findings(sse({ gaps: gaps(20), trailingSilenceMs: 16_000 }))).toEqual(['critical:sse.gap']);
    expect(findings(sse({ gaps: gaps(20), trailingSilenceMs: 16_000 }), beta)).toEqual(['critical:sse.gap']);
    expect(judgeCheck(sse({ gaps: gaps(20), trailingSilenceMs: 16_000 }), prod)[0]?.message).toContain('still silent');
  });
  it('reports how the stream ended', () => {
    expect(findings(sse({ endedBy: 'server-closed' }))).toEqual(['critical:sse.closed']);
    expect(findings(sse({ endedBy: 'error', error: { code: 'protocol', message: 'reset' } }))).toEqual(['critical:sse.broken']);
    expect(findings(sse({ endedBy: 'too_large' }))).toEqual(['warning:sse.too_large']);
  });
  it('follows custom thresholds', () => {
    const t = SmokeThresholds.parse({ sse: { ttfbMs: 30, heartbeatMs: 1000, criticalGapMs: 2000 } });
    expect(findings(sse({}), t)).toEqual(['critical:sse.ttfb', 'critical:sse.gap']);
    expect(() => SmokeThresholds.parse({ sse: { heartbeatMs: 20_000 } })).toThrow(/heartbeatMs must not exceed/);
  });
});

describe('judge: contract', () => {
  it('passes a matching endpoint and reports each kind of break', () => {
    expect(findings(contract({}))).toEqual([]);
    expect(findings(contract({ status: null, error: { code: 'timeout', message: 'x' } }))).toEqual(['critical:contract.unreachable']);
    expect(findings(contract({ status: 500, statusOk: false }))).toEqual(['critical:contract.status']);
    expect(findings(contract({ contentTypeOk: false }))).toEqual(['critical:contract.content_type']);
    expect(findings(contract({ jsonOk: false }))).toEqual(['critical:contract.json']);
    expect(findings(contract({ missingFields: ['items'] }))).toEqual(['critical:contract.missing_fields']);
    expect(findings(contract({ latencyMs: 601 }))).toEqual(['warning:contract.slow']);
    expect(findings(contract({ latencyMs: 600 }))).toEqual([]);
    expect(findings(contract({ contentTypeOk: null, jsonOk: null }))).toEqual([]);
  });
});

describe('judge: pages', () => {
  it('passes pages with marker, fails status or marker, warns when slow', () => {
    expect(findings(pages({}, { path: '/flags' }))).toEqual([]);
    expect(findings(pages({ status: 404, statusOk: false }))).toEqual(['critical:pages.status']);
    expect(findings(pages({ markerFound: false }))).toEqual(['critical:pages.marker']);
    expect(findings(pages({ latencyMs: 900 }))).toEqual(['warning:pages.slow']);
    expect(findings(pages({ status: null, error: { code: 'connect', message: 'ECONNRESET' } }))).toEqual(['critical:pages.unreachable']);
    // A page cut at its bound is judged on what was read.
    const cut = pages({ truncated: true, bytesRead: 1024, markerFound: false, error: null });
    expect(findings(cut)).toEqual(['critical:pages.marker']);
    expect(judgeCheck(cut, prod)[0]?.message).toContain('in its first 1024 bytes');
  });
});

describe('judge: parity', () => {
  const drift = (n: number, severity: 'critical' | 'non-critical') =>
    Array.from({ length: n }, (_, i) => ({ key: `K${i}`, change: 'changed' as const, severity, expected: '1', actual: '2' }));
  it('passes without drift; critical drift is red, the rest a warning', () => {
    expect(findings(parity({}))).toEqual([]);
    expect(findings(parity({ drift: drift(1, 'critical'), criticalDrift: 1 }))).toEqual(['critical:parity.critical_drift']);
    expect(findings(parity({ drift: drift(2, 'non-critical'), nonCriticalDrift: 2 }))).toEqual(['warning:parity.drift']);
    const many = parity({ drift: drift(7, 'critical'), criticalDrift: 7 });
    expect(judgeCheck(many, prod)[0]?.message).toBe('7 critical config drift: K0 (changed), K1 (changed), K2 (changed), K3 (changed), K4 (changed) and 2 more');
  });
  it('is critical when the document cannot be read', () => {
    expect(findings(parity({ status: null, error: { code: 'too_large', message: 'big' } }))).toEqual(['critical:parity.unreachable']);
    expect(findings(parity({ status: 404 }))).toEqual(['critical:parity.status']);
    expect(findings(parity({ jsonOk: false }))).toEqual(['critical:parity.json']);
  });
});

describe('outcome', () => {
  it('is error when a probe could not measure, else fail / warn / pass by findings', () => {
    const err = health({ status: null, error: { code: 'timeout', message: 'x' } });
    expect(outcomeOf(err, judgeCheck(err, prod))).toBe('error');
    expect(judged(health({ status: 503 }), prod).outcome).toBe('fail');
    expect(judged(health({ bodyStatus: 'degraded' }), prod).outcome).toBe('warn');
    expect(judged(health({}), prod).outcome).toBe('pass');
    expect(judged(sse({ status: null, events: 0, error: { code: 'timeout', message: 'x' } }), prod).outcome).toBe('error');
    // A page cut at its bound was measured (what was read is searched).
    expect(judged(pages({ truncated: true, error: { code: 'too_large', message: 'x' }, markerFound: false }), prod).outcome).toBe('fail');
  });
});

describe('smokeVerdict', () => {
  const result = (m: Measured, target = 'api/production'): CheckResult => ({ ...judged({ ...m, target }, prod) });

  it('is green when every check of every target passed, and says what was checked', () => {
    const v = smokeVerdict({
      targets: [
        { label: 'api/production', checks: 2 },
        { label: 'api/staging', checks: 1 },
      ],
      results: [result(health({})), result(sse({})), result(health({}), 'api/staging')],
      thresholds: prod,
    });
    expect(v).toEqual({
      verdict: 'green',
      reasons: ['api/production: all 2 checks passed', 'api/staging: the only check passed'],
      targets: [
        { label: 'api/production', verdict: 'green', checks: 2, passed: 2 },
        { label: 'api/staging', verdict: 'green', checks: 1, passed: 1 },
      ],
    });
  });

  it('is degraded on warnings only', () => {
    const v = smokeVerdict({ targets: [{ label: 'api/production', checks: 2 }], results: [result(health({})), result(parity({ drift: [{ key: 'Jobs:MaxParallel', change: 'changed', severity: 'non-critical', expected: '"4"', actual: '"8"' }], nonCriticalDrift: 1 }))], thresholds: prod });
    expect(v.verdict).toBe('degraded');
    expect(v.reasons).toEqual(['api/production parity: 1 non-critical config drift: Jobs:MaxParallel (changed)']);
  });

  it('is red on any critical finding, critical reasons first', () => {
    const v = smokeVerdict({
      targets: [
        { label: 'api/production', checks: 2 },
        { label: 'api/staging', checks: 1 },
      ],
      results: [result(contract({ latencyMs: 700 })), result(health({}, { status: 503, rawStatus: 'Unhealthy' })), result(sse({}), 'api/staging')],
      thresholds: prod,
    });
    expect(v.verdict).toBe('red');
    expect(v.reasons).toEqual(['api/production health: /ready answered 503 Unhealthy', 'api/production contract: GET /api/flags took 700 ms, budget 600 ms']);
    expect(v.targets).toEqual([
      { label: 'api/production', verdict: 'red', checks: 2, passed: 0 },
      { label: 'api/staging', verdict: 'green', checks: 1, passed: 1 },
    ]);
  });

  it('judges by the thresholds it is given, not by the outcome a result claims', () => {
    const claimsPass = { ...result(sse({ ttfbMs: 400 })), outcome: 'pass', findings: [] } as CheckResult;
    expect(smokeVerdict({ targets: [{ label: 'api/production', checks: 1 }], results: [claimsPass], thresholds: prod }).verdict).toBe('red');
    expect(smokeVerdict({ targets: [{ label: 'api/production', checks: 1 }], results: [claimsPass], thresholds: beta }).verdict).toBe('degraded');
  });

  it('is never green when nothing or not everything was checked', () => {
    expect(smokeVerdict({ targets: [], results: [], thresholds: prod })).toMatchObject({ verdict: 'degraded', reasons: ['no smoke targets are configured, so nothing proves recovery'] });
    expect(smokeVerdict({ targets: [{ label: 'web/production', checks: 0 }], results: [], thresholds: prod })).toMatchObject({
      verdict: 'degraded',
      reasons: ['web/production: no smoke checks are configured, so nothing proves it healthy'],
    });
    expect(smokeVerdict({ targets: [{ label: 'api/production', checks: 2 }], results: [result(health({}))], thresholds: prod })).toMatchObject({
      verdict: 'degraded',
      reasons: ['api/production: only 1 of 2 checks reported'],
    });
  });
});
