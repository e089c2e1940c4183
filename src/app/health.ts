/** The health report: settings valid, storage reachable (bounded in time), version and commit. */
import { createTableClient } from '../adapters/storage.js';
import { readIntakeSettings } from '../config/intake.js';
import type { Issue } from '../config/issues.js';
import { PolicyError, type Policy } from '../config/policy.js';
import { readSettings } from '../config/settings.js';
import { appCommit, appVersion } from './build-info.js';
import { deploymentChecklist, type ChecklistStep } from './deployment-checklist.js';
import { loadPolicy, policyLocation } from './policy-source.js';

export interface HealthReport {
  status: 'ok' | 'unhealthy';
  version: string;
  commit: string | null;
  checks: {
    settings: { ok: boolean; problems: Issue[] };
    storage: { ok: boolean; latencyMs: number | null; error: string | null };
    policy: { ok: boolean; source: string; services: number; problems: Issue[]; error: string | null };
  };
  /** The manual deployment steps (README, "Deploy to Azure"): done, todo or not checked. Informational: they do not change `status`. */
  deployment: ChecklistStep[];
}

const STORAGE_PROBE_TIMEOUT_MS = 3000;

function checkPolicy(env: NodeJS.ProcessEnv): HealthReport['checks']['policy'] & { policy?: Policy } {
  const where = policyLocation(env);
  const source = where.kind === 'none' ? 'not configured' : where.kind === 'inline' ? 'POLICY_JSON' : where.where;
  try {
    const policy = loadPolicy(env);
    return { ok: true, source, services: policy.services.length, problems: [], error: null, policy };
  } catch (err) {
    if (!(err instanceof PolicyError)) throw err;
    return { ok: false, source, services: 0, problems: err.issues.slice(0, 50), error: err.message.split('\n')[0] ?? err.message };
  }
}

export async function checkHealth(env: NodeJS.ProcessEnv = process.env): Promise<HealthReport> {
  const base = readSettings(env);
  const intake = readIntakeSettings(env);
  const problems = [...(base.ok ? [] : base.issues), ...(intake.ok ? [] : intake.issues)];
  const settings = base.ok && intake.ok ? base : { ok: false as const, issues: problems };
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
  const { policy: loaded, ...policy } = checkPolicy(env);
  const ok = settings.ok && storage.ok && policy.ok;
  return {
    status: ok ? 'ok' : 'unhealthy',
    version: appVersion(),
    commit: appCommit(env) ?? null,
    checks: { settings: { ok: settings.ok, problems: settings.ok ? [] : settings.issues }, storage, policy },
    deployment: deploymentChecklist(env, loaded),
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
