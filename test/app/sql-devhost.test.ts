/**
 * The SQL activities as the product app registers them (functions/sql-activities.ts, built into
 * dist/), running on the dev host: invoked through the Functions programming model exactly as the
 * dev host's Durable engine invokes an activity, with the real mssql driver against the TDS fake
 * and the app's own step ledger in Azurite (and, for the Entra case, a managed-identity token from
 * the ARM fake's identity endpoint). Needs `npm run build` first.
 */
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Invoker, Logger } from '../../src/devhost/index.js';
import { ArmFake } from '../../src/lab/arm-server.js';
import { TdsFake } from '../../src/lab/tds-server.js';
import { setAppEnv } from '../harness/env.js';
import { useProductHost } from '../harness/product-host.js';

let arm: ArmFake;
let fake: TdsFake;
let invoker: Invoker;

const loadedModules = (): string[] => Object.keys(createRequire(__filename).cache);
const mssqlLoaded = (): boolean => loadedModules().some((m) => /[\\/]node_modules[\\/](mssql|tedious)[\\/]/.test(m));

beforeAll(async () => {
  arm = await new ArmFake().start();
  fake = await TdsFake.start({ entra: { tokens: (token) => arm.issuedToken(token) } });
  delete process.env.SQL_CONNECTION_DEVHOST;
});
afterAll(async () => {
  await Promise.all([fake?.stop(), arm?.stop()]);
});
const product = useProductHost({ env: { SQL_ACTOR: 'incident-bot' } });
beforeAll(() => {
  invoker = new Invoker(product.h.host.app.registry, new Logger('warning', () => undefined));
  fake.db.seedFlag({ flagKey: 'EnableLegacyHttpSse', scope: 'Prod', isEnabled: true });
});

/** What the dev host's engine does for a scheduled activity: the input as JSON on the activity trigger. */
async function runActivity(name: string, input: unknown): Promise<unknown> {
  const reg = product.h.host.app.registry.functions.get(name.toLowerCase());
  if (!reg) throw new Error(`no function ${name}`);
  const { result } = await invoker.invoke(reg, { trigger: { string: JSON.stringify(input) } });
  return result;
}

const disable = {
  incidentId: 'inc-devhost-1',
  step: 'contain/flag/EnableLegacyHttpSse@Prod',
  connectionSetting: 'SQL_CONNECTION_DEVHOST',
  flagKey: 'EnableLegacyHttpSse',
  scope: 'Prod',
  isEnabled: false,
  description: 'Incident containment',
};

describe('SQL activities in the product app', () => {
  it('are registered as activity functions, and the app starts without SQL settings or the SQL driver', async () => {
    for (const name of ['sqlSetFlag', 'sqlSetConfigValue', 'sqlReadRecentChanges', 'sqlReadCurrentValues']) {
      const reg = product.h.host.app.registry.functions.get(name.toLowerCase());
      expect(Object.values(reg?.metadata.bindings ?? {}).map((b) => b.type)).toContain('activityTrigger');
    }
    expect(mssqlLoaded()).toBe(false);
    expect((await product.h.json('/api/health')).status).toBe(200);
  });

  it('refuses while the connection setting is missing, then works once it is set (read on first use)', async () => {
    const before = await runActivity('sqlSetFlag', { ...disable, step: 'contain/flag/before-config' });
    expect(before).toMatchObject({ kind: 'refused', reason: expect.stringContaining('SQL_CONNECTION_DEVHOST: is not set') as string });

    setAppEnv({ SQL_CONNECTION_DEVHOST: fake.connectionString() });
    const done = await runActivity('sqlSetFlag', disable);
    expect(done).toMatchObject({ kind: 'done', changes: [{ target: 'flag:EnableLegacyHttpSse@Prod', field: 'IsEnabled', before: true, after: false }] });
    expect(mssqlLoaded()).toBe(true);
    expect(fake.db.audit).toEqual([expect.objectContaining({ actor: 'incident-bot', requestId: 'inc-devhost-1/contain/flag/EnableLegacyHttpSse@Prod' })]);

    // Durable runs an activity at least once: the repeat answers from the app's ledger in Azurite.
    expect(await runActivity('sqlSetFlag', disable)).toEqual(done);
    expect(fake.callsOf('dbo.sp_Feature_Set')).toHaveLength(1);
  });

  it('reads recent changes through the registered activity', async () => {
    const out = await runActivity('sqlReadRecentChanges', { connectionSetting: 'SQL_CONNECTION_DEVHOST', asOf: new Date().toISOString(), scope: 'Prod' });
    expect(out).toMatchObject({ kind: 'ok', events: [{ entityKey: 'EnableLegacyHttpSse', before: '1', after: '0', actor: 'incident-bot' }] });
  });

  it('logs in with the managed identity when the connection setting says Authentication=Active Directory Managed Identity', async () => {
    const clientId = '0a0a0a0a-1111-4222-8333-00000000000a';
    // What App Service sets for an app with a managed identity.
    const saved = setAppEnv({
      IDENTITY_ENDPOINT: arm.identityEndpoint,
      IDENTITY_HEADER: arm.identityHeader,
      SQL_CONNECTION_ENTRA: `Server=tcp:127.0.0.1,${fake.port};Database=autopilot;Authentication=Active Directory Managed Identity;User Id=${clientId};Encrypt=false`,
    });
    try {
      fake.db.seedFlag({ flagKey: 'EnableNewCheckout', scope: 'Prod', isEnabled: true });
      const out = await runActivity('sqlSetFlag', { ...disable, incidentId: 'inc-devhost-entra', step: 'contain/flag/EnableNewCheckout@Prod', connectionSetting: 'SQL_CONNECTION_ENTRA', flagKey: 'EnableNewCheckout' });
      expect(out).toMatchObject({ kind: 'done', changes: [{ target: 'flag:EnableNewCheckout@Prod', field: 'IsEnabled', before: true, after: false }] });
      expect(arm.tokenRequests.at(-1)).toEqual({ resource: 'https://database.windows.net', clientId, header: arm.identityHeader });
      expect(fake.loginAttempts.at(-1)).toEqual({ userName: '', fedAuth: true, database: 'autopilot', entra: arm.identity(clientId) });
      expect(fake.db.auditFor('inc-devhost-entra/contain/flag/EnableNewCheckout@Prod')).toEqual([expect.objectContaining({ actor: 'incident-bot', afterValue: '0' })]);
    } finally {
      setAppEnv(saved);
    }
  });

  it('rejects an input that does not match the contract (e.g. a setting outside SQL_CONNECTION_*)', async () => {
    await expect(runActivity('sqlSetFlag', { ...disable, connectionSetting: 'AzureWebJobsStorage' })).rejects.toThrow(/SQL_CONNECTION_/);
  });
});
