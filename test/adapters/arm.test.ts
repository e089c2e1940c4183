/**
 * The ARM adapter with the real @azure/arm-appservice SDK (and its core-lro poller) against the
 * ARM fake on 127.0.0.1 over TLS: swaps with Location polling and with Azure-AsyncOperation,
 * conflicts, failed warm-ups, transient trouble while polling, the deadline, app settings reads,
 * and DefaultAzureCredential through an App Service managed-identity endpoint.
 */
import { inspect } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ArmAppService, ArmRequestError, defaultArmCredential } from '../../src/adapters/arm.js';
import { TransientError } from '../../src/domain/errors.js';
import { ArmFake } from '../../src/lab/arm-server.js';
import { TestTokenCredential } from '../fakes/credentials.js';

const SUB = '00000000-0000-4000-8000-000000000001';
const ref = { subscriptionId: SUB, resourceGroup: 'rg-prod', site: 'api-prod' };

let fake: ArmFake;
let credential: TestTokenCredential;

function adapter(overrides: Partial<ConstructorParameters<typeof ArmAppService>[0]> = {}): ArmAppService {
  return new ArmAppService({ credential, endpoint: fake.armUrl, caPem: fake.ca, requestTimeoutMs: 3000, pollIntervalMs: 10, ...overrides });
}

function resetSite(): void {
  fake.addSite({
    subscriptionId: SUB,
    resourceGroup: 'rg-prod',
    name: 'api-prod',
    slots: {
      production: { APP_BUILD_ID: 'b42', APP_RELEASE_TAG: 'r42', SLOT_NAME: 'production' },
      staging: { APP_BUILD_ID: 'b41', APP_RELEASE_TAG: 'r41', SLOT_NAME: 'staging' },
    },
    sticky: ['SLOT_NAME'],
  });
}

beforeAll(async () => {
  fake = await new ArmFake().start();
  credential = new TestTokenCredential();
});
afterAll(async () => {
  await fake?.stop();
});
afterEach(() => {
  fake.requests.length = 0;
  fake.clearFaults();
});

describe('ArmAppService.swapIntoProduction (real SDK, core-lro poller)', () => {
  it('swaps staging into production, following Location until 200', async () => {
    resetSite();
    const result = await adapter().swapIntoProduction(ref, 'staging', { preserveVnet: true, deadlineMs: 10_000 });
    expect(result).toMatchObject({ kind: 'succeeded', operationId: expect.stringMatching(/^[0-9a-f-]{36}$/) as unknown });
    const [post, ...polls] = fake.requests;
    expect(post).toMatchObject({
      method: 'POST',
      path: `/subscriptions/${SUB}/resourceGroups/rg-prod/providers/Microsoft.Web/sites/api-prod/slotsswap`,
      query: { 'api-version': '2025-05-01' },
      token: 'test-arm-token',
      body: { targetSlot: 'staging', preserveVnet: true },
      status: 202,
    });
    expect(polls.map((p) => `${p.method} ${p.status}`)).toEqual(['GET 202', 'GET 202', 'GET 200']);
    expect(polls.every((p) => /\/operationresults\//.test(p.path) && p.token === 'test-arm-token')).toBe(true);
    // The build moved with its non-sticky settings; the sticky one stayed with its slot.
    expect(fake.settings('api-prod', 'production')).toEqual({ APP_BUILD_ID: 'b41', APP_RELEASE_TAG: 'r41', SLOT_NAME: 'production' });
    expect(fake.settings('api-prod', 'staging')).toEqual({ APP_BUILD_ID: 'b42', APP_RELEASE_TAG: 'r42', SLOT_NAME: 'staging' });
  });

  it('returns a 409 Conflict (another swap running) as data, having sent one POST', async () => {
    resetSite();
    const finish = fake.beginExternalSwap('api-prod');
    const result = await adapter().swapIntoProduction(ref, 'staging', { preserveVnet: true, deadlineMs: 10_000 });
    finish();
    expect(result).toMatchObject({ kind: 'conflict', code: 'Conflict', message: expect.stringContaining('another operation is in progress') as unknown });
    expect(fake.requests).toHaveLength(1);
    expect(fake.buildOf('api-prod', 'production')).toBe('b42');
  });

  it('returns a failed warm-up as data; the slots are unchanged', async () => {
    resetSite();
    fake.failNextSwap('api-prod');
    const result = await adapter().swapIntoProduction(ref, 'staging', { preserveVnet: true, deadlineMs: 10_000 });
    expect(result).toMatchObject({ kind: 'failed', code: 'BadRequest', message: expect.stringContaining('warmup requests') as unknown });
    expect(fake.buildOf('api-prod', 'production')).toBe('b42');
    expect(fake.buildOf('api-prod', 'staging')).toBe('b41');
  });

  it('keeps following the operation when a poll fails transiently (500, 429)', async () => {
    resetSite();
    fake.failNext('GET', /operationresults/, 500, 1);
    fake.failNext('GET', /operationresults/, 429, 1);
    const result = await adapter().swapIntoProduction(ref, 'staging', { preserveVnet: true, deadlineMs: 10_000 });
    expect(result.kind).toBe('succeeded');
    expect(fake.swapRequests()).toHaveLength(1);
    expect(fake.buildOf('api-prod', 'production')).toBe('b41');
  });

  it('throws TransientError (and sends the POST once, no pipeline retry) when ARM answers 503 to the swap', async () => {
    resetSite();
    fake.failNext('POST', /slotsswap$/, 503, 5);
    const err = await adapter()
      .swapIntoProduction(ref, 'staging', { preserveVnet: true, deadlineMs: 10_000 })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransientError);
    expect(fake.swapRequests()).toHaveLength(1);
    // The SDK's error carries the request (bearer token included); ours must not.
    expect(inspect(err, { depth: 10 })).not.toContain('test-arm-token');
  });

  it('throws TransientError when the swap outlives the deadline, naming the operation', async () => {
    const slow = new ArmFake({ pollsBeforeDone: 10_000 });
    await slow.start();
    try {
      slow.addSite({ subscriptionId: SUB, resourceGroup: 'rg-prod', name: 'api-prod', slots: { production: { APP_BUILD_ID: 'b42' }, staging: { APP_BUILD_ID: 'b41' } } });
      const arm = new ArmAppService({ credential, endpoint: slow.armUrl, caPem: slow.ca, requestTimeoutMs: 3000, pollIntervalMs: 20 });
      const err = await arm.swapIntoProduction(ref, 'staging', { preserveVnet: false, deadlineMs: 400 }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TransientError);
      expect((err as Error).message).toMatch(/had not finished after 0 s; it may still complete/);
      expect(slow.count('GET', /operationresults/)).toBeGreaterThan(1);
    } finally {
      await slow.stop();
    }
  });

  it('answers a refusal (unknown slot) as rejected data', async () => {
    resetSite();
    const result = await adapter().swapIntoProduction(ref, 'blue', { preserveVnet: true, deadlineMs: 10_000 });
    expect(result).toMatchObject({ kind: 'rejected', status: 400, code: 'BadRequest' });
  });
});

describe('ArmAppService with Azure-AsyncOperation status documents', () => {
  let asyncFake: ArmFake;
  beforeAll(async () => {
    asyncFake = await new ArmFake({ asyncOperationHeader: true }).start();
  });
  afterAll(async () => {
    await asyncFake?.stop();
  });

  it('polls the status document, then reads Location once, and reports success and failure', async () => {
    asyncFake.addSite({ subscriptionId: SUB, resourceGroup: 'rg-prod', name: 'api-prod', slots: { production: { APP_BUILD_ID: 'b42' }, staging: { APP_BUILD_ID: 'b41' } } });
    const arm = new ArmAppService({ credential, endpoint: asyncFake.armUrl, caPem: asyncFake.ca, requestTimeoutMs: 3000, pollIntervalMs: 10 });
    expect((await arm.swapIntoProduction(ref, 'staging', { preserveVnet: true, deadlineMs: 10_000 })).kind).toBe('succeeded');
    expect(asyncFake.count('GET', /operationstatus/)).toBe(3);
    expect(asyncFake.buildOf('api-prod', 'production')).toBe('b41');

    asyncFake.failNextSwap('api-prod', { code: 'SwapWarmupFailed', message: 'Warm-up of staging failed: /healthz answered 503.' });
    const failed = await arm.swapIntoProduction(ref, 'staging', { preserveVnet: true, deadlineMs: 10_000 });
    expect(failed).toMatchObject({ kind: 'failed', message: expect.stringContaining('SwapWarmupFailed') as unknown });
    expect(asyncFake.buildOf('api-prod', 'production')).toBe('b41');
  });
});

describe('ArmAppService.listSettings', () => {
  it('reads production and slot settings', async () => {
    resetSite();
    const arm = adapter();
    expect(await arm.listSettings(ref, 'production')).toMatchObject({ APP_BUILD_ID: 'b42' });
    expect(await arm.listSettings(ref, 'staging')).toMatchObject({ APP_BUILD_ID: 'b41' });
    expect(fake.requests.map((r) => `${r.method} ${r.path.replace(/^.*\/sites\//, '')}`)).toEqual([
      'POST api-prod/config/appsettings/list',
      'POST api-prod/slots/staging/config/appsettings/list',
    ]);
  });

  it('retries a 503 inside the pipeline (reads are safe to retry)', async () => {
    resetSite();
    fake.failNext('POST', /appsettings\/list$/, 503, 1);
    expect(await adapter().listSettings(ref, 'staging')).toMatchObject({ APP_BUILD_ID: 'b41' });
    expect(fake.count('POST', /appsettings\/list$/)).toBe(2);
  });

  it('throws ArmRequestError for an unknown site and TransientError when ARM keeps failing', async () => {
    resetSite();
    const arm = adapter({ readRetries: 1 });
    await expect(arm.listSettings({ ...ref, site: 'nope' }, 'production')).rejects.toBeInstanceOf(ArmRequestError);
    fake.failNext('POST', /appsettings\/list$/, 500, 2);
    await expect(arm.listSettings(ref, 'production')).rejects.toBeInstanceOf(TransientError);
  });
});

describe('DefaultAzureCredential through an App Service managed-identity endpoint', () => {
  it('gets the ARM token from IDENTITY_ENDPOINT (user-assigned client id) and sends it', async () => {
    resetSite();
    process.env.IDENTITY_ENDPOINT = fake.identityEndpoint;
    process.env.IDENTITY_HEADER = fake.identityHeader;
    try {
      const arm = new ArmAppService({ credential: defaultArmCredential('11111111-2222-3333-4444-555555555555'), endpoint: fake.armUrl, caPem: fake.ca, requestTimeoutMs: 3000, pollIntervalMs: 10 });
      await arm.listSettings(ref, 'production');
      expect(fake.tokenRequests.at(-1)).toMatchObject({ clientId: '11111111-2222-3333-4444-555555555555', header: fake.identityHeader });
      expect(fake.requests.at(-1)?.token).toMatch(/^fake-mi-token-/);
    } finally {
      delete process.env.IDENTITY_ENDPOINT;
      delete process.env.IDENTITY_HEADER;
    }
  });
});
