/**
 * Alert payloads for the evidence pack, as the intake hands them over: redacted (the trigger
 * redacts a payload as soon as it is read, so no secret an alert carried is ever at rest here).
 * One blob per delivery key, written once (If-None-Match: *), so a redelivery neither duplicates
 * nor overwrites it.
 */
import type { ContainerClient } from '@azure/storage-blob';
import type { AlertArchive } from '../ports/orchestrations.js';
import { onFirstUse, restStatus } from './storage.js';

export class BlobAlertArchive implements AlertArchive {
  private readonly init = onFirstUse(() => this.container.createIfNotExists());

  constructor(private readonly container: ContainerClient) {}

  async put(name: string, payload: unknown): Promise<string> {
    await this.init();
    const body = JSON.stringify(payload);
    try {
      await this.container.getBlockBlobClient(name).upload(body, Buffer.byteLength(body), {
        conditions: { ifNoneMatch: '*' },
        blobHTTPHeaders: { blobContentType: 'application/json' },
      });
    } catch (err) {
      // 409: stored by an earlier delivery of the same alert.
      if (restStatus(err) !== 409) throw err;
    }
    return `${this.container.containerName}/${name}`;
  }
}
