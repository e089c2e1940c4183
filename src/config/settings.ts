/**
 * The app's settings (environment variables in Azure, local.settings.json locally), validated in
 * one pass so every problem is reported at once. Empty strings count as unset; values are never
 * echoed back in a problem, because some of them are secrets.
 */
import { z } from 'zod';
import { storageTarget, StorageSettingsError } from './storage.js';
import { toIssues, type Issue } from './issues.js';

const optionalText = z.preprocess((v) => (typeof v === 'string' && v.trim() === '' ? undefined : v), z.string().trim().optional());

const schema = z.object({
  TaskHubName: z.preprocess(
    (v) => (typeof v === 'string' && v.trim() === '' ? undefined : v),
    z
      .string()
      .regex(/^[A-Za-z][A-Za-z0-9]{2,44}$/, 'must be 3-45 letters and digits, starting with a letter')
      .optional(),
  ),
  /** The deployed commit, shown by GET /api/health (set by the deploy pipeline). */
  APP_COMMIT: optionalText,
});

export type Settings = z.infer<typeof schema> & { storage: ReturnType<typeof storageTarget> };

export type SettingsResult = { ok: true; settings: Settings } | { ok: false; issues: Issue[] };

export function readSettings(env: NodeJS.ProcessEnv): SettingsResult {
  const parsed = schema.safeParse(env);
  const issues: Issue[] = parsed.success ? [] : toIssues(parsed.error);
  let storage: Settings['storage'] | undefined;
  try {
    storage = storageTarget(env);
  } catch (err) {
    if (!(err instanceof StorageSettingsError)) throw err;
    issues.push({ path: 'AzureWebJobsStorage', code: 'invalid_storage', message: err.message });
  }
  if (!parsed.success || !storage || issues.length) return { ok: false, issues };
  return { ok: true, settings: { ...parsed.data, storage } };
}
