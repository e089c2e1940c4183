/**
 * Settings of the evidence archive. Validated in one pass (every problem listed at once); empty
 * strings are unset; values are never echoed back.
 *
 *   EVIDENCE_CONTAINER   container of the packs (default incident-evidence; infra creates it with
 *                        version-level immutability)
 *   EVIDENCE_STORAGE     optional separate storage account for evidence, in the same shapes as
 *                        AzureWebJobsStorage (connection string, or EVIDENCE_STORAGE__accountName /
 *                        __blobServiceUri with __credential/__clientId for a managed identity);
 *                        unset = the app's AzureWebJobsStorage account
 */
import { z } from 'zod';
import { storageTarget, StorageSettingsError, type StorageTarget } from './storage.js';
import { toIssues, type Issue } from './issues.js';

export const EVIDENCE_STORAGE_PREFIX = 'EVIDENCE_STORAGE';
export const DEFAULT_EVIDENCE_CONTAINER = 'incident-evidence';

const blankIsUnset = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);

export const ContainerName = z
  .string()
  .trim()
  .regex(/^(?=.{3,63}$)[a-z0-9]+(-[a-z0-9]+)*$/, 'must be a container name (3-63 lowercase letters, digits and single hyphens)');

const schema = z.object({
  EVIDENCE_CONTAINER: z.preprocess(blankIsUnset, ContainerName.default(DEFAULT_EVIDENCE_CONTAINER)),
});

export interface EvidenceSettings {
  container: string;
  /** Where the evidence container is: EVIDENCE_STORAGE* if set, else AzureWebJobsStorage*. */
  storage: StorageTarget;
  /** Which setting the storage came from (for messages). */
  storageSetting: string;
}

export type EvidenceSettingsResult = { ok: true; settings: EvidenceSettings } | { ok: false; issues: Issue[] };

function hasOwnStorage(env: NodeJS.ProcessEnv): boolean {
  return Object.keys(env).some((k) => (k === EVIDENCE_STORAGE_PREFIX || k.startsWith(`${EVIDENCE_STORAGE_PREFIX}__`)) && !!env[k]?.trim());
}

export function readEvidenceSettings(env: NodeJS.ProcessEnv): EvidenceSettingsResult {
  const parsed = schema.safeParse(env);
  const issues: Issue[] = parsed.success ? [] : toIssues(parsed.error);
  const storageSetting = hasOwnStorage(env) ? EVIDENCE_STORAGE_PREFIX : 'AzureWebJobsStorage';
  let storage: StorageTarget | undefined;
  try {
    storage = storageTarget(env, storageSetting);
  } catch (err) {
    if (!(err instanceof StorageSettingsError)) throw err;
    issues.push({ path: storageSetting, code: 'invalid_storage', message: err.message });
  }
  if (!parsed.success || !storage || issues.length) return { ok: false, issues };
  return { ok: true, settings: { container: parsed.data.EVIDENCE_CONTAINER, storage, storageSetting } };
}
