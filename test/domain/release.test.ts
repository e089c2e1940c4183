/**
 * The pure decisions behind "production to LKG" and the App Service settings. Properties over
 * arbitrary build ids: a swap is proposed only when it provably lands the LKG build in
 * production, and never when production already runs it.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readAppServiceSettings, readRegistrySettings } from '../../src/config/app-service.js';
import { planFreeze, planRepublish, planSwap, planUnfreeze, sameBuild, type LkgRecord, type SlotBuild } from '../../src/domain/release.js';

const subject = { env: 'Prod', service: 'api', site: 'api-prod', stagingSlot: 'staging' };
const lkgOf = (buildId: string): LkgRecord => ({
  id: 'x',
  env: 'Prod',
  service: 'api',
  releaseTag: 'r-lkg',
  buildId,
  slot: 'production',
  evidenceUrl: 'https://e/',
  recordedAt: '2026-01-01T00:00:00Z',
  recordedBy: { id: 'p' },
  source: 'pipeline',
});
const slot = (name: string, buildId: string | null): SlotBuild => ({ slot: name, buildId, releaseTag: null, error: buildId ? null : 'unreadable' });
const buildId = fc.oneof(fc.constantFrom('b1', 'B1', ' b1 ', 'b2', 'abc123'), fc.string({ minLength: 1, maxLength: 8 }));
const maybeBuild = fc.option(buildId, { nil: null });

describe('planSwap', () => {
  it('acts only when staging holds the LKG build and production does not; the swap lands LKG in production', () => {
    fc.assert(
      fc.property(buildId, maybeBuild, maybeBuild, (lkgBuild, prod, staging) => {
        const plan = planSwap(subject, lkgOf(lkgBuild), slot('production', prod), slot('staging', staging));
        if (sameBuild(prod, lkgBuild)) return plan.kind === 'skip';
        if (plan.kind === 'act') {
          return sameBuild(staging, lkgBuild) && plan.changes[0]?.after === staging && plan.changes[1]?.after === prod;
        }
        return plan.kind === 'refuse' && !sameBuild(staging, lkgBuild);
      }),
    );
  });

  it('refuses without an LKG whatever the slots hold', () => {
    fc.assert(fc.property(maybeBuild, maybeBuild, (p, s) => planSwap(subject, null, slot('production', p), slot('staging', s)).kind === 'refuse'));
  });

  it('says which build is where when LKG is in neither slot, and why when staging cannot be read', () => {
    expect(planSwap(subject, lkgOf('b40'), slot('production', 'b42'), slot('staging', 'b41'))).toMatchObject({
      kind: 'refuse',
      reason: 'lkg-not-in-staging',
      summary: expect.stringContaining('production runs build b42, staging runs build b41') as unknown,
    });
    expect(planSwap(subject, lkgOf('b40'), slot('production', 'b42'), slot('staging', null))).toMatchObject({ kind: 'refuse', reason: 'build-unknown' });
  });
});

describe('planRepublish, planFreeze, planUnfreeze', () => {
  it('republishes unless production is known to serve LKG', () => {
    expect(planRepublish(subject, lkgOf('w1'), slot('production', 'w1')).kind).toBe('skip');
    expect(planRepublish(subject, lkgOf('w1'), null).kind).toBe('act');
    expect(planRepublish(subject, null, null).kind).toBe('refuse');
  });

  it('freezes when not frozen; lifts only the freeze of the same incident', () => {
    const open = { env: 'Prod', frozen: false, since: null, by: null, reason: null, incidentId: null };
    const mine = { ...open, frozen: true, since: 't', by: { id: 'bot' }, reason: 'r', incidentId: 'inc-1' };
    expect(planFreeze('Prod', open, 'inc-1', 'r').kind).toBe('act');
    expect(planFreeze('Prod', mine, 'inc-2', 'r').kind).toBe('skip');
    expect(planUnfreeze('Prod', mine, 'inc-1').kind).toBe('act');
    expect(planUnfreeze('Prod', mine, 'inc-2')).toMatchObject({ kind: 'refuse', reason: 'frozen-by-other' });
    expect(planUnfreeze('Prod', open, 'inc-1').kind).toBe('skip');
  });
});

describe('App Service settings', () => {
  const storage = { AzureWebJobsStorage: 'UseDevelopmentStorage=true' };

  it('accepts a valid configuration with defaults', () => {
    const r = readAppServiceSettings({
      ...storage,
      APPSERVICE_TARGETS: JSON.stringify([
        { env: 'Prod', service: 'api', strategy: 'slot-swap', subscriptionId: '00000000-0000-4000-8000-000000000001', resourceGroup: 'rg', site: 'api-prod' },
        { env: 'Prod', service: 'web', strategy: 'republish', hookUrl: 'https://ci.example/hooks/web', hookTokenSetting: 'WEB_HOOK_TOKEN' },
      ]),
      WEB_HOOK_TOKEN: 'secret',
    });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.settings).toMatchObject({
      armEndpoint: 'https://management.azure.com',
      swapDeadlineMs: 480_000,
      pollIntervalMs: 5000,
      lkgTable: 'LastKnownGood',
      freezeTable: 'DeployFreeze',
      targets: [{ stagingSlot: 'staging', preserveVnet: true, build: { from: 'setting', name: 'APP_BUILD_ID' } }, { strategy: 'republish' }],
    });
  });

  it('lists every problem at once, by name, without echoing values', () => {
    const r = readAppServiceSettings({
      ...storage,
      APPSERVICE_TARGETS: JSON.stringify([
        { env: 'Prod', service: 'api', strategy: 'slot-swap', subscriptionId: 'nope', resourceGroup: 'rg', site: 'api-prod', stagingSlot: 'production' },
        { env: 'Prod', service: 'api', strategy: 'republish', hookUrl: 'https://ci.example/h', hookTokenSetting: 'MISSING_TOKEN' },
      ]),
      APPSERVICE_ARM_ENDPOINT: 'http://management.azure.com',
      APPSERVICE_SWAP_DEADLINE_SECONDS: '99999',
    });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.issues.map((i) => i.path).sort()).toEqual(['APPSERVICE_ARM_ENDPOINT', 'APPSERVICE_SWAP_DEADLINE_SECONDS', 'APPSERVICE_TARGETS[0].subscriptionId']);
    const semantic = readAppServiceSettings({
      ...storage,
      APPSERVICE_TARGETS: JSON.stringify([
        { env: 'Prod', service: 'api', strategy: 'slot-swap', subscriptionId: '00000000-0000-4000-8000-000000000001', resourceGroup: 'rg', site: 'api-prod', stagingSlot: 'production' },
        { env: 'prod', service: 'API', strategy: 'republish', hookUrl: 'https://ci.example/h', hookTokenSetting: 'MISSING_TOKEN' },
      ]),
    });
    expect(semantic.ok).toBe(false);
    if (semantic.ok) return;
    expect(semantic.issues.map((i) => i.path)).toEqual(['APPSERVICE_TARGETS[0].stagingSlot', 'APPSERVICE_TARGETS[1]', 'MISSING_TOKEN']);
  });

  it('rejects APPSERVICE_TARGETS that is not JSON, and never echoes it', () => {
    const r = readAppServiceSettings({ ...storage, APPSERVICE_TARGETS: '[{secret-ish' });
    expect(r.ok).toBe(false);
    expect(JSON.stringify(r)).not.toContain('secret-ish');
  });

  it('puts the registry in RELEASE_STORAGE when set, else in AzureWebJobsStorage', () => {
    const own = readRegistrySettings({ ...storage, RELEASE_STORAGE__accountName: 'releases' });
    expect(own.ok && own.settings.storage.tableEndpoint).toBe('https://releases.table.core.windows.net');
    const shared = readRegistrySettings(storage);
    expect(shared.ok && shared.settings.storage.tableEndpoint).toBe('http://127.0.0.1:10002/devstoreaccount1');
  });
});
