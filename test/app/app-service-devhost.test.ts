/**
 * The App Service activities running inside the product app on the dev host (loaded from dist/,
 * settings from app settings): DefaultAzureCredential gets its token from an App Service managed
 * identity endpoint, the real ARM SDK swaps on the ARM fake, a lost swap answer is retried by
 * Durable on the contract's retry policy (a durable timer) and reconciled instead of swapped again.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AzuriteInstance } from '../../src/devhost/index.js';
import { ArmFake } from '../../src/lab/arm-server.js';
import { repoRoot, startTestAzurite, startTestHost, type TestHost } from '../harness/devhost.js';

const SUB = '00000000-0000-4000-8000-000000000001';
let azurite: AzuriteInstance;
let fake: ArmFake;
let h: TestHost;
let dir: string;

interface Outcome {
  kind: string;
  summary: string;
}

beforeAll(async () => {
  azurite = await startTestAzurite();
  fake = await new ArmFake().start();
  fake.addSite({
    subscriptionId: SUB,
    resourceGroup: 'rg-prod',
    name: 'api-prod',
    slots: { production: { APP_BUILD_ID: 'b42' }, staging: { APP_BUILD_ID: 'b41' } },
  });
  dir = mkdtempSync(path.join(tmpdir(), 'arm-ca-'));
  const caFile = path.join(dir, 'arm-fake-ca.pem');
  writeFileSync(caFile, fake.ca);
  h = await startTestHost({
    azurite,
    appRoot: path.join(repoRoot, 'test', 'fixtures', 'app-service-host'),
    env: {
      APPSERVICE_TARGETS: JSON.stringify([{ env: 'Prod', service: 'api', strategy: 'slot-swap', subscriptionId: SUB, resourceGroup: 'rg-prod', site: 'api-prod' }]),
      APPSERVICE_ARM_ENDPOINT: fake.armUrl,
      APPSERVICE_ARM_CA_FILE: caFile,
      APPSERVICE_MANAGED_IDENTITY_CLIENT_ID: '11111111-2222-3333-4444-555555555555',
      APPSERVICE_POLL_INTERVAL_MS: '10',
      IDENTITY_ENDPOINT: fake.identityEndpoint,
      IDENTITY_HEADER: fake.identityHeader,
      LKG_TABLE: 'LkgDevhost',
      FREEZE_TABLE: 'FreezeDevhost',
    },
  });
  const lkg = await h.json('/api/lkg', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ env: 'Prod', service: 'api', releaseTag: 'r41', buildId: 'b41', evidenceUrl: 'https://evidence.example/r41/', recordedBy: { id: 'pipeline' } }),
  });
  expect(lkg.status).toBe(201);
});
afterAll(async () => {
  await h?.stop();
  await fake?.stop();
  await azurite?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
  for (const k of ['APPSERVICE_TARGETS', 'APPSERVICE_ARM_ENDPOINT', 'APPSERVICE_ARM_CA_FILE', 'IDENTITY_ENDPOINT', 'IDENTITY_HEADER']) delete process.env[k];
});

describe('App Service activities on the dev host', () => {
  it('plan mode: reports the freeze and the swap it would do, changes nothing', async () => {
    const id = await h.start('appServiceDrill', { incidentId: 'drill-1', env: 'Prod', mode: 'plan' });
    const done = await h.waitFor(id);
    const out = done.output as { snapshot: { services: { lkgLocation: string }[] }; freeze: Outcome; api: Outcome; unfreeze: Outcome };
    expect(out.snapshot.services.map((s) => s.lkgLocation)).toEqual(['staging']);
    expect(out.freeze.kind).toBe('planned');
    expect(out.api).toMatchObject({ kind: 'planned', summary: 'Plan: api (Prod): swap api-prod/staging into production: production build b42 -> LKG r41 (build b41).' });
    expect(out.unfreeze).toMatchObject({ kind: 'skipped', reason: 'not-frozen' });
    expect(fake.swapRequests()).toHaveLength(0);
    expect((await h.json<{ frozen: boolean }>('/api/freeze/Prod')).body.frozen).toBe(false);
    // The SDK authenticated with the managed identity token from IDENTITY_ENDPOINT.
    expect(fake.tokenRequests.at(-1)).toMatchObject({ clientId: '11111111-2222-3333-4444-555555555555' });
    expect(fake.requests.every((r) => r.token?.startsWith('fake-mi-token-'))).toBe(true);
  });

  it('a lost swap answer: Durable retries after the contract delay, the retry reconciles, one swap in all', async () => {
    fake.dropNext('POST', /slotsswap$/);
    const id = await h.start('appServiceDrill', { incidentId: 'inc-devhost-1', env: 'Prod', mode: 'execute' });
    await h.settle(); // the first attempt failed; the retry waits on a durable timer
    expect(fake.swapRequests()).toHaveLength(1);
    expect((await h.status(id))?.runtimeStatus).toBe('Running');
    await fake.settle(); // meanwhile Azure completes the swap it accepted
    await h.advance(30_000);
    const done = await h.waitFor(id);
    const out = done.output as { freeze: Outcome; api: Outcome; unfreeze: Outcome };
    expect(out.freeze.kind).toBe('done');
    expect(out.api.kind).toBe('done');
    expect(out.api.summary).toContain('found on reconcile');
    expect(out.unfreeze.kind).toBe('done');
    expect(fake.swapRequests()).toHaveLength(1);
    expect(fake.buildOf('api-prod', 'production')).toBe('b41');
  });
});
