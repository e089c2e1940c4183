/**
 * Settings for the App Service capability: which sites and slots hold each environment's
 * services, how to read the build a slot runs, how to roll web back, and the tables of the
 * last-known-good registry and the deploy freeze. Validated in one pass so every problem is
 * reported at once; empty strings count as unset; values are never echoed back.
 */
import { z } from 'zod';
import { storageTarget, StorageSettingsError, type StorageTarget } from './storage.js';
import { AppServiceTarget } from '../domain/app-service-target.js';
import { toIssues, type Issue } from './issues.js';

export {
  AppServiceTarget,
  BuildSource,
  RollbackTarget,
  type RepublishTarget,
  type SlotSwapTarget,
} from '../domain/app-service-target.js';

const blankIsUnset = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);
const optionalText = z.preprocess(blankIsUnset, z.string().trim().optional());
const intSetting = (def: number, min: number, max: number) =>
  z.preprocess(blankIsUnset, z.coerce.number().int().min(min).max(max).default(def));
const tableName = (def: string) =>
  z.preprocess(blankIsUnset, z.string().regex(/^[A-Za-z][A-Za-z0-9]{2,62}$/, 'must be a table name (3-63 letters and digits)').default(def));

const targetsSetting = z.preprocess((v) => {
  const text = blankIsUnset(v);
  if (text === undefined) return [];
  if (typeof text !== 'string') return text;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return Symbol.for('invalid-json');
  }
}, z.array(AppServiceTarget, { error: 'must be a JSON array of targets' }));

/**
 * host.json functionTimeout (10 min), kept equal to it by test/config/activity-budget.test.ts. When an
 * invocation outlives it, the Functions host restarts the Node worker: every activity in flight on
 * it is aborted and run again later (proven on the real Durable extension by test/conformance), so a
 * swap cut off there would be retried blind instead of giving up cleanly at its own deadline.
 */
export const FUNCTION_TIMEOUT_SECONDS = 600;
/** What an activity may use of functionTimeout: a minute is left for the worker and storage. */
export const ACTIVITY_BUDGET_SECONDS = FUNCTION_TIMEOUT_SECONDS - 60;

const schema = z.object({
  /** JSON array of targets (one per environment + service). */
  APPSERVICE_TARGETS: targetsSetting,
  /** ARM endpoint; other clouds, or a local fake in tests. https only: bearer tokens never go over http. */
  APPSERVICE_ARM_ENDPOINT: z.preprocess(
    blankIsUnset,
    z.url({ protocol: /^https$/, error: 'must be an https URL' }).default('https://management.azure.com'),
  ),
  /** PEM file with extra CA certificates to trust for ARM (a local fake, a TLS-inspecting proxy). */
  APPSERVICE_ARM_CA_FILE: optionalText,
  /** Client id of a user-assigned managed identity; unset = system-assigned / DefaultAzureCredential chain. */
  APPSERVICE_MANAGED_IDENTITY_CLIENT_ID: optionalText,
  /**
   * How long one swap may take before the activity gives up (and Durable retries, reconciling first).
   * With the activity's other calls it must end well inside host.json functionTimeout: see
   * ACTIVITY_BUDGET_SECONDS.
   */
  APPSERVICE_SWAP_DEADLINE_SECONDS: intSetting(480, 30, ACTIVITY_BUDGET_SECONDS),
  /** Poll interval for the swap operation (ARM's Retry-After wins when present). */
  APPSERVICE_POLL_INTERVAL_MS: intSetting(5000, 10, 60_000),
  /** Timeout of each single HTTP call (ARM, /version, republish hook). */
  APPSERVICE_HTTP_TIMEOUT_MS: intSetting(15_000, 100, 120_000),
});

const registrySchema = z.object({
  LKG_TABLE: tableName('LastKnownGood'),
  FREEZE_TABLE: tableName('DeployFreeze'),
});

/** What the LKG and freeze endpoints need (they work without any App Service target configured). */
export interface RegistrySettings {
  lkgTable: string;
  freezeTable: string;
  /** Where the LKG and freeze tables live: RELEASE_STORAGE* if set, else AzureWebJobsStorage*. */
  storage: StorageTarget;
}

export interface AppServiceSettings extends RegistrySettings {
  targets: AppServiceTarget[];
  armEndpoint: string;
  armCaFile: string | undefined;
  managedIdentityClientId: string | undefined;
  swapDeadlineMs: number;
  pollIntervalMs: number;
  httpTimeoutMs: number;
}

export type SettingsResultOf<T> = { ok: true; settings: T } | { ok: false; issues: Issue[] };

/** Prefix of the optional storage account for the LKG and freeze tables (same shapes as AzureWebJobsStorage). */
export const RELEASE_STORAGE_PREFIX = 'RELEASE_STORAGE';

function releaseStorage(env: NodeJS.ProcessEnv): StorageTarget {
  const own = Object.keys(env).some((k) => (k === RELEASE_STORAGE_PREFIX || k.startsWith(`${RELEASE_STORAGE_PREFIX}__`)) && env[k]?.trim());
  return storageTarget(env, own ? RELEASE_STORAGE_PREFIX : 'AzureWebJobsStorage');
}

export function readRegistrySettings(env: NodeJS.ProcessEnv): SettingsResultOf<RegistrySettings> {
  const parsed = registrySchema.safeParse(env);
  const issues: Issue[] = parsed.success ? [] : toIssues(parsed.error);
  let storage: StorageTarget | undefined;
  try {
    storage = releaseStorage(env);
  } catch (err) {
    if (!(err instanceof StorageSettingsError)) throw err;
    issues.push({ path: RELEASE_STORAGE_PREFIX, code: 'invalid_storage', message: err.message });
  }
  if (!parsed.success || !storage || issues.length) return { ok: false, issues };
  return { ok: true, settings: { lkgTable: parsed.data.LKG_TABLE, freezeTable: parsed.data.FREEZE_TABLE, storage } };
}

export function readAppServiceSettings(env: NodeJS.ProcessEnv): SettingsResultOf<AppServiceSettings> {
  const registry = readRegistrySettings(env);
  const parsed = schema.safeParse(env);
  const issues: Issue[] = [...(registry.ok ? [] : registry.issues), ...(parsed.success ? [] : toIssues(parsed.error))];
  if (parsed.success) {
    const seen = new Set<string>();
    parsed.data.APPSERVICE_TARGETS.forEach((t, i) => {
      const key = `${t.env.toLowerCase()}/${t.service.toLowerCase()}`;
      if (seen.has(key)) issues.push({ path: `APPSERVICE_TARGETS[${i}]`, code: 'duplicate', message: `a second target for ${t.env}/${t.service}` });
      seen.add(key);
      if (t.strategy === 'slot-swap' && t.build.from === 'version' && !t.build.stagingUrl) {
        issues.push({ path: `APPSERVICE_TARGETS[${i}].build.stagingUrl`, code: 'required', message: "a slot swap needs the staging slot's /version URL too" });
      }
      if (t.strategy === 'slot-swap' && t.stagingSlot.toLowerCase() === 'production') {
        issues.push({ path: `APPSERVICE_TARGETS[${i}].stagingSlot`, code: 'invalid', message: 'must name a deployment slot, not production' });
      }
      if (t.strategy === 'republish' && t.hookTokenSetting && !env[t.hookTokenSetting]?.trim()) {
        issues.push({ path: t.hookTokenSetting, code: 'required', message: `is named by APPSERVICE_TARGETS[${i}].hookTokenSetting but is not set` });
      }
    });
  }
  if (parsed.success) {
    // The swap activity: the swap (its own deadline), then at most two single calls (reading and
    // verifying the slots), each bounded by the HTTP timeout.
    const worst = parsed.data.APPSERVICE_SWAP_DEADLINE_SECONDS + (2 * parsed.data.APPSERVICE_HTTP_TIMEOUT_MS) / 1000;
    if (worst > ACTIVITY_BUDGET_SECONDS) {
      issues.push({
        path: 'APPSERVICE_SWAP_DEADLINE_SECONDS',
        code: 'too_big',
        message:
          `the swap deadline plus two HTTP timeouts (${worst} s) must stay within ${ACTIVITY_BUDGET_SECONDS} s, a minute inside the ` +
          `Functions timeout (${FUNCTION_TIMEOUT_SECONDS} s): past it the host restarts and re-runs the swap activity blind`,
      });
    }
  }
  if (!parsed.success || !registry.ok || issues.length) return { ok: false, issues };
  const d = parsed.data;
  return {
    ok: true,
    settings: {
      ...registry.settings,
      targets: d.APPSERVICE_TARGETS,
      armEndpoint: d.APPSERVICE_ARM_ENDPOINT.replace(/\/+$/, ''),
      armCaFile: d.APPSERVICE_ARM_CA_FILE,
      managedIdentityClientId: d.APPSERVICE_MANAGED_IDENTITY_CLIENT_ID,
      swapDeadlineMs: d.APPSERVICE_SWAP_DEADLINE_SECONDS * 1000,
      pollIntervalMs: d.APPSERVICE_POLL_INTERVAL_MS,
      httpTimeoutMs: d.APPSERVICE_HTTP_TIMEOUT_MS,
    },
  };
}

export function findTarget(targets: readonly AppServiceTarget[], env: string, service: string): AppServiceTarget | undefined {
  return targets.find((t) => t.env.toLowerCase() === env.toLowerCase() && t.service.toLowerCase() === service.toLowerCase());
}
