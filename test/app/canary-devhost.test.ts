/**
 * The canary as the product app runs it on the dev host (dist/; run `npm run build`): the timer
 * function `canary`, GET /api/canary (its last report) and the summary in GET /api/health; and
 * the dev host's telemetry summary (no connection string: nothing is sent, the host counts).
 * The policy names no SQL target and no rollback target, so nothing leaves the machine.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { CanaryReport } from '../../src/domain/canary.js';
import { METRICS } from '../../src/domain/telemetry.js';
import { useProductHost } from '../harness/product-host.js';

let dir: string;

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});
const product = useProductHost(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'canary-host-'));
  const box = { ackMinutes: 15, decisionMinutes: 10, noDecision: 'rollback', containmentMinutes: 15, recoveryMinutes: 30, monitoringMinutes: 30, updateEveryMinutes: 15 };
  const policy = {
    version: 1,
    environments: { Prod: { triggerSeverity: 'P1' } },
    severity: { azure: { Sev0: 'P1', Sev1: 'P1', Sev2: 'P2', Sev3: 'P3', Sev4: 'P3' }, whenUnsure: 'P2' },
    triggers: [],
    timeboxes: { P1: box, P2: box, P3: box },
    services: [{ service: 'status-page', environment: 'Prod', match: { properties: { service: 'status-page' } } }],
  };
  writeFileSync(path.join(dir, 'policy.json'), JSON.stringify(policy));
  return { env: { POLICY_PATH: path.join(dir, 'policy.json'), TEAMS_DELIVERY: 'local', TEAMS_SINK_FILE: path.join(dir, 'sink.jsonl'), CANARY_ENABLED: 'true' } };
});

describe('the canary on the dev host', () => {
  it('has no report before its first run; the health says so', async () => {
    expect((await product.h.json('/api/canary')).status).toBe(404);
    expect((await product.h.json<{ canary: unknown }>('/api/health')).body.canary).toEqual({ status: 'not run yet' });
  });

  it('runs as the timer "canary", records its report for GET /api/canary, and the health shows its summary', async () => {
    expect((await product.h.fetch('/admin/functions/canary', { method: 'POST' })).status).toBe(202);
    let res = await product.h.json<CanaryReport>('/api/canary');
    for (let i = 0; i < 200 && res.status === 404; i++) {
      await new Promise((r) => setTimeout(r, 50));
      res = await product.h.json<CanaryReport>('/api/canary');
    }
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('green');
    expect(Object.fromEntries(res.body.checks.map((c) => [c.dependency, c.status]))).toEqual({ settings: 'ok', storage: 'ok', policy: 'ok', teams: 'skipped' });
    const health = await product.h.json<{ status: string; canary: unknown }>('/api/health');
    expect(health.body).toMatchObject({ status: 'ok', canary: { status: 'green', at: res.body.at, failing: [], teamsSignInDaysLeft: null } });
  });

  it('counts what it did in the dev host\'s telemetry summary (nothing is sent without a connection string)', async () => {
    const t = await product.h.json<{ mode: string; lines: string[] }>('/admin/devhost/telemetry');
    expect(t.body.mode).toBe('summary');
    expect(t.body.lines).toContainEqual(expect.stringMatching(new RegExp(`^${METRICS.canaryRuns.name.replace(/\./g, '\\.')} status=green: \\d+$`)));
    expect(t.body.lines).toContainEqual(expect.stringMatching(/^invocations: \d+, failed 0$/));
  });
});
