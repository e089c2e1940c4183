/** The health report: settings valid, storage reachable (bounded in time), version and commit. */
import { createTableClient } from '../adapters/storage.js';
import type { Issue } from '../config/issues.js';
import { readSettings } from '../config/settings.js';
import { appCommit, appVersion } from './build-info.js';

export interface HealthReport {
  status: 'ok' | 'unhealthy';
  version: string;
  commit: string | null;
  checks: {
    settings: { ok: boolean; problems: Issue[] };
    storage: { ok: boolean; latencyMs: number | null; error: string | null };
  };
}

const STORAGE_PROBE_TIMEOUT_MS = 3000;

export async function checkHealth(env: NodeJS.ProcessEnv = process.env): Promise<HealthReport> {
  const settings = readSettings(env);
  const storage: HealthReport['checks']['storage'] = { ok: false, latencyMs: null, error: null };
  if (settings.ok) {
    const started = Date.now();
    try {
      // A point read of a row that need not exist: 404 proves the account answers and authorises us.
      const table = createTableClient(settings.settings.storage, 'IncidentAutopilotHealth');
      await withTimeout(
        table.getEntity('health', 'probe').catch((err: unknown) => {
          const status = (err as { statusCode?: number }).statusCode;
          if (status === 404) return undefined;
          throw err;
        }),
        STORAGE_PROBE_TIMEOUT_MS,
      );
      storage.ok = true;
      storage.latencyMs = Date.now() - started;
    } catch (err) {
      storage.error = err instanceof Error ? err.message.split('\n')[0]?.slice(0, 300) ?? 'unknown error' : String(err);
      storage.latencyMs = Date.now() - started;
    }
  } else {
    storage.error = 'not checked: the storage settings are invalid';
  }
  const ok = settings.ok && storage.ok;
  return {
    status: ok ? 'ok' : 'unhealthy',
    version: appVersion(),
    commit: appCommit(env) ?? null,
    checks: { settings: { ok: settings.ok, problems: settings.ok ? [] : settings.issues }, storage },
  };
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`storage did not answer within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}
