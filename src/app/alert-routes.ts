/**
 * The alert routes' handlers (registered in functions/alerts.ts, loaded on the first request).
 * POST /api/alerts: the Azure Monitor action group webhook (common alert schema). Answers 202
 * quickly with what happened (declared / correlated / duplicate / recovery signal / unmatched);
 * 400 naming every problem for a payload that can never be processed (not the common schema,
 * nested too deep), which starts nothing; 503 with Retry-After only when trying again can help
 * (storage or the orchestration service unavailable, the policy unreadable: the alert is then
 * archived and listed as unmatched first), so Azure Monitor delivers again.
 * GET /api/alerts/unmatched: the alerts that started or joined no incident, and why.
 * POST /api/alerts?drill=true: a captured payload replayed as a drill (see drillResponse below).
 *
 * The payload is redacted as soon as it is read: the archive, the orchestration's history, the
 * logs and the answers only ever see the redacted copy.
 */
import { type HttpRequest, type InvocationContext } from '@azure/functions';
import { z } from 'zod';
import { admit } from './access.js';
import { orchestrations, orUnavailable, policyUnavailable } from './http-context.js';
import { acceptAlert, acceptDrillAlert, answeredBefore, keepUnrouted, MAX_ALERT_BYTES, type IntakeOutcome } from './intake.js';
import { loadPolicy } from './policy-source.js';
import { appSettings } from './settings.js';
import { requireSecureWebhookToken } from './secure-webhook.js';
import { alertPayloadName, getAlertArchive, getIncidentStore, getUnmatchedAlerts } from './stores.js';
import { toIssues } from '../config/issues.js';
import { PolicyError, type Policy } from '../config/policy.js';
import { redactJson } from '../domain/redact.js';
import { HttpError, jsonResponse, readJson } from '../http/envelope.js';
import { appNow } from './clock.js';
import type { RouteHandler } from './routes.js';
import { errorText } from '../domain/errors.js';

/** Archive blob names: by day, then the delivery key's hash (the same alert, the same blob). */
const payloadName = (hash: string): string => alertPayloadName(hash, appNow());

const clip = (s: string | null | undefined, n = 120): string => (s ? (s.length > n ? `${s.slice(0, n)}…` : s) : '-');

function describeOutcome(o: Exclude<IntakeOutcome, { kind: 'invalid' }>, rule: string | null, target: string | null): string {
  const where = o.service ? ` ${o.service}@${o.environment ?? ''}` : '';
  return `alert ${o.kind}: ${o.incidentId ?? '-'}${where} ${o.severity?.level ?? ''} rule="${clip(rule)}" target="${clip(target)}" (${clip(o.reasons[0], 300)})`;
}

export const postAlert: RouteHandler = async (request, context, requestId) => {
  const settings = appSettings().intake;
  if (!settings.ok) throw new HttpError(503, 'not_configured', 'The alert intake settings are invalid; see GET /api/health.', settings.issues, { 'retry-after': '60' });
  if (settings.secureWebhook) await requireSecureWebhookToken(request.headers.get('authorization'), settings.secureWebhook);
  const received = await readJson(request, { maxBytes: MAX_ALERT_BYTES });
  const stores = { store: getIncidentStore(), archive: getAlertArchive(), unmatched: getUnmatchedAlerts(), now: appNow };
  // A copy of an alert answered before is answered again from memory, before redaction and validation.
  const again = request.query.has('drill') ? undefined : answeredBefore(stores.store, received);
  if (again && again.kind !== 'invalid') {
    context.info(describeOutcome(again, null, null));
    return jsonResponse(200, { ...again, requestId }, requestId);
  }
  const body = redactJson(received).value;
  let policy: Policy;
  try {
    policy = loadPolicy();
  } catch (err) {
    if (!(err instanceof PolicyError)) throw err;
    return keepWithoutPolicy(context, requestId, stores, body, err);
  }
  if (request.query.has('drill')) return drillResponse(request, context, requestId, body, { ...stores, orchestrations: orchestrations(context), policy });
  const after = (work: () => Promise<void>): void => {
    // Bookkeeping after the answer (see IntakeDeps.after): a failure loses nothing, it is said.
    work().catch((err: unknown) => context.warn(`alert bookkeeping after the answer failed (taken over on redelivery or by the orchestration): ${errorText(err)}`));
  };
  const outcome = await orUnavailable(context, requestId, () => acceptAlert({ ...stores, orchestrations: orchestrations(context), policy, after }, body, payloadName));
  if (outcome.kind === 'invalid') throw new HttpError(400, 'validation_failed', outcome.message, outcome.issues);
  const essentials = (body as { data: { essentials: { alertRule?: string | null; alertTargetIDs?: string[] | null } } }).data.essentials;
  const line = describeOutcome(outcome, essentials.alertRule ?? null, essentials.alertTargetIDs?.[0] ?? null);
  if (outcome.reasons[0]?.startsWith('not processed:')) context.error(line);
  else context.info(line);
  return jsonResponse(outcome.kind === 'duplicate' ? 200 : 202, { ...outcome, requestId }, requestId);
};

/** The policy cannot be read: keep the alert (archive + unmatched record), then 503 so it comes again. */
async function keepWithoutPolicy(
  context: InvocationContext,
  requestId: string,
  stores: Parameters<typeof keepUnrouted>[0],
  body: unknown,
  err: PolicyError,
): Promise<never> {
  context.error(`The policy cannot be read; alerts are kept and answered 503 until it is fixed. ${err.message}`);
  const problems = err.issues.length ? err.issues.slice(0, 3).map((i) => `${i.path}: ${i.message}`).join('; ') : err.message.split('\n')[0] ?? '';
  const kept = await orUnavailable(context, requestId, () => keepUnrouted(stores, body, `the policy could not be read (${problems}); Azure Monitor was asked to deliver it again`, payloadName));
  if (kept.kind === 'invalid') throw new HttpError(400, 'validation_failed', kept.message, kept.issues);
  context.warn(`alert kept without a policy: rule="${clip(kept.record.rule)}" target="${clip(kept.record.target)}" (${kept.record.payloadRef ?? 'not archived'})`);
  throw policyUnavailable(err);
}

const UnmatchedQuery = z.object({ limit: z.coerce.number().int().min(1).max(500).default(50) });

export const listUnmatched: RouteHandler = async (request, context, requestId) => {
  const parsed = UnmatchedQuery.safeParse(Object.fromEntries(request.query));
  if (!parsed.success) throw new HttpError(400, 'validation_failed', 'The query is not valid: limit must be an integer from 1 to 500.', toIssues(parsed.error));
  const items = await orUnavailable(context, requestId, () => getUnmatchedAlerts().list(parsed.data.limit));
  return jsonResponse(200, { items, count: items.length }, requestId, { 'cache-control': 'no-store' });
};

/**
 * POST /api/alerts?drill=true[&service=&environment=]: the payload replayed as a drill (plan mode:
 * nothing changed or posted), routed as a delivery would be or to the service named. 202 with the
 * drill's id; 400 for a payload that is not the common schema or an unknown service.
 * POST /api/alerts?drill=<drill id>: the payload joins that running drill, as a later delivery
 * joins an open incident.
 */
async function drillResponse(request: HttpRequest, context: InvocationContext, requestId: string, body: unknown, deps: Parameters<typeof acceptDrillAlert>[0]) {
  // A drill is a declaration (of one that changes nothing): the roles that may declare may drill.
  admit(request, 'declare');
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
      deps,
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
