/**
 * What the HTTP triggers share: the policy (or a 503 saying why there is none), and the mapping of
 * transient infrastructure failures to 503 so callers (Azure Monitor, pipelines) try again. Who is
 * calling and what they may do: access.ts.
 */
import type { InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import { DurableOrchestrations } from '../adapters/durable-orchestrations.js';
import { PolicyError, type Policy } from '../config/policy.js';
import { HttpError } from '../http/envelope.js';
import type { Orchestrations } from '../ports/orchestrations.js';
import { isTransientFailure } from './failures.js';
import { loadPolicy } from './policy-source.js';

/** How long a caller should wait before trying again after a 503. */
export const RETRY_AFTER = { storage: '5', policy: '60' } as const;

export function policyOr503(context: InvocationContext): Policy {
  try {
    return loadPolicy();
  } catch (err) {
    if (err instanceof PolicyError) {
      context.error(err.message);
      throw policyUnavailable(err);
    }
    throw err;
  }
}

export function policyUnavailable(err: PolicyError): HttpError {
  return new HttpError(503, 'not_configured', 'The incident policy is missing or invalid; see GET /api/health for the problems.', err.issues.slice(0, 20), {
    'retry-after': RETRY_AFTER.policy,
  });
}

export function orchestrations(context: InvocationContext): Orchestrations {
  return new DurableOrchestrations(df.getClient(context));
}

/**
 * Runs `work`; a transient storage or orchestration-service failure becomes 503 with Retry-After.
 * Anything else is thrown on (the envelope answers 500: trying again would not help).
 */
export async function orUnavailable<T>(context: InvocationContext, requestId: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof HttpError || !isTransientFailure(err)) throw err;
    context.warn(`requestId ${requestId}: dependency unavailable:`, err);
    throw new HttpError(503, 'storage_unavailable', 'Storage or the orchestration service is unavailable right now; try again shortly.', null, { 'retry-after': RETRY_AFTER.storage });
  }
}
