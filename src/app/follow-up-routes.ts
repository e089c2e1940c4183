/**
 * The follow-up routes' handlers (registered in functions/incident-actions.ts, loaded on the first request).
 * Follow-through (RB-03 section 11: action items with owners, tracked to closure):
 *   GET  /api/incidents/{id}/actions    the action items (the postmortem draft's, owners from the
 *                                       roles, and the ones people added), the ticket, the postmortem
 *   POST /api/incidents/{id}/actions    { op: "add" | "assign" | "close" | "reopen" | "link-ticket" | "postmortem-done", ... }
 * Each request is recorded as a follow-up event (src/domain/follow-up.ts) in the incident table,
 * numbered insert-if-absent, so two requests at once never share a number and none is lost; the
 * view is derived from the events each time. Marking the postmortem done stops its reminders.
 */
import { type HttpRequest } from '@azure/functions';
import { z } from 'zod';
import { actorOf } from './access.js';
import { appNow } from './clock.js';
import { orUnavailable } from './http-context.js';
import { getIncidentStore } from './stores.js';
import { toIssues } from '../config/issues.js';
import { FollowUpRequest, followUpOf, refusalOf, type FollowUpEvent } from '../domain/follow-up.js';
import type { IncidentSummary } from '../domain/incident.js';
import { HttpError, jsonResponse, readJson } from '../http/envelope.js';
import type { AdmittedRouteHandler } from './routes.js';

const INCIDENT_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const ClaimedActor = z.object({ id: z.string().min(1).max(256), name: z.string().max(256).optional() }).strict().optional();
/** A few tries when another request takes the same number at the same moment. */
const APPEND_TRIES = 10;

function incidentIdOf(request: HttpRequest): string {
  const id = request.params.id ?? '';
  if (!INCIDENT_ID.test(id)) throw new HttpError(404, 'not_found', `No incident ${id.slice(0, 80)}.`);
  return id;
}

async function summaryOf(id: string): Promise<IncidentSummary> {
  const summary = await getIncidentStore().getSummary(id);
  if (!summary) throw new HttpError(404, 'not_found', `No incident ${id}.`);
  return summary;
}

function body(summary: IncidentSummary, events: readonly FollowUpEvent[]) {
  const view = followUpOf(summary.actionItems, events);
  return {
    incidentId: summary.incidentId,
    status: summary.status,
    ...view,
    postmortem: { ...view.postmortem, dueAt: summary.postmortem?.dueAt ?? null, draftUrl: summary.evidence?.postmortemUrl ?? null },
    evidence: summary.evidence,
    ...(summary.status === 'open' ? { note: "The postmortem draft's items are added when the incident closes; items added now are in its evidence pack." } : {}),
  };
}

export const getFollowUps: AdmittedRouteHandler = async (request, context, requestId) => {
  const id = incidentIdOf(request);
  const out = await orUnavailable(context, requestId, async () => {
    const summary = await summaryOf(id);
    return body(summary, await getIncidentStore().getFollowUps(id));
  });
  return jsonResponse(200, { ...out, requestId }, requestId);
};

export const postFollowUp: AdmittedRouteHandler = async (request, context, requestId, caller) => {
  const id = incidentIdOf(request);
  const raw = await readJson(request, { maxBytes: 16 * 1024 });
  const claimed = z.object({ actor: ClaimedActor }).passthrough().safeParse(raw);
  const { actor: claimedActor, ...rest } = (claimed.success ? claimed.data : {}) as { actor?: { id: string; name?: string } } & Record<string, unknown>;
  const parsed = FollowUpRequest.safeParse(claimed.success ? rest : raw);
  if (!parsed.success) throw new HttpError(400, 'validation_failed', `The follow-up is not valid: ${parsed.error.issues[0]?.message ?? ''}`, toIssues(parsed.error));
  const r = parsed.data;
  const by = actorOf(caller, claimedActor);
  const at = appNow().toISOString();
  const out = await orUnavailable(context, requestId, async () => {
    const store = getIncidentStore();
    const summary = await summaryOf(id);
    if (r.op === 'postmortem-done' && summary.status !== 'resolved') throw new HttpError(409, 'conflict', `Incident ${id} is not resolved yet: its postmortem cannot be done.`);
    for (let i = 0; i < APPEND_TRIES; i++) {
      const events = await store.getFollowUps(id);
      const refused = refusalOf(followUpOf(summary.actionItems, events), r);
      if (refused) throw new HttpError(refused.status, refused.status === 404 ? 'not_found' : 'conflict', refused.message);
      const event: FollowUpEvent = { seq: events.length, at, by, request: r };
      if (!(await store.appendFollowUp(id, event))) continue;
      // The reminders read the summary: done stops them (src/domain/postmortem-reminder.ts).
      if (r.op === 'postmortem-done') await store.updateSummary(id, (s) => (s.postmortem && !s.postmortem.doneAt ? { ...s, postmortem: { ...s.postmortem, doneAt: at } } : undefined));
      return { event, view: body(summary, [...events, event]) };
    }
    throw new HttpError(409, 'conflict', 'Other follow-ups were being recorded at the same moment; send it again.');
  });
  return jsonResponse(201, { recorded: out.event, ...out.view, requestId }, requestId);
};
