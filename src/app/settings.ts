/**
 * The app's settings as the composition root hands them down: the one module of the product that
 * reads process.env (test/lint/settings-reading.test.ts holds it to that). `appSettings()` takes
 * one snapshot of the environment per process (functions/startup.ts takes it at start) and parses
 * each capability's settings from it with src/config, once, on first use of that capability (so a
 * capability nobody uses costs nothing, and one whose settings are broken answers "not configured"
 * without hiding the others). Everything below gets these typed values, never the environment.
 *
 * The reset seam: `resetAppSettings()` drops the parse, so the next `appSettings()` reads the
 * environment again. In Azure the settings never change under a running worker (an App Service
 * settings change restarts it), so only two callers need it: the dev host, each time it starts the
 * app (it has just written AzureWebJobsStorage, local.settings.json and the like), and tests that
 * change a setting while the app runs (test/harness/env.ts `setAppEnv`). Like the app clock, the
 * parse lives on a global symbol: the dev host and tests run from source, the app from dist/, and
 * the reset must reach both copies of this module.
 */
import path from 'node:path';
import { readAppServiceSettings, readRegistrySettings, type AppServiceSettings, type RegistrySettings, type SettingsResultOf } from '../config/app-service.js';
import { readEvidenceSettings, type EvidenceSettingsResult } from '../config/evidence.js';
import { readIntakeSettings, type IntakeSettings } from '../config/intake.js';
import { readSettings, type SettingsResult } from '../config/settings.js';
import { readSignalsSettings, type SignalsSettings } from '../config/signals.js';
import { readSmokeSettings, type PolicyHosts, type SmokeSettingsResult } from '../config/smoke.js';
import { readSqlSettings, readSqlTarget, type SqlSettings, type SqlTargetResult } from '../config/sql.js';
import { readStatusPageSettings, type StatusPageSettings } from '../config/status-page.js';
import { storageTarget, type StorageTarget } from '../config/storage.js';
import { parseApprovers, readApprovalSettings, readTeamsSettings, type ApprovalSettingsResult, type TeamsSettingsResult } from '../config/teams.js';
import { readCanarySettings, readTelemetrySettings, type CanarySettings, type TelemetrySettings } from '../config/telemetry.js';
import type { Issue } from '../config/issues.js';
import { readLocalSettings } from './local-settings.js';

/** The environment the settings are parsed from (a snapshot of process.env, or a test's own). */
export type SettingsSource = Readonly<Record<string, string | undefined>>;

type Result<T> = { ok: true; settings: T } | { ok: false; issues: Issue[] };

/** dist/src/app/settings.js -> the app root (where host.json is); POLICY_PATH is relative to it. */
export const APP_ROOT = path.resolve(__dirname, '..', '..', '..');

/** Where the policy comes from: POLICY_JSON (the document) or POLICY_PATH (a file, resolved). */
export type PolicySource = { kind: 'inline'; where: 'POLICY_JSON'; text: string } | { kind: 'file'; where: string } | { kind: 'none'; where: '' };

/** Who is calling (src/app/access.ts): Easy Auth on or off, and the APPROVERS fallback list. */
export interface AccessSettings {
  /** WEBSITE_AUTH_ENABLED is true: App Service Authentication vouches for the principal headers. */
  easyAuth: boolean;
  /** APPROVERS: who may approve when the incident's policy entry is unknown. */
  approvers: string[];
}

/** What the deployment checklist can see of the approval settings without echoing a value. */
export interface ApprovalSetup {
  signingKey: 'unset' | 'key-vault-reference' | 'set';
  /** APPROVAL_IDENTITY=link: whoever holds the link may use it. */
  linkIdentity: boolean;
}

export interface AppSettings {
  /** TaskHubName, APP_COMMIT and the storage account, checked together (GET /api/health). */
  readonly base: SettingsResult;
  /** The app's storage account (AzureWebJobsStorage*); throws StorageSettingsError when it is unusable. */
  storage(): StorageTarget;
  /** The deployed commit (APP_COMMIT). */
  readonly commit: string | undefined;
  readonly policy: PolicySource;
  readonly access: AccessSettings;
  readonly approval: ApprovalSettingsResult;
  readonly approvalSetup: ApprovalSetup;
  readonly teams: TeamsSettingsResult;
  readonly intake: IntakeSettings;
  readonly statusPage: Result<StatusPageSettings | null>;
  readonly evidence: EvidenceSettingsResult;
  readonly registry: SettingsResultOf<RegistrySettings>;
  readonly appService: SettingsResultOf<AppServiceSettings>;
  /** The value of a republish target's hook token setting (named by APPSERVICE_TARGETS). */
  hookToken(setting: string): string | undefined;
  readonly signals: Result<SignalsSettings>;
  readonly sql: Result<SqlSettings>;
  /** A SQL_CONNECTION_<NAME> setting (the policy names it): its raw text, to notice a change, and its parse. */
  sqlConnection(setting: string): { raw: string; target: SqlTargetResult };
  /** Which managed identity endpoint variable the platform set (the SQL driver is told its name). */
  readonly identityEndpoint: 'IDENTITY_ENDPOINT' | 'MSI_ENDPOINT' | undefined;
  /** The smoke settings with the hosts the current policy names (the policy may change; the settings do not). */
  smoke(policy: PolicyHosts): SmokeSettingsResult;
  readonly telemetry: Result<TelemetrySettings>;
  readonly canary: Result<CanarySettings>;
  /** Settings App Service could not resolve from Key Vault: their value is still the reference text. */
  readonly unresolvedReferences: string[];
}

const KEY_VAULT_REFERENCE = /^@Microsoft\.KeyVault\(/i;

/** Each getter runs once, on first read, and its value replaces it. */
function once<T extends object>(target: T, getters: { [K in keyof T]?: () => T[K] }): T {
  for (const [name, get] of Object.entries(getters) as [string, () => unknown][]) {
    Object.defineProperty(target, name, {
      configurable: true,
      enumerable: true,
      get() {
        const value = get();
        Object.defineProperty(target, name, { value, enumerable: true });
        return value;
      },
    });
  }
  return target;
}

export function policySourceOf(env: SettingsSource): PolicySource {
  if (env.POLICY_JSON?.trim()) return { kind: 'inline', where: 'POLICY_JSON', text: env.POLICY_JSON };
  const file = env.POLICY_PATH?.trim();
  if (file) return { kind: 'file', where: path.resolve(APP_ROOT, file) };
  return { kind: 'none', where: '' };
}

/**
 * The settings parsed from `env` (not copied: appSettings() hands it a snapshot). Exported for the
 * tests and tools that check settings other than the process's, e.g. GET /api/health's report of
 * a given environment; the app itself uses appSettings().
 */
export function parseAppSettings(env: SettingsSource): AppSettings {
  const e = env as NodeJS.ProcessEnv;
  let storage: { target: StorageTarget } | { error: unknown } | undefined;
  const settings = {
    storage(): StorageTarget {
      if (!storage) {
        try {
          storage = { target: storageTarget(e) };
        } catch (error) {
          storage = { error };
        }
      }
      if ('error' in storage) throw storage.error;
      return storage.target;
    },
    hookToken: (setting: string) => env[setting],
    sqlConnection: (setting: string) => ({ raw: env[setting] ?? '', target: readSqlTarget(e, setting) }),
    smoke: (policy: PolicyHosts) => readSmokeSettings(e, policy),
  } as AppSettings;
  return once(settings, {
    base: () => readSettings(e),
    commit: () => env.APP_COMMIT?.trim() || undefined,
    policy: () => policySourceOf(env),
    access: () => ({ easyAuth: env.WEBSITE_AUTH_ENABLED?.trim().toLowerCase() === 'true', approvers: parseApprovers(env.APPROVERS) }),
    approval: () => readApprovalSettings(e),
    approvalSetup: () => {
      const key = env.APPROVAL_SIGNING_KEY?.trim() ?? '';
      return { signingKey: !key ? 'unset' : KEY_VAULT_REFERENCE.test(key) ? 'key-vault-reference' : 'set', linkIdentity: env.APPROVAL_IDENTITY?.trim() === 'link' };
    },
    teams: () => readTeamsSettings(e),
    intake: () => readIntakeSettings(e),
    statusPage: () => readStatusPageSettings(e),
    evidence: () => readEvidenceSettings(e),
    registry: () => readRegistrySettings(e),
    appService: () => readAppServiceSettings(e),
    signals: () => readSignalsSettings(e),
    sql: () => readSqlSettings(e),
    identityEndpoint: () => (env.IDENTITY_ENDPOINT ? 'IDENTITY_ENDPOINT' : env.MSI_ENDPOINT ? 'MSI_ENDPOINT' : undefined),
    telemetry: () => readTelemetrySettings(e),
    canary: () => readCanarySettings(e),
    unresolvedReferences: () =>
      Object.entries(env)
        .filter(([, v]) => typeof v === 'string' && KEY_VAULT_REFERENCE.test(v.trim()))
        .map(([k]) => k)
        .sort(),
  });
}

const KEY = Symbol.for('incident-autopilot.app-settings');
type Holder = { [KEY]?: AppSettings };

/** The process's settings: parsed from one snapshot of the environment, once per process. */
export function appSettings(): AppSettings {
  const holder = globalThis as Holder;
  return (holder[KEY] ??= parseAppSettings({ ...process.env }));
}

/**
 * Drops the parsed settings; the next appSettings() reads the environment again. Only for the dev
 * host (when it starts the app) and tests that change a setting while the app runs; in Azure a
 * settings change restarts the worker.
 */
export function resetAppSettings(): void {
  delete (globalThis as Holder)[KEY];
}

/**
 * Copies local.settings.json `Values` into the environment without overriding variables that are
 * already set (Core Tools does the same), and drops the parsed settings so they include them.
 * Returns the file used and the names it set. Used by the dev host and the command-line tools.
 */
export function applyLocalSettings(root: string): { file: string | undefined; applied: string[] } {
  const local = readLocalSettings(root);
  const applied: string[] = [];
  for (const [key, value] of Object.entries(local.values)) {
    if (process.env[key] === undefined) {
      process.env[key] = value;
      applied.push(key);
    }
  }
  resetAppSettings();
  return { file: local.file, applied };
}
