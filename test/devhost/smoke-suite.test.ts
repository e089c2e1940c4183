/**
 * The smokeSuite sub-orchestration of the product app, on the dev host (Durable on Azurite),
 * aimed at the simulated target app: the verdict follows the faults injected into the target.
 * Needs `npm run build` (the dev host loads the app from dist/).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { SmokeSuiteInput, SmokeSuiteOutput } from '../../src/activities/smoke.contracts.js';
import { DEFAULT_CONFIG, PAGE_MARKER, startTargetApp, type TargetApp } from '../../src/lab/target-app.js';
import { useProductHost } from '../harness/product-host.js';

let app: TargetApp;

beforeAll(async () => {
  // The flag's slow first event is far over the (generous) budget below, so no verdict here depends on how busy the machine is.
  app = await startTargetApp({ legacySse: { firstEventDelayMs: 1500, heartbeatMs: 20_000 } });
});
afterAll(async () => {
  await app?.stop();
});
// No policy here (POLICY_PATH empty), so none names the target app's host: the setting lets the probes reach it.
const product = useProductHost({ logLevel: 'warning', env: { POLICY_PATH: '', SMOKE_ALLOWED_HOSTS: '127.0.0.1' } });
beforeEach(() => app.reset());

/**
 * Budgets a loaded test machine cannot break by itself (a first event or an answer held up for a
 * few hundred ms by a busy CPU): these tests are about the fan-out and the verdicts, not timing.
 */
const THRESHOLDS = { sse: { ttfbMs: 1000 }, http: { slowMs: 5000 } };

function suite(): SmokeSuiteInput {
  const apiChecks: SmokeSuiteInput['targets'][number]['checks'] = [
    { kind: 'health' },
    { kind: 'sse', windowMs: 2000 },
    { kind: 'contract', endpoints: [{ path: '/api/flags', requiredFields: ['items[0].key', 'total'] }, { path: '/api/jobs', requiredFields: ['items', 'page'] }] },
    { kind: 'pages', marker: PAGE_MARKER },
    { kind: 'parity', select: 'config', expected: { ...DEFAULT_CONFIG }, critical: ['Network:*'] },
  ];
  return {
    incidentId: 'inc-2026-0001',
    thresholds: THRESHOLDS,
    targets: [
      { label: 'api/production', baseUrl: app.url('production'), checks: apiChecks },
      { label: 'api/staging', baseUrl: app.url('staging'), checks: [{ kind: 'health' }] },
    ],
  };
}

async function runSuite(input: SmokeSuiteInput = suite()): Promise<{ id: string; out: SmokeSuiteOutput }> {
  const id = await product.h.start('smokeSuite', input);
  const done = await product.h.waitFor(id, ['Completed', 'Failed'], 30_000);
  if (done.runtimeStatus !== 'Completed') throw new Error(`smokeSuite ${done.runtimeStatus}: ${JSON.stringify(done.output)}`);
  return { id, out: done.output as SmokeSuiteOutput };
}

describe('smokeSuite on the dev host', () => {
  it('fans out one activity per check per target and is green on a healthy target', async () => {
    // What this pins is the fan-out and the verdict of healthy answers, not the SSE timing (a
    // loaded machine can take longer than 200 ms to hand over a first event): a wide budget, and
    // the wide HTTP budget kept (without it a contract answer over the default 600 ms on a busy
    // machine made this 'degraded' under the full suite).
    const { id, out } = await runSuite({ ...suite(), thresholds: { ...THRESHOLDS, sse: { ttfbMs: 5_000 } } });
    expect(out.verdict).toBe('green');
    expect(out.reasons).toEqual(['api/production: all 5 checks passed', 'api/staging: the only check passed']);
    expect(out.results.map((r) => `${r.target} ${r.kind} ${r.outcome}`)).toEqual([
      'api/production health pass',
      'api/production sse pass',
      'api/production contract pass',
      'api/production pages pass',
      'api/production parity pass',
      'api/staging health pass',
    ]);
    // Orchestration time (the manual clock), not the activity's wall clock.
    expect(out.startedAt).toBe('2026-01-01T00:00:00.000Z');
    expect(out.results.every((r) => r.requestedAt === out.startedAt)).toBe(true);
    const history = await product.h.status(id, '?showHistory=true');
    const scheduled = history?.historyEvents?.filter((e) => e.EventType === 'TaskScheduled') ?? [];
    expect(scheduled).toHaveLength(6);
    expect(new Set(scheduled.map((e) => e.FunctionName))).toEqual(new Set(['smokeRunCheck']));
    // All scheduled in one episode: they ran in parallel.
    const firstCompleted = history?.historyEvents?.findIndex((e) => e.EventType === 'TaskCompleted') ?? -1;
    const lastScheduled = history?.historyEvents?.map((e) => e.EventType).lastIndexOf('TaskScheduled') ?? -1;
    expect(lastScheduled).toBeLessThan(firstCompleted);
  });

  it('flips to red when /ready goes red, and back to green when the slot swap moves the bad build out', async () => {
    app.setFault('production', { readyRed: true });
    // The verdicts here come from /ready, not from SSE timing: a budget a loaded machine meets.
    const wide = { ...suite(), thresholds: { sse: { ttfbMs: 5_000 } } };
    const red = (await runSuite(wide)).out;
    expect(red.verdict).toBe('red');
    expect(red.reasons).toEqual(['api/production health: /ready answered 503 Unhealthy (sql: Unhealthy)']);
    expect(red.targets).toEqual([
      { label: 'api/production', verdict: 'red', checks: 5, passed: 4 },
      { label: 'api/staging', verdict: 'green', checks: 1, passed: 1 },
    ]);
    app.swap();
    const after = (await runSuite(wide)).out;
    expect(after.targets.map((t) => `${t.label}=${t.verdict}`)).toEqual(['api/production=green', 'api/staging=red']);
    expect(after.verdict).toBe('red');
  });

  it('goes red on a slow SSE first event caused by a flag, and degraded on non-critical drift', async () => {
    app.setFlag('EnableLegacyHttpSse', true);
    const slow = (await runSuite()).out;
    expect(slow.verdict).toBe('red');
    expect(slow.reasons).toHaveLength(1);
    expect(slow.reasons[0]).toMatch(/^api\/production sse: first event after \d+ ms \(median of 3\), budget 1000 ms$/);
    app.reset();
    app.setConfig('Jobs:MaxParallel', '16');
    const drift = (await runSuite()).out;
    expect(drift.verdict).toBe('degraded');
    expect(drift.reasons).toEqual(['api/production parity: 1 non-critical config drift: Jobs:MaxParallel (changed)']);
    // The same measurements in a lower environment: a slow first event is a warning there.
    app.reset();
    app.setFlag('EnableLegacyHttpSse', true);
    const beta = (await runSuite({ ...suite(), thresholds: { ...THRESHOLDS, sse: { ...THRESHOLDS.sse, ttfbBreach: 'warning' } } })).out;
    expect(beta.verdict).toBe('degraded');
  });

  it('reports a hanging target as red within the check timeouts', async () => {
    app.setFault('staging', { hang: true });
    const input = suite();
    input.targets[1] = { label: 'api/staging', baseUrl: app.url('staging'), checks: [{ kind: 'health', timeoutMs: 300 }] };
    const out = (await runSuite(input)).out;
    expect(out.verdict).toBe('red');
    expect(out.reasons).toEqual([
      'api/staging health: liveness GET /healthz: no response to GET /healthz within 300 ms',
      'api/staging health: readiness GET /ready: no response to GET /ready within 300 ms',
    ]);
    expect(out.results.find((r) => r.target === 'api/staging')?.outcome).toBe('error');
  });

  it('fails the orchestration on an invalid input, naming the problem', async () => {
    const id = await product.h.start('smokeSuite', { targets: [{ label: 'x', baseUrl: 'not a url', checks: [] }] });
    const done = await product.h.waitFor(id, ['Failed', 'Completed']);
    expect(done.runtimeStatus).toBe('Failed');
    expect(String(done.output)).toContain('baseUrl');
  });
});
