import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { repoRoot, startTestAzurite } from '../harness/devhost.js';
import type { AzuriteInstance } from '../../src/devhost/azurite.js';
import { RealHost } from './harness/real-host.js';

let azurite: AzuriteInstance;
let host: RealHost;
beforeAll(async () => {
  azurite = await startTestAzurite();
  host = await RealHost.start({ azurite, appRoot: path.join(repoRoot, 'test', 'fixtures', 'conformance-app') });
}, 300_000);
afterAll(async () => {
  await host?.stop();
  await azurite?.stop();
});

it('runs', async () => {
  const r = await host.json<{ id: string }>('/runtime/webhooks/durabletask/orchestrators/catchesFailure', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '' });
  console.log(r.status, r.body);
  for (let i = 0; i < 60; i++) {
    const s = await host.json<{ runtimeStatus: string }>(`/runtime/webhooks/durabletask/instances/${r.body.id}?showHistory=true`);
    if (s.body.runtimeStatus !== 'Running' && s.body.runtimeStatus !== 'Pending') { console.log(JSON.stringify(s.body, null, 1)); break; }
    await new Promise((res) => setTimeout(res, 500));
  }
  expect(1).toBe(1);
}, 120_000);
