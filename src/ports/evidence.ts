/**
 * The evidence archive, seen from our code: a container of write-once blobs. The adapter
 * (src/adapters/evidence-blob.ts) speaks Blob storage; tests run it against Azurite.
 */
export interface StoredBlob {
  /** Full blob name (prefix included). */
  name: string;
  size: number;
  contentType: string | null;
  /** What the writer recorded on upload (sha256, kind, writtenat, redactions); {} for foreign blobs. */
  metadata: Record<string, string>;
  createdOn: string | null;
}

export interface CreateOptions {
  contentType: string;
  tags: Record<string, string>;
  metadata: Record<string, string>;
}

/** A refusal from storage that retrying will not cure (no permission, container missing...). */
export class EvidenceStoreError extends Error {
  override name = 'EvidenceStoreError';
  constructor(
    readonly code: 'denied' | 'too-large' | 'not-supported' | 'invalid',
    message: string,
  ) {
    super(message);
  }
}

export interface EvidenceStore {
  /** Container name, for manifests and messages. */
  readonly container: string;
  /** Creates the blob only if none exists under that name (If-None-Match: *). Never overwrites. */
  createOnce(name: string, body: Buffer, options: CreateOptions): Promise<'created' | 'exists'>;
  /** The blob's bytes (at most `maxBytes`, else EvidenceStoreError 'too-large'), or undefined if absent. */
  read(name: string, maxBytes: number): Promise<Buffer | undefined>;
  exists(name: string): Promise<boolean>;
  /** Every blob under `prefix` (bounded; the bound is an error, not a silent cut). */
  list(prefix: string): Promise<StoredBlob[]>;
  /** Names of the blobs matching a blob index tag expression (EvidenceStoreError 'denied'/'not-supported' when unavailable). */
  findByTags(expression: string): Promise<string[]>;
  /** The "folders" directly under `prefix` (hierarchical listing with "/"). */
  listFolders(prefix: string): Promise<string[]>;
  /** Where a blob can be opened (its URL, without any credential). */
  url(name: string): string;
}

/** Raw alert payloads archived on receipt (container incident-alert-payloads). */
export interface AlertPayloadSource {
  /** The payload stored under `ref` ("<container>/<name>"), parsed as JSON; undefined when absent. */
  read(ref: string): Promise<unknown>;
}
