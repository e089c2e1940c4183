/**
 * The app's SQL targets: one store (and so one small connection pool) per connection setting,
 * built on first use from the app's settings, so the app starts and serves everything else when the
 * SQL settings are unset or wrong; the activity that needs them then reports it.
 */
import { createSqlActivities } from '../activities/sql.js';
import { SqlTargetConfigStore } from '../adapters/sql.js';
import { describeIssues } from '../config/issues.js';
import type { SqlSettings } from '../config/sql.js';
import { TargetConfigError, type TargetConfigStore } from '../ports/target-config.js';
import { appNow } from './clock.js';
import { getLedger } from './ledger.js';
import { appSettings, type AppSettings } from './settings.js';

const stores = new Map<string, { raw: string; store: SqlTargetConfigStore }>();

export function getSqlSettings(settings: AppSettings = appSettings()): SqlSettings {
  const read = settings.sql;
  if (!read.ok) throw new TargetConfigError('config', `The SQL settings are invalid:\n${describeIssues(read.issues)}`);
  return read.settings;
}

export function getSqlStore(setting: string, settings: AppSettings = appSettings(), warn?: (message: string) => void): TargetConfigStore {
  const { raw, target } = settings.sqlConnection(setting);
  const cached = stores.get(setting);
  // A changed setting (Key Vault reference rotated, slot setting edited) gets a new pool.
  if (cached && cached.raw === raw) return cached.store;
  if (!target.ok) throw new TargetConfigError('config', `The connection setting ${setting} is not usable:\n${describeIssues(target.issues)}`);
  if (cached) void cached.store.close();
  const identityEndpoint = settings.identityEndpoint;
  const store = new SqlTargetConfigStore(target.target, { maxAttempts: getSqlSettings(settings).maxAttempts, ...(warn ? { warn } : {}), ...(identityEndpoint ? { identityEndpoint } : {}) });
  stores.set(setting, { raw, store });
  return store;
}

export async function closeSqlStores(): Promise<void> {
  const all = [...stores.values()];
  stores.clear();
  await Promise.all(all.map((s) => s.store.close()));
}

let activities: ReturnType<typeof createSqlActivities> | undefined;

/** The SQL activities' handlers as the app runs them (functions/sql-activities.ts registers them). */
export function appSqlActivities(): ReturnType<typeof createSqlActivities> {
  activities ??= createSqlActivities({
    ledger: getLedger,
    store: (setting) => getSqlStore(setting, appSettings(), (message) => console.warn(`SQL: ${message}`)),
    settings: () => getSqlSettings(),
    now: appNow,
  });
  return activities;
}
