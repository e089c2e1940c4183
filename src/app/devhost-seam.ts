/**
 * What the dev host (src/devhost) may use of the product, and nothing more: eslint.config.mjs holds
 * src/devhost to this module, the domain, the lab and the CLI's report renderer. Everything else
 * of the app it reaches as the Functions host does: by loading the built app (src/devhost/app-loader.ts).
 */
export { applyLocalSettings, parseAppSettings, resetAppSettings } from './settings.js';
export { setAppClock } from './clock.js';
export { evidencePack } from './evidence.js';
export { ALERT_PAYLOADS_CONTAINER } from './stores.js';
export { describeIssues } from '../config/issues.js';
export { azuriteConnectionString, createBlobServiceClient, createTableClient, isDevelopmentStorage, storageTarget } from '../adapters/storage.js';
export { BlobAlertPayloadSource, BlobEvidenceStore } from '../adapters/evidence-blob.js';
export { telemetry, type SummaryTelemetry } from '../adapters/telemetry.js';
