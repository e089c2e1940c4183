/**
 * A failure worth retrying: throttling (429), a 5xx, a timeout, a dropped connection. Activities
 * throw only these (so Durable retry policies apply); every expected outcome is returned as data.
 */
export class TransientError extends Error {
  override name = 'TransientError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

export function isTransient(err: unknown): err is TransientError {
  return err instanceof TransientError;
}
