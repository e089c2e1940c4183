/** The app's storage-backed adapters, built on first use from AzureWebJobsStorage. */
import { BlobAlertArchive } from '../adapters/alert-archive.js';
import { TableCanaryStore } from '../adapters/canary-store.js';
import { TableIncidentStore } from '../adapters/incident-store.js';
import { createBlobServiceClient, createTableClient } from '../adapters/storage.js';
import { appSettings } from './settings.js';
import type { CanaryStore } from '../ports/canary.js';
import { TableUnmatchedAlerts } from '../adapters/table-unmatched-alerts.js';
import type { IncidentStore } from '../ports/incident-store.js';
import type { AlertArchive } from '../ports/orchestrations.js';
import type { UnmatchedAlerts } from '../ports/unmatched-alerts.js';

export const INCIDENTS_TABLE = 'Incidents';
export const ALERT_PAYLOADS_CONTAINER = 'incident-alert-payloads';
/** The canary's last report (src/app/canary.ts). */
export const CANARY_TABLE = 'Canary';
export const UNMATCHED_ALERTS_TABLE = 'UnmatchedAlerts';

let incidentStore: IncidentStore | undefined;
let alertArchive: AlertArchive | undefined;
let unmatchedAlerts: UnmatchedAlerts | undefined;

export function getIncidentStore(): IncidentStore {
  incidentStore ??= new TableIncidentStore(createTableClient(appSettings().storage(), INCIDENTS_TABLE));
  return incidentStore;
}

export function getAlertArchive(): AlertArchive {
  alertArchive ??= new BlobAlertArchive(createBlobServiceClient(appSettings().storage()).getContainerClient(ALERT_PAYLOADS_CONTAINER));
  return alertArchive;
}

let canaryStore: CanaryStore | undefined;

export function getCanaryStore(): CanaryStore {
  canaryStore ??= new TableCanaryStore(createTableClient(appSettings().storage(), CANARY_TABLE));
  return canaryStore;
}

export function getUnmatchedAlerts(): UnmatchedAlerts {
  unmatchedAlerts ??= new TableUnmatchedAlerts(createTableClient(appSettings().storage(), UNMATCHED_ALERTS_TABLE));
  return unmatchedAlerts;
}

/** Where a raw alert payload is archived: by day of receipt, under its deduplication hash. */
export function alertPayloadName(hash: string, now: Date): string {
  const d = now.toISOString();
  return `${d.slice(0, 4)}/${d.slice(5, 7)}/${d.slice(8, 10)}/${hash}.json`;
}
