/**
 * The status page as the app runs it: the webhook adapter built on first use from the settings
 * (src/config/status-page.ts), and the status page activity's handler on the app's step ledger.
 * functions/status-page-activities.ts registers it.
 */
import { WebhookStatusPage } from '../adapters/status-page-webhook.js';
import { createStatusPageActivities } from '../activities/status-page.js';
import { describeIssues } from '../config/issues.js';
import type { StatusPagePort } from '../ports/status-page.js';
import { appNow } from './clock.js';
import { getLedger } from './ledger.js';
import { appSettings, type AppSettings } from './settings.js';

let port: { value: StatusPagePort | undefined } | undefined;

/** The process's status page (undefined: not configured); throws listing every settings problem. */
export function getStatusPagePort(settings: AppSettings = appSettings()): StatusPagePort | undefined {
  if (port) return port.value;
  const r = settings.statusPage;
  if (!r.ok) throw new Error(`status page settings are invalid: ${describeIssues(r.issues).replace(/\n/g, '; ')}`);
  port = { value: r.settings ? new WebhookStatusPage(r.settings) : undefined };
  return port.value;
}

let activities: ReturnType<typeof createStatusPageActivities> | undefined;

export function appStatusPageActivities(): ReturnType<typeof createStatusPageActivities> {
  activities ??= createStatusPageActivities({ ledger: getLedger, statusPage: () => getStatusPagePort(), now: appNow });
  return activities;
}
