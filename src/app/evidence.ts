/**
 * Composition of the evidence capability from the app settings: the pack service on the evidence
 * container (EVIDENCE_STORAGE* or AzureWebJobsStorage*), with alert payloads read from the intake's
 * archive container on the app's storage. Built on first use, rebuilt if the settings change
 * (they do not in Azure; tests and the dev host may).
 */
import { BlobAlertPayloadSource, BlobEvidenceStore } from '../adapters/evidence-blob.js';
import { createBlobServiceClient } from '../adapters/storage.js';
import type { EvidenceSettings } from '../config/evidence.js';
import type { StorageTarget } from '../config/storage.js';
import { describeIssues, type Issue } from '../config/issues.js';
import type { Configured } from '../activities/define.js';
import { createEvidenceActivities, type EvidenceActivities } from '../activities/evidence.js';
import { MAX_ARTIFACT_BYTES } from '../domain/evidence.js';
import { appNow } from './clock.js';
import { EvidencePack } from '../activities/evidence-pack.js';
import { appSettings, type AppSettings } from './settings.js';
import { ALERT_PAYLOADS_CONTAINER } from './stores.js';

export type Built<T> = { ok: true; value: T } | { ok: false; issues: Issue[] };

let built: { key: string; value: { settings: EvidenceSettings; pack: EvidencePack } } | undefined;

export function evidencePack(actor = 'incident-bot', settings: AppSettings = appSettings()): Built<{ settings: EvidenceSettings; pack: EvidencePack }> {
  const s = settings.evidence;
  if (!s.ok) return s;
  let app: StorageTarget | undefined;
  try {
    app = settings.storage();
  } catch {
    app = undefined; // no app storage configured (the CLI on a laptop): payloads by reference are refused
  }
  const key = JSON.stringify([s.settings.container, s.settings.storage.blobEndpoint, s.settings.storage.kind, app ?? null, actor]);
  if (built?.key !== key) {
    const store = new BlobEvidenceStore(createBlobServiceClient(s.settings.storage).getContainerClient(s.settings.container));
    // Alert payloads stay where the intake archived them: the app's own storage account.
    let alerts: BlobAlertPayloadSource | undefined;
    try {
      alerts = app ? new BlobAlertPayloadSource(createBlobServiceClient(app), ALERT_PAYLOADS_CONTAINER, MAX_ARTIFACT_BYTES) : undefined;
    } catch {
      alerts = undefined;
    }
    // Written-at times on the incident's clock (simulated on the dev host), like the rest of the pack.
    built = { key, value: { settings: s.settings, pack: new EvidencePack({ store, alerts, actor, now: () => appNow().toISOString() }) } };
  }
  return { ok: true, value: built.value };
}

/** The evidence activities' handlers on the app's pack service (functions/evidence-activities.ts registers them), or the settings' problems. */
export function appEvidenceActivities(log: (line: string) => void): Configured<EvidenceActivities> {
  const built = evidencePack();
  if (!built.ok) return { ok: false, problems: describeIssues(built.issues) };
  return { ok: true, value: createEvidenceActivities({ pack: built.value.pack, log }) };
}
