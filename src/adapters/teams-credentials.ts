/**
 * Credentials for the Teams adapters, from @azure/identity (loaded on first use):
 *   - app-only (activity feed): the app registration that holds TeamsActivity.Send, proven
 *     without a stored secret by a federated credential that trusts the Function App's managed
 *     identity (ClientAssertionCredential fed by ManagedIdentityCredential), or with a client
 *     secret from a Key Vault reference;
 *   - the Key Vault that keeps the delegated sign-in: the managed identity (DefaultAzureCredential
 *     locally, e.g. `az login`, for the sign-in command).
 */
import type { TokenCredential } from '@azure/identity';
import type { ActivitySettings } from '../config/teams.js';
import { lazy } from './lazy.js';

const identitySdk = lazy(() => require('@azure/identity') as typeof import('@azure/identity'));

/** The audience Entra expects for a managed identity token used as a client assertion. */
const FEDERATION_AUDIENCE = 'api://AzureADTokenExchange/.default';

export function appOnlyCredential(s: ActivitySettings, loginUrl: string): TokenCredential {
  const sdk = identitySdk();
  const options = { authorityHost: loginUrl };
  if (s.credential.kind === 'secret') return new sdk.ClientSecretCredential(s.tenantId, s.clientId, s.credential.secret, options);
  const identity = s.credential.identityClientId ? new sdk.ManagedIdentityCredential({ clientId: s.credential.identityClientId }) : new sdk.ManagedIdentityCredential();
  return new sdk.ClientAssertionCredential(
    s.tenantId,
    s.clientId,
    async () => {
      const token = await identity.getToken(FEDERATION_AUDIENCE);
      if (!token) throw new Error('The managed identity returned no token for the federated credential.');
      return token.token;
    },
    options,
  );
}

export function keyVaultCredential(managedIdentityClientId: string | undefined): TokenCredential {
  const { DefaultAzureCredential } = identitySdk();
  return new DefaultAzureCredential(managedIdentityClientId ? { managedIdentityClientId } : {});
}
