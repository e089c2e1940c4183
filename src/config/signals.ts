/**
 * Settings of the signal readers (Azure Monitor) and the synthetic monitor. Every one is optional:
 * the defaults are Azure's public cloud endpoints, and the readers sign in as the app's managed
 * identity (DefaultAzureCredential; AZURE_CLIENT_ID names the user-assigned one). What each reader
 * reads, per service, comes from the policy (`signals`), not from here.
 */
import { z } from 'zod';
import { storageTarget, StorageSettingsError, type StorageTarget } from './storage.js';
import { toIssues, type Issue } from './issues.js';

const blankIsUnset = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);
const httpsUrl = z.preprocess(blankIsUnset, z.url({ protocol: /^https$/, error: 'must be an https URL' }).optional());

const schema = z.object({
  /** The metrics data plane; `{region}` is replaced by the policy's region. */
  SIGNALS_METRICS_ENDPOINT: z.preprocess(
    blankIsUnset,
    z
      .string()
      .regex(/^https:\/\/[^\s]+$/, 'must be an https URL (with {region} where the region goes)')
      .default('https://{region}.metrics.monitor.azure.com'),
  ),
  SIGNALS_LOGS_ENDPOINT: httpsUrl,
  SIGNALS_ARM_ENDPOINT: httpsUrl,
  SIGNALS_PORTAL_URL: httpsUrl,
  /** Extra CA certificate (PEM file) for the readers: a TLS-inspecting proxy; tests. */
  SIGNALS_CA_FILE: z.preprocess(blankIsUnset, z.string().optional()),
  SYNTHETIC_TABLE: z.preprocess(blankIsUnset, z.string().regex(/^[A-Za-z][A-Za-z0-9]{2,62}$/, 'must be a table name (3-63 letters and digits)').default('SyntheticMonitor')),
});

export interface SignalsSettings {
  metricsEndpoint: string;
  logsEndpoint: string | undefined;
  armEndpoint: string | undefined;
  portalUrl: string | undefined;
  caFile: string | undefined;
  syntheticTable: string;
  storage: StorageTarget;
}

export function readSignalsSettings(env: NodeJS.ProcessEnv): { ok: true; settings: SignalsSettings } | { ok: false; issues: Issue[] } {
  const parsed = schema.safeParse(env);
  const issues: Issue[] = parsed.success ? [] : toIssues(parsed.error);
  let storage: StorageTarget | undefined;
  try {
    storage = storageTarget(env);
  } catch (err) {
    if (!(err instanceof StorageSettingsError)) throw err;
    issues.push({ path: 'AzureWebJobsStorage', code: 'invalid_storage', message: err.message });
  }
  if (!parsed.success || !storage || issues.length) return { ok: false, issues };
  const d = parsed.data;
  return {
    ok: true,
    settings: {
      metricsEndpoint: d.SIGNALS_METRICS_ENDPOINT,
      logsEndpoint: d.SIGNALS_LOGS_ENDPOINT,
      armEndpoint: d.SIGNALS_ARM_ENDPOINT,
      portalUrl: d.SIGNALS_PORTAL_URL,
      caFile: d.SIGNALS_CA_FILE,
      syntheticTable: d.SYNTHETIC_TABLE,
      storage,
    },
  };
}
