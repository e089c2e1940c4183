/**
 * The SQL activity handlers with real parts: the mssql adapter talking TDS to the fake on
 * 127.0.0.1, and the step ledger in Azurite. Each action is idempotent per incident step, has a
 * plan-only mode that changes nothing, and turns expected failures into `refused` outcomes.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTableClient, storageTarget } from '../../src/adapters/storage.js';
import { TableStepLedger } from '../../src/adapters/table-ledger.js';
import { createSqlActivities, requestIdFor, TransientSqlError } from '../../src/activities/sql.js';
import { closeSqlStores, getSqlSettings, getSqlStore } from '../../src/app/sql.js';
import { parseAppSettings } from '../../src/app/settings.js';
import type { AzuriteInstance } from '../../src/devhost/index.js';
import { startTestAzurite, uniqueHubName } from '../harness/devhost.js';
import { TdsFake } from '../../src/lab/tds-server.js';

let azurite: AzuriteInstance;
let fake: TdsFake;
let ledger: TableStepLedger;
const env: NodeJS.ProcessEnv = {};
let sql: ReturnType<typeof createSqlActivities>;
let n = 0;

beforeAll(async () => {
  [azurite, fake] = await Promise.all([startTestAzurite(), TdsFake.start()]);
  ledger = new TableStepLedger(createTableClient(storageTarget({ AzureWebJobsStorage: azurite.connectionString }), uniqueHubName('SqlSteps')));
  env.SQL_CONNECTION_PROD = fake.connectionString({ 'Command Timeout': '1' });
  env.SQL_CONNECTION_BADLOGIN = fake.connectionString({ Password: 'not-the-password' });
  env.SQL_ACTOR = 'rollback-bot';
  sql = createSqlActivities({
    ledger: () => ledger,
    store: (setting) => getSqlStore(setting, parseAppSettings(env), () => undefined),
    settings: () => getSqlSettings(parseAppSettings(env)),
    now: () => new Date(),
  });
});
afterAll(async () => {
  await closeSqlStores();
  await Promise.all([fake?.stop(), azurite?.stop()]);
});

beforeEach(() => {
  fake.reset();
  fake.db.seedFlag({ flagKey: 'EnableLegacyHttpSse', scope: 'Prod', isEnabled: true });
  fake.db.seedFlag({ flagKey: 'EnableLegacyHttpSse', scope: 'Beta', isEnabled: true });
  fake.db.seedConfig({ configKey: 'Network:SseKeepAliveSeconds', scope: 'Prod', value: '30', valueType: 'seconds', tags: 'network,sse' });
});

function incident(): string {
  return `inc-${Date.now().toString(36)}-${++n}`;
}

const disableFlag = (incidentId: string, extra: Record<string, unknown> = {}) => ({
  incidentId,
  step: 'contain/flag/EnableLegacyHttpSse@Prod',
  connectionSetting: 'SQL_CONNECTION_PROD',
  flagKey: 'EnableLegacyHttpSse',
  scope: 'Prod',
  isEnabled: false,
  description: 'Emergency disable after regression',
  ...extra,
});

const revertConfig = (incidentId: string, extra: Record<string, unknown> = {}) => ({
  incidentId,
  step: 'contain/config/Network:SseKeepAliveSeconds@Prod',
  connectionSetting: 'SQL_CONNECTION_PROD',
  configKey: 'Network:SseKeepAliveSeconds',
  scope: 'Prod',
  value: '10',
  expectedCurrent: '30',
  description: 'Rollback to prior stable',
  ...extra,
});

const setCalls = (): number => fake.callsOf('dbo.sp_Feature_Set').length + fake.callsOf('dbo.sp_Config_SetValue').length;

describe('sqlSetFlag / sqlSetConfigValue', () => {
  it('disables a flag and reports the audit trail before -> after, Actor = the bot, RequestId = incident + step', async () => {
    const id = incident();
    const outcome = await sql.setFlag(disableFlag(id));
    expect(outcome).toEqual({
      kind: 'done',
      summary: expect.stringContaining('Disabled flag EnableLegacyHttpSse in Prod (was enabled) on SQL_CONNECTION_PROD') as string,
      changes: [{ target: 'flag:EnableLegacyHttpSse@Prod', field: 'IsEnabled', before: true, after: false }],
      executionId: `${id}/contain/flag/EnableLegacyHttpSse@Prod`,
    });
    expect(fake.db.flag('EnableLegacyHttpSse', 'Prod')?.isEnabled).toBe(false);
    expect(fake.db.flag('EnableLegacyHttpSse', 'Beta')?.isEnabled).toBe(true);
    expect(fake.db.audit).toEqual([
      expect.objectContaining({ actor: 'rollback-bot', requestId: `${id}/contain/flag/EnableLegacyHttpSse@Prod`, field: 'IsEnabled', beforeValue: '1', afterValue: '0' }),
    ]);
    // The target role was not asked for, so the flag keeps its own.
    expect(fake.callsOf('dbo.sp_Feature_Set')[0]?.params.TargetRole).toBeNull();
    expect(await ledger.get({ incidentId: id, step: 'contain/flag/EnableLegacyHttpSse@Prod' })).toMatchObject({ state: 'done', outcome: { kind: 'done' } });
  });

  it('writes the name the orchestration gives (the policy bot) as @Actor, over the SQL_ACTOR default', async () => {
    const id = incident();
    await sql.setFlag(disableFlag(id, { actor: 'incident-bot' }));
    await sql.setConfigValue(revertConfig(id, { actor: 'incident-bot' }));
    expect(fake.callsOf('dbo.sp_Feature_Set')[0]?.params.Actor).toBe('incident-bot');
    expect(fake.callsOf('dbo.sp_Config_SetValue')[0]?.params.Actor).toBe('incident-bot');
    expect(fake.db.audit.map((a) => a.actor)).toEqual(['incident-bot', 'incident-bot']);
  });

  it('reverts a config value to the previous one (keeping its type and tags)', async () => {
    const outcome = await sql.setConfigValue(revertConfig(incident()));
    expect(outcome).toMatchObject({
      kind: 'done',
      changes: [{ target: 'config:Network:SseKeepAliveSeconds@Prod', field: 'Value', before: '30', after: '10' }],
    });
    expect(fake.callsOf('dbo.sp_Config_SetValue')[0]?.params).toMatchObject({ Value: '10', ValueType: 'seconds', Tags: 'network,sse', Actor: 'rollback-bot' });
    expect(fake.db.configValue('Network:SseKeepAliveSeconds', 'Prod')?.value).toBe('10');
  });

  it('runs each action twice: the second run returns the recorded outcome and changes nothing more', async () => {
    const id = incident();
    const flagFirst = await sql.setFlag(disableFlag(id));
    const configFirst = await sql.setConfigValue(revertConfig(id));
    const calls = fake.calls.length;
    const audit = fake.db.audit.length;
    expect(setCalls()).toBe(2);
    expect(audit).toBe(2);

    // Meanwhile a person re-enables the flag: running the step again must not flip it back.
    fake.db.seedFlag({ flagKey: 'EnableLegacyHttpSse', scope: 'Prod', isEnabled: true });
    expect(await sql.setFlag(disableFlag(id))).toEqual(flagFirst);
    expect(await sql.setConfigValue(revertConfig(id))).toEqual(configFirst);
    expect(fake.calls.length).toBe(calls); // not even a read
    expect(fake.db.audit.length).toBe(audit);
    expect(fake.db.flag('EnableLegacyHttpSse', 'Prod')?.isEnabled).toBe(true);
  });

  it('plan-only mode reports exactly what would change and changes nothing (not even the step ledger)', async () => {
    const id = incident();
    const flagPlan = await sql.setFlag(disableFlag(id, { mode: 'plan' }));
    const configPlan = await sql.setConfigValue(revertConfig(id, { mode: 'plan' }));
    expect(flagPlan).toEqual({
      kind: 'planned',
      summary: 'Plan: disable flag EnableLegacyHttpSse in Prod on SQL_CONNECTION_PROD (now enabled); nothing was changed.',
      changes: [{ target: 'flag:EnableLegacyHttpSse@Prod', field: 'IsEnabled', before: true, after: false }],
    });
    expect(configPlan).toEqual({
      kind: 'planned',
      summary: 'Plan: set config Network:SseKeepAliveSeconds in Prod on SQL_CONNECTION_PROD from "30" to "10"; nothing was changed.',
      changes: [{ target: 'config:Network:SseKeepAliveSeconds@Prod', field: 'Value', before: '30', after: '10' }],
    });
    expect(setCalls()).toBe(0);
    expect(fake.db.audit).toEqual([]);
    expect(fake.db.flag('EnableLegacyHttpSse', 'Prod')?.isEnabled).toBe(true);
    expect(await ledger.get({ incidentId: id, step: 'contain/flag/EnableLegacyHttpSse@Prod' })).toBeUndefined();
    // The plan did not use up the step: executing it afterwards acts.
    expect((await sql.setFlag(disableFlag(id))).kind).toBe('done');
  });

  it('skips a flag that is already in the wanted state, in both modes', async () => {
    fake.db.seedFlag({ flagKey: 'EnableLegacyHttpSse', scope: 'Prod', isEnabled: false });
    for (const mode of ['plan', 'execute']) {
      expect(await sql.setFlag(disableFlag(incident(), { mode }))).toEqual({
        kind: 'skipped',
        summary: 'Flag EnableLegacyHttpSse in Prod is already disabled; nothing to do.',
        reason: 'Already in the wanted state.',
      });
    }
    expect(setCalls()).toBe(0);
  });

  it('refuses an unknown flag without calling the procedure', async () => {
    const outcome = await sql.setFlag(disableFlag(incident(), { flagKey: 'NoSuchFlag' }));
    expect(outcome).toMatchObject({ kind: 'refused', reason: expect.stringContaining('Flag NoSuchFlag does not exist in scope Prod') as string });
    expect(setCalls()).toBe(0);
  });

  it('refuses a revert when the value changed since it was inspected', async () => {
    fake.db.seedConfig({ configKey: 'Network:SseKeepAliveSeconds', scope: 'Prod', value: '45', valueType: 'seconds', updatedBy: 'alice' });
    const outcome = await sql.setConfigValue(revertConfig(incident()));
    expect(outcome).toMatchObject({ kind: 'refused', reason: expect.stringContaining('expected "30", found "45" (last set by alice') as string });
    expect(setCalls()).toBe(0);
  });

  it('refuses on permission denied without retrying, and the step can run once the grant is fixed', async () => {
    const id = incident();
    fake.deny('dbo.sp_Feature_Set');
    const outcome = await sql.setFlag(disableFlag(id));
    expect(outcome).toMatchObject({
      kind: 'refused',
      summary: 'Not changed: flag EnableLegacyHttpSse in Prod on SQL_CONNECTION_PROD: permission denied.',
      reason: expect.stringMatching(/SQL error 229: The EXECUTE permission was denied.*incident_autopilot_executor/s) as string,
    });
    expect(fake.callsOf('dbo.sp_Feature_Set')).toHaveLength(1);
    fake.allow('dbo.sp_Feature_Set');
    expect((await sql.setFlag(disableFlag(id))).kind).toBe('done');
  });

  it('refuses clearly when the login fails or the setting is missing', async () => {
    const login = await sql.setFlag(disableFlag(incident(), { connectionSetting: 'SQL_CONNECTION_BADLOGIN' }));
    expect(login).toMatchObject({
      kind: 'refused',
      summary: 'Not changed: flag EnableLegacyHttpSse in Prod on SQL_CONNECTION_BADLOGIN: cannot log in.',
      reason: expect.stringContaining("Login failed for user 'autopilot'") as string,
    });
    expect(JSON.stringify(login)).not.toContain('not-the-password');
    const missing = await sql.setFlag(disableFlag(incident(), { connectionSetting: 'SQL_CONNECTION_NOWHERE' }));
    expect(missing).toMatchObject({ kind: 'refused', reason: expect.stringContaining('SQL_CONNECTION_NOWHERE: is not set') as string });
  });

  it('retries transient errors and deadlocks within the call', async () => {
    fake.inject('dbo.sp_Feature_Set', { kind: 'error', number: 40613 }, 2);
    fake.inject('dbo.sp_Config_SetValue', { kind: 'error', number: 1205 });
    expect((await sql.setFlag(disableFlag(incident()))).kind).toBe('done');
    expect((await sql.setConfigValue(revertConfig(incident()))).kind).toBe('done');
    expect(fake.callsOf('dbo.sp_Feature_Set').map((c) => c.result)).toEqual(['error', 'error', 'ok']);
    expect(fake.callsOf('dbo.sp_Config_SetValue').map((c) => c.result)).toEqual(['error', 'ok']);
    expect(fake.db.audit).toHaveLength(2);
  });

  it('after a hung write that landed: cut at the timeout, found in the audit trail, not sent again', async () => {
    const id = incident();
    fake.inject('dbo.sp_Feature_Set', { kind: 'hang', applied: true });
    const outcome = await sql.setFlag(disableFlag(id));
    expect(outcome).toMatchObject({ kind: 'done', changes: [{ field: 'IsEnabled', before: true, after: false }], executionId: requestIdFor(id, 'contain/flag/EnableLegacyHttpSse@Prod') });
    expect(fake.callsOf('dbo.sp_Feature_Set').map((c) => c.result)).toEqual(['hang']);
  });

  it('after a hung write that did not land: throws for a Durable retry, which reconciles before acting once more', async () => {
    const id = incident();
    fake.inject('dbo.sp_Feature_Set', { kind: 'hang', applied: false });
    const first = await sql.setFlag(disableFlag(id)).catch((e: unknown) => e);
    expect(first).toBeInstanceOf(TransientSqlError);
    expect((first as Error).message).toContain('may or may not have happened');
    expect(await ledger.get({ incidentId: id, step: 'contain/flag/EnableLegacyHttpSse@Prod' })).toMatchObject({ state: 'started' });
    const callsAfterFirst = fake.calls.length;

    // Durable's retry (after its delay) runs the handler again.
    const second = await sql.setFlag(disableFlag(id));
    expect(second).toMatchObject({ kind: 'done', changes: [{ before: true, after: false }] });
    const retryCalls = fake.calls.slice(callsAfterFirst).map((c) => c.proc);
    expect(retryCalls.indexOf('dbo.sp_audit_byrequestid')).toBeLessThan(retryCalls.indexOf('dbo.sp_feature_set'));
    expect(fake.callsOf('dbo.sp_Feature_Set').map((c) => c.result)).toEqual(['hang', 'ok']);
    expect(fake.db.audit).toHaveLength(1);
  });

  it('after a dropped connection: done when the write landed; otherwise retried only after reading back', async () => {
    fake.inject('dbo.sp_Config_SetValue', { kind: 'drop', applied: true });
    expect((await sql.setConfigValue(revertConfig(incident()))).kind).toBe('done');
    expect(fake.callsOf('dbo.sp_Config_SetValue')).toHaveLength(1);

    fake.db.seedConfig({ configKey: 'Network:SseKeepAliveSeconds', scope: 'Prod', value: '30', valueType: 'seconds', tags: 'network,sse' });
    const id = incident();
    fake.inject('dbo.sp_Config_SetValue', { kind: 'drop', applied: false });
    await expect(sql.setConfigValue(revertConfig(id))).rejects.toBeInstanceOf(TransientSqlError);
    expect((await sql.setConfigValue(revertConfig(id))).kind).toBe('done');
    expect(fake.callsOf('dbo.sp_Config_SetValue').map((c) => c.result)).toEqual(['drop', 'drop', 'ok']);
    expect(fake.db.audit.filter((a) => a.requestId.startsWith(id))).toHaveLength(1);
  });

  it('reconciles an attempt that crashed after the write: finds it done without calling again', async () => {
    const id = incident();
    const step = 'contain/flag/EnableLegacyHttpSse@Prod';
    // A worker died between the procedure call and recording the outcome.
    await ledger.start({ incidentId: id, step }, new Date().toISOString());
    fake.db.seedFlag({ flagKey: 'EnableLegacyHttpSse', scope: 'Prod', isEnabled: false });
    fake.db.seedAudit({
      createdAt: new Date(),
      actor: 'rollback-bot',
      requestId: requestIdFor(id, step),
      entityType: 'FeatureFlag',
      entityKey: 'EnableLegacyHttpSse',
      scope: 'Prod',
      field: 'IsEnabled',
      action: 'Update',
      beforeValue: '1',
      afterValue: '0',
      description: 'Emergency disable after regression',
    });
    expect(await sql.setFlag(disableFlag(id))).toMatchObject({ kind: 'done', changes: [{ before: true, after: false }] });
    expect(setCalls()).toBe(0);
  });
});

describe('sqlReadRecentChanges / sqlReadCurrentValues', () => {
  it('lists the audited changes of the last N hours, newest first, bounded', async () => {
    const asOf = new Date();
    const row = (hoursAgo: number, key: string, scope = 'Prod') =>
      fake.db.seedAudit({
        createdAt: new Date(asOf.getTime() - hoursAgo * 3_600_000),
        actor: 'deploy-pipeline',
        requestId: `deploy-${key}`,
        entityType: 'ConfigValue',
        entityKey: key,
        scope,
        field: 'Value',
        action: 'Update',
        beforeValue: '10',
        afterValue: '30',
        description: 'release 1.4.2',
      });
    row(13, 'Old');
    row(3, 'Network:SseKeepAliveSeconds');
    row(1, 'Cors:AllowedOrigins');
    row(2, 'Other', 'Beta');
    const input = { connectionSetting: 'SQL_CONNECTION_PROD', asOf: asOf.toISOString(), hours: 12, scope: 'Prod' };
    const out = await sql.readRecentChanges(input);
    expect(out).toMatchObject({ kind: 'ok', truncated: false, summary: '2 audited change(s) to 2 flag/config key(s) on SQL_CONNECTION_PROD in Prod in the last 12 h.' });
    expect(out.kind === 'ok' && out.events.map((e) => [e.entityKey, e.before, e.after])).toEqual([
      ['Cors:AllowedOrigins', '10', '30'],
      ['Network:SseKeepAliveSeconds', '10', '30'],
    ]);
    const bounded = await sql.readRecentChanges({ ...input, scope: undefined, maxRows: 2 });
    expect(bounded).toMatchObject({ kind: 'ok', truncated: true });
    expect(bounded.kind === 'ok' && bounded.events).toHaveLength(2);
    // Reading twice writes nothing.
    expect(await sql.readRecentChanges(input)).toEqual(out);
    expect(fake.db.audit).toHaveLength(4);
  });

  it('reads current values, naming keys that do not exist', async () => {
    const out = await sql.readCurrentValues({
      connectionSetting: 'SQL_CONNECTION_PROD',
      scope: 'Prod',
      flagKeys: ['EnableLegacyHttpSse', 'NoSuchFlag'],
      configKeys: ['Network:SseKeepAliveSeconds'],
    });
    expect(out).toMatchObject({
      kind: 'ok',
      flags: [{ flagKey: 'EnableLegacyHttpSse', isEnabled: true }],
      config: [{ configKey: 'Network:SseKeepAliveSeconds', value: '30' }],
      missing: { flags: ['NoSuchFlag'], config: [] },
    });
    const all = await sql.readCurrentValues({ connectionSetting: 'SQL_CONNECTION_PROD', scope: 'Beta' });
    expect(all).toMatchObject({ kind: 'ok', flags: [{ scope: 'Beta' }], config: [] });
  });

  it('reports a read it cannot do as refused, with the reason', async () => {
    fake.deny('dbo.sp_Audit_Recent');
    const out = await sql.readRecentChanges({ connectionSetting: 'SQL_CONNECTION_PROD', asOf: new Date().toISOString() });
    expect(out).toMatchObject({ kind: 'refused', reason: expect.stringContaining('SQL error 229') as string });
  });
});
