/**
 * GET /api/health: liveness and readiness for App Service health checks and humans.
 * 200 when settings are valid and storage answers; 503 otherwise, with what is wrong.
 */
import { app } from '@azure/functions';
import { checkHealth } from '../src/app/health.js';
import { jsonResponse, withEnvelope } from '../src/http/envelope.js';

app.http('health', {
  route: 'health',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: withEnvelope(async (_request, _context, requestId) => {
    const report = await checkHealth();
    return jsonResponse(report.status === 'ok' ? 200 : 503, report, requestId, { 'cache-control': 'no-store' });
  }),
});
