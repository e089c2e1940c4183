/**
 * Where the app's storage account is, read from the standard Functions settings, and clients for
 * it. Both shapes Azure uses are understood:
 *   - a connection string (`AzureWebJobsStorage`, including `UseDevelopmentStorage=true`);
 *   - identity-based settings (`AzureWebJobsStorage__accountName`, or `__blobServiceUri` and
 *     `__tableServiceUri`, with `__credential`/`__clientId` for a user-assigned identity).
 * The SDKs are loaded on first use so that importing this module costs nothing at cold start.
 */
import type { TableClient } from '@azure/data-tables';
import type { BlobServiceClient } from '@azure/storage-blob';
import { lazy } from './lazy.js';

// CommonJS builds on purpose: `import()` would load the SDKs' ESM builds, a second copy.
const tablesSdk = lazy(() => require('@azure/data-tables') as typeof import('@azure/data-tables'));
const blobSdk = lazy(() => require('@azure/storage-blob') as typeof import('@azure/storage-blob'));
const identitySdk = lazy(() => require('@azure/identity') as typeof import('@azure/identity'));

export const DEV_ACCOUNT = 'devstoreaccount1';
export const DEV_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

export type StorageTarget =
  | { kind: 'connectionString'; connectionString: string; tableEndpoint: string; blobEndpoint: string; insecure: boolean }
  | { kind: 'identity'; tableEndpoint: string; blobEndpoint: string; clientId: string | undefined };

export class StorageSettingsError extends Error {
  override name = 'StorageSettingsError';
}

/** The connection string Azurite answers on, for the given ports (defaults are Azurite's). */
export function azuriteConnectionString(ports: { blob?: number; queue?: number; table?: number } = {}, host = '127.0.0.1'): string {
  const blob = ports.blob ?? 10000;
  const queue = ports.queue ?? 10001;
  const table = ports.table ?? 10002;
  return (
    `DefaultEndpointsProtocol=http;AccountName=${DEV_ACCOUNT};AccountKey=${DEV_KEY};` +
    `BlobEndpoint=http://${host}:${blob}/${DEV_ACCOUNT};QueueEndpoint=http://${host}:${queue}/${DEV_ACCOUNT};` +
    `TableEndpoint=http://${host}:${table}/${DEV_ACCOUNT};`
  );
}

export function parseConnectionString(value: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of value.split(';')) {
    const i = part.indexOf('=');
    if (i <= 0) continue;
    out[part.slice(0, i).trim().toLowerCase()] = part.slice(i + 1).trim();
  }
  return out;
}

export function isDevelopmentStorage(value: string | undefined): boolean {
  return !!value && /^\s*UseDevelopmentStorage\s*=\s*true\s*;?\s*$/i.test(value);
}

export function storageTarget(env: NodeJS.ProcessEnv = process.env, prefix = 'AzureWebJobsStorage'): StorageTarget {
  const raw = env[prefix]?.trim();
  if (raw) {
    const connectionString = isDevelopmentStorage(raw) ? azuriteConnectionString() : raw;
    const parts = parseConnectionString(connectionString);
    const account = parts.accountname;
    const protocol = parts.defaultendpointsprotocol ?? 'https';
    const suffix = parts.endpointsuffix ?? 'core.windows.net';
    const tableEndpoint = parts.tableendpoint ?? (account ? `${protocol}://${account}.table.${suffix}` : undefined);
    const blobEndpoint = parts.blobendpoint ?? (account ? `${protocol}://${account}.blob.${suffix}` : undefined);
    if (!tableEndpoint || !blobEndpoint) {
      throw new StorageSettingsError(`${prefix} is not a storage connection string (no AccountName or endpoints).`);
    }
    const insecure = tableEndpoint.startsWith('http:') || blobEndpoint.startsWith('http:');
    return { kind: 'connectionString', connectionString, tableEndpoint, blobEndpoint, insecure };
  }
  const accountName = env[`${prefix}__accountName`]?.trim();
  const tableUri = env[`${prefix}__tableServiceUri`]?.trim();
  const blobUri = env[`${prefix}__blobServiceUri`]?.trim();
  if (accountName || (tableUri && blobUri)) {
    return {
      kind: 'identity',
      tableEndpoint: tableUri || `https://${accountName}.table.core.windows.net`,
      blobEndpoint: blobUri || `https://${accountName}.blob.core.windows.net`,
      clientId: env[`${prefix}__clientId`]?.trim() || undefined,
    };
  }
  throw new StorageSettingsError(
    `No storage configured: set ${prefix} to a connection string (UseDevelopmentStorage=true locally) or ` +
      `${prefix}__accountName for a managed identity.`,
  );
}

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
