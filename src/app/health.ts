/** The health report: settings valid, storage reachable (bounded in time), version and commit. */
import { createTableClient, type StorageTarget } from '../adapters/storage.js';
import type { Issue } from '../config/issues.js';
import { PolicyError, type Policy } from '../config/policy.js';
import { appCommit, appVersion } from './build-info.js';
import { deploymentChecklist, type ChecklistStep } from './deployment-checklist.js';
import { orchestratorLoadFailures } from './orchestrations.js';
import { getCanaryStore } from './stores.js';
import { loadPolicy } from './policy-source.js';
import { appSettings, type AppSettings, type PolicySource } from './settings.js';

export interface HealthReport {
  status: 'ok' | 'unhealthy';
  version: string;
  commit: string | null;
  checks: {
    settings: { ok: boolean; problems: Issue[] };
    storage: { ok: boolean; latencyMs: number | null; error: string | null };
    policy: { ok: boolean; source: string; services: number; problems: Issue[]; error: string | null };
    /** The orchestrators' code loads (it loads on an orchestration's first episode, so a broken package would fail the first incident). */
    orchestrations: { ok: boolean; failed: { name: string; error: string }[] };
  };
  /** The manual deployment steps (README, "Deploy to Azure"): done, todo or not checked. Informational: they do not change `status`. */
  deployment: ChecklistStep[];
  /**
   * The canary's last run (the timer `canary`; the whole report: GET /api/canary). Informational:
   * a red canary does not make this app unhealthy (App Service would recycle a working instance).
   */
  canary: { status: 'green' | 'red'; at: string; failing: string[]; teamsSignInDaysLeft: number | null } | { status: 'not run yet' } | { status: 'unknown'; error: string };
}

const STORAGE_PROBE_TIMEOUT_MS = 3000;

function checkPolicy(where: PolicySource): HealthReport['checks']['policy'] & { policy?: Policy } {
  const source = where.kind === 'none' ? 'not configured' : where.kind === 'inline' ? 'POLICY_JSON' : where.where;
  try {
    const policy = loadPolicy(where);
    return { ok: true, source, services: policy.services.length, problems: [], error: null, policy };
  } catch (err) {
    if (!(err instanceof PolicyError)) throw err;
    return { ok: false, source, services: 0, problems: err.issues.slice(0, 50), error: err.message.split('\n')[0] ?? err.message };
  }
}

export async function checkHealth(s: AppSettings = appSettings()): Promise<HealthReport> {
  const { base, intake } = s;
  // A status page webhook set half or wrong would drop every update: said here, before an incident needs it.
  const statusPage = s.statusPage;
  const problems = [...(base.ok ? [] : base.issues), ...(intake.ok ? [] : intake.issues), ...(statusPage.ok ? [] : statusPage.issues)];
  const settings = base.ok && intake.ok && statusPage.ok ? base : { ok: false as const, issues: problems };
  const storage: HealthReport['checks']['storage'] = settings.ok
    ? await probeStorage(settings.settings.storage)
    : { ok: false, latencyMs: null, error: 'not checked: the storage settings are invalid' };
  const { policy: loaded, ...policy } = checkPolicy(s.policy);
  const failed = await orchestratorLoadFailures();
  const orchestrations = { ok: failed.length === 0, failed };
  const ok = settings.ok && storage.ok && policy.ok && orchestrations.ok;
  const canary: HealthReport['canary'] = storage.ok ? await lastCanary() : { status: 'unknown', error: 'storage is not available' };
  return {
    status: ok ? 'ok' : 'unhealthy',
    version: appVersion(),
    commit: appCommit(s) ?? null,
    checks: { settings: { ok: settings.ok, problems: settings.ok ? [] : settings.issues }, storage, policy, orchestrations },
    deployment: deploymentChecklist(s, loaded),
    canary,
  };
}

async function lastCanary(): Promise<HealthReport['canary']> {
  try {
    const r = await withTimeout(getCanaryStore().latest(), STORAGE_PROBE_TIMEOUT_MS);
    if (!r) return { status: 'not run yet' };
    return { status: r.status, at: r.at, failing: r.failing, teamsSignInDaysLeft: r.signIn?.daysLeft ?? null };
  } catch (err) {
    return { status: 'unknown', error: err instanceof Error ? (err.message.split('\n')[0] ?? '') : String(err) };
  }
}

/**
 * A point read of a row that need not exist, bounded in time: a 404 proves the account answers
 * and authorises us. The canary (src/app/canary.ts) reports the same probe.
 */
export async function probeStorage(target: StorageTarget): Promise<HealthReport['checks']['storage']> {
  const started = Date.now();
  try {
    const table = createTableClient(target, 'IncidentAutopilotHealth');
    await withTimeout(
      table.getEntity('health', 'probe').catch((err: unknown) => {
        const status = (err as { statusCode?: number }).statusCode;
        if (status === 404) return undefined;
        throw err;
      }),
      STORAGE_PROBE_TIMEOUT_MS,
    );
    return { ok: true, latencyMs: Date.now() - started, error: null };
  } catch (err) {
    const error = err instanceof Error ? (err.message.split('\n')[0]?.slice(0, 300) ?? 'unknown error') : String(err);
    return { ok: false, latencyMs: Date.now() - started, error };
  }
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
