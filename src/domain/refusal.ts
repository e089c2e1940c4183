/**
 * A deliberate "no" found while acting (the flag does not exist, the value moved since it was
 * inspected, the link has expired): an expected outcome, reported as data (a refused action, an
 * HTTP 4xx page), never retried and never recorded as the step's outcome. Transient failures are
 * other errors, and they throw so retries apply.
 */
export class Refusal extends Error {
  override name = 'Refusal';
}
