/**
 * POST /api/alerts: the Azure Monitor action group webhook (common alert schema). Answers 202
 * quickly with what happened (declared / correlated / duplicate / recovery signal / unmatched);
 * 400 with every problem for a payload that is not the common schema (and starts nothing); 503
 * when storage is unavailable, so Azure Monitor delivers again.
 */
import { app, type HttpRequest, type InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import { KeySetUnavailableError, verifySecureWebhookToken } from '../src/adapters/entra-token.js';
import { orchestrations, orUnavailable, policyOr503 } from '../src/app/http-context.js';
import { acceptAlert, acceptDrillAlert } from '../src/app/intake.js';
import { getAlertArchive, getIncidentStore } from '../src/app/stores.js';
import { readIntakeSettings } from '../src/config/intake.js';
import { HttpError, jsonResponse, readJson, withEnvelope } from '../src/http/envelope.js';
import { appNow } from '../src/app/clock.js';
import type { Policy } from '../src/config/policy.js';

/** Common-schema alerts are capped at 256 KB by Azure Monitor; anything much larger is not one. */
export const MAX_ALERT_BYTES = 512 * 1024;

app.http('alerts', {
  route: 'alerts',
  methods: ['POST'],
  authLevel: 'function',
  extraInputs: [df.input.durableClient()],
  handler: withEnvelope(async (request, context, requestId) => {
    const settings = readIntakeSettings();
    if (!settings.ok) throw new HttpError(503, 'not_configured', 'The alert intake settings are invalid; see GET /api/health.', settings.issues);
    if (settings.secureWebhook) {
      const webhook = settings.secureWebhook;
      const check = await verifySecureWebhookToken(request.headers.get('authorization'), webhook).catch((err: unknown) => {
        // Not a refusal: Entra's key service is out of reach. 503 makes Azure Monitor deliver again.
        if (err instanceof KeySetUnavailableError) throw new HttpError(503, 'key_service_unavailable', err.message, null, { 'retry-after': '10' });
        throw err;
      });
      if (!check.ok) throw new HttpError(401, 'unauthorized', `Secure webhook token refused: ${check.reason}.`);
    }
    const body = await readJson(request, { maxBytes: MAX_ALERT_BYTES });
    const policy = policyOr503(context);
    if (request.query.has('drill')) return drillResponse(request, context, requestId, body, policy);
    const outcome = await orUnavailable(context, requestId, () =>
      acceptAlert({ store: getIncidentStore(), orchestrations: orchestrations(context), archive: getAlertArchive(), policy, now: appNow }, body, (hash) => {
        const d = appNow().toISOString();
        return `${d.slice(0, 4)}/${d.slice(5, 7)}/${d.slice(8, 10)}/${hash}.json`;
      }),
    );
    if (outcome.kind === 'invalid') throw new HttpError(400, 'validation_failed', outcome.message, outcome.issues);
    context.info(`alert ${outcome.kind}: ${outcome.incidentId ?? '-'} ${outcome.service ?? ''}@${outcome.environment ?? ''} ${outcome.severity?.level ?? ''}`);
    return jsonResponse(outcome.kind === 'duplicate' ? 200 : 202, { ...outcome, requestId }, requestId);
  }),
});

/**
 * POST /api/alerts?drill=true[&service=&environment=]: the payload replayed as a drill (plan mode:
 * nothing changed or posted), routed as a delivery would be or to the service named. 202 with the
 * drill's id; 400 for a payload that is not the common schema or an unknown service.
 * POST /api/alerts?drill=<drill id>: the payload joins that running drill, as a later delivery
 * joins an open incident.
 */
async function drillResponse(request: HttpRequest, context: InvocationContext, requestId: string, body: unknown, policy: Policy) {
  const drill = request.query.get('drill') ?? '';
  // "true" starts a drill; a running drill's id adds the alert to it (replaying an incident's alerts in order).
  const into = drill === 'true' ? undefined : /^drill-[A-Za-z0-9._-]{1,120}$/.test(drill) ? drill : null;
  if (into === null) throw new HttpError(400, 'validation_failed', 'drill must be "true" (start a drill) or a running drill\'s id (add the alert to it).', [{ path: 'drill', code: 'invalid_value', message: 'expected "true" or drill-...' }]);
  const service = request.query.get('service');
  const environment = request.query.get('environment');
  if ((service === null) !== (environment === null)) {
    const missing = service === null ? 'service' : 'environment';
    throw new HttpError(400, 'validation_failed', 'Name both service and environment to drill as a given service, or neither.', [{ path: missing, code: 'required', message: `required with ${missing === 'service' ? 'environment' : 'service'}` }]);
  }
  const outcome = await orUnavailable(context, requestId, () =>
    acceptDrillAlert(
      { store: getIncidentStore(), orchestrations: orchestrations(context), archive: getAlertArchive(), policy, now: appNow },
      body,
      (hash) => `drills/${appNow().toISOString().slice(0, 10)}/${hash}.json`,
      service !== null && environment !== null ? { service, environment } : undefined,
      into,
    ),
  );
  if (outcome.kind === 'invalid') throw new HttpError(400, 'validation_failed', outcome.message, outcome.issues);
  if (outcome.kind === 'unmatched' && service !== null) throw new HttpError(400, 'validation_failed', outcome.reasons[0] ?? 'Unknown service.', [{ path: 'service', code: 'unknown_service', message: outcome.reasons[0] ?? '' }]);
  context.info(`drill ${outcome.kind}: ${outcome.incidentId ?? '-'} ${outcome.service ?? ''}@${outcome.environment ?? ''} ${outcome.severity?.level ?? ''}`);
  return jsonResponse(202, { ...outcome, drill: true, requestId }, requestId);
}
