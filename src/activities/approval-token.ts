/**
 * Approval tokens: what a containment card's button carries. A token names the incident
 * (= orchestration instance), the proposal, the allowed choice(s), an expiry and a nonce, and is
 * signed with HMAC-SHA256 under the app's signing key. Verification tries the current key, then
 * the previous one (key rotation), compares in constant time, and only then parses the claims and
 * checks the expiry, so a forged token learns nothing. Single use is not decided here: the nonce
 * is recorded in Table storage when a decision is accepted (see approvals.ts).
 *
 * Format: "v1.<base64url(JSON claims)>.<base64url(HMAC over 'v1.' + claims part)>".
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { ContainmentChoice } from '../domain/incident-events.js';
import { Severity } from '../domain/messages/types.js';

/** Orchestration instance ids: no / \ ? # or control characters (and we keep them URL-safe). */
export const INCIDENT_ID = /^[A-Za-z0-9._:-]{1,100}$/;
const MAX_TOKEN_CHARS = 2048;
const PREFIX = 'v1';

export const ApprovalClaims = z.strictObject({
  /** Incident id = orchestration instance id. */
  iid: z.string().regex(INCIDENT_ID),
  /** Proposal id (the orchestration refuses decisions for an older proposal). */
  pid: z.string().min(1).max(128),
  /** Allowed choice(s): one per button; several for a link that offers them all. */
  ch: z.array(ContainmentChoice).min(1).max(6),
  /** Expiry, epoch seconds. */
  exp: z.number().int().positive(),
  /** Shared by all links of one proposal: the first decision uses it up for every button. */
  n: z.string().regex(/^[A-Za-z0-9_-]{16,64}$/),
  /** Who the link was issued to ("teams" channel), recorded as the actor name without Entra. */
  aud: z.string().min(1).max(100),
  /** What is proposed, for the confirmation page (signed, so it cannot be swapped). */
  t: z.string().min(1).max(160),
  env: z.string().min(1).max(40),
  sev: Severity,
});
export type ApprovalClaims = z.infer<typeof ApprovalClaims>;

export type VerifyResult =
  | { ok: true; claims: ApprovalClaims }
  | { ok: false; reason: 'malformed' | 'signature' }
  | { ok: false; reason: 'expired'; claims: ApprovalClaims };

function sign(signed: string, key: Buffer): Buffer {
  return createHmac('sha256', key).update(signed, 'utf8').digest();
}

export function newNonce(): string {
  return randomBytes(16).toString('base64url');
}

export function signApprovalToken(claims: ApprovalClaims, key: Buffer): string {
  const body = Buffer.from(JSON.stringify(ApprovalClaims.parse(claims)), 'utf8').toString('base64url');
  const signed = `${PREFIX}.${body}`;
  return `${signed}.${sign(signed, key).toString('base64url')}`;
}

/** Checks the signature against each key (current first), then the claims, then the expiry. */
export function verifyApprovalToken(token: string, keys: readonly Buffer[], nowMs: number): VerifyResult {
  if (token.length > MAX_TOKEN_CHARS) return { ok: false, reason: 'malformed' };
  const parts = token.split('.');
  if (parts.length !== 3 || parts[0] !== PREFIX) return { ok: false, reason: 'malformed' };
  const [, body = '', mac = ''] = parts;
  if (!/^[A-Za-z0-9_-]+$/.test(body) || !/^[A-Za-z0-9_-]{43}$/.test(mac)) return { ok: false, reason: 'malformed' };
  const presented = Buffer.from(mac, 'base64url');
  const signed = `${PREFIX}.${body}`;
  const valid = keys.some((key) => {
    const expected = sign(signed, key);
    return expected.length === presented.length && timingSafeEqual(expected, presented);
  });
  if (!valid) return { ok: false, reason: 'signature' };
  let raw: unknown;
  try {
    raw = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
  } catch {
    return { ok: false, reason: 'malformed' };
  }
  const claims = ApprovalClaims.safeParse(raw);
  if (!claims.success) return { ok: false, reason: 'malformed' };
  if (claims.data.exp * 1000 <= nowMs) return { ok: false, reason: 'expired', claims: claims.data };
  return { ok: true, claims: claims.data };
}

export interface ApprovalLinkRequest {
  incidentId: string;
  proposalId: string;
  choices: ContainmentChoice[];
  /** The decision deadline: links stop working then. */
  expiresAt: string;
  title: string;
  environment: string;
  severity: Severity;
}

export interface ApprovalLinks {
  /** One link per choice (the card's buttons). */
  perChoice: Partial<Record<ContainmentChoice, string>>;
  /** One link offering every choice (an activity-feed notification can open only one URL). */
  all: string;
  nonce: string;
  expiresAt: string;
}

/** Signs the links of one proposal; all share one nonce, so only the first decision counts. */
export function mintApprovalLinks(
  req: ApprovalLinkRequest,
  settings: { keys: readonly Buffer[]; baseUrl: string; audience: string },
  nonce: string = newNonce(),
): ApprovalLinks {
  const key = settings.keys[0];
  if (!key) throw new Error('No approval signing key is configured.');
  const base = {
    iid: req.incidentId,
    pid: req.proposalId,
    exp: Math.floor(Date.parse(req.expiresAt) / 1000),
    n: nonce,
    aud: settings.audience,
    t: req.title.length > 160 ? `${req.title.slice(0, 159)}…` : req.title,
    env: req.environment,
    sev: req.severity,
  };
  const url = (token: string) => `${settings.baseUrl}/api/approvals/${token}`;
  const perChoice: ApprovalLinks['perChoice'] = {};
  for (const choice of req.choices) perChoice[choice] = url(signApprovalToken({ ...base, ch: [choice] }, key));
  return { perChoice, all: url(signApprovalToken({ ...base, ch: [...new Set(req.choices)] }, key)), nonce, expiresAt: req.expiresAt };
}

/**
 * The nonce of a proposal's links, derived from the signing key: the same for every link of the
 * proposal and for every re-post of its card (an activity retried after a crash), so one decision
 * per proposal is all that can ever be recorded; unguessable without the key.
 */
export function proposalNonce(key: Buffer, incidentId: string, proposalId: string): string {
  return createHmac('sha256', key).update(`nonce\n${incidentId}\n${proposalId}`, 'utf8').digest('base64url').slice(0, 22);
}
