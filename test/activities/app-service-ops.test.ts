/**
 * The site actions' handlers (src/activities/app-service-ops.ts) through the real ARM adapter
 * against the ARM fake: what ARM refuses (a PermanentError from the adapter) is answered as a
 * refused outcome with its reason, not thrown (a throw would be retried as if it were transient).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createSiteOpsActivities } from '../../src/activities/app-service-ops.js';
import { restartApp, scaleOutPlan } from '../../src/activities/app-service.contracts.js';
import { SiteOpsAdapter } from '../../src/adapters/app-service.js';
import { ArmAppService, ArmSiteOps } from '../../src/adapters/arm.js';
import { AppServiceTarget } from '../../src/config/app-service.js';
import { ArmFake } from '../../src/lab/arm-server.js';
import { TestTokenCredential } from '../fakes/credentials.js';
import { MemoryStepLedger } from '../fakes/memory-ledger.js';

const SUB = '00000000-0000-4000-8000-0000000000ab';
let fake: ArmFake;

beforeAll(async () => {
  fake = await new ArmFake().start();
});
afterAll(async () => {
  await fake?.stop();
});
beforeEach(() => {
  fake.clearFaults();
  fake.addSite({ subscriptionId: SUB, resourceGroup: 'rg-prod', name: 'api-prod', slots: { production: {}, staging: {} } });
});

function activities() {
  const arm = new ArmAppService({ credential: new TestTokenCredential(), endpoint: fake.armUrl, caPem: fake.ca, requestTimeoutMs: 3000, pollIntervalMs: 10, readRetries: 1 });
  const targets = [AppServiceTarget.parse({ env: 'Prod', service: 'api', strategy: 'slot-swap', subscriptionId: SUB, resourceGroup: 'rg-prod', site: 'api-prod', build: { from: 'setting', name: 'APP_BUILD_ID' } })];
  return createSiteOpsActivities({ siteOps: new SiteOpsAdapter({ ops: new ArmSiteOps(arm), httpTimeoutMs: 3000, scaleDeadlineMs: 10_000 }), ledger: new MemoryStepLedger(), targets, verifyDelayMs: 10 });
}

describe('site actions refused by ARM', () => {
  it('a restart ARM answers 403 is refused as not authorized, with ARM’s words, and nothing restarts', async () => {
    fake.failNext('POST', /\/restart/, 403);
    const out = await activities().restartApp(restartApp.input.parse({ incidentId: 'inc-ops-1', env: 'Prod', step: 'contain/restart/1' }));
    expect(out).toMatchObject({ kind: 'refused', reason: 'not-authorized' });
    expect(out.summary).toContain('403');
    expect(fake.restarts('api-prod')).toBe(0);
  });

  it('a scale-out whose site ARM does not know is refused as not found', async () => {
    fake.failNext('GET', /\/sites\/api-prod$/, 404);
    const out = await activities().scaleOutPlan(scaleOutPlan.input.parse({ incidentId: 'inc-ops-2', env: 'Prod', step: 'contain/scale-out/1', instances: 3 }));
    expect(out).toMatchObject({ kind: 'refused', reason: 'not-found' });
  });
});
