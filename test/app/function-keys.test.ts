/**
 * Function keys in front of POST /api/alerts and the incident API, on a dev host that enforces
 * them as Azure does: no key or a wrong key is refused before the app runs, the key is accepted
 * from `?code=` (what an action group URL carries) or the x-functions-key header.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { freePort } from '../../src/devhost/index.js';
import { alertFixture, postAlert, testPolicyPath, withAlertId } from '../harness/alerts.js';
import { repoRoot, uniqueHubName } from '../harness/devhost.js';
import { useProductHost } from '../harness/product-host.js';

const FUNCTION_KEY = 'alerts-fn-key';
const MASTER_KEY = 'alerts-master-key';

const product = useProductHost({ enforceKeys: true, env: { DEVHOST_FUNCTION_KEYS: FUNCTION_KEY, DEVHOST_MASTER_KEY: MASTER_KEY } });

/** Incident instances, read with the master key (the management API needs it here). */
async function incidents(): Promise<string[]> {
  const res = await product.h.json<{ instanceId: string; name: string }[]>(`/runtime/webhooks/durabletask/instances?top=1000&code=${MASTER_KEY}`);
  expect(res.status).toBe(200);
  return res.body.filter((i) => i.name === 'incident').map((i) => i.instanceId);
}

const alert = (suffix: string): Record<string, unknown> => withAlertId(alertFixture('prometheus-fired.json'), `keys-${suffix}`);

describe('function keys', () => {
  it('refuses an alert without a key or with a wrong one (401), starting nothing', async () => {
    for (const path of ['/api/alerts', '/api/alerts?code=wrong', `/api/alerts?code=${FUNCTION_KEY}x`]) {
      const res = await product.h.fetch(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(alert('refused')) });
      expect([path, res.status]).toEqual([path, 401]);
    }
    await product.h.settle();
    expect(await incidents()).toEqual([]);
  });

  it('accepts an alert with the function key, from the query or the header', async () => {
    const byQuery = await product.h.json<{ kind: string; incidentId: string; service: string; environment: string }>(`/api/alerts?code=${FUNCTION_KEY}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(alert('refused')),
    });
    // The same alert as the refused deliveries: those were never recorded, so this one declares.
    expect(byQuery.status).toBe(202);
    expect(byQuery.body).toMatchObject({ kind: 'declared', service: 'admin-api', environment: 'Beta' });
    expect(await incidents()).toEqual([byQuery.body.incidentId]);
    const byHeader = await postAlert(product.h, alert('header'), { 'x-functions-key': FUNCTION_KEY });
    expect(byHeader.status).toBe(202);
    expect(byHeader.body).toMatchObject({ kind: 'correlated', incidentId: byQuery.body.incidentId });
  });

  it('guards the incident API the same way', async () => {
    expect((await product.h.fetch('/api/incidents')).status).toBe(401);
    expect((await product.h.fetch('/api/incidents', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })).status).toBe(401);
    const listed = await product.h.json<{ items: unknown[] }>('/api/incidents', { headers: { 'x-functions-key': FUNCTION_KEY } });
    expect(listed.status).toBe(200);
    expect(listed.body.items).toHaveLength(1);
  });

  it('scopes a function key to its function, and checks configured keys without --enforce-keys (npm start)', async () => {
    const port = await freePort();
    const child = spawn(process.execPath, [path.join(repoRoot, 'dist', 'src', 'devhost', 'cli.js'), '--port', String(port), '--azurite', 'off', '--log-level', 'warning'], {
      cwd: repoRoot,
      env: {
        ...process.env,
        AzureWebJobsStorage: product.azurite.connectionString,
        TaskHubName: uniqueHubName('Keys'),
        POLICY_PATH: testPolicyPath,
        DEVHOST_FUNCTION_KEYS: 'incidentsList:list-only-key',
        DEVHOST_MASTER_KEY: '',
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    try {
      const list = (key?: string) => fetch(`http://127.0.0.1:${port}/api/incidents${key ? `?code=${key}` : ''}`).then((r) => r.status, () => 0);
      const deadline = Date.now() + 30_000;
      while ((await list()) === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      expect(await list()).toBe(401);
      expect(await list('list-only-key')).toBe(200);
      // The same key opens no other function.
      const other = await fetch(`http://127.0.0.1:${port}/api/freeze/Prod?code=list-only-key`);
      expect(other.status).toBe(401);
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
  }, 60_000);
});
