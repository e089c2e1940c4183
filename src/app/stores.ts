/** The app's storage-backed adapters, built on first use from AzureWebJobsStorage. */
import { BlobAlertArchive } from '../adapters/alert-archive.js';
import { TableIncidentStore } from '../adapters/incident-store.js';
import { createBlobServiceClient, createTableClient, storageTarget } from '../adapters/storage.js';
import type { IncidentStore } from '../ports/incident-store.js';
import type { AlertArchive } from '../ports/orchestrations.js';

export const INCIDENTS_TABLE = 'Incidents';
export const ALERT_PAYLOADS_CONTAINER = 'incident-alert-payloads';

let incidentStore: IncidentStore | undefined;
let alertArchive: AlertArchive | undefined;

export function getIncidentStore(): IncidentStore {
  incidentStore ??= new TableIncidentStore(createTableClient(storageTarget(), INCIDENTS_TABLE));
  return incidentStore;
}

export function getAlertArchive(): AlertArchive {
  alertArchive ??= new BlobAlertArchive(createBlobServiceClient(storageTarget()).getContainerClient(ALERT_PAYLOADS_CONTAINER));
  return alertArchive;
}

/** Where a raw alert payload is archived: by day of receipt, under its deduplication hash. */
export function alertPayloadName(hash: string, now: Date): string {
  const d = now.toISOString();
  return `${d.slice(0, 4)}/${d.slice(5, 7)}/${d.slice(8, 10)}/${hash}.json`;
}
