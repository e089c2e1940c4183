/**
 * The release registry over HTTP, for deploy pipelines and people:
 *   POST /api/lkg                     record a last-known-good release (201; 200 when already current)
 *   GET  /api/lkg/{env}/{service}     the current LKG and its history (404 when none)
 *   GET  /api/freeze/{env}            is the environment frozen? (never frozen = 200 frozen:false)
 *   POST /api/freeze/{env}            freeze / unfreeze with reason and actor (announced; the answer
 *                                     says whether the announcement went out)
 * Errors use the envelope of src/http/envelope.ts: 400 (naming the field), 404, 409, 413, 415,
 * 503 (storage unreachable or registry not configured, with Retry-After).
 */
import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { z } from 'zod';
import { toIssues } from '../config/issues.js';
import { EnvName, FreezeRequest, LkgInput, ServiceName, type RecordActor } from '../domain/release.js';
import { HttpError, jsonResponse, readJson } from '../http/envelope.js';
import { LkgConflictError, type FreezeAnnouncement, type FreezeAnnouncer, type FreezeStore } from '../ports/release-registry.js';
import type { Caller } from './access.js';
import type { Built, RegistryPorts } from './app-service.js';
import { errorText } from '../domain/errors.js';

const MAX_BODY_BYTES = 16 * 1024;
const RETRY_AFTER_SECONDS = '5';

export interface ReleaseApiDeps {
  registry: () => Built<RegistryPorts>;
  announcer: (log: (line: string) => void) => FreezeAnnouncer;
  now?: () => string;
}

const HistoryLimit = z.coerce.number().int().min(0).max(50);

function registryOrThrow(deps: ReleaseApiDeps): RegistryPorts {
  const built = deps.registry();
  if (!built.ok) {
    throw new HttpError(503, 'not_configured', 'The release registry is not configured on this function app.', built.issues, { 'retry-after': '60' });
  }
  return built.value;
}

/** Storage trouble of any kind is ours, not the caller's: 503 so pipelines retry. */
async function storage<T>(context: InvocationContext, what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (err instanceof HttpError || err instanceof LkgConflictError) throw err;
    const e = err as { name?: string; code?: string; statusCode?: number; message?: string };
    context.warn(`${what} failed: ${e.name ?? 'Error'} ${e.code ?? ''} ${e.statusCode ?? ''} ${(e.message ?? '').split('\n')[0]?.slice(0, 300) ?? ''}`);
    throw new HttpError(503, 'storage_unavailable', `The release registry's storage is unavailable (${what}); retry shortly.`, null, {
      'retry-after': RETRY_AFTER_SECONDS,
    });
  }
}

function param<T>(schema: z.ZodType<T>, name: string, value: string | undefined): T {
  const parsed = schema.safeParse(value ?? '');
  if (!parsed.success) {
    const issues = toIssues(parsed.error).map((i) => ({ ...i, path: name }));
    throw new HttpError(400, 'validation_failed', `Route parameter ${name} ${issues[0]?.message ?? 'is invalid'}.`, issues);
  }
  return parsed.data;
}

function historyParam(request: HttpRequest, fallback: number): number {
  const raw = request.query.get('history');
  if (raw === null || raw === '') return fallback;
  const parsed = HistoryLimit.safeParse(raw);
  if (!parsed.success) {
    throw new HttpError(400, 'validation_failed', 'Query parameter history must be an integer from 0 to 50.', [
      { path: 'history', code: 'invalid', message: 'must be an integer from 0 to 50' },
    ]);
  }
  return parsed.data;
}

async function body<T>(request: HttpRequest, schema: z.ZodType<T>, what: string): Promise<T> {
  const raw = await readJson(request, { maxBytes: MAX_BODY_BYTES });
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issues = toIssues(parsed.error);
    const fields = issues.map((i) => `${i.path}: ${i.message}`).join('; ');
    throw new HttpError(400, 'validation_failed', `The body is not a valid ${what}: ${fields}`, issues);
  }
  return parsed.data;
}

/**
 * Who is recorded: the signed-in person when App Service Authentication vouches for one (the body's
 * actor is then ignored), else the identity the key holder states, marked unverified.
 */
function recordedActor(caller: Caller, stated: RecordActor): RecordActor {
  if (caller.source === 'easy-auth') {
    const { id, name } = caller.principal;
    return { id, ...(name && name !== id ? { name } : {}), verified: true };
  }
  return { id: stated.id, ...(stated.name ? { name: stated.name } : {}), verified: false };
}

const KEY_CALLER: Caller = { source: 'function-key' };

/** When the state before the current one began (for "frozen for 42 min"); null when unknown. */
async function previousSince(freeze: FreezeStore, env: string): Promise<string | null> {
  try {
    return (await freeze.history(env, 2))[1]?.since ?? null;
  } catch {
    return null;
  }
}

export function createReleaseApi(deps: ReleaseApiDeps) {
  const now = deps.now ?? (() => new Date().toISOString());

  return {
    postLkg: async (request: HttpRequest, context: InvocationContext, requestId: string, caller: Caller = KEY_CALLER): Promise<HttpResponseInit> => {
      const parsed = await body(request, LkgInput, 'LKG record');
      const input = { ...parsed, recordedBy: recordedActor(caller, parsed.recordedBy) };
      const { lkg } = registryOrThrow(deps);
      try {
        const result = await storage(context, 'recording the LKG', () => lkg.record(input, now()));
        context.log(
          result.created
            ? `LKG of ${input.env}/${input.service} is now ${result.record.releaseTag} (build ${result.record.buildId}), recorded by ${input.recordedBy.id}.`
            : `LKG of ${input.env}/${input.service} already was ${result.record.releaseTag}; nothing recorded.`,
        );
        return jsonResponse(result.created ? 201 : 200, result, requestId);
      } catch (err) {
        if (err instanceof LkgConflictError) throw new HttpError(409, 'conflict', err.message, { currentId: err.currentId });
        throw err;
      }
    },

    getLkg: async (request: HttpRequest, context: InvocationContext, requestId: string): Promise<HttpResponseInit> => {
      const env = param(EnvName, 'env', request.params.env);
      const service = param(ServiceName, 'service', request.params.service);
      const limit = historyParam(request, 10);
      const { lkg } = registryOrThrow(deps);
      const current = await storage(context, 'reading the LKG', () => lkg.current(env, service));
      if (!current) throw new HttpError(404, 'not_found', `No last-known-good release is recorded for ${env}/${service}.`);
      const history = limit ? await storage(context, 'reading the LKG history', () => lkg.history(env, service, limit)) : [];
      return jsonResponse(200, { env, service, current, history }, requestId, { 'cache-control': 'no-store' });
    },

    getFreeze: async (request: HttpRequest, context: InvocationContext, requestId: string): Promise<HttpResponseInit> => {
      const env = param(EnvName, 'env', request.params.env);
      const limit = historyParam(request, 0);
      const { freeze } = registryOrThrow(deps);
      const state = await storage(context, 'reading the freeze', () => freeze.get(env));
      const history = limit ? await storage(context, 'reading the freeze history', () => freeze.history(env, limit)) : undefined;
      return jsonResponse(200, { ...state, env, ...(history ? { history } : {}) }, requestId, { 'cache-control': 'no-store' });
    },

    postFreeze: async (request: HttpRequest, context: InvocationContext, requestId: string, caller: Caller = KEY_CALLER): Promise<HttpResponseInit> => {
      const env = param(EnvName, 'env', request.params.env);
      const parsed = await body(request, FreezeRequest, 'freeze request');
      const input = { ...parsed, actor: recordedActor(caller, parsed.actor) };
      const { freeze } = registryOrThrow(deps);
      const at = now();
      const frozen = input.action === 'freeze';
      const result = await storage(context, 'changing the freeze', () =>
        freeze.set(env, { frozen, actor: input.actor, reason: input.reason, incidentId: input.incidentId ?? null, at }),
      );
      let announcement: Record<string, unknown> | null = null;
      const announcer = deps.announcer((line) => context.log(line));
      // A retried request (the state already is what was asked) re-announces the current record
      // when the announcer is idempotent: what an earlier attempt could not post goes out, once.
      const record = result.state;
      const retried = !result.changed && announcer.idempotent === true && record.frozen === frozen && record.since !== null;
      if (result.changed || retried) {
        try {
          const a: FreezeAnnouncement = result.changed
            ? { env, frozen, at, by: input.actor, reason: input.reason, incidentId: input.incidentId ?? null, previousSince: result.previous.since }
            : {
                env,
                frozen,
                at: record.since ?? at,
                by: record.by ?? input.actor,
                reason: record.reason ?? input.reason,
                incidentId: record.incidentId,
                previousSince: await previousSince(freeze, env),
              };
          const receipt = (await announcer.announce(a)) ?? {};
          announcement = { channel: announcer.channel, ok: receipt.pending !== true, ...receipt };
        } catch (err) {
          // The freeze itself stands: pipelines read the record, not the announcement.
          context.warn(`Announcing the freeze change of ${env} via ${announcer.channel} failed: ${errorText(err)}`);
          announcement = { channel: announcer.channel, ok: false, error: errorText(err).slice(0, 300) };
        }
      }
      return jsonResponse(200, { changed: result.changed, state: result.state, announcement }, requestId, { 'cache-control': 'no-store' });
    },
  };
}
