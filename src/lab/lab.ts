/**
 * The lab: the systems an incident touches, simulated on loopback and wired together, so a whole
 * incident can run on one machine against the real SDKs and protocols:
 *
 *   - the target app (./target-app.ts): the service's production and staging slots (health,
 *     readiness, SSE, contract endpoints, effective config), reading its feature flags from the
 *     database, as the real app does;
 *   - ARM (./arm-server.ts, https): the site whose slots the product swaps; a completed swap also
 *     swaps what the target app's slots serve; its managed-identity endpoint issues the tokens;
 *   - SQL Server over TDS (./tds-server.ts): the flag/config tables and the reference stored
 *     procedures, with their audit trail;
 *   - Microsoft Graph (./graph-server.ts, https): the Teams channel the product posts to, which the
 *     lab shows (./channel.ts), with the Entra token endpoint of a signed-in service account
 *     (./login-server.ts).
 *
 * What it simulates comes from the policy: the first service of the `Lab` environment (its
 * rollback site, SQL connection setting and scope, flags, Teams channel). The lab hands the app a
 * settings overlay (`settings()`) that points those at the simulators, and the policy document with
 * the service's URLs on the lab's ports; nothing is written into local.settings.json.
 *
 * Faults (./faults.ts) are injected by name from the command line or over the lab's HTTP API
 * (./lab-server.ts): a bad release in production, a flag that breaks the API, a slow swap, a
 * throttled Graph.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { checkPolicy, type Policy } from '../config/policy.js';
import { DEFAULT_DELEGATED_SCOPES, qualifyScopes } from '../config/teams.js';
import { ArmFake } from './arm-server.js';
import { channelMessages, type ChannelMessage } from './channel.js';
import { GraphFake } from './graph-server.js';
import { LoginFake } from './login-server.js';
import { TargetApp, type Build, type Slot, type TargetFaults } from './target-app.js';
import { TdsFake } from './tds-server.js';

export const LAB_ENVIRONMENT = 'Lab';

/** The lab page and its simulators listen on 7080-7087 by default (`--lab-port` moves them all). */
export const DEFAULT_LAB_PORT = 7080;
export interface LabPorts {
  page: number;
  production: number;
  staging: number;
  arm: number;
  identity: number;
  sql: number;
  graph: number;
  login: number;
}
export function labPorts(base: number): LabPorts {
  return { page: base, production: base + 1, staging: base + 2, arm: base + 3, identity: base + 4, sql: base + 5, graph: base + 6, login: base + 7 };
}

/** The releases the lab plays: the last known good one, the one before it, and the bad one. */
export const LKG_BUILD: Build = { buildId: 'b41', releaseTag: 'r41' };
export const PREVIOUS_BUILD: Build = { buildId: 'b40', releaseTag: 'r40' };
export const BAD_BUILD: Build = { buildId: 'b42', releaseTag: 'r42' };
/** What the bad release does: readiness red (its SQL connection fails) and the jobs API answers 500. */
export const BAD_RELEASE_FAULTS: TargetFaults = { readyRed: true, errorRate: 1, errorPaths: ['/api/jobs'] };
/** The person who turns the breaking flag on, as the audit trail records them. */
export const LAB_PERSON = 'dana.kim@contoso.example';

const LAB_TENANT = '00000000-0000-4000-8000-00000000001a';
const LAB_CLIENT = '00000000-0000-4000-8000-00000000002a';
const LAB_IDENTITY = '00000000-0000-4000-8000-00000000003a';
const BUILD_SETTING = 'APP_BUILD_ID';
const RELEASE_SETTING = 'APP_RELEASE_TAG';

export class LabSetupError extends Error {
  override name = 'LabSetupError';
}

/** What the lab simulates, read from the policy's Lab service. */
export interface LabService {
  service: string;
  environment: string;
  subscriptionId: string;
  resourceGroup: string;
  site: string;
  stagingSlot: string;
  sqlSetting: string;
  scope: string;
  /** The flag the "breaking-flag" fault turns on (the service's first flag in the policy). */
  flag: string;
  teamId: string | undefined;
  channelId: string | undefined;
}

function labServiceOf(policy: Policy, environment: string): LabService {
  for (const entry of policy.services) {
    const api = entry.rollback?.api;
    const flag = entry.flags[0];
    if (entry.environment.toLowerCase() !== environment.toLowerCase() || api?.strategy !== 'slot-swap' || !entry.sql || !flag) continue;
    // The service's own Teams destination, else its environment's (as the app routes its messages).
    const teams = entry.teams ?? policy.environments[entry.environment]?.teams;
    return {
      service: entry.service,
      environment: entry.environment,
      subscriptionId: api.subscriptionId,
      resourceGroup: api.resourceGroup,
      site: api.site,
      stagingSlot: api.stagingSlot,
      sqlSetting: entry.sql.connectionSetting,
      scope: entry.sql.scope ?? entry.environment,
      flag,
      teamId: teams?.teamId,
      channelId: teams?.channelId,
    };
  }
  throw new LabSetupError(
    `The policy has no service in the ${environment} environment with a slot-swap rollback, a SQL target and a flag: ` +
      `the lab simulates that service (see the Lab environment of policy.sample.json).`,
  );
}

export interface LabOptions {
  /** The policy document (as JSON, not yet validated): the lab simulates its Lab service. */
  policyDocument: unknown;
  /** Where the lab writes the files the app reads (CA certificates, the Teams sign-in). */
  dir: string;
  /** Fixed ports (default: 7080-7087), or 'free' for ports the system picks (tests, the demo). */
  ports?: Partial<LabPorts> | 'free';
  /** The clock that stamps audit rows and channel messages: the dev host's (scaled) clock. */
  now?: () => number;
  environment?: string;
}

export interface LabSlotState {
  url: string;
  build: Build;
  faults: TargetFaults;
}

export interface LabState {
  service: LabService;
  slots: Record<Slot, LabSlotState>;
  /** Slot swaps ARM completed. */
  swaps: number;
  /** Flags of the service's scope, as the database holds them. */
  flags: Record<string, boolean>;
  /** Rows in the audit trail (every change through the stored procedures adds at least one). */
  auditRows: number;
  channelMessages: number;
  faults: string[];
  urls: { page: string; arm: string; graph: string; sql: string };
}

export class Lab {
  /** Faults in force (names), for the page and the state. */
  readonly active = new Map<string, string>();

  private constructor(
    readonly service: LabService,
    readonly target: TargetApp,
    readonly arm: ArmFake,
    readonly sql: TdsFake,
    readonly graph: GraphFake,
    readonly login: LoginFake,
    private readonly document: Record<string, unknown>,
    private readonly files: { armCa: string; graphCa: string; token: string },
  ) {}

  static async start(o: LabOptions): Promise<Lab> {
    const checked = checkPolicy(o.policyDocument);
    if (!checked.ok) throw new LabSetupError(`The policy is not valid: ${checked.issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`);
    const service = labServiceOf(checked.policy, o.environment ?? LAB_ENVIRONMENT);
    const ports: Partial<LabPorts> = o.ports === 'free' ? {} : { ...labPorts(DEFAULT_LAB_PORT), ...(o.ports ?? {}) };
    const now = o.now ?? Date.now;
    const started: { stop(): Promise<void> }[] = [];
    const holder: { target?: TargetApp } = {};
    try {
      const sql = await TdsFake.start({ now: () => new Date(now()), ...(ports.sql !== undefined ? { port: ports.sql } : {}) });
      started.push(sql);
      // A completed swap routes production to the other deployment: the target app swaps too.
      const arm = new ArmFake({
        onSwap: () => void holder.target?.swap(),
        buildSetting: BUILD_SETTING,
        releaseSetting: RELEASE_SETTING,
        ports: { ...(ports.arm !== undefined ? { arm: ports.arm } : {}), ...(ports.identity !== undefined ? { side: ports.identity } : {}) },
      });
      await arm.start();
      started.push(arm);
      const target = await TargetApp.start({
        environment: service.environment,
        builds: { production: LKG_BUILD, staging: PREVIOUS_BUILD },
        // Flags live in the environment's database: the target app reads them from the SQL simulator.
        flagSource: (name) => sql.db.flag(name, service.scope)?.isEnabled,
        ports: { ...(ports.production !== undefined ? { production: ports.production } : {}), ...(ports.staging !== undefined ? { staging: ports.staging } : {}) },
      });
      started.push(target);
      holder.target = target;
      const graph = await GraphFake.start({ now, ...(ports.graph !== undefined ? { port: ports.graph } : {}) });
      started.push(graph);
      const login = await LoginFake.start({ pendingPolls: 0, upn: 'incident-bot@contoso.example', ...(ports.login !== undefined ? { port: ports.login } : {}) });
      started.push(login);

      arm.addSite({
        subscriptionId: service.subscriptionId,
        resourceGroup: service.resourceGroup,
        name: service.site,
        slots: { production: settingsOf(LKG_BUILD), [service.stagingSlot]: settingsOf(PREVIOUS_BUILD) },
      });
      sql.db.seedFlag({ flagKey: service.flag, scope: service.scope, isEnabled: false, updatedBy: 'lab' });
      sql.db.seedConfig({ configKey: 'Network:SseKeepAliveSeconds', scope: service.scope, value: '10', updatedBy: 'lab' });

      mkdirSync(o.dir, { recursive: true });
      const files = { armCa: path.join(o.dir, 'lab-arm-ca.pem'), graphCa: path.join(o.dir, 'lab-graph-ca.pem'), token: path.join(o.dir, 'lab-teams-signin.json') };
      writeFileSync(files.armCa, arm.ca);
      writeFileSync(files.graphCa, graph.ca);
      // The service account's sign-in, as `npm run teams:signin` would store it (its refresh token is the lab login's).
      const at = new Date(now()).toISOString();
      const signIn = {
        v: 1,
        tenantId: LAB_TENANT,
        clientId: LAB_CLIENT,
        scopes: qualifyScopes(DEFAULT_DELEGATED_SCOPES),
        refreshToken: login.issueRefreshToken(),
        account: { upn: 'incident-bot@contoso.example', name: 'Incident Bot (lab)' },
        signedInAt: at,
        refreshedAt: at,
      };
      writeFileSync(files.token, JSON.stringify(signIn, null, 2), { mode: 0o600 });
      return new Lab(service, target, arm, sql, graph, login, o.policyDocument as Record<string, unknown>, files);
    } catch (err) {
      await Promise.allSettled(started.reverse().map((s) => s.stop()));
      if (err instanceof LabSetupError) throw err;
      const e = err as NodeJS.ErrnoException & { port?: number };
      if (e.code === 'EADDRINUSE') {
        throw new LabSetupError(`A lab port is in use (${e.message}): stop what listens there, or move the lab with --lab-port <base> (it uses base..base+7).`);
      }
      throw err;
    }
  }

  /**
   * The policy document the app runs with: the one given, with the Lab service's endpoints on the
   * target app's ports (the document's own values are the default ports).
   */
  policyJson(): string {
    const doc = structuredClone(this.document) as { services?: { service?: string; environment?: string; endpoints?: Record<string, unknown> }[] };
    for (const s of doc.services ?? []) {
      if (s.service !== this.service.service || s.environment !== this.service.environment || !s.endpoints) continue;
      s.endpoints.baseUrl = this.target.url('production');
      if ('stagingBaseUrl' in s.endpoints) s.endpoints.stagingBaseUrl = this.target.url('staging');
    }
    return JSON.stringify(doc);
  }

  /**
   * App settings that point the app at the lab. `base` is what is set already (local.settings.json
   * and the environment): an approval key there is kept. (The smoke probes may reach the lab's
   * target because the policy names its URLs.)
   */
  settings(base: NodeJS.ProcessEnv = {}): Record<string, string> {
    return {
      POLICY_JSON: this.policyJson(),
      // ARM over https with the lab's certificate, tokens from its managed-identity endpoint.
      APPSERVICE_ARM_ENDPOINT: this.arm.armUrl,
      APPSERVICE_ARM_CA_FILE: this.files.armCa,
      APPSERVICE_MANAGED_IDENTITY_CLIENT_ID: LAB_IDENTITY,
      APPSERVICE_POLL_INTERVAL_MS: '250',
      IDENTITY_ENDPOINT: this.arm.identityEndpoint,
      IDENTITY_HEADER: this.arm.identityHeader,
      [this.service.sqlSetting]: this.sql.connectionString(),
      // Teams: channel messages as the lab's signed-in service account, to the lab's Graph.
      TEAMS_DELIVERY: 'channel',
      TEAMS_GRAPH_URL: this.graph.url,
      TEAMS_GRAPH_CA_FILE: this.files.graphCa,
      TEAMS_LOGIN_URL: this.login.url,
      TEAMS_TENANT_ID: LAB_TENANT,
      TEAMS_CLIENT_ID: LAB_CLIENT,
      TEAMS_TOKEN_FILE: this.files.token,
      ...(this.service.teamId && this.service.channelId ? { TEAMS_TEAM_ID: this.service.teamId, TEAMS_CHANNEL_ID: this.service.channelId } : {}),
      // Approval links: locally nobody vouches for a signed-in person, so whoever holds the link decides.
      APPROVAL_IDENTITY: 'link',
      APPROVAL_SIGNING_KEY: base.APPROVAL_SIGNING_KEY?.trim() || randomBytes(32).toString('base64'),
    };
  }

  /**
   * What a deploy pipeline did before the lab's story starts: the release in production is
   * recorded as the last known good, through the app's own API (POST /api/lkg).
   */
  async recordLkg(appUrl: string): Promise<void> {
    const res = await fetch(`${appUrl}/api/lkg`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        env: this.service.environment,
        service: this.service.service,
        releaseTag: LKG_BUILD.releaseTag,
        buildId: LKG_BUILD.buildId,
        evidenceUrl: `https://releases.contoso.example/${this.service.service}/${LKG_BUILD.releaseTag}/`,
        recordedBy: { id: 'pipeline:lab' },
        note: 'Recorded by the lab at start: the release production runs before any fault.',
      }),
    });
    if (res.status !== 200 && res.status !== 201) throw new LabSetupError(`The app refused the lab's LKG record (POST /api/lkg answered ${res.status}: ${(await res.text()).slice(0, 300)}).`);
  }

  /** The slot that serves `build` now, if any. */
  slotOf(build: Build): Slot | undefined {
    return (['production', 'staging'] as const).find((s) => this.target.build(s).buildId === build.buildId);
  }

  /** A change through the stored procedure, by a person (so the audit trail shows it). */
  setFlagAsPerson(enabled: boolean, actor = LAB_PERSON): void {
    const params = new Map<string, string | boolean>([
      ['@flagkey', this.service.flag],
      ['@scope', this.service.scope],
      ['@isenabled', enabled],
      ['@actor', actor],
      ['@requestid', `lab-${randomBytes(6).toString('hex')}`],
      ['@description', enabled ? 'Turned on from the lab (fault "breaking-flag").' : 'Turned off from the lab.'],
    ]);
    this.sql.db.exec('dbo.sp_feature_set', params);
  }

  /** Deploys `build` to production the way a release goes out: to staging, then a swap. */
  deployToProduction(build: Build, faults: TargetFaults): void {
    const current = this.target.build('production');
    this.target.setBuild('staging', build, faults);
    this.target.swap();
    this.arm.deploy(this.service.site, 'production', settingsOf(build));
    this.arm.deploy(this.service.site, this.service.stagingSlot, settingsOf(current));
  }

  channel(): ChannelMessage[] {
    return channelMessages(this.graph.allChannels());
  }

  state(pageUrl = ''): LabState {
    const slot = (s: Slot): LabSlotState => ({ url: this.target.url(s), build: this.target.build(s), faults: this.target.faults(s) });
    const flags: Record<string, boolean> = {};
    for (const row of this.sql.db.flags.values()) if (row.scope.toLowerCase() === this.service.scope.toLowerCase()) flags[row.flagKey] = row.isEnabled;
    return {
      service: this.service,
      slots: { production: slot('production'), staging: slot('staging') },
      swaps: this.target.swaps,
      flags,
      auditRows: this.sql.db.audit.length,
      channelMessages: this.channel().length,
      faults: [...this.active.keys()],
      urls: { page: pageUrl, arm: this.arm.armUrl, graph: this.graph.url, sql: `127.0.0.1:${this.sql.port}` },
    };
  }

  /** What a drill must leave as it found it: builds per slot, swaps, flags, audit rows, channel messages. */
  fingerprint(): string {
    const s = this.state();
    return JSON.stringify({
      production: s.slots.production.build,
      staging: s.slots.staging.build,
      swaps: s.swaps,
      armSwapRequests: this.arm.swapRequests().length,
      flags: s.flags,
      auditRows: s.auditRows,
      sqlWrites: this.sql.callsOf('dbo.sp_Feature_Set').length + this.sql.callsOf('dbo.sp_Config_SetValue').length,
      channelMessages: s.channelMessages,
      graphPosts: this.graph.posts.length,
    });
  }

  async stop(): Promise<void> {
    await Promise.allSettled([this.target.stop(), this.arm.stop(), this.sql.stop(), this.graph.stop(), this.login.stop()]);
  }
}

function settingsOf(b: Build): Record<string, string> {
  return { [BUILD_SETTING]: b.buildId, [RELEASE_SETTING]: b.releaseTag };
}
