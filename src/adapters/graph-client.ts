/**
 * The Microsoft Graph client (v3) as this app uses it: authenticated with an @azure/identity
 * TokenCredential, and with a middleware chain of our choosing:
 *
 *   AuthenticationHandler -> TelemetryHandler -> HTTPMessageHandler (global fetch)
 *
 * No RetryHandler: delivery retries live in graph-delivery.ts, which honours Retry-After within
 * the caller's deadline and per-channel order; the client's own handler would retry a second time
 * underneath (up to 3 times per attempt, on its own clock). No RedirectHandler: the Teams
 * endpoints we call do not redirect, and a redirect must not carry the token elsewhere.
 *
 * The AuthenticationHandler adds the bearer token only for https URLs whose host is a Graph host
 * or listed in `customHosts` (and strips it otherwise): a test server therefore has to speak
 * https, and its host goes into `customHosts`.
 */
import type { Client } from '@microsoft/microsoft-graph-client';
import type { TokenCredential } from '@azure/identity';
import { lazy } from './lazy.js';

const graphSdk = lazy(() => require('@microsoft/microsoft-graph-client') as typeof import('@microsoft/microsoft-graph-client'));
const graphAuth = lazy(
  () =>
    require('@microsoft/microsoft-graph-client/authProviders/azureTokenCredentials') as typeof import('@microsoft/microsoft-graph-client/authProviders/azureTokenCredentials'),
);

const GRAPH_HOSTS = new Set(['graph.microsoft.com', 'graph.microsoft.us', 'dod-graph.microsoft.us', 'microsoftgraph.chinacloudapi.cn']);

export interface GraphClientOptions {
  credential: TokenCredential;
  scopes: string[];
  /** "https://graph.microsoft.com" (or a national cloud, or a test server). */
  baseUrl: string;
  /**
   * Extra fetch options for every request. Production passes none; tests pass an undici
   * `dispatcher` that trusts the test server's self-signed certificate.
   */
  fetchOptions?: Record<string, unknown>;
}

export function createGraphClient(o: GraphClientOptions): Client {
  const { Client, AuthenticationHandler, TelemetryHandler, HTTPMessageHandler } = graphSdk();
  const { TokenCredentialAuthenticationProvider } = graphAuth();
  const authProvider = new TokenCredentialAuthenticationProvider(o.credential, { scopes: o.scopes });
  const host = new URL(o.baseUrl).hostname.toLowerCase();
  const auth = new AuthenticationHandler(authProvider);
  const telemetry = new TelemetryHandler();
  const http = new HTTPMessageHandler();
  auth.setNext(telemetry);
  telemetry.setNext(http);
  return Client.initWithMiddleware({
    middleware: auth,
    baseUrl: `${o.baseUrl.replace(/\/+$/, '')}/`,
    defaultVersion: 'v1.0',
    ...(GRAPH_HOSTS.has(host) ? {} : { customHosts: new Set([host]) }),
    ...(o.fetchOptions ? { fetchOptions: o.fetchOptions } : {}),
  });
}

/** What a Graph failure tells us, from the client's GraphError (or a transport error). */
export interface GraphFailure {
  /** HTTP status; undefined for transport errors (the client reports -1). */
  status: number | undefined;
  code: string | undefined;
  message: string;
  retryAfter: string | undefined;
  requestId: string | undefined;
}

export function graphFailure(err: unknown): GraphFailure {
  const e = (err ?? {}) as { statusCode?: unknown; code?: unknown; message?: unknown; headers?: { get?: (n: string) => string | null }; requestId?: unknown; name?: unknown };
  const status = typeof e.statusCode === 'number' && e.statusCode > 0 ? e.statusCode : undefined;
  let retryAfter: string | undefined;
  try {
    retryAfter = e.headers?.get?.('retry-after') ?? undefined;
  } catch {
    retryAfter = undefined;
  }
  return {
    status,
    code: typeof e.code === 'string' ? e.code : typeof e.name === 'string' ? e.name : undefined,
    message: typeof e.message === 'string' ? e.message.slice(0, 500) : String(err).slice(0, 500),
    retryAfter,
    requestId: typeof e.requestId === 'string' ? e.requestId : undefined,
  };
}
