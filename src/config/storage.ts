/**
 * Where the app's storage account is, read from the standard Functions settings. Both shapes Azure
 * uses are understood:
 *   - a connection string (`AzureWebJobsStorage`, including `UseDevelopmentStorage=true`);
 *   - identity-based settings (`AzureWebJobsStorage__accountName`, or `__blobServiceUri` and
 *     `__tableServiceUri`, with `__credential`/`__clientId` for a user-assigned identity).
 * Settings only: src/adapters/storage.ts builds the SDK clients from a StorageTarget.
 */
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

export function storageTarget(env: NodeJS.ProcessEnv, prefix = 'AzureWebJobsStorage'): StorageTarget {
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
