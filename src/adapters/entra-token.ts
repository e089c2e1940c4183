/**
 * Validates Azure Monitor "secure webhook" tokens: signature against the tenant's published keys
 * (cached, fetched with a timeout), then issuer, audience, expiry, the calling app (azp, or appid
 * in v1 tokens: Azure Monitor's first-party app) and the app role (ActionGroupsSecureWebhook unless renamed).
 */
import type { SecureWebhookSettings } from '../config/intake.js';
import { lazy } from './lazy.js';
// jose is ESM-only; Node 20.19+ can require() it, and the type import says which resolution to use.
import type * as JoseModule from 'jose' with { 'resolution-mode': 'import' };
import { errorText } from '../domain/errors.js';

type Jose = typeof JoseModule;
const jose = lazy(() => require('jose') as Jose);

export type TokenCheck = { ok: true; appId: string; subject: string | undefined } | { ok: false; reason: string };

const keySets = new Map<string, ReturnType<Jose['createRemoteJWKSet']>>();

function keySet(uri: string): ReturnType<Jose['createRemoteJWKSet']> {
  let set = keySets.get(uri);
  if (!set) {
    set = jose().createRemoteJWKSet(new URL(uri), { timeoutDuration: 5000, cooldownDuration: 30_000, cacheMaxAge: 6 * 3600_000 });
    keySets.set(uri, set);
  }
  return set;
}

export class KeySetUnavailableError extends Error {
  override name = 'KeySetUnavailableError';
}

export async function verifySecureWebhookToken(authorization: string | null, settings: SecureWebhookSettings): Promise<TokenCheck> {
  const m = /^Bearer\s+([A-Za-z0-9._~+/=-]+)$/i.exec(authorization?.trim() ?? '');
  if (!m?.[1]) return { ok: false, reason: 'no bearer token (the action group must use a secure webhook)' };
  const { jwtVerify, errors } = jose();
  let payload: Record<string, unknown>;
  try {
    ({ payload } = await jwtVerify(m[1], keySet(settings.jwksUri), {
      issuer: settings.issuers,
      audience: settings.audiences,
      algorithms: ['RS256'],
      clockTolerance: 120,
    }));
  } catch (err) {
    if (err instanceof errors.JWKSTimeout || (err instanceof errors.JOSEError && err.code === 'ERR_JWKS_INVALID')) {
      throw new KeySetUnavailableError(`Could not read the signing keys from ${settings.jwksUri}: ${err.message}`);
    }
    if (err instanceof TypeError || (err as { code?: string }).code === 'ECONNREFUSED') {
      throw new KeySetUnavailableError(`Could not read the signing keys from ${settings.jwksUri}: ${errorText(err)}`);
    }
    const code = err instanceof errors.JOSEError ? err.code : 'ERR_INVALID';
    return { ok: false, reason: `the token was refused (${code}: ${errorText(err)})` };
  }
  const appId = typeof payload.azp === 'string' ? payload.azp : typeof payload.appid === 'string' ? payload.appid : undefined;
  if (!appId || !settings.appIds.includes(appId)) return { ok: false, reason: `the token was issued to app ${appId ?? '(none)'}, not Azure Monitor's webhook app` };
  const roles = Array.isArray(payload.roles) ? payload.roles : [];
  if (!roles.includes(settings.role)) return { ok: false, reason: `the token lacks the ${settings.role} role` };
  return { ok: true, appId, subject: typeof payload.sub === 'string' ? payload.sub : undefined };
}
