/**
 * The incident API (handlers in src/app/incident-routes.ts, loaded on the first request):
 *   POST /api/incidents                         declare an incident by hand or from a pipeline
 *   GET  /api/incidents?environment&service&status&from&to&limit
 *   GET  /api/incidents/{id}                    summary, severity, phase, deadlines, timeline
 *   POST /api/incidents/{id}/{action}           ack | note | decision | rollback | extend | resolve | severity
 * Each action is a function of its own, so that a function key opens exactly one action
 * (src/app/access.ts).
 */
import { ACCESS_ACTIONS } from '../src/app/access-actions.js';
import { httpRoute } from '../src/app/routes.js';
import { PERSON_ACTIONS } from '../src/domain/person-actions.js';

const routes = () => import('../src/app/incident-routes.js');

httpRoute(ACCESS_ACTIONS.declare[0], { route: 'incidents', methods: ['POST'], authLevel: 'function', durableClient: true, access: 'declare' }, async () => (await routes()).declareIncidentRoute);
httpRoute('incidentsList', { route: 'incidents', methods: ['GET'], authLevel: 'function', access: 'read' }, async () => (await routes()).listIncidents);
httpRoute('incidentsGet', { route: 'incidents/{id}', methods: ['GET'], authLevel: 'function', durableClient: true, access: 'read' }, async () => (await routes()).getIncident);

// One function per action: in Azure a function key opens only its own function (see access.ts).
for (const action of PERSON_ACTIONS) {
  httpRoute(ACCESS_ACTIONS[action][0], { route: `incidents/{id}/${action}`, methods: ['POST'], authLevel: 'function', durableClient: true, access: action }, async () => (await routes()).actionHandlers[action]);
}

// Any other action name (routes with a literal action segment take precedence): a 404 that lists
// the actions. Anonymous: it reads and changes nothing, so it needs no key.
httpRoute('incidentsUnknownAction', { route: 'incidents/{id}/{action}', methods: ['POST'], authLevel: 'anonymous' }, async () => (await routes()).unknownAction);
