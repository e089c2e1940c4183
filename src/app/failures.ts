/**
 * Which failures are worth trying again, decided by the error's type and status, never by its
 * message: storage or the orchestration service throttling (429), failing (5xx), timing out or
 * unreachable. Anything else is a bug or bad data, and a retry would only fail the same way.
 */
import { isTransientStorageError } from '../adapters/storage.js';
import { isTransient } from '../domain/errors.js';

export function isTransientFailure(err: unknown): boolean {
  return isTransient(err) || isTransientStorageError(err);
}

/** "RangeError: Maximum call stack size exceeded", for a record a person reads (no stack, bounded). */
export function describeFailure(err: unknown): string {
  const e = err as { name?: unknown; message?: unknown } | null;
  const name = typeof e?.name === 'string' ? e.name : 'Error';
  const message = typeof e?.message === 'string' ? e.message : String(err);
  return `${name}: ${message.split('\n')[0] ?? ''}`.slice(0, 300);
}
