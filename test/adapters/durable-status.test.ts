/**
 * The Durable client's failures, typed at the adapter: durable-functions v3 rejects with plain
 * Errors whose text carries the extension's status (these are its words, from
 * node_modules/durable-functions/lib/src/durableClient/DurableClient.js).
 */
import { describe, expect, it } from 'vitest';
import { durableFailure, durableStatus } from '../../src/adapters/durable-orchestrations.js';
import { PermanentError, TransientError } from '../../src/domain/errors.js';

describe('durableStatus / durableFailure', () => {
  it('reads the status out of each of the client\'s error texts', () => {
    expect(durableStatus(new Error('The operation failed with an unexpected status code: 503. Details: {}'))).toBe(503);
    expect(durableStatus(new Error('DurableClient error: Durable Functions extension replied with HTTP 404 response. This usually means we could not find any data'))).toBe(404);
    expect(durableStatus(new Error("No instance with ID 'inc-1' found."))).toBe(404);
    expect(durableStatus(new Error('something else'))).toBeUndefined();
  });

  it('throttling, 5xx and a refused connection are transient; a 400 is permanent; the text is kept', () => {
    const t = durableFailure(new Error('The operation failed with an unexpected status code: 429. Details: ""'));
    expect(t).toBeInstanceOf(TransientError);
    expect(t.status).toBe(429);
    expect(t.message).toBe('The orchestration service failed: The operation failed with an unexpected status code: 429. Details: ""');
    expect(durableFailure(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:7071'), { code: 'ECONNREFUSED' }))).toBeInstanceOf(TransientError);
    const p = durableFailure(new Error('The operation failed with an unexpected status code: 400. Details: {}'), '');
    expect(p).toBeInstanceOf(PermanentError);
    expect(p.message).toBe('The operation failed with an unexpected status code: 400. Details: {}');
  });
});
