/**
 * POST /api/alerts: the Azure Monitor action group webhook (common alert schema), with drills
 * (?drill=); GET /api/alerts/unmatched: the alerts that started or joined no incident. The
 * handlers are in src/app/alert-routes.ts, loaded on the first request.
 */
import { httpRoute } from '../src/app/routes.js';

const routes = () => import('../src/app/alert-routes.js');

httpRoute('alerts', { route: 'alerts', methods: ['POST'], authLevel: 'function', durableClient: true }, async () => (await routes()).postAlert);
httpRoute('alertsUnmatched', { route: 'alerts/unmatched', methods: ['GET'], authLevel: 'function', access: 'read' }, async () => (await routes()).listUnmatched);
