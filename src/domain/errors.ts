/**
 * Errors at the adapter boundary, typed: the adapter that talks to a system knows whether a
 * failure is worth trying again, so it throws a TransientError (throttling, a 5xx, a timeout, a
 * dropped connection) or a PermanentError (refused, not found, bad data), and nothing above it
 * classifies by reading an error's text. Activities throw only transient errors (so Durable retry
 * policies apply); every expected outcome is returned as data.
 *
 * `errorText` is the one way to read a caught value (`catch (err: unknown)`) as text.
 */

/** A failure of an outside system, as the adapter that called it saw it. */
abstract class SystemError extends Error {
  /** The HTTP status the system answered with, when it answered. */
  readonly status: number | undefined;
  constructor(message: string, options?: { cause?: unknown; status?: number }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.status = options?.status;
  }
}

/** Worth trying again: throttling, a 5xx, a timeout, a dropped connection. */
export class TransientError extends SystemError {
  override name = 'TransientError';
}

/** Not worth trying again: refused, not found, bad data. */
export class PermanentError extends SystemError {
  override name = 'PermanentError';
}

export function isTransient(err: unknown): err is TransientError {
  return err instanceof TransientError;
}

/**
 * The message of whatever was thrown: an Error's message, a string as is, an object's `message`
 * (errors that crossed a realm or a queue), else its JSON form; '' for undefined.
 * Never throws.
 */
export function errorText(err: unknown): string {
  if (err instanceof Error) return err.message;
  if (typeof err === 'string') return err;
  if (err === undefined) return '';
  const message = (err as { message?: unknown } | null | undefined)?.message;
  if (typeof message === 'string') return message;
  try {
    return JSON.stringify(err) ?? typeof err;
  } catch {
    return Object.prototype.toString.call(err);
  }
}

/** The first line of `errorText(err)`: for a log line or a sentence a person reads. */
export function errorLine(err: unknown): string {
  return errorText(err).split('\n')[0] ?? '';
}
