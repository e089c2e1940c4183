/**
 * The canary against the loopback fakes, with the real adapters: Azurite (storage, the report,
 * the step ledger), the Entra token endpoint fake (the delegated Teams sign-in), the TDS fake
 * (SQL logins), the ARM fake (read access to the rollback targets' slots). Each failing
 * dependency is reported by name with what is wrong; everything fixed, it is green; a sign-in
 * near its end is announced in Teams once a day however often the canary runs.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { TableCanaryStore } from '../../src/adapters/canary-store.js';
import { type StoredSignIn } from '../../src/adapters/delegated-token.js';
import { createTableClient, storageTarget } from '../../src/adapters/storage.js';
import { SummaryTelemetry } from '../../src/adapters/telemetry.js';
import { TableStepLedger } from '../../src/adapters/table-ledger.js';
import { LocalSinkTeams } from '../../src/adapters/teams-sink.js';
import { runCanary, type CanaryDeps } from '../../src/app/canary.js';
import { parseAppSettings } from '../../src/app/settings.js';
import type { AzuriteInstance } from '../../src/devhost/index.js';
import type { CanaryReport } from '../../src/domain/canary.js';
import { METRICS } from '../../src/domain/telemetry.js';
import { ArmFake } from '../../src/lab/arm-server.js';
import { LoginFake } from '../../src/lab/login-server.js';
import { TdsFake } from '../../src/lab/tds-server.js';
import { startTestAzurite } from '../harness/devhost.js';

const SUB = '00000000-0000-4000-8000-0000000000c1';
const TENANT = '00000000-0000-0000-0000-0000000000aa';
const CLIENT = '11111111-0000-0000-0000-000000000001';
const DAY = 86_400_000;
const NOW = Date.UTC(2026, 11, 7, 9, 7);

let azurite: AzuriteInstance;
let login: LoginFake;
let sql: TdsFake;
let arm: ArmFake;
let dir: string;
let n = 0;
let saved: Record<string, string | undefined> = {};

beforeAll(async () => {
  azurite = await startTestAzurite();
  [login, sql] = await Promise.all([LoginFake.start({ upn: 'incident-bot@contoso.test' }), TdsFake.start()]);
  arm = await new ArmFake().start();
  // @azure/identity reads the managed identity endpoint from the process's environment (as on App Service).
  saved = { IDENTITY_ENDPOINT: process.env.IDENTITY_ENDPOINT, IDENTITY_HEADER: process.env.IDENTITY_HEADER };
  process.env.IDENTITY_ENDPOINT = arm.identityEndpoint;
  process.env.IDENTITY_HEADER = arm.identityHeader;
  arm.addSite({ subscriptionId: SUB, resourceGroup: 'rg-shop', name: 'shop-api-prod', slots: { production: { APP_BUILD_ID: 'b2' }, staging: { APP_BUILD_ID: 'b1' } } });
  dir = mkdtempSync(path.join(tmpdir(), 'canary-'));
  writeFileSync(path.join(dir, 'arm-ca.pem'), arm.ca);
  writeFileSync(path.join(dir, 'policy.json'), JSON.stringify(policy()));
});
afterAll(async () => {
  for (const [k, v] of Object.entries(saved)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  await Promise.all([login?.stop(), sql?.stop(), arm?.stop()]);
  await azurite?.stop();
  rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => arm.clearFaults());

function policy() {
  const box = { ackMinutes: 15, decisionMinutes: 10, noDecision: 'rollback', containmentMinutes: 15, recoveryMinutes: 30, monitoringMinutes: 30, updateEveryMinutes: 15 };
  return {
    version: 1,
    bot: { actor: 'incident-bot' },
    environments: { Prod: { triggerSeverity: 'P1' } },
    severity: { azure: { Sev0: 'P1', Sev1: 'P1', Sev2: 'P2', Sev3: 'P3', Sev4: 'P3' }, whenUnsure: 'P2' },
    triggers: [],
    timeboxes: { P1: box, P2: box, P3: box },
    services: [
      {
        service: 'shop-api',
        environment: 'Prod',
        match: { properties: { service: 'shop-api' } },
        rollback: { api: { strategy: 'slot-swap', subscriptionId: SUB, resourceGroup: 'rg-shop', site: 'shop-api-prod', build: { from: 'setting', name: 'APP_BUILD_ID' } } },
        sql: { connectionSetting: 'SQL_CONNECTION_SHOP_PROD' },
      },
    ],
  };
}

/** A stored delegated sign-in (what `npm run teams:signin` writes), with a live refresh token at the fake. */
function signInFile(o: { signedInAt?: number; refreshedAt?: number } = {}): string {
  const file = path.join(dir, `token-${++n}.json`);
  const stored: StoredSignIn = {
    v: 1,
    tenantId: TENANT,
    clientId: CLIENT,
    scopes: ['https://graph.microsoft.com/ChannelMessage.Send', 'offline_access'],
    refreshToken: login.issueRefreshToken(),
    account: { upn: 'incident-bot@contoso.test' },
    signedInAt: new Date(o.signedInAt ?? NOW - DAY).toISOString(),
    refreshedAt: new Date(o.refreshedAt ?? NOW - DAY).toISOString(),
  };
  writeFileSync(file, JSON.stringify(stored), { mode: 0o600 });
  return file;
}

function env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    AzureWebJobsStorage: azurite.connectionString,
    TaskHubName: 'CanaryTest',
    POLICY_PATH: path.join(dir, 'policy.json'),
    TEAMS_DELIVERY: 'channel',
    TEAMS_TENANT_ID: TENANT,
    TEAMS_CLIENT_ID: CLIENT,
    TEAMS_TEAM_ID: '5b7a2c1e-0000-4000-8000-00000000c0de',
    TEAMS_CHANNEL_ID: '19:canary@thread.tacv2',
    TEAMS_LOGIN_URL: login.url,
    TEAMS_TOKEN_FILE: signInFile(),
    SQL_CONNECTION_SHOP_PROD: sql.connectionString(),
    APPSERVICE_ARM_ENDPOINT: arm.armUrl,
    APPSERVICE_ARM_CA_FILE: path.join(dir, 'arm-ca.pem'),
    APPSERVICE_MANAGED_IDENTITY_CLIENT_ID: '11111111-2222-4333-8444-555555555555',
    IDENTITY_ENDPOINT: arm.identityEndpoint,
    IDENTITY_HEADER: arm.identityHeader,
    ...extra,
  };
}

function deps(e: NodeJS.ProcessEnv, o: { now?: number; sink?: string; telemetry?: SummaryTelemetry } = {}): CanaryDeps & { lines: string[] } {
  const target = storageTarget({ AzureWebJobsStorage: azurite.connectionString });
  const lines: string[] = [];
  const t = o.telemetry ?? new SummaryTelemetry();
  const sink = new LocalSinkTeams(o.sink ?? path.join(dir, 'sink.jsonl'), { console: () => undefined });
  return {
    settings: parseAppSettings(e),
    now: () => o.now ?? NOW,
    store: () => new TableCanaryStore(createTableClient(target, 'Canary')),
    ledger: () => new TableStepLedger(createTableClient(target, 'IncidentSteps')),
    teams: () => sink,
    telemetry: () => t,
    log: (l) => lines.push(l),
    checkTimeoutMs: 20_000,
    lines,
  };
}

const byDependency = (r: CanaryReport) => Object.fromEntries(r.checks.map((c) => [c.dependency, [c.status, c.problem]]));

describe('the canary', () => {
  it('names each failing dependency and what is wrong: token expired, login refused, ARM 403, storage down', async () => {
    const revoked = signInFile();
    login.revokeAll();
    arm.failNext('POST', /\/sites\/shop-api-prod\/config\/appsettings\/list$/, 403, 5);
    const e = env({
      TEAMS_TOKEN_FILE: revoked,
      SQL_CONNECTION_SHOP_PROD: sql.connectionString({ Password: 'not-the-password' }),
      AzureWebJobsStorage: 'DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;TableEndpoint=http://127.0.0.1:1/devstoreaccount1;BlobEndpoint=http://127.0.0.1:1/devstoreaccount1',
      APPROVAL_SIGNING_KEY: '@Microsoft.KeyVault(SecretUri=https://kv-x.vault.azure.net/secrets/approval-signing-key/)',
    });
    const t = new SummaryTelemetry();
    const d = deps(e, { telemetry: t });
    const report = await runCanary(d);
    expect(report.status).toBe('red');
    expect(byDependency(report)).toMatchObject({
      storage: ['failed', 'storage down'],
      'teams-signin': ['failed', 'token expired'],
      'sql:SQL_CONNECTION_SHOP_PROD': ['failed', 'login refused'],
      'arm:shop-api-prod': ['failed', 'ARM 403'],
      'setting:APPROVAL_SIGNING_KEY': ['failed', 'key vault reference unresolved'],
      policy: ['ok', null],
      settings: ['ok', null],
    });
    expect(report.failing).toEqual(
      expect.arrayContaining(['storage: storage down', 'teams-signin: token expired', 'sql:SQL_CONNECTION_SHOP_PROD: login refused', 'arm:shop-api-prod: ARM 403', 'setting:APPROVAL_SIGNING_KEY: key vault reference unresolved']),
    );
    // Each detail says what answered, and carries no secret.
    const detail = (dep: string) => report.checks.find((c) => c.dependency === dep)?.detail ?? '';
    expect(detail('teams-signin')).toMatch(/sign-in .* can no longer get tokens/);
    expect(detail('arm:shop-api-prod')).toMatch(/403/);
    expect(JSON.stringify(report)).not.toMatch(/not-the-password|rt-\d|Eby8vdM02/);
    // Recorded (the report's store is up even though the app's storage setting is not), logged, counted.
    expect(await d.store().latest()).toEqual(report);
    expect(d.lines).toContainEqual('Canary: teams-signin: token expired');
    expect(t.counters.get(`${METRICS.canaryRuns.name} status=red`)).toBe(1);
    expect(t.counters.get(`${METRICS.canaryChecks.name} dependency=sql status=failed`)).toBe(1);
  }, 60_000);

  it('is green when every dependency answers, and says when the Teams sign-in expires', async () => {
    const t = new SummaryTelemetry();
    const report = await runCanary(deps(env({ TEAMS_TOKEN_FILE: signInFile() }), { telemetry: t }));
    expect(report.failing, JSON.stringify(report.checks)).toEqual([]);
    expect(report.status).toBe('green');
    expect(Object.values(byDependency(report)).every(([status]) => status === 'ok')).toBe(true);
    expect(Object.keys(byDependency(report)).sort()).toEqual(['arm:shop-api-prod', 'policy', 'settings', 'sql:SQL_CONNECTION_SHOP_PROD', 'storage', 'teams-signin']);
    // Redeemed now, so the 90-day inactivity window starts again (the rotated token was saved).
    expect(report.signIn).toMatchObject({ account: 'incident-bot@contoso.test', basis: 'inactivity' });
    expect(report.signIn?.daysLeft).toBeGreaterThanOrEqual(89);
    expect(report.notice).toBeUndefined();
    expect(t.counters.get(`${METRICS.canaryRuns.name} status=green`)).toBe(1);
  }, 60_000);

  it('announces a sign-in near its end in Teams once a day, however often it runs', async () => {
    const sink = path.join(dir, `notice-${++n}.jsonl`);
    // The tenant allows 30-day sign-ins; this one is 25 days old: 5 days left, within the 7-day warning.
    const file = signInFile({ signedInAt: NOW - 25 * DAY });
    const e = env({ TEAMS_TOKEN_FILE: file, TEAMS_SIGNIN_MAX_AGE_DAYS: '30', TEAMS_SIGNIN_WARN_DAYS: '7' });
    const first = await runCanary(deps(e, { sink }));
    expect(first.signIn).toMatchObject({ daysLeft: 5, basis: 'max-age' });
    expect(first.notice).toBe('posted (local)');
    const again = await runCanary(deps(e, { sink, now: NOW + 3_600_000 }));
    expect(again.notice).toBe('posted earlier today');
    const messages = readFileSync(sink, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { kind: string; headline: string; text: string });
    expect(messages.map((m) => m.kind)).toEqual(['teams-signin-expiring']);
    expect(messages[0]?.headline).toMatch(/^⚠️ TEAMS SIGN-IN EXPIRES IN 5 DAYS: incident messages stop after 2026-12-12 09:07 UTC\. Sign in again as incident-bot@contoso\.test with npm run teams:signin/);
    // The next day: announced again (4 days left).
    const nextDay = await runCanary(deps(e, { sink, now: NOW + DAY }));
    expect(nextDay.notice).toBe('posted (local)');
    expect(readFileSync(sink, 'utf8').trim().split('\n')).toHaveLength(2);
    // A sign-in far from its end says nothing.
    const fresh = await runCanary(deps(env({ TEAMS_TOKEN_FILE: signInFile({ signedInAt: NOW - DAY }), TEAMS_SIGNIN_MAX_AGE_DAYS: '30' }), { sink }));
    expect(fresh.notice).toBeUndefined();
  }, 60_000);

  it('skips Teams when messages go to the local sink, and reports invalid settings by name', async () => {
    const local = await runCanary(deps(env({ TEAMS_DELIVERY: 'local' })));
    expect(byDependency(local).teams).toEqual(['skipped', null]);
    const broken = await runCanary(deps(env({ TEAMS_DELIVERY: 'channel', TEAMS_CLIENT_ID: '' , POLICY_PATH: path.join(dir, 'missing.json') })));
    expect(byDependency(broken)).toMatchObject({ teams: ['failed', 'settings invalid'], policy: ['failed', 'policy invalid'] });
    expect(broken.checks.find((c) => c.dependency === 'teams')?.detail).toContain('TEAMS_CLIENT_ID');
  }, 60_000);
});
