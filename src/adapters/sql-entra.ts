/**
 * The Entra credential the SQL adapter hands tedious (authentication type 'token-credential').
 *
 * The login (tedious 19, [MS-TDS] 2.2.6.4 and 2.2.7.12): LOGIN7 asks for federated
 * authentication in its FeatureExt (FEDAUTH, MSAL/ADAL library, "integrated" workflow) without a
 * token; the server answers FEDAUTHINFO with its STS URL and SPN; tedious asks the credential for
 * a token for `<SPN>/.default` (Azure SQL: https://database.windows.net/.default) and sends it in
 * a FEDAUTH_TOKEN message; the server validates it and answers LOGINACK plus a FEATUREEXTACK for
 * FEDAUTH, or error 18456.
 *
 * The adapter builds the credential itself instead of naming tedious' own Entra types so that:
 *  - "Active Directory Managed Identity" means the managed identity only, as in SqlClient
 *    (DefaultAzureCredential would also try environment and developer credentials);
 *  - a token that does not come is reported as such, naming the identity, before tedious' connect
 *    timeout turns it into an anonymous "Failed to connect";
 *  - the failure says which kind it is: the identity endpoint refusing (an unknown client id, no
 *    identity: a setup problem, reported as a login problem) or not answering in time or at all
 *    (an outage: `TOKEN_UNAVAILABLE`, which the adapter treats as transient, so the step is retried
 *    within its timebox instead of being refused for good).
 */
import type { AccessToken, GetTokenOptions, TokenCredential } from '@azure/identity';
import type { SqlAuth } from '../config/sql.js';
import { lazy } from './lazy.js';
import { errorText } from '../domain/errors.js';

const identitySdk = lazy(() => require('@azure/identity') as typeof import('@azure/identity'));

export type EntraSqlAuth = Exclude<SqlAuth, { kind: 'sql-login' }>;

/** The `name` of a token failure that is an outage of the identity endpoint (worth retrying). */
export const TOKEN_UNAVAILABLE = 'EntraTokenUnavailable';

function failure(message: string, transient: boolean, cause?: unknown): Error {
  const err = new Error(message, cause === undefined ? undefined : { cause });
  if (transient) err.name = TOKEN_UNAVAILABLE;
  return err;
}

/**
 * The endpoint answered and said no (4xx: an unknown client id, no identity on the app): a setup
 * problem, retrying will not help. The SDK wraps it (a CredentialUnavailableError, or one per
 * credential for DefaultAzureCredential) around MSAL's error, which carries the HTTP status.
 */
function refusedByEndpoint(err: unknown): boolean {
  type E = { errors?: unknown[]; cause?: unknown; status?: unknown; statusCode?: unknown } | null | undefined;
  const seen: E[] = [err as E];
  for (let i = 0; i < seen.length && seen.length < 12; i++) {
    const e = seen[i];
    if (Array.isArray(e?.errors)) seen.push(...(e.errors as E[]));
    if (e?.cause) seen.push(e.cause);
  }
  return seen.some((e) => {
    const status = typeof e?.status === 'number' ? e.status : typeof e?.statusCode === 'number' ? e.statusCode : undefined;
    // 408 and 429 are the endpoint busy, not saying no.
    return status !== undefined && status >= 400 && status < 500 && status !== 408 && status !== 429;
  });
}

/** Which managed identity endpoint setting the platform set (App Service sets IDENTITY_ENDPOINT once one is enabled); undefined: none. */
export type IdentityEndpoint = 'IDENTITY_ENDPOINT' | 'MSI_ENDPOINT' | undefined;

/**
 * `budgetMs`: how long the token may take; keep it under the connect timeout. `endpoint`: see
 * IdentityEndpoint (without one, a failure is a setup problem, not retried).
 */
export function sqlEntraCredential(auth: EntraSqlAuth, budgetMs: number, endpoint?: IdentityEndpoint): TokenCredential {
  const sdk = identitySdk();
  if (auth.kind === 'entra-managed-identity') {
    const inner = new sdk.ManagedIdentityCredential(auth.clientId ? { clientId: auth.clientId } : {});
    return new BoundedCredential(inner, `the managed identity (${auth.clientId ? `client id ${auth.clientId}` : 'system-assigned'})`, budgetMs, endpoint);
  }
  const inner = new sdk.DefaultAzureCredential(auth.clientId ? { managedIdentityClientId: auth.clientId } : {});
  return new BoundedCredential(inner, `DefaultAzureCredential${auth.clientId ? ` (managed identity client id ${auth.clientId})` : ''}`, budgetMs, endpoint);
}

class BoundedCredential implements TokenCredential {
  constructor(
    private readonly inner: TokenCredential,
    private readonly who: string,
    private readonly budgetMs: number,
    private readonly endpoint: IdentityEndpoint,
  ) {}

  async getToken(scopes: string | string[], options: GetTokenOptions = {}): Promise<AccessToken> {
    const scope = Array.isArray(scopes) ? scopes.join(' ') : scopes;
    const stop = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        stop.abort();
        reject(failure(`${this.who} gave no token for ${scope} within ${this.budgetMs / 1000} s${hint(this.endpoint)}`, true));
      }, this.budgetMs);
    });
    options.abortSignal?.addEventListener('abort', () => stop.abort(), { once: true });
    const attempt = this.inner.getToken(scopes, { ...options, abortSignal: stop.signal }).then(
      (token) => token ?? Promise.reject(failure(`${this.who} returned no token for ${scope}`, false)),
      // A setup problem (the endpoint said no, or there is no managed identity to ask) is not retried.
      (err: unknown) => Promise.reject(failure(`${this.who} gave no token for ${scope}: ${reason(err)}${hint(this.endpoint)}`, !refusedByEndpoint(err) && this.endpoint !== undefined, err)),
    );
    try {
      return await Promise.race([attempt, deadline]);
    } finally {
      clearTimeout(timer);
      // The loser of the race must not surface later as an unhandled rejection.
      attempt.catch(() => undefined);
    }
  }
}

function firstLine(err: unknown): string {
  const m = errorText(err);
  return (m.split('\n')[0] ?? '').trim();
}

/** DefaultAzureCredential fails with one error per credential it tried; in Azure the managed identity's is the one that matters. */
function reason(err: unknown): string {
  const errors = (err as { errors?: unknown } | null)?.errors;
  if (Array.isArray(errors)) {
    const mi = (errors as unknown[]).map(firstLine).find((m) => m.startsWith('ManagedIdentityCredential'));
    if (mi) return mi;
  }
  return firstLine(err);
}

/** Without IDENTITY_ENDPOINT the SDK falls back to the VM metadata endpoint, which a Function App does not have. */
function hint(endpoint: IdentityEndpoint): string {
  return endpoint === 'IDENTITY_ENDPOINT' ? '' : ' (IDENTITY_ENDPOINT is not set: is a managed identity enabled on the app?)';
}
