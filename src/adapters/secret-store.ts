/**
 * Where the delegated sign-in (a refresh token) is kept: an Azure Key Vault secret (production;
 * the app reads it with its managed identity and writes back the rotated token), or a local file
 * with owner-only permissions (development). Key Vault is reached over its REST API with fetch
 * (no extra SDK): GET/PUT /secrets/{name}?api-version=7.4, bearer token for the vault's resource.
 */
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { TokenCredential } from '@azure/identity';
import { z } from 'zod';
import { telemetry } from './telemetry.js';
import { errorText } from '../domain/errors.js';

export interface SecretStore {
  /** Where the secret lives, for messages ("Key Vault secret x in https://v.vault.azure.net"). */
  readonly description: string;
  read(): Promise<string | undefined>;
  write(value: string): Promise<void>;
}

export class SecretStoreError extends Error {
  override name = 'SecretStoreError';
  constructor(
    message: string,
    readonly transient: boolean,
    /** The HTTP status Key Vault answered with, when it answered. */
    readonly status?: number,
  ) {
    super(message);
  }
}

const KV_API_VERSION = '7.4';
const KeyVaultSecret = z.object({ value: z.string() });

/** "https://x.vault.azure.net" -> "https://vault.azure.net/.default" (sovereign clouds alike). */
export function vaultScope(vaultUrl: string): string {
  const host = new URL(vaultUrl).hostname;
  const labels = host.split('.');
  return labels.length > 2 ? `https://${labels.slice(1).join('.')}/.default` : 'https://vault.azure.net/.default';
}

export class KeyVaultSecretStore implements SecretStore {
  readonly description: string;

  constructor(
    private readonly vaultUrl: string,
    private readonly secretName: string,
    private readonly credential: TokenCredential,
    private readonly timeoutMs = 10_000,
  ) {
    this.description = `Key Vault secret "${secretName}" in ${vaultUrl}`;
  }

  private async call(method: 'GET' | 'PUT', body?: unknown): Promise<Response> {
    const token = await this.credential.getToken(vaultScope(this.vaultUrl), { abortSignal: AbortSignal.timeout(this.timeoutMs) });
    if (!token) throw new SecretStoreError(`No token for ${this.description}.`, false);
    const url = `${this.vaultUrl}/secrets/${encodeURIComponent(this.secretName)}?api-version=${KV_API_VERSION}`;
    try {
      return await fetch(url, {
        method,
        headers: { authorization: `Bearer ${token.token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
        body: body ? JSON.stringify(body) : undefined,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      throw new SecretStoreError(`${this.description} is unreachable: ${errorText(err)}`, true);
    }
  }

  private async fail(res: Response, what: string): Promise<never> {
    let code = '';
    try {
      const j = (await res.json()) as { error?: { code?: string } };
      code = j.error?.code ? ` (${j.error.code})` : '';
    } catch {
      // not JSON
    }
    const hint = res.status === 403 ? ' The app identity needs "Key Vault Secrets User" to read (and "Secrets Officer" to write back rotated tokens).' : '';
    throw new SecretStoreError(`${what} ${this.description} failed: HTTP ${res.status}${code}.${hint}`, res.status === 429 || res.status >= 500, res.status);
  }

  read(): Promise<string | undefined> {
    return telemetry().external(
      'keyvault',
      'get-secret',
      async () => {
        const res = await this.call('GET');
        if (res.status === 404) return undefined;
        if (!res.ok) return this.fail(res, 'Reading');
        const parsed = KeyVaultSecret.safeParse(await res.json());
        if (!parsed.success) throw new SecretStoreError(`${this.description} answered without a value.`, false);
        return parsed.data.value;
      },
      secretOutcome,
    );
  }

  write(value: string): Promise<void> {
    return telemetry().external(
      'keyvault',
      'set-secret',
      async () => {
        const res = await this.call('PUT', { value, contentType: 'application/json', tags: { purpose: 'incident-autopilot Teams delegated sign-in' } });
        if (!res.ok) await this.fail(res, 'Writing');
        await res.body?.cancel();
      },
      secretOutcome,
    );
  }
}

/** A failed Key Vault call as a telemetry outcome: its HTTP status when it answered, else unreachable. */
function secretOutcome(err: unknown): string {
  if (!(err instanceof SecretStoreError)) return 'error';
  return err.status ? `http-${err.status}` : err.transient ? 'unreachable' : 'error';
}

export class FileSecretStore implements SecretStore {
  readonly description: string;

  constructor(private readonly file: string) {
    this.description = `token file ${file}`;
  }

  async read(): Promise<string | undefined> {
    try {
      return await readFile(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  async write(value: string): Promise<void> {
    await mkdir(path.dirname(this.file), { recursive: true });
    // Write then rename: a crash never leaves a half-written token behind.
    const tmp = `${this.file}.${process.pid}.tmp`;
    await writeFile(tmp, value, { encoding: 'utf8', mode: 0o600 });
    await chmod(tmp, 0o600);
    await rename(tmp, this.file);
  }
}
