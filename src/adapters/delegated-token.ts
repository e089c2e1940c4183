/**
 * The delegated identity for channel posts, without a password anywhere: a person (ideally a
 * dedicated service account that is a member of the incident channel) signs in once with the
 * OAuth 2.0 device code flow (`npm run teams:signin`); the refresh token is kept in a secret
 * store; at run time RefreshTokenCredential redeems it at the Entra token endpoint for Graph
 * access tokens and saves the rotated refresh token back.
 *
 * Implemented against the v2.0 endpoints directly (public client: no secret), because the
 * installed @azure/identity cannot export or persist its token cache without the native
 * @azure/identity-cache-persistence package. Refresh tokens of public clients last up to 90 days
 * of inactivity and are renewed by use; a revoked or expired one (password reset, Conditional
 * Access, admin revocation) ends in DelegatedAuthError: sign in again.
 */
import type { AccessToken, GetTokenOptions, TokenCredential } from '@azure/identity';
import { z } from 'zod';
import type { SecretStore } from './secret-store.js';
import { SecretStoreError } from './secret-store.js';
import { telemetry } from './telemetry.js';
import { errorText } from '../domain/errors.js';

/** The sign-in can no longer produce tokens (no sign-in stored, revoked, expired, wrong app). */
export class DelegatedAuthError extends Error {
  override name = 'DelegatedAuthError';
}

/** The token endpoint or the secret store is unreachable right now: worth a retry. */
export class DelegatedTokenUnavailable extends Error {
  override name = 'DelegatedTokenUnavailable';
}

const iso = z.iso.datetime({ offset: true });

export const StoredSignIn = z.object({
  v: z.literal(1),
  tenantId: z.string().min(1),
  clientId: z.string().min(1),
  scopes: z.array(z.string()).min(1),
  refreshToken: z.string().min(1),
  account: z.object({ upn: z.string().optional(), oid: z.string().optional(), name: z.string().optional() }),
  signedInAt: iso,
  refreshedAt: iso,
});
export type StoredSignIn = z.infer<typeof StoredSignIn>;

const TokenResponse = z.object({
  access_token: z.string().min(1),
  expires_in: z.coerce.number().int().positive(),
  refresh_token: z.string().min(1).optional(),
  scope: z.string().optional(),
});
type TokenResponse = z.infer<typeof TokenResponse>;

const OAuthError = z.object({ error: z.string(), error_description: z.string().optional() });
type OAuthError = z.infer<typeof OAuthError>;

const DeviceCodeResponse = z.object({
  device_code: z.string().min(1),
  user_code: z.string().min(1),
  verification_uri: z.string().min(1),
  expires_in: z.coerce.number().int().positive(),
  interval: z.coerce.number().int().positive().default(5),
  message: z.string().optional(),
});

type EndpointResult<T> = { ok: true; body: T } | { ok: false; status: number; error: OAuthError };

/** Entra error descriptions carry AADSTS codes and trace ids, never secrets; still, keep them short. */
function describe(e: OAuthError): string {
  const first = (e.error_description ?? '').split(/\r?\n/)[0]?.slice(0, 300) ?? '';
  return first ? `${e.error}: ${first}` : e.error;
}

async function formPost<T>(url: string, form: Record<string, string>, schema: z.ZodType<T>, timeoutMs: number): Promise<EndpointResult<T>> {
  let res: Response;
  try {
    res = await telemetry().external('entra', url.endsWith('/devicecode') ? 'device-code' : 'token', () => fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: new URLSearchParams(form).toString(),
      signal: AbortSignal.timeout(timeoutMs),
    }));
  } catch (err) {
    throw new DelegatedTokenUnavailable(`The Entra token endpoint is unreachable: ${errorText(err)}`);
  }
  const text = (await res.text()).slice(0, 64 * 1024);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  if (res.ok) {
    const parsed = schema.safeParse(json);
    if (!parsed.success) throw new DelegatedTokenUnavailable(`The Entra token endpoint answered ${res.status} with an unexpected body.`);
    return { ok: true, body: parsed.data };
  }
  if (res.status === 429 || res.status >= 500) throw new DelegatedTokenUnavailable(`The Entra token endpoint answered ${res.status}.`);
  const error = OAuthError.safeParse(json);
  return { ok: false, status: res.status, error: error.success ? error.data : { error: `http_${res.status}` } };
}

function endpoint(loginUrl: string, tenantId: string, leaf: 'token' | 'devicecode'): string {
  return `${loginUrl.replace(/\/+$/, '')}/${encodeURIComponent(tenantId)}/oauth2/v2.0/${leaf}`;
}

/** Claims of an access token, for display only (who signed in): never used to authorise. */
export function peekClaims(jwt: string): Record<string, unknown> {
  const part = jwt.split('.')[1];
  if (!part) return {};
  try {
    const v = JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as unknown;
    return v && typeof v === 'object' ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

export interface DelegatedTokenOptions {
  loginUrl: string;
  tenantId: string;
  clientId: string;
  scopes: string[];
  store: SecretStore;
  timeoutMs?: number;
  now?: () => number;
  /** Non-fatal problems (the rotated token could not be saved). */
  onWarning?: (message: string) => void;
}

/** Refresh tokens redeemed only when the cached access token has less than this left. */
const EARLY_REFRESH_MS = 5 * 60_000;

export class RefreshTokenCredential implements TokenCredential {
  private cached: AccessToken | undefined;
  private signIn: StoredSignIn | undefined;
  private inflight: Promise<AccessToken> | undefined;
  private readonly now: () => number;

  constructor(private readonly o: DelegatedTokenOptions) {
    this.now = o.now ?? Date.now;
  }

  /** Scopes asked by the caller are ignored: the token carries the scopes of the sign-in. */
  getToken(_scopes: string | string[], _options?: GetTokenOptions): Promise<AccessToken> {
    if (this.cached && this.cached.expiresOnTimestamp - EARLY_REFRESH_MS > this.now()) return Promise.resolve(this.cached);
    this.inflight ??= this.redeem().finally(() => {
      this.inflight = undefined;
    });
    return this.inflight;
  }

  /**
   * The sign-in as it is stored now (read again, not the cached copy): who signed in, when, and
   * when its refresh token was last renewed and saved. Throws DelegatedAuthError when there is none.
   */
  storedSignIn(): Promise<StoredSignIn> {
    return this.load();
  }

  private async load(): Promise<StoredSignIn> {
    let raw: string | undefined;
    try {
      raw = await this.o.store.read();
    } catch (err) {
      if (err instanceof SecretStoreError && !err.transient) throw new DelegatedAuthError(err.message);
      throw new DelegatedTokenUnavailable(`Cannot read the delegated sign-in: ${errorText(err)}`);
    }
    if (raw === undefined) {
      throw new DelegatedAuthError(`No delegated Teams sign-in in ${this.o.store.description}. Run "npm run teams:signin" to sign in once.`);
    }
    let parsed: StoredSignIn;
    try {
      parsed = StoredSignIn.parse(JSON.parse(raw));
    } catch {
      throw new DelegatedAuthError(`The delegated Teams sign-in in ${this.o.store.description} is unreadable. Run "npm run teams:signin" again.`);
    }
    if (parsed.clientId.toLowerCase() !== this.o.clientId.toLowerCase() || parsed.tenantId.toLowerCase() !== this.o.tenantId.toLowerCase()) {
      throw new DelegatedAuthError(
        `The sign-in in ${this.o.store.description} was made for another app or tenant (TEAMS_CLIENT_ID / TEAMS_TENANT_ID changed). Run "npm run teams:signin" again.`,
      );
    }
    return parsed;
  }

  private async redeem(): Promise<AccessToken> {
    const signIn = this.signIn ?? (await this.load());
    const result = await formPost(
      endpoint(this.o.loginUrl, this.o.tenantId, 'token'),
      { client_id: this.o.clientId, grant_type: 'refresh_token', refresh_token: signIn.refreshToken, scope: this.o.scopes.join(' ') },
      TokenResponse,
      this.o.timeoutMs ?? 10_000,
    );
    if (!result.ok) {
      // Read the store again next time: someone may have signed in anew meanwhile.
      this.signIn = undefined;
      throw new DelegatedAuthError(
        `The delegated Teams sign-in (${signIn.account.upn ?? 'unknown account'}) can no longer get tokens (${describe(result.error)}). Run "npm run teams:signin" again.`,
      );
    }
    const body = result.body;
    this.cached = { token: body.access_token, expiresOnTimestamp: this.now() + body.expires_in * 1000, tokenType: 'Bearer' };
    this.signIn = signIn;
    if (body.refresh_token && body.refresh_token !== signIn.refreshToken) {
      const next: StoredSignIn = { ...signIn, refreshToken: body.refresh_token, refreshedAt: new Date(this.now()).toISOString() };
      this.signIn = next;
      await this.o.store.write(JSON.stringify(next)).catch((err: unknown) => {
        // The previous refresh token stays valid; only its 90-day window is not extended.
        this.o.onWarning?.(`Could not save the rotated refresh token to ${this.o.store.description}: ${errorText(err)}`);
      });
    }
    return this.cached;
  }
}

export interface DeviceCodePrompt {
  userCode: string;
  verificationUri: string;
  /** Entra's own instruction text, localised. */
  message: string;
  expiresInSec: number;
}

export interface DeviceCodeSignInOptions {
  loginUrl: string;
  tenantId: string;
  clientId: string;
  scopes: string[];
  prompt: (p: DeviceCodePrompt) => void;
  timeoutMs?: number;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

/** The scope the channel posts need: the sign-in fails without it rather than later at 14:31. */
export const REQUIRED_SCOPE = 'ChannelMessage.Send';

/** Runs the device code flow to completion and returns what to store. */
export async function signInWithDeviceCode(o: DeviceCodeSignInOptions): Promise<StoredSignIn> {
  const sleep = o.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const now = o.now ?? Date.now;
  const timeoutMs = o.timeoutMs ?? 10_000;
  const start = await formPost(
    endpoint(o.loginUrl, o.tenantId, 'devicecode'),
    { client_id: o.clientId, scope: o.scopes.join(' ') },
    DeviceCodeResponse,
    timeoutMs,
  );
  if (!start.ok) throw new DelegatedAuthError(`Entra refused to start the sign-in (${describe(start.error)}). Is "Allow public client flows" on for the app?`);
  const dc = start.body;
  o.prompt({
    userCode: dc.user_code,
    verificationUri: dc.verification_uri,
    message: dc.message ?? `To sign in, open ${dc.verification_uri} and enter the code ${dc.user_code}.`,
    expiresInSec: dc.expires_in,
  });
  const expires = now() + dc.expires_in * 1000;
  let interval = dc.interval * 1000;
  let tokens: TokenResponse | undefined;
  while (!tokens) {
    if (now() >= expires) throw new DelegatedAuthError('The sign-in code expired before the sign-in was completed. Run the command again.');
    await sleep(interval);
    const r = await formPost(
      endpoint(o.loginUrl, o.tenantId, 'token'),
      { client_id: o.clientId, grant_type: 'urn:ietf:params:oauth:grant-type:device_code', device_code: dc.device_code },
      TokenResponse,
      timeoutMs,
    );
    if (r.ok) tokens = r.body;
    else if (r.error.error === 'authorization_pending') continue;
    else if (r.error.error === 'slow_down') interval += 5000;
    else throw new DelegatedAuthError(`The sign-in did not complete (${describe(r.error)}).`);
  }
  if (!tokens.refresh_token) throw new DelegatedAuthError('Entra returned no refresh token: the offline_access scope is missing.');
  const granted = (tokens.scope ?? '').split(/\s+/).map((s) => s.split('/').pop()?.toLowerCase());
  if (!granted.includes(REQUIRED_SCOPE.toLowerCase())) {
    throw new DelegatedAuthError(`The sign-in was not granted ${REQUIRED_SCOPE} (granted: ${tokens.scope ?? 'nothing'}). Grant the permission (admin consent if required) and sign in again.`);
  }
  const claims = peekClaims(tokens.access_token);
  const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
  const at = new Date(now()).toISOString();
  return {
    v: 1,
    tenantId: o.tenantId,
    clientId: o.clientId,
    scopes: o.scopes,
    refreshToken: tokens.refresh_token,
    account: { upn: str(claims.upn) ?? str(claims.preferred_username) ?? str(claims.unique_name), oid: str(claims.oid), name: str(claims.name) },
    signedInAt: at,
    refreshedAt: at,
  };
}
