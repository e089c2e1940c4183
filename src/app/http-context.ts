/**
 * What the HTTP triggers share: the policy (or a 503 saying why there is none), who is calling,
 * and the mapping of infrastructure failures to 503 so callers (Azure Monitor) try again.
 */
import type { HttpRequest, InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import { DurableOrchestrations } from '../adapters/durable-orchestrations.js';
import { isTransientStorageError } from '../adapters/storage.js';
import { PolicyError, type Policy } from '../config/policy.js';
import type { Actor } from '../domain/incident-events.js';
import { HttpError } from '../http/envelope.js';
import type { Orchestrations } from '../ports/orchestrations.js';
import { loadPolicy } from './policy-source.js';

export function policyOr503(context: InvocationContext): Policy {
  try {
    return loadPolicy();
  } catch (err) {
    if (err instanceof PolicyError) {
      context.error(err.message);
      throw new HttpError(503, 'not_configured', 'The incident policy is missing or invalid; see GET /api/health for the problems.', err.issues.slice(0, 20));
    }
    throw err;
  }
}

export function orchestrations(context: InvocationContext): Orchestrations {
  return new DurableOrchestrations(df.getClient(context));
}

/** Runs `work`; storage and orchestration-service failures become 503 (retry later). */
export async function orUnavailable<T>(context: InvocationContext, requestId: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof HttpError) throw err;
    const transient = isTransientStorageError(err) || /status code|ECONNREFUSED|socket hang up|timeout/i.test(String(err));
    context.error(`requestId ${requestId}: ${transient ? 'dependency unavailable' : 'unexpected failure'}:`, err);
    throw new HttpError(503, 'storage_unavailable', 'Storage or the orchestration service is unavailable right now; try again shortly.', null, { 'retry-after': '5' });
  }
}

/**
 * Who is acting: the person App Service Authentication signed in (verified), else the identity the
 * caller states in the body (recorded as claimed: the function key proves only key possession).
 */
export function actorOf(request: HttpRequest, claimed: { id?: string | undefined; name?: string | undefined } | undefined, via: Actor['via'] = 'api'): Actor {
  const user = request.user;
  if (user) {
    const id = user.username || user.id;
    const claims = (user.claimsPrincipalData as { claims?: { typ?: string; val?: string }[] } | undefined)?.claims ?? [];
    const name = claims.find((c) => c.typ === 'name')?.val;
    return { id, ...(name && name !== id ? { name } : {}), via, verified: true };
  }
  if (claimed?.id) return { id: claimed.id, ...(claimed.name ? { name: claimed.name } : {}), via, verified: false };
  return { id: 'function-key-holder', via, verified: false };
}
