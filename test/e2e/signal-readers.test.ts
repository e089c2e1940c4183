/**
 * The signal readers as the app composes them on the dev host (src/app/signals.ts from the app
 * settings: endpoints, the CA file, DefaultAzureCredential with the App Service managed-identity
 * endpoint), through the `signalsRead` activity handler, against the Azure Monitor fake. The
 * runbook uses them through the same activity (test/e2e/signals-runbook.test.ts); this pins the wiring.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSignalsActivities } from '../../src/activities/signals.js';
import { ReadSignalsInput, ReadSignalsOutput } from '../../src/activities/signals.contracts.js';
import { signalReaders } from '../../src/app/signals.js';
import { checkPolicy } from '../../src/config/policy.js';
import { signalsPlanOf } from '../../src/domain/monitor-signals.js';
import { recoveryVerdict } from '../../src/domain/recovery-verdict.js';
import { series } from '../fakes/monitor-server.js';
import { COMPONENT_ID, ENV, MINUTE, ProductWorld, SERVICE, SITE_ID } from '../harness/product.js';
import { readFileSync } from 'node:fs';

let w: ProductWorld;

beforeAll(async () => {
  w = await ProductWorld.start({ signals: true });
});
afterAll(async () => {
  await w?.stop();
});

describe('signal readers composed from the app settings', () => {
  it('read the fired metric, the active alerts and the triage with the managed identity, and judge recovery on them', async () => {
    const now = w.now();
    w.monitor.setMetric(SITE_ID, 'Http5xx', series.step(now - 3 * MINUTE, 0, 5));
    w.monitor.setMetric(SITE_ID, 'Requests', series.constant(100));
    w.monitor.fireAlert({ rule: 'prod-admin-api-http5xx', targetResource: SITE_ID, at: now - 3 * MINUTE });
    w.monitor.setLogs({ topErrorCodes: [{ code: 'feature_disabled', count: 40 }], failingRequests: [], p95ByRoute: [] });

    const policy = checkPolicy(JSON.parse(readFileSync(process.env.POLICY_PATH!, 'utf8')));
    if (!policy.ok) throw new Error('policy');
    const service = policy.policy.services.find((s) => s.service === SERVICE && s.environment === ENV)!;
    const plan = signalsPlanOf({ service, environment: policy.policy.environments[ENV]! });
    const activities = createSignalsActivities({ readers: () => signalReaders() });
    const out = ReadSignalsOutput.parse(await activities.read(ReadSignalsInput.parse({ incidentId: 'inc-e2e', plan, at: new Date(now).toISOString(), read: { metrics: true, alerts: true, triage: true } })));

    expect(out.metrics[0]!.reading.status).toBe('read');
    expect(out.alerts).toMatchObject({ status: 'read', value: [{ rule: 'prod-admin-api-http5xx', monitorCondition: 'Fired' }] });
    expect(out.triage).toMatchObject({ status: 'read', value: { topErrorCodes: [{ code: 'feature_disabled', count: 40 }] } });
    // The tokens came from the App Service managed-identity endpoint, for the endpoints' own
    // audience (in Azure: https://management.azure.com and https://api.loganalytics.io).
    expect(w.monitor.requests.every((r) => r.token?.startsWith('fake-mi-token-'))).toBe(true);
    expect(w.arm.tokenRequests.map((t) => t.resource)).toContain(w.monitor.url);
    expect(plan.alertScopes).toEqual([SITE_ID, COMPONENT_ID]);

    const v = recoveryVerdict({ at: now, smoke: { verdict: 'green', reasons: [] }, metrics: out.metrics, alerts: out.alerts, holdMinutes: plan.holdMinutes });
    expect(v).toMatchObject({ recovered: false, basis: 'signals' });
    expect(v.blocking).toEqual(['5xx rate 5 % > 1 % (latest value)', '1 alert(s) still active: prod-admin-api-http5xx (fired 10:13Z)']);
  });
});
