/**
 * POST /api/alerts: the Azure Monitor action group webhook (common alert schema). Answers 202
 * quickly with what happened (declared / correlated / duplicate / recovery signal / unmatched);
 * 400 with every problem for a payload that is not the common schema (and starts nothing); 503
 * when storage is unavailable, so Azure Monitor delivers again.
 */
import { app } from '@azure/functions';
import * as df from 'durable-functions';
import { KeySetUnavailableError, verifySecureWebhookToken } from '../src/adapters/entra-token.js';
import { orchestrations, orUnavailable, policyOr503 } from '../src/app/http-context.js';
import { acceptAlert } from '../src/app/intake.js';
import { alertPayloadName, getAlertArchive, getIncidentStore } from '../src/app/stores.js';
import { readIntakeSettings } from '../src/config/intake.js';
import { HttpError, jsonResponse, readJson, withEnvelope } from '../src/http/envelope.js';
import { appNow } from '../src/app/clock.js';

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
    const outcome = await orUnavailable(context, requestId, () =>
      acceptAlert({ store: getIncidentStore(), orchestrations: orchestrations(context), archive: getAlertArchive(), policy, now: appNow }, body, (hash) => alertPayloadName(hash, appNow())),
    );
    if (outcome.kind === 'invalid') throw new HttpError(400, 'validation_failed', outcome.message, outcome.issues);
    context.info(`alert ${outcome.kind}: ${outcome.incidentId ?? '-'} ${outcome.service ?? ''}@${outcome.environment ?? ''} ${outcome.severity?.level ?? ''}`);
    return jsonResponse(outcome.kind === 'duplicate' ? 200 : 202, { ...outcome, requestId }, requestId);
  }),
});
