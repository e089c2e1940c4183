/** GET /api/health on the product app, served by the dev host with Azurite. */
import { afterAll, describe, expect, it } from 'vitest';
import { checkHealth } from '../../src/app/health.js';
import { parseAppSettings } from '../../src/app/settings.js';
import { azuriteConnectionString } from '../../src/adapters/storage.js';
import { freePort, type AzuriteInstance } from '../../src/devhost/index.js';
import { testPolicyPath } from '../harness/alerts.js';
import { repoRoot, startTestAzurite, startTestHost, type TestHost } from '../harness/devhost.js';
import { useProductHost } from '../harness/product-host.js';

const product = useProductHost();

describe('GET /api/health', () => {
  it('answers 200 with the version when settings are valid and storage answers', async () => {
    const res = await product.h.json<Record<string, unknown>>('/api/health');
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.body).toMatchObject({
      status: 'ok',
      version: expect.stringMatching(/^\d+\.\d+\.\d+/) as unknown,
      checks: { settings: { ok: true, problems: [] }, storage: { ok: true, error: null }, policy: { ok: true, services: 9 }, orchestrations: { ok: true, failed: [] } },
    });
  });

  it('reports unreachable storage as unhealthy, within its time bound', async () => {
    const closed = await freePort();
    const started = Date.now();
    const report = await checkHealth(parseAppSettings({ AzureWebJobsStorage: azuriteConnectionString({ table: closed, blob: closed, queue: closed }) }));
    expect(report.status).toBe('unhealthy');
    expect(report.checks.storage.ok).toBe(false);
    expect(report.checks.storage.error).toBeTruthy();
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('lists invalid settings by name without echoing their values', async () => {
    const report = await checkHealth(parseAppSettings({ AzureWebJobsStorage: 'AccountKey=secret-value-123', TaskHubName: '1bad' }));
    expect(report.status).toBe('unhealthy');
    expect(report.checks.settings.problems.map((p) => p.path).sort()).toEqual(['AzureWebJobsStorage', 'TaskHubName']);
    expect(JSON.stringify(report)).not.toContain('secret-value-123');
  });

  it('names a status page webhook set without its secret, and does not echo the URL', async () => {
    const report = await checkHealth(parseAppSettings({ ...process.env, STATUS_PAGE_WEBHOOK_URL: 'https://status.example.net/hook?sig=private-value-456', STATUS_PAGE_WEBHOOK_SECRET: 'short' }));
    expect(report.status).toBe('unhealthy');
    expect(report.checks.settings.problems.map((p) => p.path)).toContain('STATUS_PAGE_WEBHOOK_SECRET');
    expect(JSON.stringify(report)).not.toContain('private-value-456');
  });

  it('is unhealthy while the policy is missing or invalid, and says what is wrong', async () => {
    const missing = await checkHealth(parseAppSettings({ ...process.env, POLICY_PATH: 'does-not-exist.json' }));
    expect(missing.status).toBe('unhealthy');
    expect(missing.checks.policy).toMatchObject({ ok: false, services: 0 });
    expect(missing.checks.policy.error).toContain('does not exist');
    const invalid = await checkHealth(parseAppSettings({ ...process.env, POLICY_PATH: '', POLICY_JSON: '{"version":2}' }));
    expect(invalid.checks.policy.problems.map((p) => p.path)).toEqual(expect.arrayContaining(['version', 'services']));
  });
});

describe('GET /api/health while storage is down', () => {
  let own: AzuriteInstance | undefined;
  let host: TestHost | undefined;
  afterAll(async () => {
    await host?.stop();
    await own?.stop();
  });

  it('answers 503 over HTTP with the storage check failed, never a 500', async () => {
    own = await startTestAzurite();
    host = await startTestHost({ azurite: own, appRoot: repoRoot, env: { POLICY_PATH: testPolicyPath } });
    expect((await host.json('/api/health')).status).toBe(200);
    await own.stop(); // the storage account becomes unreachable under the running app

    const res = await host.json<{ status: string; checks: { settings: { ok: boolean }; storage: { ok: boolean; error: string | null } } }>('/api/health');
    expect(res.status).toBe(503);
    expect(res.headers.get('content-type')).toContain('application/json');
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.body).toMatchObject({ status: 'unhealthy', checks: { settings: { ok: true }, storage: { ok: false } } });
    expect(res.body.checks.storage.error).toBeTruthy();
  });
});
