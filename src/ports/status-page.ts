/**
 * A status page: the public status of an incident (README "Status page webhook"). One adapter
 * today, a signed outbound webhook (src/adapters/status-page-webhook.ts); a status page service
 * with its own API would be another adapter of this port.
 */
import type { StatusPageUpdate } from '../domain/communications.js';

export interface StatusPagePublished {
  /** The receiver's HTTP status. */
  status: number;
  /** Requests sent, including retries. */
  attempts: number;
}

export interface StatusPagePort {
  /**
   * Delivers one update. `idempotencyKey` is the same for every attempt of the same update (the
   * receiver drops a repeat); `deadline` (epoch ms) bounds the retries of transient failures.
   * Throws StatusPageError when it was not delivered.
   */
  publish(update: StatusPageUpdate, options: { idempotencyKey: string; deadline: number }): Promise<StatusPagePublished>;
}

/** Not delivered: `rejected` (a 4xx other than 408/429: retrying would not help) or `deadline` (transient failures outlasted it). The message is safe to show. */
export class StatusPageError extends Error {
  override name = 'StatusPageError';
  constructor(
    readonly failure: 'rejected' | 'deadline',
    message: string,
    readonly details: { status?: number; attempts: number },
  ) {
    super(message);
  }
}
