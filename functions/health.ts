/**
 * GET /api/health: liveness and readiness for App Service health checks and humans.
 * 200 when settings are valid and storage answers; 503 otherwise, with what is wrong.
 * The checks (src/app/health.ts) load on the first request.
 */
import { jsonResponse } from '../src/http/envelope.js';
import { httpRoute } from '../src/app/routes.js';

httpRoute('health', { route: 'health', methods: ['GET'], authLevel: 'anonymous' }, async () => {
  const { checkHealth } = await import('../src/app/health.js');
  return async (_request, _context, requestId) => {
    const report = await checkHealth();
    return jsonResponse(report.status === 'ok' ? 200 : 503, report, requestId, { 'cache-control': 'no-store' });
  };
});
