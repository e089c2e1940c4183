/**
 * The product app (dist/, as Azure loads it) on the dev host, wired to every fake it talks to, for
 * end-to-end tests of the real `incident` orchestration:
 *
 *   - a simulated target app (src/lab/target-app.ts) with production and staging slots, whose
 *     URLs are the service's smoke endpoints;
 *   - the ARM fake (real @azure/arm-appservice SDK, managed-identity token endpoint) holding the
 *     site of the service's `rollback.api` slot swap; a completed swap also swaps the target
 *     app's slots, so the smoke checks see the build the swap put into production;
 *   - the TDS fake (real mssql driver) as the service's SQL target; the target app reads its
 *     feature flags from it, as the real app reads them from its database;
 *   - Teams through the local sink (a JSON-lines file), approval links signed with a test key,
 *     App Service Authentication simulated (WEBSITE_AUTH_ENABLED and the client-principal headers);
 *   - Azurite for Durable, the incident tables, the LKG registry, the freeze and the evidence.
 *
 * The policy is written by the test world (no unknown keys: the policy schema is strict) with the
 * runbook's timeboxes. Time is the dev host's manual clock; the TDS fake and the target app read
 * the same clock where they stamp times.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { LocalSinkTeams, type SinkRecord } from '../../src/adapters/teams-sink.js';
import { ACCESS_ROLES } from '../../src/app/access.js';
import { type AzuriteInstance, ManualClock, type LogLevel } from '../../src/devhost/index.js';
import { ArmFake } from '../../src/lab/arm-server.js';
import { DEFAULT_FLAGS, TargetApp, type Build, type TargetFaults } from '../../src/lab/target-app.js';
import { TdsFake } from '../../src/lab/tds-server.js';
import { MonitorFake } from '../fakes/monitor-server.js';
import { alertFixture, withAlertId } from './alerts.js';
import { repoRoot, startTestAzurite, startTestHost, uniqueHubName, type TestHost } from './devhost.js';

export const SUB = '00000000-0000-4000-8000-0000000000aa';
export const SITE = 'admin-api-prod';
export const SERVICE = 'admin-api';
export const ENV = 'Prod';
export const BOT = 'incident-bot';
export const APPROVER = { upn: 'dana.kim@contoso.example', oid: 'aaaaaaaa-0000-4000-8000-000000000001' };
export const LEGACY_FLAG = 'EnableLegacyHttpSse';
export const KEEPALIVE = 'Network:SseKeepAliveSeconds';
export const PLAN = 'asp-admin-prod';
export const PLAN_CAPACITY = 2;
export const SCALE_OUT_TO = 4;
export const ABUSE_CIDR = '203.0.113.0/24';
/** The release that broke (in production) and the last known good one (in staging). */
export const BAD: Build = { buildId: 'b42', releaseTag: 'r42' };
export const LKG: Build = { buildId: 'b41', releaseTag: 'r41' };
/** The clock starts just after the fixture alert fired (metric-5xx-fired.json: 10:15:30Z). */
export const START = Date.UTC(2026, 10, 20, 10, 16, 0);
export const MINUTE = 60_000;

export interface TimelineEntry {
  seq: number;
  at: string;
  kind: string;
  actor: string;
  text: string;
}

export interface IncidentRead {
  summary: { incidentId: string; status: string; phase: string; severity: string; drill: boolean; resolvedAt: string | null };
  runtime: {
    runtimeStatus: string;
    customStatus: {
      phase: string;
      proposal: { id: string; path: string } | null;
      decision: { choice: string; by: string } | null;
      lastChecks: { verdict: string; reasons: string[] } | null;
      rolledBack: boolean;
      frozen: boolean;
      deadlines: Record<string, string | null>;
    } | null;
  };
  timeline: TimelineEntry[];
}

export interface WorldOptions {
  /**
   * Also a config-parity smoke check of the flags production must run with (EnableLegacyHttpSse
   * off is critical), besides health/ready and the /api/jobs contract. Deterministic, unlike a
   * timing check, so it cannot flake on a loaded machine.
   */
  flagParity?: boolean;
  /**
   * RB-02 section 9: a config-parity check of the config production must run with
   * (Network:SseKeepAliveSeconds 10, critical), the target app reading its config from the SQL
   * fake, and the service's `parityReapply` with this many attempts.
   */
  configParity?: { attempts: number; timeboxMinutes?: number };
  /**
   * The further containment actions allowed in Prod (restart, scale out to 4 instances, the
   * "deny-abuse" access restriction) and a rate-limit trigger for the 429 alert (`fire429`).
   */
  siteActions?: boolean;
  /** What the dev host keeps in `host.logs` (default: warnings and errors). */
  logLevel?: LogLevel;
  /** Scales every timebox and the escalation delay (1 = RB-03's minutes; the real engine runs in seconds). */
  timeScale?: number;
  /** The environment's rota and Decision Owner (src/config/policy.ts `Rota`), for the people tests. */
  people?: { rota?: unknown; decisionOwner?: string };
  /** The environment's communications (policy `communications`: release channel, stakeholders, status page). */
  communications?: unknown;
  /** More app settings (e.g. the status page webhook's address and secret). */
  settings?: Record<string, string>;
  /** The environment's synthetic monitor (policy `signals.synthetic`), off by default. */
  synthetic?: { schedule?: string; failuresToDeclare?: number };
  /**
   * The signal readers pointed at the Azure Monitor fake (`world.monitor`): the environment's
   * metrics region, the service's site and Application Insights component. Off by default.
   */
  signals?: boolean;
}

export const SITE_ID = `/subscriptions/${SUB}/resourceGroups/rg-admin-prod/providers/Microsoft.Web/sites/${SITE}`;
export const COMPONENT_ID = `/subscriptions/${SUB}/resourceGroups/rg-admin-prod/providers/microsoft.insights/components/appi-admin-prod`;

/** What the world needs of the host that runs the app: the dev host, or the real Durable extension. */
export interface WorldHost {
  readonly baseUrl: string;
  fetch(pathAndQuery: string, init?: RequestInit): Promise<Response>;
  json<T = unknown>(pathAndQuery: string, init?: RequestInit): Promise<{ status: number; body: T; headers: Headers }>;
  /** Lets in-progress work finish. */
  settle(): Promise<void>;
  /** Lets `ms` of the app's time pass (a manual clock moves; a real one is waited for). */
  advance(ms: number): Promise<void>;
  stop(): Promise<void>;
}

/** Starts the host on the world's storage, task hub and settings; `at` is the time to resume at. */
export type HostStarter<H extends WorldHost> = (w: { azurite: AzuriteInstance; hubName: string; env: Record<string, string>; logLevel: LogLevel }, at: number | undefined) => Promise<{ host: H; now: () => number }>;

/** The dev host in this process, on a manual clock (START, or the time it stopped at). */
export const devHostStarter: HostStarter<TestHost> = async (w, at) => {
  const clock = new ManualClock(at ?? START);
  const host = await startTestHost({ azurite: w.azurite, appRoot: repoRoot, hubName: w.hubName, clock, env: w.env, logLevel: w.logLevel });
  return { host, now: () => clock.now() };
};

function policy(target: TargetApp, o: WorldOptions): unknown {
  const k = o.timeScale ?? 1;
  const checks: unknown[] = [{ kind: 'contract', endpoints: [{ path: '/api/jobs', requiredFields: ['items', 'page'] }] }];
  if (o.flagParity) checks.push({ kind: 'parity', path: '/config/effective', select: 'features', expected: { ...DEFAULT_FLAGS }, critical: [LEGACY_FLAG] });
  if (o.configParity) checks.push({ kind: 'parity', name: 'config-parity', path: '/config/effective', select: 'config', expected: { [KEEPALIVE]: '10' }, critical: ['Network:*'], ignore: ['Cors:*', 'RateLimit:*', 'Jobs:*'] });
  return {
    version: 1,
    bot: { actor: BOT },
    environments: {
      [ENV]: {
        triggerSeverity: 'P1',
        ...(o.synthetic || o.signals ? { signals: { ...(o.synthetic ? { synthetic: o.synthetic } : {}), ...(o.signals ? { region: 'westeurope' } : {}) } } : {}),
        ...(o.people ?? {}),
        ...(o.siteActions ? { actions: { restart: true, scaleOut: { instances: SCALE_OUT_TO }, trafficRule: true } } : {}),
        ...(o.communications ? { communications: o.communications } : {}),
      },
    },
    triggers: [{ trigger: 'error-rate', match: { metricPattern: '5xx' }, unit: 'percent' }, ...(o.siteActions ? [{ trigger: 'rate-limit', match: { metricPattern: '429' } }] : [])],
    timeboxes: {
      // RB-03: decide within 10 min, re-stabilise within 15, watch 30-60 min after recovery.
      P1: { ackMinutes: 15 * k, decisionMinutes: 10 * k, noDecision: 'rollback', containmentMinutes: 15 * k, recoveryMinutes: 30 * k, monitoringMinutes: 30 * k, updateEveryMinutes: 15 * k },
      P2: { ackMinutes: 30 * k, decisionMinutes: 20 * k, noDecision: 'escalate', containmentMinutes: 30 * k, recoveryMinutes: 30 * k, monitoringMinutes: 30 * k, updateEveryMinutes: 30 * k },
      P3: { ackMinutes: 120 * k, decisionMinutes: 120 * k, noDecision: 'escalate', containmentMinutes: 240 * k, recoveryMinutes: 60 * k, monitoringMinutes: 30 * k, updateEveryMinutes: 120 * k },
    },
    approvers: [APPROVER.upn],
    escalation: [{ afterMinutes: 15 * k, notify: ['sre-deputy@contoso.example'], severities: ['P1'] }],
    services: [
      {
        service: SERVICE,
        environment: ENV,
        impact: ['api', 'sse'],
        match: { properties: { service: SERVICE, environment: ENV } },
        rollback: {
          api: {
            strategy: 'slot-swap',
            subscriptionId: SUB,
            resourceGroup: 'rg-admin-prod',
            site: SITE,
            stagingSlot: 'staging',
            build: { from: 'setting', name: 'APP_BUILD_ID', releaseName: 'APP_RELEASE_TAG' },
          },
        },
        endpoints: { baseUrl: target.url('production'), health: '/healthz', ready: '/ready', checks },
        sql: { connectionSetting: 'SQL_CONNECTION_ADMIN_PROD', scope: ENV },
        flags: [LEGACY_FLAG],
        configKeys: [KEEPALIVE],
        ...(o.siteActions ? { trafficRule: { name: 'deny-abuse', action: 'Deny', ipAddress: ABUSE_CIDR, priority: 100, description: 'RB-03 section 7: traffic shaping for the 429 row' } } : {}),
        ...(o.configParity ? { parityReapply: { attempts: o.configParity.attempts, ...(o.configParity.timeboxMinutes ? { timeboxMinutes: o.configParity.timeboxMinutes } : {}) } } : {}),
        ...(o.signals ? { signals: { resourceIds: [SITE_ID], logs: { appInsights: COMPONENT_ID } } } : {}),
      },
    ],
  };
}

const settingsOf = (b: Build): Record<string, string> => ({ APP_BUILD_ID: b.buildId, APP_RELEASE_TAG: b.releaseTag });

/** Every Entra app role the app knows (src/app/access.ts). */
export const ALL_APP_ROLES: string[] = Object.values(ACCESS_ROLES).map((r) => r.appRole);

/**
 * What App Service Authentication passes to the app for a signed-in person holding these Entra app
 * roles (default: all of them, for tests that are not about who may do what).
 */
export function principal(upn: string, oid: string, roles: readonly string[] = ALL_APP_ROLES): Record<string, string> {
  const claims = [
    { typ: 'http://schemas.microsoft.com/identity/claims/objectidentifier', val: oid },
    { typ: 'preferred_username', val: upn },
    ...roles.map((val) => ({ typ: 'roles', val })),
  ];
  return {
    'x-ms-client-principal': Buffer.from(JSON.stringify({ auth_typ: 'aad', claims, name_typ: 'name', role_typ: 'roles' })).toString('base64'),
    'x-ms-client-principal-id': oid,
    'x-ms-client-principal-name': upn,
    'x-ms-client-principal-idp': 'aad',
  };
}

export class ProductWorld<H extends WorldHost = TestHost> {
  host!: H;
  private alerts = 0;

  private constructor(
    private starter: HostStarter<H>,
    readonly azurite: AzuriteInstance,
    readonly target: TargetApp,
    readonly arm: ArmFake,
    readonly sql: TdsFake,
    readonly monitor: MonitorFake,
    readonly dir: string,
    public hubName: string,
    private readonly env: Record<string, string>,
    private readonly clockRef: { now: () => number },
    private readonly logLevel: LogLevel,
  ) {}

  static start(o: WorldOptions = {}): Promise<ProductWorld<TestHost>> {
    return ProductWorld.startOn(devHostStarter, o);
  }

  /** The world with the app on the host `starter` starts (the conformance suite passes the real engine). */
  static async startOn<H extends WorldHost>(starter: HostStarter<H>, o: WorldOptions = {}): Promise<ProductWorld<H>> {
    const clockRef = { now: () => START };
    const swapped: { target?: TargetApp } = {};
    // A completed swap routes production to the other deployment: the target app swaps too.
    // A restart clears what the running process got into (a leak, a stuck pool): the target app's production faults.
    const arm = new ArmFake({ onSwap: () => void swapped.target?.swap(), onRestart: () => swapped.target?.setFault('production', {}) });
    // Azurite first: it binds ports it picked as free, which a server listening meanwhile could take.
    const azurite = await startTestAzurite();
    const monitor = new MonitorFake();
    const [sql] = await Promise.all([TdsFake.start({ now: () => new Date(clockRef.now()) }), arm.start(), monitor.start()]);
    const target = await TargetApp.start({
      builds: { production: BAD, staging: LKG },
      // Flags live in the environment's database: the target app reads them from the SQL fake.
      flagSource: (name) => sql.db.flag(name, ENV)?.isEnabled,
      // So does its config, when a test checks config parity (RB-02 section 9 reapplies it there).
      ...(o.configParity ? { configSource: (key: string) => sql.db.configValue(key, ENV)?.value ?? undefined } : {}),
    });
    arm.addSite({ subscriptionId: SUB, resourceGroup: 'rg-admin-prod', name: SITE, slots: { production: settingsOf(BAD), staging: settingsOf(LKG) }, plan: { name: PLAN, capacity: PLAN_CAPACITY } });
    swapped.target = target;
    const dir = mkdtempSync(path.join(tmpdir(), 'e2e-'));
    const policyPath = path.join(dir, 'policy.json');
    writeFileSync(policyPath, JSON.stringify(policy(target, o), null, 2));
    const caFile = path.join(dir, 'arm-ca.pem');
    writeFileSync(caFile, arm.ca);
    const monitorCaFile = path.join(dir, 'monitor-ca.pem');
    writeFileSync(monitorCaFile, monitor.ca);
    const env: Record<string, string> = {
      POLICY_PATH: policyPath,
      SMOKE_ALLOWED_HOSTS: '127.0.0.1',
      APPSERVICE_ARM_ENDPOINT: arm.armUrl,
      APPSERVICE_ARM_CA_FILE: caFile,
      APPSERVICE_MANAGED_IDENTITY_CLIENT_ID: '11111111-2222-4333-8444-555555555555',
      APPSERVICE_POLL_INTERVAL_MS: '10',
      IDENTITY_ENDPOINT: arm.identityEndpoint,
      IDENTITY_HEADER: arm.identityHeader,
      SQL_CONNECTION_ADMIN_PROD: sql.connectionString(),
      SQL_ACTOR: BOT,
      TEAMS_DELIVERY: 'local',
      TEAMS_SINK_FILE: path.join(dir, 'teams-outbox.jsonl'),
      APPROVAL_SIGNING_KEY: randomBytes(32).toString('base64'),
      APPROVAL_IDENTITY: 'entra',
      // App Service Authentication in front of the app: the principal headers tests send are believed.
      WEBSITE_AUTH_ENABLED: 'True',
      // The signal readers talk to the Azure Monitor fake (tokens from the fake identity endpoint).
      SIGNALS_METRICS_ENDPOINT: monitor.metricsEndpoint,
      SIGNALS_LOGS_ENDPOINT: monitor.logsEndpoint,
      SIGNALS_ARM_ENDPOINT: monitor.armEndpoint,
      SIGNALS_CA_FILE: monitorCaFile,
      ...(o.settings ?? {}),
    };
    const world = new ProductWorld(starter, azurite, target, arm, sql, monitor, dir, uniqueHubName('E2e'), env, clockRef, o.logLevel ?? 'warning');
    await world.startHost(undefined);
    sql.db.seedFlag({ flagKey: LEGACY_FLAG, scope: ENV, isEnabled: false });
    sql.db.seedConfig({ configKey: 'Network:SseKeepAliveSeconds', scope: ENV, value: '10' });
    return world;
  }

  private async startHost(at: number | undefined): Promise<void> {
    const started = await this.starter({ azurite: this.azurite, hubName: this.hubName, env: this.env, logLevel: this.logLevel }, at);
    this.host = started.host;
    this.clockRef.now = started.now;
  }

  /**
   * Moves the app to another host (a new task hub; the same fakes, storage and settings). The app's
   * modules stay loaded in this process and keep what they built from the settings, so a second
   * world could not be started here; moving the first one can.
   */
  async moveTo<K extends WorldHost>(starter: HostStarter<K>): Promise<ProductWorld<K>> {
    await this.host.stop();
    const moved = this as unknown as ProductWorld<K>;
    moved.starter = starter;
    moved.hubName = uniqueHubName('E2e');
    await moved.startHost(undefined);
    return moved;
  }

  /** Stops the host and starts a new one on the same storage and task hub, at the same time. */
  async restart(): Promise<void> {
    const at = this.now();
    await this.host.stop();
    await this.startHost(at);
  }

  async stop(): Promise<void> {
    await this.host?.stop();
    await Promise.all([this.target.stop(), this.arm.stop(), this.sql.stop(), this.monitor.stop()]);
    await this.azurite.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }

  now(): number {
    return this.clockRef.now();
  }

  /** Back to a bad release in production and the LKG in staging, no faults, flags off. */
  reset(): void {
    this.target.reset();
    this.arm.deploy(SITE, 'production', settingsOf(BAD));
    this.arm.deploy(SITE, 'staging', settingsOf(LKG));
    this.arm.clearFaults();
    this.arm.resetSite(SITE, PLAN_CAPACITY);
    this.sql.db.seedFlag({ flagKey: LEGACY_FLAG, scope: ENV, isEnabled: false });
    this.sql.db.seedConfig({ configKey: KEEPALIVE, scope: ENV, value: '10' });
    this.sql.db.audit.length = 0;
    // Counts at the fakes are per scenario.
    this.arm.requests.length = 0;
    this.sql.calls.length = 0;
  }

  /** The bad release: the production slot's readiness is red and its jobs API answers 500. */
  breakProduction(extra: TargetFaults = {}): void {
    this.target.setFault('production', { readyRed: true, errorRate: 1, errorPaths: ['/api/jobs'], ...extra });
  }

  post<T = Record<string, unknown>>(p: string, body: unknown, headers: Record<string, string> = {}) {
    return this.host.json<T>(p, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  }

  /** What a deploy pipeline records after a good release. */
  recordLkg(b: Build = LKG) {
    return this.post('/api/lkg', { env: ENV, service: SERVICE, releaseTag: b.releaseTag, buildId: b.buildId, evidenceUrl: `https://evidence.contoso.example/${b.releaseTag}/`, recordedBy: { id: 'pipeline:api-release' } });
  }

  /** A 429 alert (rate limiting well over normal: RB-03's rate-limit row, a P2 trigger), with its own id, fired 30 s ago. */
  async fire429(): Promise<{ status: number; body: { kind?: string; incidentId?: string; severity?: { level: string } } }> {
    const doc = withAlertId(alertFixture('metric-5xx-fired.json'), `e2e-429-${++this.alerts}`, { alertRule: 'prod-api-http429-rate', severity: 'Sev3', firedDateTime: new Date(this.now() - 30_000).toISOString() }) as {
      data: { alertContext: { condition: { allOf: { metricName: string; metricValue: number; threshold: string }[] } } };
    };
    const c = doc.data.alertContext.condition.allOf[0];
    if (c) Object.assign(c, { metricName: 'Http429', metricValue: 1800, threshold: '300' });
    return this.post('/api/alerts', doc);
  }

  /** The fixture 5xx alert (Sev2, 2.7 % over 5 min: a P1 trigger), with its own id, fired 30 s ago. */
  async fireAlert(): Promise<{ status: number; body: { kind?: string; incidentId?: string; severity?: { level: string } } }> {
    const doc = withAlertId(alertFixture('metric-5xx-fired.json'), `e2e-${++this.alerts}`, { firedDateTime: new Date(this.now() - 30_000).toISOString() });
    return this.post('/api/alerts', doc);
  }

  async incident(id: string): Promise<IncidentRead> {
    return (await this.host.json<IncidentRead>(`/api/incidents/${id}`)).body;
  }

  /**
   * Lets the app finish its work and reads the incident until `ready` holds. Raised events and
   * activity results can land just after an idle point, so this settles and reads again rather
   * than trusting one settle; the limit is a safety net, not a timing assertion.
   */
  async until(id: string, ready: (r: IncidentRead) => boolean, what = 'the expected state', timeoutMs = 20_000): Promise<IncidentRead> {
    const deadline = Date.now() + timeoutMs;
    let read: IncidentRead | undefined;
    while (Date.now() < deadline) {
      await this.host.settle();
      read = await this.incident(id);
      if (ready(read)) return read;
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error(`incident ${id} did not reach ${what}: ${JSON.stringify(read?.runtime.customStatus)}\n${read?.timeline.map((t) => `${t.at} ${t.kind} ${t.actor}: ${t.text}`).join('\n')}`);
  }

  /** Reads the incident once it is resolved (its resolution steps: evidence, freeze, message, done). */
  resolved(id: string, timeoutMs?: number): Promise<IncidentRead> {
    return this.until(id, (r) => r.summary.status === 'resolved', 'resolved', timeoutMs);
  }

  /** Moves the manual clock in steps (each step's timers and the work they start finish first). */
  async advance(totalMs: number, stepMs = 5 * MINUTE): Promise<void> {
    for (let done = 0; done < totalMs; done += stepMs) await this.host.advance(Math.min(stepMs, totalMs - done));
    await this.host.settle();
  }

  /** Teams messages of one incident, in the order they were delivered. */
  async teams(incidentId: string): Promise<SinkRecord[]> {
    return (await LocalSinkTeams.readAll(this.env.TEAMS_SINK_FILE ?? '')).filter((r) => r.incidentId === incidentId);
  }

  /** The URL path of the proposal card's button for `title`. */
  async approvalPath(incidentId: string, title: string): Promise<string> {
    const proposal = (await this.teams(incidentId)).find((r) => r.kind === 'containment-proposed');
    const actions = (proposal?.card as { actions?: { title: string; url: string }[] } | undefined)?.actions ?? [];
    const url = actions.find((a) => a.title === title)?.url;
    if (!url) throw new Error(`no "${title}" button on the proposal card; buttons: ${actions.map((a) => a.title).join(', ')}`);
    return new URL(url).pathname;
  }

  async freeze(): Promise<{ frozen: boolean; incidentId?: string | null }> {
    return (await this.host.json<{ frozen: boolean; incidentId?: string | null }>(`/api/freeze/${ENV}`)).body;
  }

  swaps(): number {
    return this.arm.swapRequests().length;
  }

  sqlWrites(): number {
    return this.sql.callsOf('dbo.sp_Feature_Set').length + this.sql.callsOf('dbo.sp_Config_SetValue').length;
  }
}
