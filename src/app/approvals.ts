/**
 * The approval endpoint behind the containment card's buttons:
 *   GET  /api/approvals/{token}  a confirmation page (records nothing: link scanners and previews
 *                                 open links, so a GET must never decide);
 *   POST /api/approvals/{token}  records the decision once and raises it into the incident
 *                                 orchestration as its `decision` event.
 *
 * Checks, in order, each refusing with a page (browsers) or an error envelope (API clients):
 * token format (400) and signature (403), expiry (410), the approver when the app is behind Entra
 * authentication (401 without sign-in, 403 when not an approver), proposal already decided (409),
 * incident automation no longer running (410), then the choice (400). Single use: the proposal's
 * nonce is inserted into Table storage if absent; the first POST wins, later ones get 409.
 * A refused request records nothing and raises nothing.
 */
import type { HttpRequest, HttpResponseInit } from '@azure/functions';
import type { ApprovalSettings, ApprovalSettingsResult } from '../config/teams.js';
import { Refusal } from '../domain/refusal.js';
import { ContainmentChoice, type Actor, type DecisionEvent } from '../domain/incident-events.js';
import { choiceLabel } from '../domain/messages/render.js';
import { HttpError, errorResponse, jsonResponse } from '../http/envelope.js';
import type { ApprovalUse, ApprovalUseStore, DecisionTarget } from '../ports/approvals.js';
import { PAGE_HEADERS, confirmPage, refusalPage, resultPage } from './approval-page.js';
import { verifyApprovalToken, type ApprovalClaims } from '../activities/approval-token.js';
import { authorityOf, callerOf, requireDecisionOwner } from './access.js';
import type { AccessSettings } from './settings.js';
import { inApproverList, type Principal } from './approver.js';
import { telemetry } from './telemetry.js';
import { errorText } from '../domain/errors.js';

export interface ApprovalDeps {
  settings: () => ApprovalSettingsResult;
  uses: () => ApprovalUseStore;
  decisions: DecisionTarget;
  /** A custom approver check; when given, it alone decides. */
  isApprover?: (principal: Principal) => boolean | Promise<boolean>;
  /**
   * The approvers for the incident the link belongs to (the policy's service, environment or
   * global list); null when unknown (no policy, incident not found): the APPROVERS setting decides.
   */
  approvers?: (claims: ApprovalClaims) => Promise<string[] | null>;
  now?: () => Date;
  /** Whether Easy Auth vouches for callers (default: the app's settings). */
  access?: AccessSettings;
}

const MAX_BODY_BYTES = 4096;

/** A refusal of an approval request, with what its answer (JSON envelope or HTML page) shows. */
class ApprovalRefusal extends Refusal {
  constructor(
    readonly status: number,
    readonly code: HttpError['code'],
    readonly title: string,
    message: string,
    readonly rows: [string, string][] = [],
  ) {
    super(message);
  }
}

function wantsHtml(request: HttpRequest): boolean {
  return /\btext\/html\b/i.test(request.headers.get('accept') ?? '');
}

function html(status: number, body: string, requestId: string): HttpResponseInit {
  return { status, body, headers: { ...PAGE_HEADERS, 'x-request-id': requestId } };
}

function actorLabel(a: { actorId: string; actorName?: string }): string {
  return a.actorName && a.actorName !== a.actorId ? `${a.actorName} (${a.actorId})` : a.actorId;
}

function isTransient(err: unknown): boolean {
  const e = err as { statusCode?: number; code?: string; name?: string } | undefined;
  if (!e) return false;
  if (typeof e.statusCode === 'number') return e.statusCode === 408 || e.statusCode === 429 || e.statusCode >= 500;
  return true;
}

async function readChoice(request: HttpRequest, allowed: readonly ContainmentChoice[]): Promise<ContainmentChoice> {
  const declared = Number(request.headers.get('content-length') ?? NaN);
  if (Number.isFinite(declared) && declared > MAX_BODY_BYTES) throw new ApprovalRefusal(413, 'payload_too_large', 'Request too large', `The body is larger than ${MAX_BODY_BYTES} bytes.`);
  const chunks: Uint8Array[] = [];
  let size = 0;
  if (request.body) {
    for await (const chunk of request.body as AsyncIterable<Uint8Array>) {
      size += chunk.byteLength;
      if (size > MAX_BODY_BYTES) throw new ApprovalRefusal(413, 'payload_too_large', 'Request too large', `The body is larger than ${MAX_BODY_BYTES} bytes.`);
      chunks.push(chunk);
    }
  }
  const text = Buffer.concat(chunks).toString('utf8').trim();
  let raw: unknown;
  if (text !== '') {
    const type = request.headers.get('content-type') ?? '';
    if (/json/i.test(type)) {
      try {
        raw = (JSON.parse(text) as { choice?: unknown }).choice;
      } catch {
        throw new ApprovalRefusal(400, 'invalid_json', 'Invalid request', 'The body is not valid JSON.');
      }
    } else {
      raw = new URLSearchParams(text).get('choice') ?? undefined;
    }
  }
  if (raw === undefined) {
    const only = allowed.length === 1 ? allowed[0] : undefined;
    if (only) return only;
    throw new ApprovalRefusal(400, 'validation_failed', 'Choose a decision', `This link offers ${allowed.length} choices: send one as "choice".`);
  }
  const choice = ContainmentChoice.safeParse(raw);
  if (!choice.success || !allowed.includes(choice.data)) {
    throw new ApprovalRefusal(400, 'validation_failed', 'Choice not offered', `This link allows only: ${allowed.join(', ')}.`);
  }
  return choice.data;
}

function claimRows(c: ApprovalClaims): [string, string][] {
  return [
    ['Incident', c.iid],
    ['Proposal', `${c.t} [${c.pid}]`],
    ['Environment', `${c.env} (${c.sev})`],
  ];
}

async function identify(request: HttpRequest, settings: ApprovalSettings, claims: ApprovalClaims, deps: ApprovalDeps): Promise<Actor> {
  if (settings.identity === 'link') return { id: 'approval-link', name: claims.aud, via: 'approval-link' };
  // Principal headers are believed only where App Service Authentication puts them (it strips
  // any a client sends); elsewhere anyone could write them.
  const caller = (() => {
    try {
      return callerOf(request, deps.access);
    } catch {
      return undefined;
    }
  })();
  if (caller?.source !== 'easy-auth') {
    throw new ApprovalRefusal(401, 'unauthorized', 'Sign-in required', 'Approvals require signing in with your work account (App Service Authentication); no signed-in identity reached the app.', claimRows(claims));
  }
  const principal = caller.principal;
  let allowed: boolean;
  const list = (deps.approvers ? await deps.approvers(claims).catch(() => null) : null) ?? settings.approvers;
  if (deps.isApprover) allowed = await deps.isApprover(principal);
  else if (list.length === 0) {
    throw new ApprovalRefusal(403, 'forbidden', 'No approvers configured', 'No approvers are configured for this service (policy approvers or APPROVERS), so nobody can approve through a link; decide through the incident API.', claimRows(claims));
  } else allowed = inApproverList(principal, list);
  if (!allowed) {
    throw new ApprovalRefusal(403, 'forbidden', 'Not an approver', `${principal.name ?? principal.id} is not on the approver list for containment decisions.`, claimRows(claims));
  }
  return { id: principal.id, ...(principal.name ? { name: principal.name } : {}), via: 'approval-link', verified: true, auth: 'easy-auth' };
}

async function decide(request: HttpRequest, deps: ApprovalDeps): Promise<{ status: number; html: string; json: unknown }> {
  const now = deps.now?.() ?? new Date();
  const result = deps.settings();
  if (!result.ok) {
    throw new ApprovalRefusal(503, 'not_configured', 'Approvals are not configured', `Approval links are not configured on this app: ${result.issues.map((i) => i.path).join(', ')}.`);
  }
  const settings = result.settings;
  const verified = verifyApprovalToken(request.params.token ?? '', settings.keys, now.getTime());
  if (!verified.ok) {
    if (verified.reason === 'malformed') throw new ApprovalRefusal(400, 'bad_request', 'Invalid approval link', 'This is not a valid approval link (it may have been cut or mistyped).');
    if (!('claims' in verified)) {
      throw new ApprovalRefusal(403, 'forbidden', 'Invalid approval link', 'This approval link is not valid: it was altered, or signed with a key this app no longer uses.');
    }
    const c = verified.claims;
    throw new ApprovalRefusal(410, 'gone', 'Approval link expired', `This approval link expired at ${new Date(c.exp * 1000).toISOString()}: the decision window has closed.`, claimRows(c));
  }
  const claims = verified.claims;
  // The link is signed: from here on this request's spans (the approver and use lookups too) carry its incident.
  telemetry().setIncident(claims.iid);
  const actor = await identify(request, settings, claims, deps);

  const uses = deps.uses();
  let used: ApprovalUse | undefined;
  try {
    used = await uses.get(claims.iid, claims.n);
  } catch (err) {
    if (isTransient(err)) throw new ApprovalRefusal(503, 'storage_unavailable', 'Try again', 'The approval record is unreachable right now; nothing was recorded. Try again in a moment.');
    throw err;
  }
  const alreadyDecided = (u: ApprovalUse) =>
    new ApprovalRefusal(409, 'conflict', 'Already decided', `This proposal was already decided: ${choiceLabel(u.choice as ContainmentChoice)} by ${actorLabel(u)} at ${u.decidedAt}.`, claimRows(claims));
  if (used) throw alreadyDecided(used);

  const instance = await deps.decisions.instance(claims.iid).catch((err: unknown) => {
    throw new ApprovalRefusal(503, 'storage_unavailable', 'Try again', `The incident automation cannot be reached right now (${errorText(err).slice(0, 200)}); nothing was recorded.`);
  });
  if (instance.state !== 'waiting') {
    const why = instance.state === 'missing' ? 'no incident automation is running under this id' : `its automation has ended (${instance.runtimeStatus})`;
    throw new ApprovalRefusal(410, 'gone', 'Incident no longer waiting', `Incident ${claims.iid} can no longer take this decision: ${why}.`, claimRows(claims));
  }

  const who = actor.name ? `${actor.name} (${actor.id})` : actor.id;
  if (request.method.toUpperCase() !== 'POST') {
    const view = {
      incidentId: claims.iid,
      proposalId: claims.pid,
      title: claims.t,
      environment: claims.env,
      severity: claims.sev,
      expiresAt: new Date(claims.exp * 1000).toISOString(),
      choices: claims.ch,
      actor: settings.identity === 'link' ? `approval-link (${claims.aud})` : who,
    };
    return { status: 200, html: confirmPage(view), json: { proposal: view } };
  }

  const choice = await readChoice(request, claims.ch);
  // Only the Decision Owner may override a P1 default (RB-02 section 4): refused here, before the link is used up.
  try {
    requireDecisionOwner(authorityOf(instance.customStatus), actor, { choice });
  } catch (err) {
    if (err instanceof HttpError) throw new ApprovalRefusal(403, 'forbidden', 'Not the Decision Owner', err.message, claimRows(claims));
    throw err;
  }
  const at = now.toISOString();
  const use: ApprovalUse = {
    incidentId: claims.iid,
    nonce: claims.n,
    proposalId: claims.pid,
    choice,
    actorId: actor.id,
    ...(actor.name ? { actorName: actor.name } : {}),
    decidedAt: at,
    state: 'claimed',
  };
  const claim = await uses.claim(use).catch((err: unknown) => {
    if (isTransient(err)) throw new ApprovalRefusal(503, 'storage_unavailable', 'Try again', 'The approval record is unreachable right now; nothing was recorded. Try again in a moment.');
    throw err;
  });
  if (!claim.claimed) throw alreadyDecided(claim.existing);

  const event: DecisionEvent = { actor, at, choice, proposalId: claims.pid };
  try {
    await deps.decisions.raiseDecision(claims.iid, event);
  } catch (err) {
    // Give the nonce back so that the person can simply try again.
    await uses.release(claims.iid, claims.n).catch(() => undefined);
    throw new ApprovalRefusal(503, 'storage_unavailable', 'Try again', `The decision could not be handed to the incident automation (${errorText(err).slice(0, 200)}); nothing was recorded. Try again.`);
  }
  await uses.markRaised(claims.iid, claims.n).catch(() => undefined);
  return {
    status: 200,
    html: resultPage({ incidentId: claims.iid, proposalId: claims.pid, choice, actor: who, at }),
    json: { recorded: { incidentId: claims.iid, proposalId: claims.pid, choice, actor, at } },
  };
}

/** The whole endpoint; `requestId` as in every envelope. */
export async function handleApproval(request: HttpRequest, deps: ApprovalDeps, requestId: string): Promise<HttpResponseInit> {
  const asHtml = wantsHtml(request);
  try {
    const r = await decide(request, deps);
    return asHtml ? html(r.status, r.html, requestId) : jsonResponse(r.status, r.json, requestId, { 'cache-control': 'no-store' });
  } catch (err) {
    if (!(err instanceof ApprovalRefusal)) throw err;
    if (asHtml) return html(err.status, refusalPage(err.title, err.message, err.rows), requestId);
    return errorResponse(new HttpError(err.status, err.code, err.message, err.rows.length ? Object.fromEntries(err.rows) : null), requestId);
  }
}
