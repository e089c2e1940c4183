/**
 * The HTTP probes against the simulated target app, over real loopback HTTP: every check kind,
 * and every fault the app can inject. Timing assertions compare the probe with what the server
 * recorded on the same monotonic clock (same process), so a busy machine that delays a server
 * timer does not make them flaky; the tolerance left is the probe's own error.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createHttpProbes } from '../../src/adapters/http-probes.js';
import { freePort } from '../../src/devhost/index.js';
import {
  Check,
  SmokeThresholds,
  type CheckInput,
  type ContractResult,
  type HealthResult,
  type Measured,
  type PagesResult,
  type ParityResult,
  type SseResult,
} from '../../src/domain/smoke-checks.js';
import { judged } from '../../src/domain/smoke-verdict.js';
import { DEFAULT_CONFIG, DEFAULT_FLAGS, PAGE_MARKER, PAGES, startTargetApp, type Slot, type TargetApp } from '../../src/lab/target-app.js';

let app: TargetApp;
const probes = createHttpProbes();
const prod = SmokeThresholds.parse({});

beforeAll(async () => {
  app = await startTargetApp({ control: true, legacySse: { firstEventDelayMs: 400, heartbeatMs: 20_000 } });
});
afterAll(async () => {
  await app?.stop();
});
beforeEach(() => app.reset());

async function run<K extends CheckInput['kind']>(check: Extract<CheckInput, { kind: K }>, slot: Slot = 'production', baseUrl?: string) {
  const measured = await probes.probe({ label: `api/${slot}`, baseUrl: baseUrl ?? app.url(slot), headers: {} }, Check.parse(check), {
    requestedAt: '2026-01-01T00:00:00.000Z',
  });
  return judged(measured, prod) as Extract<Measured, { kind: K }> & { outcome: string; findings: { severity: string; code: string; message: string }[] };
}

const codes = (r: { findings: { code: string }[] }): string[] => r.findings.map((f) => f.code);

describe('health probe', () => {
  it('reads status, body status and components of /healthz and /ready', async () => {
    const r = (await run({ kind: 'health' })) as unknown as HealthResult;
    expect(r.outcome).toBe('pass');
    expect(r.endpoints.map((e) => [e.role, e.path, e.status, e.bodyStatus])).toEqual([
      ['liveness', '/healthz', 200, 'green'],
      ['readiness', '/ready', 200, 'green'],
    ]);
    expect(r.endpoints[1]?.components.map((c) => `${c.name}=${c.status}`)).toEqual(['sql=green', 'child-mcp=green', 'config=green']);
    expect(r.endpoints[0]?.latencyMs).toBeGreaterThan(0);
  });

  it('reports ready red with the failing component', async () => {
    app.setFault('production', { readyRed: true });
    const r = (await run({ kind: 'health' })) as unknown as HealthResult;
    expect(r.outcome).toBe('fail');
    expect(r.endpoints[1]).toMatchObject({ status: 503, bodyStatus: 'red', rawStatus: 'Unhealthy' });
    expect(r.findings).toEqual([expect.objectContaining({ severity: 'critical', code: 'health.readiness.status', message: expect.stringContaining('sql: Unhealthy') as unknown })]);
    expect(r.endpoints[1]?.bodySample).toContain('Cannot open a connection');
  });

  it('reports liveness red, and a degraded component as a warning', async () => {
    app.setFault('production', { healthRed: true });
    expect(codes(await run({ kind: 'health' }))).toEqual(['health.liveness.status']);
    app.setFault('production', { degradedComponents: ['child-mcp'] });
    const r = await run({ kind: 'health' });
    expect(r.outcome).toBe('warn');
    expect(r.findings).toEqual([expect.objectContaining({ severity: 'warning', code: 'health.readiness.degraded', message: expect.stringContaining('child-mcp: Degraded') as unknown })]);
  });

  it('cuts a hanging endpoint at its timeout', async () => {
    app.setFault('production', { hang: ['/ready'] });
    const r = (await run({ kind: 'health', timeoutMs: 300 })) as unknown as HealthResult;
    expect(r.outcome).toBe('error');
    expect(r.endpoints[1]?.error).toEqual({ code: 'timeout', message: 'no response to GET /ready within 300 ms' });
    expect(r.endpoints[1]?.status).toBeNull();
    expect(r.durationMs).toBeGreaterThanOrEqual(299);
    // Cut at the timeout, not at some later socket timeout (generous bound for a loaded machine).
    expect(r.durationMs).toBeLessThan(300 + 2000);
    expect(r.endpoints[0]?.status).toBe(200);
  });

  it('reports a closed port as a connection error', async () => {
    const closed = await freePort();
    const r = (await run({ kind: 'health' }, 'production', `http://127.0.0.1:${closed}`)) as unknown as HealthResult;
    expect(r.outcome).toBe('error');
    expect(r.endpoints[0]?.error?.code).toBe('connect');
    expect(r.endpoints[0]?.error?.message).toContain('ECONNREFUSED');
    expect(codes(r)).toEqual(['health.liveness.unreachable', 'health.readiness.unreachable']);
  });

  it('cuts a huge body at its bound', async () => {
    app.setFault('production', { hugeBody: ['/healthz'] });
    const r = (await run({ kind: 'health', maxBytes: 32 * 1024 })) as unknown as HealthResult;
    expect(r.endpoints[0]).toMatchObject({ status: 200, truncated: true, bytesRead: 32 * 1024, error: { code: 'too_large' } });
    expect(r.outcome).toBe('error');
  });

  it('adds injected latency to what it measures', async () => {
    app.setFault('production', { latencyMs: 250, latencyPaths: ['/healthz'] });
    const r = (await run({ kind: 'health' })) as unknown as HealthResult;
    expect(r.endpoints[0]?.latencyMs).toBeGreaterThanOrEqual(250);
    expect(r.endpoints[1]?.latencyMs).toBeLessThan(250);
  });

  it('answers 500s at the injected rate, deterministically', async () => {
    app.setFault('production', { errorRate: 0.5, errorPaths: ['/healthz'] });
    const statuses: (number | null)[] = [];
    for (let i = 0; i < 4; i++) {
      const r = (await run({ kind: 'health', readyPath: null })) as unknown as HealthResult;
      statuses.push(r.endpoints[0]?.status ?? null);
    }
    expect(statuses).toEqual([200, 500, 200, 500]);
  });
});

describe('SSE probe', () => {
  // The probe's accuracy (a few ms) is a benchmark figure (npm run bench -- smoke: "SSE timing
  // error"), not a test bound: on a loaded machine event loops stall for tens of ms. These tests
  // pin what is measured (the first event, each gap, in order), with bounds far below the
  // differences that would mean measuring the wrong thing (the 300 ms window, 100 ms heartbeats).
  it('measures the first-event time: never before the server wrote it, and close to it', async () => {
    // Warm-up: the first stream of a process pays for loading and compiling the code path once.
    await run({ kind: 'sse', windowMs: 100, ttfbSamples: 1 });
    for (const delay of [0, 150, 400]) {
      app.reset();
      app.setFault('production', { sseFirstEventDelayMs: delay });
      const r = (await run({ kind: 'sse', windowMs: delay + 300, ttfbSamples: 1 })) as unknown as SseResult;
      const server = app.sseLog.at(-1);
      expect(server?.plannedFirstEventDelayMs).toBe(delay);
      const serverDelay = (server?.writes[0] ?? NaN) - (server?.receivedAt ?? NaN);
      const ttfb = r.sse.ttfbMs as number;
      // What the server actually waited (its timer may fire late on a busy machine) is the floor:
      // the probe starts its clock before connecting and stops it when the event is parsed.
      expect(serverDelay).toBeGreaterThanOrEqual(delay - 1);
      expect(ttfb).toBeGreaterThanOrEqual(serverDelay - 0.5);
      // The probe's error: connection setup, request, delivery and parsing (not the window's end).
      expect(ttfb - serverDelay).toBeLessThan(75);
      expect(r.sse.headersMs).toBeLessThanOrEqual(ttfb);
    }
  });

  it('finds an injected gap among 100 ms heartbeats, with its size and place', async () => {
    app.setConfig('Network:SseKeepAliveSeconds', '0.1');
    app.setFault('production', { sseGaps: [{ afterEvent: 5, gapMs: 1500 }] });
    const r = (await run({ kind: 'sse', windowMs: 2400, ttfbSamples: 1 })) as unknown as SseResult;
    const w = app.sseLog.at(-1)?.writes ?? [];
    const serverGaps = w.slice(1).map((t, i) => t - (w[i] as number));
    const serverMax = Math.max(...serverGaps);
    expect(serverGaps.indexOf(serverMax)).toBe(4); // between the 5th and the 6th event
    expect(serverMax).toBeGreaterThanOrEqual(1499);
    expect(Math.abs((r.sse.gaps.maxMs as number) - serverMax)).toBeLessThan(50);
    expect(r.sse.largestGaps[0]?.gapMs).toBe(r.sse.gaps.maxMs);
    // The other gaps are the heartbeat.
    const median = [...serverGaps].sort((a, b) => a - b)[Math.floor(serverGaps.length / 2)] as number;
    expect(Math.abs((r.sse.gaps.medianMs as number) - median)).toBeLessThan(50);
    // Every event the server wrote was seen, except one written as the window closed.
    expect(r.sse.events).toBeGreaterThanOrEqual(w.length - 1);
    expect(r.sse.events).toBeLessThanOrEqual(w.length);
    expect(r.sse.gaps.count).toBe(r.sse.events - 1);
    expect(r.sse.lastEventId).toBe(String(r.sse.events));
    expect(r.sse.endedBy).toBe('window');
    // The probe hangs up at the end of its window.
    await expect.poll(() => app.sseLog.at(-1)?.closedAt ?? null).not.toBeNull();
    expect(r.outcome).toBe('pass'); // 1.5 s is within Prod's 10 s heartbeat budget
    const strict = judged(r, SmokeThresholds.parse({ sse: { heartbeatMs: 500, criticalGapMs: 1000 } }));
    expect(codes(strict)).toEqual(['sse.gap']);
  });

  it('takes its heartbeat interval from config Network:SseKeepAliveSeconds', async () => {
    app.setConfig('Network:SseKeepAliveSeconds', '0.2');
    const r = (await run({ kind: 'sse', windowMs: 1300, ttfbSamples: 1 })) as unknown as SseResult;
    const w = app.sseLog.at(-1)?.writes ?? [];
    const serverGaps = w.slice(1).map((t, i) => t - (w[i] as number)).sort((a, b) => a - b);
    expect(serverGaps[0]).toBeGreaterThanOrEqual(199);
    expect(Math.abs((r.sse.gaps.medianMs as number) - (serverGaps[Math.floor(serverGaps.length / 2)] as number))).toBeLessThan(50);
    expect(r.sse.events).toBeGreaterThanOrEqual(4);
  });

  it('sees EnableLegacyHttpSse as a slow first event and a silent stream', async () => {
    app.setFlag('EnableLegacyHttpSse', true);
    const r = (await run({ kind: 'sse', windowMs: 1200, ttfbSamples: 1 })) as unknown as SseResult;
    expect(r.sse.ttfbMs).toBeGreaterThanOrEqual(400);
    expect(r.sse.events).toBe(1);
    expect(r.sse.trailingSilenceMs).toBeGreaterThan(700);
    expect(r.outcome).toBe('fail');
    expect(codes(r)).toEqual(['sse.ttfb']);
    const short = judged(r, SmokeThresholds.parse({ sse: { heartbeatMs: 300, criticalGapMs: 600 } }));
    expect(codes(short)).toEqual(['sse.ttfb', 'sse.gap']);
    expect(short.findings[1]?.message).toContain('still silent when the observation ended');
  });

  it('takes the median of several first-event samples', async () => {
    app.setConfig('Network:SseKeepAliveSeconds', '1');
    app.setFault('production', { sseFirstEventDelayMs: 120 });
    const r = (await run({ kind: 'sse', windowMs: 1500, ttfbSamples: 3 })) as unknown as SseResult;
    expect(r.sse.ttfbSamplesMs).toHaveLength(3);
    expect(app.sseLog).toHaveLength(3);
    for (const s of r.sse.ttfbSamplesMs) expect(s).toBeGreaterThanOrEqual(120);
    expect(r.sse.ttfbMs).toBe([...(r.sse.ttfbSamplesMs as number[])].sort((a, b) => a - b)[1]);
    // Samples close after their first event: only the observed stream is left open.
    expect(app.sseLog.slice(1).every((l) => l.writes.length === 1)).toBe(true);
  });

  it('counts comment heartbeats only when told to', async () => {
    const comments = await startTargetApp({ sseHeartbeat: 'comment', config: { 'Network:SseKeepAliveSeconds': '0.05' } });
    try {
      const counted = (await run({ kind: 'sse', windowMs: 500, ttfbSamples: 1 }, 'production', comments.url('production'))) as unknown as SseResult;
      expect(counted.sse.events).toBe(1);
      expect(counted.sse.comments).toBeGreaterThanOrEqual(5);
      // One heartbeat per chunk read (two comments read together are one sign of life).
      expect(counted.sse.gaps.count).toBeGreaterThanOrEqual(1);
      expect(counted.sse.gaps.count).toBeLessThanOrEqual(counted.sse.comments);
      const ignored = (await run({ kind: 'sse', windowMs: 500, ttfbSamples: 1, countComments: false }, 'production', comments.url('production'))) as unknown as SseResult;
      expect(ignored.sse.gaps.count).toBe(0);
      expect(ignored.sse.trailingSilenceMs).toBeGreaterThan(400);
    } finally {
      await comments.stop();
    }
  });

  it('reports a stream the server closes early', async () => {
    app.setConfig('Network:SseKeepAliveSeconds', '0.05');
    app.setFault('production', { sseCloseAfterEvents: 3 });
    const r = (await run({ kind: 'sse', windowMs: 2000, ttfbSamples: 1 })) as unknown as SseResult;
    expect(r.sse).toMatchObject({ events: 3, endedBy: 'server-closed' });
    expect(r.sse.observedMs).toBeLessThan(1500);
    expect(codes(r)).toEqual(['sse.closed']);
  });

  it('rejects an answer that is not an event stream', async () => {
    app.setFault('production', { sseWrongContentType: true });
    const r = (await run({ kind: 'sse', windowMs: 500, ttfbSamples: 1 })) as unknown as SseResult;
    expect(r.sse).toMatchObject({ status: 200, endedBy: 'rejected', events: 0 });
    expect(r.sse.contentType).toContain('application/json');
    expect(codes(r)).toEqual(['sse.content_type']);
  });

  it('cuts a hanging SSE endpoint at its connect timeout', async () => {
    app.setFault('production', { hang: ['/sse'] });
    const r = (await run({ kind: 'sse', windowMs: 3000, connectTimeoutMs: 300, ttfbSamples: 1 })) as unknown as SseResult;
    expect(r.sse).toMatchObject({ status: null, endedBy: 'error', error: { code: 'timeout' } });
    expect(r.sse.observedMs).toBeGreaterThanOrEqual(299);
    expect(r.sse.observedMs).toBeLessThan(300 + 2000);
    expect(r.outcome).toBe('error');
    expect(codes(r)).toEqual(['sse.unreachable']);
  });

  it('reports no event when the first one comes after the window', async () => {
    app.setFault('production', { sseFirstEventDelayMs: 2000 });
    const r = (await run({ kind: 'sse', windowMs: 300, ttfbSamples: 1 })) as unknown as SseResult;
    expect(r.sse).toMatchObject({ status: 200, events: 0, ttfbMs: null, endedBy: 'window' });
    expect(codes(r)).toEqual(['sse.no_event']);
  });

  it('stops reading a stream at its byte bound', async () => {
    app.setConfig('Network:SseKeepAliveSeconds', '0.005');
    const r = (await run({ kind: 'sse', windowMs: 3000, ttfbSamples: 1, maxBytes: 300 })) as unknown as SseResult;
    expect(r.sse).toMatchObject({ endedBy: 'too_large', bytesRead: 300 });
    expect(r.sse.observedMs).toBeLessThan(2500);
    expect(codes(r)).toEqual(['sse.too_large']);
  });
});

describe('contract probe', () => {
  const endpoints = [
    { path: '/api/flags', requiredFields: ['items', 'items[0].key', 'items.0.enabled', 'total'] },
    { path: '/api/jobs', requiredFields: ['items', 'total', 'page'] },
  ];

  it('passes when status, content type and fields match', async () => {
    const r = (await run({ kind: 'contract', endpoints })) as unknown as ContractResult;
    expect(r.outcome).toBe('pass');
    expect(r.endpoints.map((e) => [e.path, e.status, e.statusOk, e.contentTypeOk, e.jsonOk, e.missingFields])).toEqual([
      ['/api/flags', 200, true, true, true, []],
      ['/api/jobs', 200, true, true, true, []],
    ]);
  });

  it('finds a wrong contract shape', async () => {
    app.setFault('production', { wrongContract: true });
    const r = (await run({ kind: 'contract', endpoints })) as unknown as ContractResult;
    expect(r.outcome).toBe('fail');
    expect(r.endpoints[0]?.missingFields).toEqual(['items', 'items[0].key', 'items.0.enabled', 'total']);
    expect(r.endpoints[0]?.bodySample).toContain('"data"');
    expect(codes(r)).toEqual(['contract.missing_fields', 'contract.missing_fields']);
  });

  it('finds 5xx answers and keeps the error envelope as a sample', async () => {
    app.setFault('production', { errorRate: 1 });
    const r = (await run({ kind: 'contract', endpoints: [endpoints[0] as (typeof endpoints)[0]] })) as unknown as ContractResult;
    expect(r.endpoints[0]).toMatchObject({ status: 500, statusOk: false });
    expect(r.endpoints[0]?.bodySample).toContain('internal_error');
    expect(codes(r)).toEqual(['contract.status', 'contract.missing_fields']);
  });

  it('checks the content type and sends a method and a JSON body', async () => {
    const r = (await run({
      kind: 'contract',
      endpoints: [
        { path: '/api/flags', expectContentType: 'text/html' },
        { method: 'POST', path: '/api/flags', body: { probe: true }, expectStatus: 405, requiredFields: ['error.code'] },
      ],
    })) as unknown as ContractResult;
    expect(r.endpoints[0]).toMatchObject({ contentTypeOk: false, jsonOk: null });
    expect(r.endpoints[1]).toMatchObject({ status: 405, statusOk: true, missingFields: [] });
    expect(codes(r)).toEqual(['contract.content_type']);
    expect(app.requestLog.some((q) => q.method === 'POST')).toBe(true);
  });

  it('cuts a huge body at its bound and closes the connection', async () => {
    app.setFault('production', { hugeBody: ['/api/jobs'] });
    const r = (await run({ kind: 'contract', maxBytes: 256 * 1024, endpoints: [{ path: '/api/jobs', requiredFields: ['items'] }] })) as unknown as ContractResult;
    expect(r.endpoints[0]).toMatchObject({ status: 200, truncated: true, bytesRead: 256 * 1024, error: { code: 'too_large' } });
    expect(r.outcome).toBe('error');
    // The server stops writing once the probe hangs up: far less than the 256 MiB it would send.
    await expect.poll(() => app.hugeBodies[0]?.bytesSent ?? 0).toBeGreaterThan(0);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(app.hugeBodies[0]?.done).toBe(false);
    expect(app.hugeBodies[0]?.bytesSent).toBeLessThan(32 * 1024 * 1024);
  });

  it('cuts a hanging endpoint at its timeout', async () => {
    app.setFault('production', { hang: ['/api/jobs'] });
    const r = (await run({ kind: 'contract', timeoutMs: 250, endpoints })) as unknown as ContractResult;
    expect(r.endpoints[1]?.error?.code).toBe('timeout');
    expect(r.endpoints[0]?.error).toBeNull();
    expect(r.durationMs).toBeLessThan(250 + 2000);
    expect(codes(r)).toEqual(['contract.unreachable']);
  });

  it('warns about a slow endpoint', async () => {
    app.setFault('production', { latencyMs: 700, latencyPaths: ['/api/jobs'] });
    const r = (await run({ kind: 'contract', endpoints })) as unknown as ContractResult;
    expect(r.outcome).toBe('warn');
    expect(codes(r)).toEqual(['contract.slow']);
  });
});

describe('pages probe', () => {
  it('finds the marker on every key UI route', async () => {
    const r = (await run({ kind: 'pages', marker: PAGE_MARKER })) as unknown as PagesResult;
    expect(r.pages.map((p) => p.path)).toEqual([...PAGES]);
    expect(r.pages.every((p) => p.status === 200 && p.markerFound)).toBe(true);
    expect(r.outcome).toBe('pass');
  });

  it('fails pages without their marker, and a page-specific marker', async () => {
    app.setFault('production', { missingMarker: true });
    expect(codes(await run({ kind: 'pages', marker: PAGE_MARKER, pages: [{ path: '/jobs' }] }))).toEqual(['pages.marker']);
    app.reset();
    const r = await run({ kind: 'pages', marker: PAGE_MARKER, pages: [{ path: '/jobs', marker: 'data-page="jobs"' }, { path: '/flags', marker: 'data-page="jobs"' }] });
    expect(codes(r)).toEqual(['pages.marker']);
    expect(r.findings[0]?.message).toContain('/flags');
  });

  it('reads a huge page only up to its bound, then looks for the marker there', async () => {
    app.setFault('production', { hugeBody: ['/dashboard'] });
    const r = (await run({ kind: 'pages', marker: PAGE_MARKER, maxBytes: 1024 * 1024, pages: [{ path: '/dashboard' }] })) as unknown as PagesResult;
    expect(r.pages[0]).toMatchObject({ truncated: true, bytesRead: 1024 * 1024, markerFound: false, error: null });
    expect(r.findings[0]?.message).toContain('in its first 1048576 bytes');
  });

  it('reports a missing route and a hanging one', async () => {
    app.setFault('production', { hang: ['/evidence'] });
    const r = await run({ kind: 'pages', marker: PAGE_MARKER, timeoutMs: 250, pages: [{ path: '/nope' }, { path: '/evidence' }] });
    expect(codes(r)).toEqual(['pages.status', 'pages.unreachable']);
  });
});

describe('parity probe', () => {
  const expected = { config: { ...DEFAULT_CONFIG }, features: { ...DEFAULT_FLAGS }, environment: 'Prod' };

  it('passes when the effective config matches, ignoring build stamps', async () => {
    const r = (await run({ kind: 'parity', expected, ignore: ['build:**'] })) as unknown as ParityResult;
    expect(r.parity).toMatchObject({ status: 200, jsonOk: true, criticalDrift: 0, nonCriticalDrift: 0 });
    expect(r.parity.keysCompared).toBe(Object.keys(DEFAULT_CONFIG).length + Object.keys(DEFAULT_FLAGS).length + 1);
    expect(r.outcome).toBe('pass');
  });

  it('classifies drift as critical or not by key patterns', async () => {
    app.setConfig('Network:SseKeepAliveSeconds', '30');
    app.setConfig('Jobs:MaxParallel', '8');
    app.setFlag('EnableLegacyHttpSse', true);
    app.setConfig('Feature:Extra', 'x');
    const r = (await run({
      kind: 'parity',
      select: 'config',
      expected: { Network: { SseKeepAliveSeconds: 10 }, Cors: { AllowedOrigins: 'https://admin.contoso.test' }, 'RateLimit:PerMinute': 600, 'Jobs:MaxParallel': '4' },
      critical: ['Network:*', 'Cors:**'],
    })) as unknown as ParityResult;
    expect(r.parity.drift).toEqual([
      { key: 'Network:SseKeepAliveSeconds', change: 'changed', severity: 'critical', expected: '10', actual: '"30"' },
      { key: 'Feature:Extra', change: 'unexpected', severity: 'non-critical', expected: null, actual: '"x"' },
      { key: 'Jobs:MaxParallel', change: 'changed', severity: 'non-critical', expected: '"4"', actual: '"8"' },
    ]);
    expect(codes(r)).toEqual(['parity.critical_drift', 'parity.drift']);
    // Flags drift too when the whole document is compared.
    const whole = (await run({ kind: 'parity', expected, ignore: ['build:**', 'config:**'], critical: ['features:EnableLegacy*'] })) as unknown as ParityResult;
    expect(whole.parity.drift).toEqual([{ key: 'features:EnableLegacyHttpSse', change: 'changed', severity: 'critical', expected: 'false', actual: 'true' }]);
  });

  it('never shows secret values', async () => {
    app.setConfig('Sql:Password', 'hunter2-secret-value');
    const r = await run({ kind: 'parity', select: 'config', expected: { ...DEFAULT_CONFIG, 'Sql:Password': 'old-value-xyz' } });
    expect(JSON.stringify(r)).not.toContain('hunter2');
    expect(JSON.stringify(r)).not.toContain('old-value-xyz');
    expect((r as unknown as ParityResult).parity.drift).toEqual([{ key: 'Sql:Password', change: 'changed', severity: 'non-critical', expected: '(redacted)', actual: '(redacted)' }]);
  });

  it('reports an unreadable document', async () => {
    app.setFault('production', { errorRate: 1 });
    expect(codes(await run({ kind: 'parity', expected }))).toEqual(['parity.status']);
    app.setFault('production', { hugeBody: ['/config/effective'] });
    const big = await run({ kind: 'parity', expected, maxBytes: 4096 });
    expect(big.outcome).toBe('error');
    expect(codes(big)).toEqual(['parity.unreachable']);
    app.setFault('production', {});
    expect(codes(await run({ kind: 'parity', expected, select: 'environment' }))).toEqual(['parity.json']);
  });
});

describe('the simulated app: slots, swap and control API', () => {
  it('swaps what production serves, faults included', async () => {
    const v = async (slot: Slot) => (await fetch(`${app.url(slot)}/version`).then((r) => r.json())) as Record<string, unknown>;
    expect(await v('production')).toMatchObject({ buildId: 'build-1001', releaseTag: 'v1.4.0', slot: 'production' });
    expect(await v('staging')).toMatchObject({ buildId: 'build-1002', slot: 'staging' });
    app.setFault('production', { readyRed: true });
    expect((await run({ kind: 'health' })).outcome).toBe('fail');
    expect(app.swap()).toEqual({ production: { buildId: 'build-1002', releaseTag: 'v1.5.0' }, staging: { buildId: 'build-1001', releaseTag: 'v1.4.0' } });
    expect(await v('production')).toMatchObject({ buildId: 'build-1002', slot: 'production' });
    expect((await run({ kind: 'health' })).outcome).toBe('pass');
    expect((await run({ kind: 'health' }, 'staging')).outcome).toBe('fail');
  });

  it('is driven over HTTP by the control API', async () => {
    const control = app.controlUrl as string;
    const call = (method: string, path: string, body?: unknown) =>
      fetch(control + path, { method, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    expect((await call('PUT', '/faults/production', { readyRed: true })).status).toBe(200);
    expect((await run({ kind: 'health' })).outcome).toBe('fail');
    expect((await call('PUT', '/flags/EnableLegacyHttpSse', { enabled: true })).status).toBe(200);
    expect(app.flag('EnableLegacyHttpSse')).toBe(true);
    expect((await call('PUT', `/config/${encodeURIComponent('Network:SseKeepAliveSeconds')}`, { value: '5' })).status).toBe(200);
    expect(app.heartbeatMs('production')).toBe(20_000); // the legacy flag wins
    expect((await call('PUT', '/builds/staging', { buildId: 'build-2000', releaseTag: 'v2.0.0' })).status).toBe(200);
    const swapped = (await (await call('POST', '/swap')).json()) as { slots: { production: { build: { buildId: string } } } };
    expect(swapped.slots.production.build.buildId).toBe('build-2000');
    expect((await call('PUT', '/faults/nowhere', {})).status).toBe(400);
    expect((await call('PUT', '/flags/X', { enabled: 'yes' })).status).toBe(400);
    expect((await call('POST', '/reset')).status).toBe(200);
    expect(app.build('production').buildId).toBe('build-1001');
  });
});
