/**
 * Follow-through (RB-03 section 11: action items with owners, tracked to closure):
 *   GET  /api/incidents/{id}/actions    the action items, the ticket, the postmortem
 *   POST /api/incidents/{id}/actions    { op: "add" | "assign" | "close" | "reopen" | "link-ticket" | "postmortem-done", ... }
 * The handlers are in src/app/follow-up-routes.ts, loaded on the first request.
 */
import { ACCESS_ACTIONS } from '../src/app/access-actions.js';
import { httpRoute } from '../src/app/routes.js';

const routes = () => import('../src/app/follow-up-routes.js');

httpRoute('incidentsActionsGet', { route: 'incidents/{id}/actions', methods: ['GET'], authLevel: 'function', access: 'read' }, async () => (await routes()).getFollowUps);
httpRoute(ACCESS_ACTIONS.followUp[0], { route: 'incidents/{id}/actions', methods: ['POST'], authLevel: 'function', access: 'followUp' }, async () => (await routes()).postFollowUp);
