/**
 * The incident API's handlers (registered in functions/incidents.ts, loaded on the first request):
 *   POST /api/incidents                         declare an incident by hand or from a pipeline
 *   GET  /api/incidents?environment&service&status&from&to&limit
 *   GET  /api/incidents/{id}                    summary, severity, phase, deadlines, timeline
 *   POST /api/incidents/{id}/{action}           ack | note | decision | rollback | extend | resolve | severity
 * Actions are raised into the incident orchestration as events, with the actor recorded. Each
 * action is a function of its own, so that a function key opens exactly one action; who may take
 * which is decided before the body is read (src/app/access.ts).
 */
import { type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { z } from 'zod';
import { APPROVER_ACTIONS, actorOf, authorityOf, requireApprover, requireDecisionOwner, type Caller } from './access.js';
import { orchestrations, orUnavailable, policyOr503, policyUnavailable } from './http-context.js';
import { approversForIncident } from './incident-approvers.js';
import { loadPolicy } from './policy-source.js';
import { PolicyError } from '../config/policy.js';
import { declareIncident } from './intake.js';
import { getIncidentStore } from './stores.js';
import { toIssues } from '../config/issues.js';
import { SeverityLevel } from '../config/policy.js';
import { IncidentEventName, InboundFields, type ContainmentChoice, type PersonAction } from '../domain/incident-events.js';
import { HttpError, jsonResponse, readJson } from '../http/envelope.js';
import { appNow } from './clock.js';
import type { AdmittedRouteHandler, RouteHandler } from './routes.js';

const MAX_BODY = 64 * 1024;

const ClaimedActor = z.object({ id: z.string().min(1).max(256), name: z.string().max(256).optional() }).strict().optional();

const Declare = z
  .object({
    service: z.string().min(1).max(64),
    environment: z.string().min(1).max(64),
    summary: z.string().trim().min(1).max(500),
    severity: SeverityLevel.optional(),
    impact: z.array(z.string().max(32)).max(10).optional(),
    source: z.enum(['manual', 'pipeline']).default('manual'),
    /** A drill: the whole runbook runs in plan mode and reports what it would do. */
    dryRun: z.boolean().default(false),
    actor: ClaimedActor,
  })
  .strict();

/** Each action's body: the event's own fields (src/domain/incident-events.ts), plus who claims to act (believed only without App Service Authentication). */
const ActionBodies = {
  ack: InboundFields.ack.extend({ actor: ClaimedActor }).strict(),
  note: InboundFields.note.extend({ actor: ClaimedActor }).strict(),
  decision: InboundFields.decision.extend({ actor: ClaimedActor }).strict(),
  rollback: InboundFields.rollback.extend({ actor: ClaimedActor }).strict(),
  extend: InboundFields.extend.extend({ actor: ClaimedActor }).strict(),
  resolve: InboundFields.resolve.extend({ actor: ClaimedActor }).strict(),
  severity: InboundFields.severity.extend({ actor: ClaimedActor }).strict(),
} as const satisfies Record<PersonAction, z.ZodType>;
type Action = keyof typeof ActionBodies;

/** Any ISO 8601 instant, as UTC ISO: the store compares times as text, so offsets must not reach it. */
const Instant = z.iso.datetime({ offset: true }).transform((s) => new Date(s).toISOString());

const ListQuery = z
  .object({
    environment: z.string().max(64).optional(),
    service: z.string().max(64).optional(),
    status: z.enum(['open', 'resolved']).optional(),
    from: Instant.optional(),
    to: Instant.optional(),
    limit: z.coerce.number().int().min(1).max(500).default(50),
  })
  .refine((q) => !q.from || !q.to || q.from <= q.to, { message: 'from must not be later than to', path: ['from'] });

/**
 * Incident ids as this app makes them (inc-prod-admin-api-3f9a2c1b7e, drill-...). Anything else
 * names no incident and is answered 404 without asking storage (a blank id would otherwise reach
 * the Durable client as "list every instance").
 */
const INCIDENT_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

function incidentIdOf(request: HttpRequest): string {
  const id = request.params.id ?? '';
  if (!INCIDENT_ID.test(id)) throw new HttpError(404, 'not_found', `No incident ${id.slice(0, 80)}.`);
  return id;
}

function validate<T extends z.ZodType>(schema: T, value: unknown, what: string): z.output<T> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new HttpError(400, 'validation_failed', `The ${what} is not valid: ${parsed.error.issues[0]?.message ?? ''}`, toIssues(parsed.error));
  return parsed.data;
}

/** Empty bodies are allowed for actions whose fields are all optional (ack, resolve). */
async function optionalJson(request: HttpRequest): Promise<unknown> {
  const length = request.headers.get('content-length');
  if (length === '0' || (!length && !request.headers.get('content-type'))) return {};
  return readJson(request, { maxBytes: MAX_BODY });
}

export const declareIncidentRoute: AdmittedRouteHandler = async (request, context, requestId, caller) => {
  const body = validate(Declare, await readJson(request, { maxBytes: MAX_BODY }), 'declaration');
  const policy = policyOr503(context);
  const actor = actorOf(caller, body.actor, body.source === 'pipeline' ? 'pipeline' : 'api');
  const outcome = await orUnavailable(context, requestId, () =>
    declareIncident(
      { store: getIncidentStore(), orchestrations: orchestrations(context), policy, now: appNow },
      { ...body, actor, source: body.source },
    ),
  );
  if (outcome.kind === 'unknown-service') {
    throw new HttpError(400, 'validation_failed', outcome.message, [{ path: 'service', code: 'unknown_service', message: outcome.message }]);
  }
  if (outcome.kind === 'already-open') {
    throw new HttpError(409, 'conflict', `An incident is already open for ${body.service} in ${body.environment}: ${outcome.incidentId}. Add to it instead.`, {
      incidentId: outcome.incidentId,
    });
  }
  return jsonResponse(201, { incidentId: outcome.incidentId, severity: outcome.severity, drill: outcome.drill, requestId }, requestId, {
    location: `/api/incidents/${outcome.incidentId}`,
  });
};

export const listIncidents: AdmittedRouteHandler = async (request, context, requestId) => {
  const query = validate(ListQuery, Object.fromEntries(request.query), 'query');
  const items = await orUnavailable(context, requestId, () => getIncidentStore().listSummaries(query));
  return jsonResponse(200, { items, count: items.length }, requestId);
};

export const getIncident: AdmittedRouteHandler = async (request, context, requestId) => {
  const id = incidentIdOf(request);
  const result = await orUnavailable(context, requestId, async () => {
    const store = getIncidentStore();
    const [summary, timeline, runtime] = await Promise.all([store.getSummary(id), store.getTimeline(id), orchestrations(context).describe(id)]);
    return { summary, timeline, runtime };
  });
  if (!result.summary && !result.runtime) throw new HttpError(404, 'not_found', `No incident ${id}.`);
  return jsonResponse(200, { incidentId: id, summary: result.summary ?? null, runtime: result.runtime ?? null, timeline: result.timeline, requestId }, requestId);
};

/**
 * The approvers of the incident's service (policy), null when the incident is unknown. A policy
 * that cannot be read leaves the list unknown: refused with 503 rather than decided without it.
 */
async function incidentApprovers(id: string): Promise<string[] | null> {
  try {
    return await approversForIncident(getIncidentStore(), () => loadPolicy(), id);
  } catch (err) {
    if (err instanceof PolicyError) throw policyUnavailable(err);
    throw err;
  }
}

function actionHandler(action: Action) {
  return async (request: HttpRequest, context: InvocationContext, requestId: string, caller: Caller): Promise<HttpResponseInit> => {
    const id = incidentIdOf(request);
    const schema = ActionBodies[action];
    const body = validate(schema as z.ZodType<Record<string, unknown> & { actor?: { id: string; name?: string } }>, await optionalJson(request), `${action} body`);
    if (caller.source === 'easy-auth' && APPROVER_ACTIONS.includes(action)) requireApprover(caller, action, await orUnavailable(context, requestId, () => incidentApprovers(id)));
    const { actor: claimed, ...fields } = body;
    const event = { ...fields, actor: actorOf(caller, claimed), at: appNow().toISOString() };
    const result = await orUnavailable(context, requestId, async () => {
      const o = orchestrations(context);
      const state = await o.state(id);
      if (state !== 'running') return state;
      // Only the Decision Owner may override a P1 default: refused here, before anything is raised.
      if (action === 'decision' || action === 'severity' || action === 'extend') {
        requireDecisionOwner(authorityOf((await o.describe(id))?.customStatus), event.actor, fields as { choice: ContainmentChoice } | { level: SeverityLevel } | { timebox: string });
      }
      return o.raise(id, IncidentEventName[action], event);
    });
    if (result === 'none' || result === 'missing') throw new HttpError(404, 'not_found', `No incident ${id}.`);
    if (result === 'finished' || result === 'gone') throw new HttpError(409, 'conflict', `Incident ${id} has ended; it takes no more ${action} events.`);
    return jsonResponse(202, { incidentId: id, event: action, actor: event.actor, at: event.at, requestId }, requestId);
  };
}

/** Each person action's handler (functions/incidents.ts registers one function per action). */
export const actionHandlers = Object.fromEntries((Object.keys(ActionBodies) as Action[]).map((action) => [action, actionHandler(action)])) as Record<Action, AdmittedRouteHandler>;

/** Any other action name: a 404 that lists the actions. */
export const unknownAction: RouteHandler = (request) => {
  const action = request.params.action ?? '';
  return Promise.reject(new HttpError(404, 'not_found', `Unknown action "${action.slice(0, 40)}"; use one of ${Object.keys(ActionBodies).join(', ')}.`));
};
