/**
 * The evidence archive on Blob storage: conditional create (If-None-Match: *) so nothing is ever
 * overwritten, blob index tags and metadata set in the same request, bounded reads and listings.
 * The container is created on first use when missing (in Azure it is created by infra, with its
 * version-level immutability policy; creating it here only matters locally).
 *
 * Errors: throttling, 5xx, timeouts and dropped connections become TransientError (the caller's
 * retry policy applies); refusals that a retry will not cure become EvidenceStoreError. SDK errors
 * are never passed on as `cause`: their request objects can carry credentials.
 */
import type { BlobServiceClient, ContainerClient } from '@azure/storage-blob';
import { EvidenceStoreError, type AlertPayloadSource, type CreateOptions, type EvidenceStore, type StoredBlob } from '../ports/evidence.js';
import { TransientError } from '../domain/errors.js';
import { isTransientStorageError, onFirstUse, restStatus } from './storage.js';

/** A listing larger than this is refused: a pack holds tens of artifacts, not thousands. */
export const MAX_LISTED = 5000;
/** A whole read (all retries) gives up after this long. */
const READ_DEADLINE_MS = 60_000;

function describe(err: unknown): string {
  const e = err as { name?: string; statusCode?: number; code?: string; message?: string } | undefined;
  const status = e?.statusCode !== undefined ? ` ${e.statusCode}` : '';
  const code = e?.code ? ` ${e.code}` : '';
  // The message of a RestError is the service's error text; the first line is enough and safe.
  const message = (e?.message ?? String(err)).split('\n')[0]?.slice(0, 300) ?? '';
  return `${e?.name ?? 'Error'}${status}${code}: ${message}`;
}

/** Maps an SDK error to ours (never returns: throws). */
function fail(what: string, err: unknown): never {
  if (err instanceof EvidenceStoreError || err instanceof TransientError) throw err;
  if (isTransientStorageError(err)) throw new TransientError(`${what}: ${describe(err)}`);
  const status = restStatus(err);
  if (status === 401 || status === 403) {
    throw new EvidenceStoreError('denied', `${what}: storage refused access (${status}); the identity needs Storage Blob Data Owner (or Contributor + tag permissions) on the evidence container`);
  }
  if (status === 501 || status === 405) throw new EvidenceStoreError('not-supported', `${what}: ${describe(err)}`);
  throw new EvidenceStoreError('invalid', `${what}: ${describe(err)}`);
}

async function readBounded(stream: NodeJS.ReadableStream, maxBytes: number, what: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    const b = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    size += b.length;
    if (size > maxBytes) {
      (stream as unknown as { destroy?: () => void }).destroy?.();
      throw new EvidenceStoreError('too-large', `${what}: larger than ${maxBytes} bytes`);
    }
    chunks.push(b);
  }
  return Buffer.concat(chunks);
}

export class BlobEvidenceStore implements EvidenceStore {

  constructor(private readonly client: ContainerClient) {}

  get container(): string {
    return this.client.containerName;
  }

  private readonly ensureContainer = onFirstUse(() => this.client.createIfNotExists().catch((err: unknown) => fail(`creating container ${this.container}`, err)));

  async createOnce(name: string, body: Buffer, options: CreateOptions): Promise<'created' | 'exists'> {
    await this.ensureContainer();
    try {
      await this.client.getBlockBlobClient(name).upload(body, body.length, {
        conditions: { ifNoneMatch: '*' },
        blobHTTPHeaders: { blobContentType: options.contentType },
        tags: options.tags,
        metadata: options.metadata,
      });
      return 'created';
    } catch (err) {
      // 409 BlobAlreadyExists: the condition held the write back. (412 is what a service answers
      // for a failed If-None-Match on some paths; both mean "there is a blob already".)
      const status = restStatus(err);
      if (status === 409 || status === 412) return 'exists';
      fail(`writing ${this.container}/${name}`, err);
    }
  }

  async read(name: string, maxBytes: number): Promise<Buffer | undefined> {
    try {
      const res = await this.client.getBlobClient(name).download(0, undefined, { abortSignal: AbortSignal.timeout(READ_DEADLINE_MS), maxRetryRequests: 2 });
      if ((res.contentLength ?? 0) > maxBytes) {
        (res.readableStreamBody as unknown as { destroy?: () => void } | undefined)?.destroy?.();
        throw new EvidenceStoreError('too-large', `reading ${this.container}/${name}: ${res.contentLength} bytes, more than ${maxBytes}`);
      }
      if (!res.readableStreamBody) return Buffer.alloc(0);
      return await readBounded(res.readableStreamBody, maxBytes, `reading ${this.container}/${name}`);
    } catch (err) {
      if (restStatus(err) === 404) return undefined;
      fail(`reading ${this.container}/${name}`, err);
    }
  }

  async exists(name: string): Promise<boolean> {
    try {
      return await this.client.getBlobClient(name).exists();
    } catch (err) {
      fail(`checking ${this.container}/${name}`, err);
    }
  }

  async list(prefix: string): Promise<StoredBlob[]> {
    const out: StoredBlob[] = [];
    try {
      for await (const item of this.client.listBlobsFlat({ prefix, includeMetadata: true })) {
        if (out.length >= MAX_LISTED) throw new EvidenceStoreError('too-large', `listing ${this.container}/${prefix}: more than ${MAX_LISTED} blobs`);
        out.push({
          name: item.name,
          size: item.properties.contentLength ?? 0,
          contentType: item.properties.contentType ?? null,
          metadata: item.metadata ?? {},
          createdOn: item.properties.createdOn?.toISOString() ?? null,
        });
      }
    } catch (err) {
      if (restStatus(err) === 404) return out; // no container yet: nothing stored
      fail(`listing ${this.container}/${prefix}`, err);
    }
    return out;
  }

  async findByTags(expression: string): Promise<string[]> {
    const out: string[] = [];
    try {
      for await (const item of this.client.findBlobsByTags(expression)) {
        if (out.length >= MAX_LISTED) break;
        out.push(item.name);
      }
    } catch (err) {
      if (restStatus(err) === 404) return out;
      fail(`finding blobs by tags in ${this.container}`, err);
    }
    return out;
  }

  async listFolders(prefix: string): Promise<string[]> {
    const out: string[] = [];
    try {
      for await (const item of this.client.listBlobsByHierarchy('/', { prefix })) {
        if (out.length >= MAX_LISTED) throw new EvidenceStoreError('too-large', `listing folders of ${this.container}/${prefix}: more than ${MAX_LISTED}`);
        if (item.kind === 'prefix') out.push(item.name);
      }
    } catch (err) {
      if (restStatus(err) === 404) return out;
      fail(`listing folders of ${this.container}/${prefix}`, err);
    }
    return out;
  }

  url(name: string): string {
    const base = this.client.url.split('?')[0] ?? this.client.url;
    return `${base}/${name.split('/').map(encodeURIComponent).join('/')}`;
  }
}

/** Alert payloads archived by the intake (only from the one container it writes). */
export class BlobAlertPayloadSource implements AlertPayloadSource {
  constructor(
    private readonly service: BlobServiceClient,
    private readonly container: string,
    private readonly maxBytes: number,
  ) {}

  async read(ref: string): Promise<unknown> {
    const slash = ref.indexOf('/');
    const container = slash > 0 ? ref.slice(0, slash) : '';
    const name = ref.slice(slash + 1);
    if (container !== this.container || !name || name.includes('..')) {
      throw new EvidenceStoreError('invalid', `alert payload reference "${ref.slice(0, 200)}" is not in container ${this.container}`);
    }
    const store = new BlobEvidenceStore(this.service.getContainerClient(container));
    const bytes = await store.read(name, this.maxBytes);
    if (bytes === undefined) return undefined;
    const text = bytes.toString('utf8');
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return text;
    }
  }
}
