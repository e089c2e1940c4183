/** When storage is down the app says so with 503 (Azure Monitor then delivers the alert again). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AzuriteInstance } from '../../src/devhost/index.js';
import { alertFixture, postAlert, testPolicyPath, withAlertId } from '../harness/alerts.js';
import { repoRoot, startTestAzurite, startTestHost, type TestHost } from '../harness/devhost.js';

let azurite: AzuriteInstance;
let h: TestHost;

beforeAll(async () => {
  azurite = await startTestAzurite();
  h = await startTestHost({ azurite, appRoot: repoRoot, env: { POLICY_PATH: testPolicyPath } });
});
afterAll(async () => {
  await h?.stop();
});

describe('storage outage', () => {
  it('answers 503 with Retry-After and an envelope, never a 500', async () => {
    expect((await postAlert(h, withAlertId(alertFixture('metric-5xx-fired.json'), 'before'))).status).toBe(202);
    await h.settle();
    await azurite.stop();

    const alert = await postAlert(h, withAlertId(alertFixture('metric-5xx-fired.json'), 'during'));
    expect(alert.status).toBe(503);
    expect(alert.headers.get('retry-after')).toBe('5');
    expect(alert.body.error).toMatchObject({ code: 'storage_unavailable' });

    const list = await h.fetch('/api/incidents');
    expect(list.status).toBe(503);
    const health = await h.json<{ status: string; checks: { storage: { ok: boolean } } }>('/api/health');
    expect(health.status).toBe(503);
    expect(health.body).toMatchObject({ status: 'unhealthy', checks: { storage: { ok: false } } });
  });
});
