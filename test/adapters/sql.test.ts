/**
 * The SQL adapter with the real mssql/tedious driver against the TDS fake on 127.0.0.1: procedure
 * calls with typed parameters, the audit trail's before -> after, and every injected fault handled
 * as designed (retry what is safe to retry, never send a write again before reading back), and
 * Entra logins with a managed identity whose token comes from the ARM fake's App Service
 * managed-identity endpoint (IDENTITY_ENDPOINT, set for those tests only).
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SqlTargetConfigStore } from '../../src/adapters/sql.js';
import { readSqlTarget, type SqlTarget } from '../../src/config/sql.js';
import { TargetConfigError } from '../../src/ports/target-config.js';
import { ArmFake } from '../../src/lab/arm-server.js';
import { TdsFake } from '../../src/lab/tds-server.js';

let fake: TdsFake;
let arm: ArmFake;
const stores: SqlTargetConfigStore[] = [];

beforeAll(async () => {
  arm = await new ArmFake().start();
  // The SQL fake trusts what the managed-identity endpoint issued, as Azure SQL trusts Entra.
  fake = await TdsFake.start({ entra: { tokens: (token) => arm.issuedToken(token) } });
});
afterAll(async () => {
  await Promise.all([fake?.stop(), arm?.stop()]);
});

beforeEach(() => {
  fake.reset();
  fake.db.seedFlag({ flagKey: 'EnableLegacyHttpSse', scope: 'Prod', isEnabled: true, description: 'Legacy SSE endpoint' });
  fake.db.seedConfig({ configKey: 'Network:SseKeepAliveSeconds', scope: 'Prod', value: '30', valueType: 'seconds', tags: 'network,sse' });
});
afterEach(async () => {
  await Promise.all(stores.splice(0).map((s) => s.close()));
});

function target(overrides: Record<string, string> = {}): SqlTarget {
  const read = readSqlTarget({ SQL_CONNECTION_TEST: fake.connectionString(overrides) }, 'SQL_CONNECTION_TEST');
  if (!read.ok) throw new Error(JSON.stringify(read.issues));
  return read.target;
}

function store(overrides: Record<string, string> = {}, maxAttempts = 3): SqlTargetConfigStore {
  const s = new SqlTargetConfigStore(target(overrides), { maxAttempts, backoffMs: 20, warn: () => undefined });
  stores.push(s);
  return s;
}

const disable = (requestId: string) => ({
  flagKey: 'EnableLegacyHttpSse',
  isEnabled: false,
  scope: 'Prod',
  targetRole: null,
  description: 'Emergency disable after regression',
  actor: 'rollback-bot',
  requestId,
});

async function rejection(p: Promise<unknown>): Promise<TargetConfigError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(TargetConfigError);
  return err as TargetConfigError;
}

describe('SqlTargetConfigStore: procedures and the audit trail', () => {
  it('reads flags and config values of a scope through the list procedures', async () => {
    const s = store();
    const flags = await s.listFlags({ scope: 'Prod' });
    expect(flags).toEqual([expect.objectContaining({ flagKey: 'EnableLegacyHttpSse', scope: 'Prod', isEnabled: true, targetRole: null })]);
    expect(flags[0]?.updatedAt).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(await s.listFlags({ scope: 'Prod', flagKey: 'NoSuchFlag' })).toEqual([]);
    const config = await s.listConfig({ scope: 'Prod', configKey: 'Network:SseKeepAliveSeconds' });
    expect(config).toEqual([expect.objectContaining({ value: '30', valueType: 'seconds', tags: 'network,sse' })]);
    expect(fake.callsOf('dbo.sp_Feature_List')[0]?.params).toEqual({ Scope: 'Prod', FlagKey: null });
  });

  it('disables a flag with the RB-02 parameters and returns the audit before -> after', async () => {
    const s = store();
    const audit = await s.setFlag(disable('inc-1/contain/flag'));
    expect(audit).toEqual([
      expect.objectContaining({ entityType: 'FeatureFlag', entityKey: 'EnableLegacyHttpSse', field: 'IsEnabled', action: 'Update', before: '1', after: '0', actor: 'rollback-bot', requestId: 'inc-1/contain/flag' }),
    ]);
    const [call] = fake.callsOf('dbo.sp_Feature_Set');
    expect(call?.params).toEqual({
      FlagKey: 'EnableLegacyHttpSse',
      IsEnabled: false,
      Scope: 'Prod',
      TargetRole: null,
      Description: 'Emergency disable after regression',
      Actor: 'rollback-bot',
      RequestId: 'inc-1/contain/flag',
    });
    expect(fake.db.flag('EnableLegacyHttpSse', 'Prod')?.isEnabled).toBe(false);
  });

  it('reverts a config value and reads the change back from recent audit events', async () => {
    const s = store();
    const audit = await s.setConfigValue({
      configKey: 'Network:SseKeepAliveSeconds',
      value: '10',
      valueType: 'seconds',
      scope: 'Prod',
      description: 'Rollback to prior stable',
      tags: 'network,sse',
      actor: 'rollback-bot',
      requestId: 'inc-1/contain/config',
    });
    expect(audit).toEqual([expect.objectContaining({ field: 'Value', before: '30', after: '10', action: 'Update' })]);
    const recent = await s.recentAudit({ sinceUtc: new Date(Date.now() - 3_600_000), maxRows: 20 });
    expect(recent.map((r) => r.requestId)).toEqual(['inc-1/contain/config']);
    expect(fake.callsOf('dbo.sp_Audit_Recent')[0]?.params).toMatchObject({ Scope: null, MaxRows: 20 });
    expect(await s.recentAudit({ sinceUtc: new Date(Date.now() + 60_000), maxRows: 20 })).toEqual([]);
  });

  it('carries long values and Unicode intact (nvarchar(max) both ways)', async () => {
    const s = store();
    const long = `${'ü€😀'.repeat(1500)}end`;
    await s.setConfigValue({
      configKey: 'Network:SseKeepAliveSeconds',
      value: long,
      valueType: 'text',
      scope: 'Prod',
      description: 'd',
      tags: null,
      actor: 'a',
      requestId: 'r-long',
    });
    expect((await s.listConfig({ scope: 'Prod' }))[0]?.value).toBe(long);
  });

  it('answers SELECT 1 for health checks', async () => {
    const s = store();
    const { latencyMs } = await s.ping();
    expect(latencyMs).toBeGreaterThanOrEqual(0);
    expect(fake.batches).toContain('SELECT 1');
  });
});

describe('SqlTargetConfigStore: faults', () => {
  it('retries a transient error (40613) and succeeds, reading back before sending the write again', async () => {
    const s = store();
    fake.inject('dbo.sp_Feature_Set', { kind: 'error', number: 40613 }, 2);
    const audit = await s.setFlag(disable('r-40613'));
    expect(audit.map((a) => [a.before, a.after])).toEqual([['1', '0']]);
    expect(fake.callsOf('dbo.sp_Feature_Set').map((c) => c.result)).toEqual(['error', 'error', 'ok']);
    // Between the attempts, the adapter looked for the request id's audit rows.
    expect(fake.callsOf('dbo.sp_Audit_ByRequestId').length).toBe(3);
    expect(fake.db.auditFor('r-40613')).toHaveLength(1);
  });

  it('retries a deadlock victim (1205) and a transient error on a read', async () => {
    const s = store();
    fake.inject('dbo.sp_Config_SetValue', { kind: 'error', number: 1205 });
    fake.inject('dbo.sp_Feature_List', { kind: 'error', number: 40501 });
    const audit = await s.setConfigValue({
      configKey: 'Network:SseKeepAliveSeconds',
      value: '10',
      valueType: 'seconds',
      scope: 'Prod',
      description: 'Rollback',
      tags: 'network,sse',
      actor: 'a',
      requestId: 'r-1205',
    });
    expect(audit).toHaveLength(1);
    expect(fake.callsOf('dbo.sp_Config_SetValue').map((c) => c.result)).toEqual(['error', 'ok']);
    expect(await s.listFlags({ scope: 'Prod' })).toHaveLength(1);
    expect(fake.callsOf('dbo.sp_Feature_List').map((c) => c.result)).toEqual(['error', 'ok']);
  });

  it('gives up after the bounded number of attempts with a transient error', async () => {
    const s = store({}, 2);
    fake.inject('dbo.sp_Feature_Set', { kind: 'error', number: 40613 }, 5);
    const err = await rejection(s.setFlag(disable('r-exhausted')));
    expect(err.kind).toBe('transient');
    expect(err.sqlNumber).toBe(40613);
    expect(err.message).toContain('after 2 attempts');
    expect(fake.callsOf('dbo.sp_Feature_Set')).toHaveLength(2);
  });

  it('reports permission denied (229) without retrying', async () => {
    const s = store();
    fake.deny('dbo.sp_Feature_Set');
    const err = await rejection(s.setFlag(disable('r-229')));
    expect(err.kind).toBe('permission');
    expect(err.sqlNumber).toBe(229);
    expect(err.message).toContain('EXECUTE permission was denied');
    expect(err.message).toContain('SQL_CONNECTION_TEST');
    expect(fake.callsOf('dbo.sp_Feature_Set')).toHaveLength(1);
    expect(fake.db.flag('EnableLegacyHttpSse', 'Prod')?.isEnabled).toBe(true);
  });

  it('reports a procedure that rejects the call (THROW 5000x) and a missing procedure as rejected', async () => {
    const s = store();
    const err = await rejection(s.setFlag({ ...disable('r-empty'), actor: '' }));
    expect(err.kind).toBe('rejected');
    expect(err.sqlNumber).toBe(50001);
    fake.inject('dbo.sp_Feature_List', { kind: 'error', number: 2812, message: "Could not find stored procedure 'dbo.sp_Feature_List'." });
    expect((await rejection(s.listFlags({ scope: 'Prod' }))).kind).toBe('rejected');
  });

  it('reports a login failure (18456) clearly, without retrying and without the password', async () => {
    fake.failLogin(1);
    const before = fake.loginAttempts.length;
    const s = store();
    const err = await rejection(s.listFlags({ scope: 'Prod' }));
    expect(err.kind).toBe('login');
    expect(err.message).toContain("Login failed for user 'autopilot'");
    expect(err.message).toContain('SQL_CONNECTION_TEST');
    expect(err.message).not.toContain(fake.options.password);
    expect(fake.loginAttempts.length - before).toBe(1);
    // The failed pool is forgotten: once the login works, the same store connects.
    expect(await s.listFlags({ scope: 'Prod' })).toHaveLength(1);
  });

  it('retries a transient login error (40613 while the database fails over)', async () => {
    fake.failLogin(1, 40613);
    const before = fake.loginAttempts.length;
    const s = store();
    expect(await s.listFlags({ scope: 'Prod' })).toHaveLength(1);
    expect(fake.loginAttempts.length - before).toBeGreaterThanOrEqual(2);
  });

  it('cuts a hung write at the request timeout and reconciles from the audit trail instead of sending it again', async () => {
    const s = store({ 'Command Timeout': '1' });
    fake.inject('dbo.sp_Feature_Set', { kind: 'hang', applied: true });
    const audit = await s.setFlag(disable('r-hang-applied'));
    expect(audit.map((a) => [a.field, a.before, a.after])).toEqual([['IsEnabled', '1', '0']]);
    expect(fake.callsOf('dbo.sp_Feature_Set').map((c) => c.result)).toEqual(['hang']);
    // The connection survived the cancel (ATTENTION acknowledged) and is used again.
    expect(await s.listFlags({ scope: 'Prod' })).toHaveLength(1);
  });

  it('does not send a hung write again when nothing was applied: it reports the outcome as ambiguous', async () => {
    const s = store({ 'Command Timeout': '1' });
    fake.inject('dbo.sp_Feature_Set', { kind: 'hang', applied: false });
    const err = await rejection(s.setFlag(disable('r-hang-lost')));
    expect(err.kind).toBe('ambiguous');
    expect(err.message).toMatch(/Timeout: Request failed to complete in 1000ms/);
    expect(err.message).toContain('read back before calling again');
    expect(fake.callsOf('dbo.sp_Feature_Set')).toHaveLength(1);
    expect(fake.db.flag('EnableLegacyHttpSse', 'Prod')?.isEnabled).toBe(true);
  });

  it('retries a read that timed out (reads are safe to repeat)', async () => {
    const s = store({ 'Command Timeout': '1' });
    fake.inject('dbo.sp_Feature_List', { kind: 'hang', applied: false });
    expect(await s.listFlags({ scope: 'Prod' })).toHaveLength(1);
    expect(fake.callsOf('dbo.sp_Feature_List').map((c) => c.result)).toEqual(['hang', 'ok']);
  });

  it('handles a connection dropped mid-request: found in the audit trail when applied, ambiguous when not, and the pool recovers', async () => {
    const s = store();
    fake.inject('dbo.sp_Feature_Set', { kind: 'drop', applied: true });
    expect((await s.setFlag(disable('r-drop-applied'))).map((a) => a.after)).toEqual(['0']);
    expect(fake.callsOf('dbo.sp_Feature_Set')).toHaveLength(1);

    fake.db.seedFlag({ flagKey: 'EnableLegacyHttpSse', scope: 'Prod', isEnabled: true });
    fake.inject('dbo.sp_Feature_Set', { kind: 'drop', applied: false });
    const err = await rejection(s.setFlag(disable('r-drop-lost')));
    expect(err.kind).toBe('ambiguous');
    expect(fake.callsOf('dbo.sp_Feature_Set')).toHaveLength(2);
    expect(fake.db.flag('EnableLegacyHttpSse', 'Prod')?.isEnabled).toBe(true);

    // A dropped read is simply retried on a new connection.
    fake.inject('dbo.sp_Feature_List', { kind: 'drop', applied: false });
    expect(await s.listFlags({ scope: 'Prod' })).toHaveLength(1);
  });

  it('refuses to log in without TLS when Encrypt=true and the server does not offer encryption', async () => {
    const s = store({ Encrypt: 'true' });
    const before = fake.loginAttempts.length;
    const err = await rejection(s.listFlags({ scope: 'Prod' }));
    expect(err.kind).toBe('config');
    expect(err.message).toContain('did not offer encryption');
    // No LOGIN7 (and so no password) was sent.
    expect(fake.loginAttempts.length).toBe(before);
  });
});

/** Settings the Azure SDK's credentials read; the Entra tests control every one of them. */
const IDENTITY_ENV = [
  'IDENTITY_ENDPOINT',
  'IDENTITY_HEADER',
  'IDENTITY_SERVER_THUMBPRINT',
  'IMDS_ENDPOINT',
  'MSI_ENDPOINT',
  'MSI_SECRET',
  'AZURE_CLIENT_ID',
  'AZURE_TENANT_ID',
  'AZURE_CLIENT_SECRET',
  'AZURE_CLIENT_CERTIFICATE_PATH',
  'AZURE_FEDERATED_TOKEN_FILE',
  'AZURE_USERNAME',
  'AZURE_PASSWORD',
  'AZURE_TOKEN_CREDENTIALS',
];

describe('SqlTargetConfigStore: Entra login with a managed identity (FEDAUTH)', () => {
  const saved: Record<string, string | undefined> = {};
  beforeEach(() => {
    arm.clearFaults();
    for (const k of IDENTITY_ENV) {
      saved[k] = process.env[k];
      delete process.env[k];
    }
    // As on App Service: the credential finds the identity endpoint through these two settings.
    process.env.IDENTITY_ENDPOINT = arm.identityEndpoint;
    process.env.IDENTITY_HEADER = arm.identityHeader;
  });
  afterEach(() => {
    for (const k of IDENTITY_ENV) {
      if (saved[k] === undefined) delete process.env[k];
      else process.env[k] = saved[k];
    }
  });

  // Client ids differ per test: the SDK caches tokens per identity for the whole process.
  function entraStore(authentication: string, extra: Record<string, string> = {}): SqlTargetConfigStore {
    const parts = { Server: `tcp:127.0.0.1,${fake.port}`, Database: 'autopilot', Authentication: authentication, Encrypt: 'false', ...extra };
    const text = Object.entries(parts)
      .map(([k, v]) => `${k}=${v}`)
      .join(';');
    const read = readSqlTarget({ SQL_CONNECTION_MI: text }, 'SQL_CONNECTION_MI');
    if (!read.ok) throw new Error(JSON.stringify(read.issues));
    // As the app's composition root does (src/app/sql.ts): IDENTITY_ENDPOINT is set.
    const s = new SqlTargetConfigStore(read.target, { maxAttempts: 3, backoffMs: 20, warn: () => undefined, identityEndpoint: 'IDENTITY_ENDPOINT' });
    stores.push(s);
    return s;
  }

  it.each([
    ['Active Directory Default', undefined],
    ['Active Directory Default', '0b0b0b0b-1111-4222-8333-00000000000b'],
    ['Active Directory Managed Identity', '0c0c0c0c-1111-4222-8333-00000000000c'],
  ])('logs in with Authentication=%s (User Id %s), reads flags and disables one through dbo.sp_Feature_Set as that identity', async (authentication, clientId) => {
    const logins = fake.loginAttempts.length;
    const tokens = arm.tokenRequests.length;
    const s = entraStore(authentication, clientId ? { 'User Id': clientId } : {});
    expect(await s.listFlags({ scope: 'Prod' })).toEqual([expect.objectContaining({ flagKey: 'EnableLegacyHttpSse', isEnabled: true })]);
    const audit = await s.setFlag(disable(`r-entra-${clientId ?? 'system'}`));
    expect(audit.map((a) => [a.field, a.before, a.after, a.actor])).toEqual([['IsEnabled', '1', '0', 'rollback-bot']]);
    expect(fake.callsOf('dbo.sp_Feature_Set').map((c) => c.result)).toEqual(['ok']);

    // The token came from the identity endpoint, for Azure SQL, for the identity asked for.
    expect(arm.tokenRequests.slice(tokens)).toEqual([{ resource: 'https://database.windows.net', clientId: clientId ?? null, header: arm.identityHeader }]);
    // LOGIN7 carried no user name or password, and the fake saw the Entra identity log in.
    const seen = fake.loginAttempts.slice(logins);
    expect(seen.length).toBeGreaterThanOrEqual(1);
    for (const attempt of seen) expect(attempt).toEqual({ userName: '', fedAuth: true, database: 'autopilot', entra: arm.identity(clientId) });
  });

  it('refuses a token for another resource with 18456, reported as a login problem and not retried', async () => {
    const clientId = '0d0d0d0d-1111-4222-8333-00000000000d';
    arm.failNextToken('wrong-resource', { clientId });
    const logins = fake.loginAttempts.length;
    const s = entraStore('Active Directory Managed Identity', { 'User Id': clientId });
    const err = await rejection(s.listFlags({ scope: 'Prod' }));
    expect(err.kind).toBe('login');
    expect(err.sqlNumber).toBe(18456);
    expect(err.message).toContain(`Login failed for user '<token-identified principal>'. (Entra login as the identity with client id ${clientId})`);
    expect(err.message).toContain('SQL_CONNECTION_MI');
    expect(fake.loginAttempts.slice(logins)).toEqual([expect.objectContaining({ fedAuth: true, refused: 'the token is for https://management.azure.com/, not https://database.windows.net/' })]);
    expect(fake.callsOf('dbo.sp_Feature_List')).toHaveLength(0);
  });

  it('refuses an expired token the same way; the next call logs in with a fresh one', async () => {
    const clientId = '0e0e0e0e-1111-4222-8333-00000000000e';
    arm.failNextToken('expired', { clientId });
    const logins = fake.loginAttempts.length;
    const s = entraStore('Active Directory Managed Identity', { 'User Id': clientId });
    const err = await rejection(s.listFlags({ scope: 'Prod' }));
    expect(err.kind).toBe('login');
    expect(err.sqlNumber).toBe(18456);
    expect(fake.loginAttempts.slice(logins)).toEqual([expect.objectContaining({ fedAuth: true, refused: expect.stringMatching(/^the token expired at /) as string })]);
    // The SDK does not reuse an expired token: the caller's next attempt gets a new one.
    expect(await s.listFlags({ scope: 'Prod' })).toHaveLength(1);
    expect(fake.loginAttempts.at(-1)).toMatchObject({ entra: arm.identity(clientId) });
  });

  it.each([
    ['Active Directory Managed Identity', '02020202-1111-4222-8333-000000000020', {}],
    // DefaultAzureCredential limited to its non-developer credentials, as one would in Azure: its
    // failure lists every credential it tried; the managed identity's reason is the one reported.
    ['Active Directory Default', '03030303-1111-4222-8333-000000000030', { AZURE_TOKEN_CREDENTIALS: 'prod' }],
  ])('reports a User Id that is not an identity of the app (%s) with the endpoint\'s reason', async (authentication, clientId, env) => {
    Object.assign(process.env, env);
    arm.failNextToken('unknown-identity', { clientId });
    const s = entraStore(authentication, { 'User Id': clientId });
    const err = await rejection(s.listFlags({ scope: 'Prod' }));
    expect(err.kind).toBe('login');
    expect(err.message).toContain(`(${authentication === 'Active Directory Default' ? 'managed identity ' : ''}client id ${clientId}) gave no token for https://database.windows.net/.default: ManagedIdentityCredential: Authentication failed.`);
    expect(err.message).toContain('No managed identity found for specified ClientId');
    expect(arm.tokenRequests.at(-1)).toMatchObject({ clientId });
  });

  it('reports an identity endpoint that is down as an outage (transient) naming the identity, within the connect timeout', async () => {
    const logins = fake.loginAttempts.length;
    const s = entraStore('Active Directory Managed Identity', { 'User Id': '0f0f0f0f-1111-4222-8333-00000000000f', 'Connect Timeout': '3' });
    const bringBack = await arm.takeSideDown();
    const started = Date.now();
    const err = await rejection(s.listFlags({ scope: 'Prod' })).finally(bringBack);
    // Three attempts, each reported before tedious' own 3 s connect timeout would have cut it
    // (whether the SDK's retries end first, "Network unreachable", or the token deadline does).
    expect(Date.now() - started).toBeLessThan(3 * 3_000);
    // An outage of the endpoint, not a setup problem: transient, so the step is retried in its timebox.
    expect(err.kind).toBe('transient');
    expect(err.message).toContain('the managed identity (client id 0f0f0f0f-1111-4222-8333-00000000000f) gave no token for https://database.windows.net/.default');
    // Each attempt (3 here) is one LOGIN7 abandoned after FEDAUTHINFO: the bounded retry, no loop.
    const attempts = fake.loginAttempts.slice(logins);
    expect(attempts.length).toBeGreaterThanOrEqual(1);
    expect(attempts.length).toBeLessThanOrEqual(3);
    expect(new Set(attempts.map((a) => JSON.stringify(a)))).toEqual(new Set([JSON.stringify({ userName: '', fedAuth: true, database: 'autopilot' })]));
  });

  it('treats a throttled identity endpoint (429) as busy, not as a refusal: the bounded retry logs in', async () => {
    const clientId = '04040404-1111-4222-8333-000000000040';
    // Throttled twice: the adapter's bounded retry (3 attempts here) gets in on the third.
    arm.failNextToken('throttled', { clientId, times: 2 });
    const s = entraStore('Active Directory Managed Identity', { 'User Id': clientId, 'Connect Timeout': '5' });
    const flags = await s.listFlags({ scope: 'Prod' });
    expect(flags.length).toBeGreaterThan(0);
    expect(arm.tokenRequests.filter((r) => r.clientId === clientId).length).toBeGreaterThan(1);
  });

  it('cuts an identity endpoint that does not answer at the token deadline, and logs in on the bounded retry', async () => {
    const clientId = '01010101-1111-4222-8333-000000000010';
    arm.failNextToken('hang', { clientId });
    const logins = fake.loginAttempts.length;
    const s = entraStore('Active Directory Managed Identity', { 'User Id': clientId, 'Connect Timeout': '3' });
    // The hung request is cut by the token step's own deadline (before tedious' anonymous "Failed
    // to connect in 3000ms"); an outage is transient, so the adapter tries again and gets in.
    const flags = await s.listFlags({ scope: 'Prod' });
    expect(flags.length).toBeGreaterThan(0);
    const attempts = fake.loginAttempts.slice(logins);
    expect(attempts.length).toBeGreaterThanOrEqual(2);
    expect(attempts.length).toBeLessThanOrEqual(3);
    expect(attempts.at(-1)?.entra).toMatchObject({ appId: clientId });
  });
});
