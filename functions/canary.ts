/**
 * The canary (src/app/canary.ts): every hour, at minute 7, checks every dependency the runbook
 * needs and records what it found; GET /api/canary shows the last report (function key: it names
 * accounts, sites and settings). The summary is in GET /api/health.
 */
import { app, type InvocationContext, type Timer } from '@azure/functions';
import { appNow } from '../src/app/clock.js';
import { HttpError, jsonResponse } from '../src/http/envelope.js';
import { httpRoute } from '../src/app/routes.js';

app.timer('canary', {
  schedule: '0 7 * * * *',
  handler: async (_timer: Timer, context: InvocationContext) => {
    // Loaded on the first run: the canary reaches every dependency, so it brings most adapters with it.
    const { appCanary } = await import('../src/app/canary.js');
    const report = await appCanary((line) => context.log(line), () => appNow().getTime());
    if (!report) {
      context.debug('Canary: off (CANARY_ENABLED is false).');
      return;
    }
    const line = `Canary ${report.status}: ${report.checks.length} checks${report.failing.length ? `; failing: ${report.failing.join(', ')}` : ''}.`;
    if (report.status === 'red') context.warn(line);
    else context.log(line);
  },
});

// The report names failing dependencies: a reader's, like the incidents and unmatched alerts.
httpRoute('canaryGet', { route: 'canary', methods: ['GET'], authLevel: 'function', access: 'read' }, async () => {
  const [{ orUnavailable }, { getCanaryStore }] = await Promise.all([import('../src/app/http-context.js'), import('../src/app/stores.js')]);
  return async (_request, context, requestId) => {
    const report = await orUnavailable(context, requestId, () => getCanaryStore().latest());
    if (!report) throw new HttpError(404, 'not_found', 'The canary has not run yet (timer "canary", every hour at minute 7).');
    return jsonResponse(200, { ...report, requestId }, requestId, { 'cache-control': 'no-store' });
  };
});
