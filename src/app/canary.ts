/**
 * The canary: checks, ahead of the next incident, every dependency the runbook needs, with the
 * adapters' own calls (the same code an incident runs), and records what it found:
 *
 *   settings      the app settings parse (src/config/settings.ts)
 *   storage       the app's storage answers (the health probe)
 *   policy        the policy file loads and validates
 *   setting:<n>   no app setting is an unresolved Key Vault reference (App Service leaves the
 *                 "@Microsoft.KeyVault(...)" text in place when it cannot resolve one)
 *   keyvault      the delegated Teams sign-in's secret can be read
 *   teams-signin  the delegated sign-in still redeems for a Graph token, and when it expires
 *   teams-app     the app-only (activity feed) credential gets a Graph token
 *   sql:<setting> each service's SQL login (SELECT 1 through the adapter)
 *   arm:<site>    read access to each rollback target's slots (the app settings the swap reads)
 *
 * Each failing dependency is named with what is wrong (src/domain/canary.ts). The report goes to
 * Table storage (GET /api/canary, and GET /api/health shows its summary) and to telemetry
 * (`autopilot.canary.runs`, `autopilot.canary.checks`: the "canary red" alert). A sign-in with
 * TEAMS_SIGNIN_WARN_DAYS or fewer left is announced in the app's Teams channel, once a day.
 */
import { RefreshTokenCredential, DelegatedAuthError, DelegatedTokenUnavailable } from '../adapters/delegated-token.js';
import { ArmRequestError } from '../adapters/arm.js';
import { SecretStoreError } from '../adapters/secret-store.js';
import { appOnlyCredential } from '../adapters/teams-credentials.js';
import { messageReference, outgoingOf } from '../activities/teams.js';
import { describeIssues } from '../config/issues.js';
import type { RollbackTarget } from '../config/app-service.js';
import type { Policy } from '../config/policy.js';
import { type ActivitySettings, type GraphSettings, type TeamsSettings } from '../config/teams.js';
import { canaryReport, daysLeft, noticeDue, noticeStep, signInExpiry, type CanaryCheck, type CanaryReport, type Problem } from '../domain/canary.js';
import { renderSignInExpiry } from '../domain/messages/signin-expiry.js';
import { ATTR } from '../domain/telemetry.js';
import { channelOf } from '../domain/teams-routing.js';
import type { CanaryStore } from '../ports/canary.js';
import type { StepLedger } from '../ports/ledger.js';
import { TargetConfigError } from '../ports/target-config.js';
import type { TeamsPort } from '../ports/teams.js';
import type { Telemetry } from '../ports/telemetry.js';
import { TransientError, errorText } from '../domain/errors.js';
import { appServicePorts } from './app-service.js';
import { probeStorage } from './health.js';
import { getLedger } from './ledger.js';
import { loadPolicy } from './policy-source.js';
import { appSettings, type AppSettings } from './settings.js';
import { getSqlStore } from './sql.js';
import { getCanaryStore } from './stores.js';
import { getTeamsPort, tokenStore } from './teams.js';
import { telemetry } from './telemetry.js';

/** One check may not hold up the others, nor the run, longer than this. */
export const CHECK_TIMEOUT_MS = 30_000;

export interface CanaryDeps {
  settings: AppSettings;
  now: () => number;
  store: () => CanaryStore;
  ledger: () => StepLedger;
  teams: () => TeamsPort;
  telemetry: () => Telemetry;
  log: (line: string) => void;
  /** Test seam: the checks' time limit. */
  checkTimeoutMs?: number;
}

type Found = Omit<CanaryCheck, 'latencyMs' | 'dependency'>;
const ok = (detail: string): Found => ({ status: 'ok', problem: null, detail });
const failed = (problem: Problem, detail: string): Found => ({ status: 'failed', problem, detail });
const skipped = (detail: string): Found => ({ status: 'skipped', problem: null, detail });

function firstLine(err: unknown): string {
  return errorText(err).split('\n')[0]!.slice(0, 300);
}

async function timed(dependency: string, limitMs: number, run: () => Promise<Found>): Promise<CanaryCheck> {
  const started = Date.now();
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<Found>((resolve) => {
    timer = setTimeout(() => resolve(failed('error', `no answer within ${Math.round(limitMs / 1000)} s`)), limitMs);
  });
  try {
    const found = await Promise.race([run().catch((err: unknown) => failed('error', firstLine(err))), late]);
    return { dependency, ...found, latencyMs: Date.now() - started };
  } finally {
    clearTimeout(timer);
  }
}

interface SignInFacts {
  account: string | null;
  signedInAt: string;
  refreshedAt: string;
}

function delegatedCheck(settings: Extract<TeamsSettings, { delivery: 'channel' }>, facts: { signIn?: SignInFacts }): () => Promise<Found> {
  return async () => {
    const d = settings.delegated;
    // A credential of its own: a fresh redeem each run proves the sign-in works now, not an hour ago.
    const credential = new RefreshTokenCredential({
      loginUrl: d.loginUrl,
      tenantId: d.tenantId,
      clientId: d.clientId,
      scopes: d.scopes,
      store: tokenStore(d.store, settings.graph.timeoutMs),
      timeoutMs: settings.graph.timeoutMs,
    });
    try {
      const token = await credential.getToken(d.scopes);
      const stored = await credential.storedSignIn();
      facts.signIn = { account: stored.account.upn ?? stored.account.name ?? null, signedInAt: stored.signedInAt, refreshedAt: stored.refreshedAt };
      const minutes = Math.round((token.expiresOnTimestamp - Date.now()) / 60_000);
      return ok(`redeemed for a Graph token (valid ${minutes} min) as ${facts.signIn.account ?? 'the signed-in account'}`);
    } catch (err) {
      if (err instanceof DelegatedAuthError) return failed('token expired', firstLine(err));
      if (err instanceof DelegatedTokenUnavailable) return failed('token endpoint unreachable', firstLine(err));
      throw err;
    }
  };
}

function appOnlyCheck(graph: GraphSettings, activity: ActivitySettings): () => Promise<Found> {
  return async () => {
    try {
      const token = await appOnlyCredential(activity, activity.loginUrl).getToken(`${graph.baseUrl}/.default`);
      return token ? ok('the app credential got a Graph token') : failed('token expired', 'the app credential returned no token');
    } catch (err) {
      return failed('token expired', firstLine(err));
    }
  };
}

function keyVaultCheck(store: Extract<TeamsSettings, { delivery: 'channel' }>['delegated']['store'], timeoutMs: number): (() => Promise<Found>) | undefined {
  if (store.kind !== 'keyvault') return undefined;
  return async () => {
    const kv = tokenStore(store, timeoutMs);
    try {
      const value = await kv.read();
      return value === undefined ? failed('secret missing', `${kv.description} does not exist: run npm run teams:signin`) : ok(`read ${kv.description}`);
    } catch (err) {
      if (err instanceof SecretStoreError) return failed(err.transient ? 'key vault unreachable' : 'key vault refused', firstLine(err));
      throw err;
    }
  };
}

function sqlCheck(setting: string, settings: AppSettings): () => Promise<Found> {
  return async () => {
    try {
      const { latencyMs } = await getSqlStore(setting, settings).ping();
      return ok(`logged in and ran SELECT 1 (${latencyMs} ms)`);
    } catch (err) {
      if (!(err instanceof TargetConfigError)) throw err;
      const problem: Problem = err.kind === 'login' ? 'login refused' : err.kind === 'permission' ? 'permission denied' : err.kind === 'config' ? 'not configured' : err.kind === 'transient' ? 'sql unreachable' : 'error';
      return failed(problem, firstLine(err));
    }
  };
}

function armCheck(target: Extract<RollbackTarget, { strategy: 'slot-swap' }>, settings: AppSettings): () => Promise<Found> {
  return async () => {
    const built = appServicePorts(settings);
    if (!built.ok) return failed('not configured', `the App Service settings are invalid: ${describeIssues(built.issues).replace(/\n/g, '; ')}`);
    const ref = { subscriptionId: target.subscriptionId, resourceGroup: target.resourceGroup, site: target.site };
    try {
      for (const slot of ['production', target.stagingSlot]) await built.value.arm.listSettings(ref, slot);
      return ok(`read the app settings of production and ${target.stagingSlot}`);
    } catch (err) {
      // Status 0: ARM never answered our request (no token for it: the identity was refused).
      if (err instanceof ArmRequestError) return failed(err.status ? `ARM ${err.status}` : 'error', firstLine(err));
      if (err instanceof TransientError) return failed('ARM unreachable', firstLine(err));
      throw err;
    }
  };
}

function slotSwapTargets(policy: Policy): Extract<RollbackTarget, { strategy: 'slot-swap' }>[] {
  const seen = new Map<string, Extract<RollbackTarget, { strategy: 'slot-swap' }>>();
  for (const s of policy.services) {
    for (const t of [s.rollback?.api, s.rollback?.web]) {
      if (t?.strategy === 'slot-swap') seen.set(`${t.subscriptionId}/${t.resourceGroup}/${t.site}`.toLowerCase(), t);
    }
  }
  return [...seen.values()];
}

/** Runs every check (in parallel, each bounded), records and reports the result. */
export async function runCanary(deps: CanaryDeps): Promise<CanaryReport> {
  const app = deps.settings;
  const limit = deps.checkTimeoutMs ?? CHECK_TIMEOUT_MS;
  const checks: Promise<CanaryCheck>[] = [];
  const add = (dependency: string, run: () => Promise<Found>) => checks.push(timed(dependency, limit, run));
  const facts: { signIn?: SignInFacts } = {};

  const settings = app.base;
  add('settings', () => Promise.resolve(settings.ok ? ok('the app settings are valid') : failed('settings invalid', describeIssues(settings.issues).replace(/\n/g, '; '))));
  add('storage', async () => {
    if (!settings.ok) return failed('storage down', 'not checked: the storage settings are invalid');
    const probe = await probeStorage(settings.settings.storage);
    return probe.ok ? ok(`answered in ${probe.latencyMs} ms`) : failed('storage down', probe.error ?? 'no answer');
  });

  let policy: Policy | undefined;
  try {
    policy = loadPolicy(app.policy);
    add('policy', () => Promise.resolve(ok(`${policy?.services.length ?? 0} services`)));
  } catch (err) {
    add('policy', () => Promise.resolve(failed('policy invalid', firstLine(err))));
  }
  // App settings App Service could not resolve: the reference text itself is what the app sees.
  for (const name of app.unresolvedReferences) {
    add(`setting:${name}`, () => Promise.resolve(failed('key vault reference unresolved', `${name} is still a Key Vault reference: App Service could not resolve it (the identity's access to the vault, or the secret's name)`)));
  }

  const teams = app.teams;
  if (!teams.ok) add('teams', () => Promise.resolve(failed('settings invalid', describeIssues(teams.issues).replace(/\n/g, '; '))));
  else if (teams.settings.delivery === 'local') add('teams', () => Promise.resolve(skipped('TEAMS_DELIVERY is local: messages go to the local sink')));
  else if (teams.settings.delivery === 'channel') {
    const t = teams.settings;
    const kv = keyVaultCheck(t.delegated.store, t.graph.timeoutMs);
    if (kv) add('keyvault', kv);
    add('teams-signin', delegatedCheck(t, facts));
    if (t.activity) add('teams-app', appOnlyCheck(t.graph, t.activity));
  } else add('teams-app', appOnlyCheck(teams.settings.graph, teams.settings.activity));

  if (policy) {
    const settingsSeen = new Set<string>();
    for (const s of policy.services) {
      const setting = s.sql?.connectionSetting;
      if (setting && !settingsSeen.has(setting)) {
        settingsSeen.add(setting);
        add(`sql:${setting}`, sqlCheck(setting, app));
      }
    }
    for (const target of slotSwapTargets(policy)) add(`arm:${target.site}`, armCheck(target, app));
  }

  const results = await Promise.all(checks);
  const now = deps.now();
  let signIn: CanaryReport['signIn'] = null;
  const canary = app.canary;
  if (!canary.ok) deps.log(`Canary settings are invalid (defaults used): ${describeIssues(canary.issues).replace(/\n/g, '; ')}`);
  const cs = canary.ok ? canary.settings : { enabled: true, warnDays: 7, maxAgeDays: null };
  if (facts.signIn) {
    const expiry = signInExpiry(facts.signIn, cs.maxAgeDays);
    signIn = { account: facts.signIn.account, expiresAt: new Date(expiry.expiresAt).toISOString(), daysLeft: daysLeft(expiry.expiresAt, now), basis: expiry.basis };
  }
  const report = canaryReport(new Date(now).toISOString(), results, signIn);

  const t = deps.telemetry();
  t.count('canaryRuns', { [ATTR.status]: report.status });
  for (const c of report.checks) t.count('canaryChecks', { [ATTR.dependency]: c.dependency.split(':')[0]!, [ATTR.status]: c.status });
  if (signIn) t.gauge('teamsSignInDaysLeft', signIn.daysLeft);
  for (const f of report.failing) deps.log(`Canary: ${f}`);

  if (signIn && noticeDue(Date.parse(signIn.expiresAt), now, cs.warnDays)) {
    report.notice = await announceSignIn(deps, signIn, policy, now).catch((err: unknown) => `not posted: ${firstLine(err)} (tried again on the next run)`);
    deps.log(`Canary: the Teams sign-in expires ${signIn.expiresAt}: ${report.notice}`);
  }
  // Storage may be the dependency that is down: the report still goes to the log and telemetry.
  await deps
    .store()
    .save(report)
    .catch((err: unknown) => deps.log(`Canary: the report could not be recorded: ${firstLine(err)}`));
  return report;
}

/** Posts the sign-in notice in the app's channel, once a day (the step ledger keeps the day's post). */
async function announceSignIn(deps: CanaryDeps, signIn: NonNullable<CanaryReport['signIn']>, policy: Policy | undefined, now: number): Promise<string> {
  const key = { incidentId: 'canary:teams-signin', step: noticeStep(now) };
  const reference = messageReference(key.incidentId, key.step);
  const ledger = deps.ledger();
  const teams = deps.teams();
  const destination = policy ? channelOf(policy.teams, 'teams').destination : undefined;
  const claim = await ledger.start<{ messageId: string }>(key, new Date(now).toISOString());
  if (!claim.fresh) {
    if (claim.existing.state === 'done') return 'posted earlier today';
    // An earlier run claimed it and did not finish: look before posting again.
    const found = await teams.find(reference, undefined, destination).catch(() => 'unknown' as const);
    if (found && found !== 'unknown') {
      await ledger.finish(key, { messageId: found.messageId }, new Date(deps.now()).toISOString());
      return 'posted earlier today';
    }
  }
  const rendered = renderSignInExpiry(signIn, { reference });
  const outgoing = { ...outgoingOf(rendered, reference, key.incidentId), topic: 'Teams sign-in' };
  const d = await teams.post(outgoing, { deadline: now + 60_000, ...(destination ? { destination } : {}) });
  await ledger.finish(key, { messageId: d.messageId }, new Date(deps.now()).toISOString());
  return `posted (${d.mode})`;
}

/** The canary as the timer runs it; undefined when CANARY_ENABLED is false. */
export async function appCanary(log: (line: string) => void, now: () => number): Promise<CanaryReport | undefined> {
  const settings = appSettings();
  if (settings.canary.ok && !settings.canary.settings.enabled) return undefined;
  return runCanary({
    settings,
    now,
    store: getCanaryStore,
    ledger: getLedger,
    teams: () => getTeamsPort(),
    telemetry,
    log,
  });
}
