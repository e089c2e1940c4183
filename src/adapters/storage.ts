/**
 * Clients for the app's storage account (Table and Blob), built from the StorageTarget that
 * src/config/storage.ts reads from the settings.
 * The SDKs are loaded on first use so that importing this module costs nothing at cold start.
 */
import type { TableClient } from '@azure/data-tables';
import type { BlobServiceClient } from '@azure/storage-blob';
import type { StorageTarget } from '../config/storage.js';
import { lazy } from './lazy.js';
import { loadOnce } from '../domain/load-once.js';

// CommonJS builds on purpose: `import()` would load the SDKs' ESM builds, a second copy.
const tablesSdk = lazy(() => require('@azure/data-tables') as typeof import('@azure/data-tables'));
const blobSdk = lazy(() => require('@azure/storage-blob') as typeof import('@azure/storage-blob'));
const identitySdk = lazy(() => require('@azure/identity') as typeof import('@azure/identity'));

// The settings side (StorageTarget, storageTarget, Azurite's connection string) lives in
// src/config/storage.ts; re-exported here for the composition root and tests that wire both.
export {
  azuriteConnectionString,
  DEV_ACCOUNT,
  DEV_KEY,
  isDevelopmentStorage,
  parseConnectionString,
  storageTarget,
  StorageSettingsError,
  type StorageTarget,
} from '../config/storage.js';

/** Requests to storage give up after this long, so a hung account never hangs a caller. */
const STORAGE_TIMEOUT_MS = 10_000;

export function createTableClient(target: StorageTarget, tableName: string): TableClient {
  const { TableClient } = tablesSdk();
  const options = {
    allowInsecureConnection: target.kind === 'connectionString' && target.insecure,
    // Short retries: callers (an alert webhook, a health probe) prefer a quick 503 to a slow one.
    retryOptions: { maxRetries: 2, retryDelayInMs: 200, maxRetryDelayInMs: 1000, tryTimeoutInMs: STORAGE_TIMEOUT_MS },
  };
  if (target.kind === 'connectionString') return TableClient.fromConnectionString(target.connectionString, tableName, options);
  return new TableClient(target.tableEndpoint, tableName, credentialFor(target), options);
}

export function createBlobServiceClient(target: StorageTarget): BlobServiceClient {
  const { BlobServiceClient } = blobSdk();
  const options = { retryOptions: { maxTries: 3, retryDelayInMs: 200, maxRetryDelayInMs: 1000, tryTimeoutInMs: STORAGE_TIMEOUT_MS } };
  if (target.kind === 'connectionString') return BlobServiceClient.fromConnectionString(target.connectionString, options);
  return new BlobServiceClient(target.blobEndpoint, credentialFor(target), options);
}

function credentialFor(target: Extract<StorageTarget, { kind: 'identity' }>) {
  const { DefaultAzureCredential } = identitySdk();
  return new DefaultAzureCredential(target.clientId ? { managedIdentityClientId: target.clientId } : {});
}

/** True for errors that mean "storage is unreachable or overloaded right now" (worth a 503). */
export function isTransientStorageError(err: unknown): boolean {
  const e = err as { name?: string; statusCode?: number; code?: string } | undefined;
  if (!e) return false;
  if (e.statusCode !== undefined) return e.statusCode === 408 || e.statusCode === 429 || e.statusCode >= 500;
  return (
    e.name === 'AbortError' ||
    e.name === 'TimeoutError' ||
    ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'REQUEST_SEND_ERROR'].includes(e.code ?? '')
  );
}

/** `statusCode` of an Azure SDK RestError, if that is what `err` is. */
export function restStatus(err: unknown): number | undefined {
  const e = err as { name?: string; statusCode?: number } | undefined;
  return e && e.name === 'RestError' ? e.statusCode : undefined;
}

/**
 * Creates a table or a container on first use, once per client: every caller waits for the same
 * creation, and a failed one is forgotten so the next call tries again (storage may be back).
 */
export function onFirstUse(create: () => Promise<unknown>): () => Promise<void> {
  return loadOnce(async () => {
    await create();
  });
}
