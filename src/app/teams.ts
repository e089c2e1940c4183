/**
 * The app's Teams port, built on first use from the settings (src/config/teams.ts):
 * channel -> GraphChannelTeams (delegated refresh-token credential; plus activity-feed notify
 * when app-only settings are present), activity -> GraphActivityTeams (app-only), local ->
 * LocalSinkTeams. One DeliveryQueue per process, so the rate gates are shared by every call.
 */
import type { TokenCredential } from '@azure/identity';
import { readFileSync } from 'node:fs';
import { type ActivitySettings, type GraphSettings, type TeamsSettings, type TeamsSettingsResult } from '../config/teams.js';
import { describeIssues } from '../config/issues.js';
import { RefreshTokenCredential } from '../adapters/delegated-token.js';
import { createGraphClient } from '../adapters/graph-client.js';
import { DeliveryQueue, type DeliveryQueueOptions } from '../adapters/graph-delivery.js';
import { GraphActivityTeams, GraphChannelTeams } from '../adapters/graph-teams.js';
import { FileSecretStore, KeyVaultSecretStore, type SecretStore } from '../adapters/secret-store.js';
import { appOnlyCredential, keyVaultCredential } from '../adapters/teams-credentials.js';
import { LocalSinkTeams } from '../adapters/teams-sink.js';
import { trustingFetchOptions } from '../adapters/tls-trust.js';
import type { TeamsPort } from '../ports/teams.js';
import { appSettings } from './settings.js';

export class TeamsSettingsError extends Error {
  override name = 'TeamsSettingsError';
}

/** Seams for tests and tools; production passes none. */
export interface TeamsPortOptions {
  delegatedCredential?: TokenCredential;
  appCredential?: TokenCredential;
  /** Extra fetch options for Graph requests (tests: a dispatcher trusting the test CA). */
  fetchOptions?: Record<string, unknown>;
  queue?: DeliveryQueueOptions;
  console?: (text: string) => void;
  warn?: (message: string) => void;
}

export function tokenStore(settings: Extract<TeamsSettings, { delivery: 'channel' }>['delegated']['store'], timeoutMs: number): SecretStore {
  return settings.kind === 'file'
    ? new FileSecretStore(settings.path)
    : new KeyVaultSecretStore(settings.vaultUrl, settings.secretName, keyVaultCredential(settings.identityClientId), timeoutMs);
}

function activityPort(graph: GraphSettings, activity: ActivitySettings, queue: DeliveryQueue, o: TeamsPortOptions): GraphActivityTeams {
  const credential = o.appCredential ?? appOnlyCredential(activity, activity.loginUrl);
  const client = createGraphClient({ credential, scopes: [`${graph.baseUrl}/.default`], baseUrl: graph.baseUrl, fetchOptions: o.fetchOptions });
  return new GraphActivityTeams({ client, queue, timeoutMs: graph.timeoutMs }, activity);
}

/** fetch options trusting TEAMS_GRAPH_CA_FILE's authority; a file that cannot be read is a settings error. */
function graphFetchOptions(graph: GraphSettings): Record<string, unknown> | undefined {
  if (!graph.caFile) return undefined;
  let pem: string;
  try {
    pem = readFileSync(graph.caFile, 'utf8');
  } catch (err) {
    throw new TeamsSettingsError(`Teams settings are invalid:\n  TEAMS_GRAPH_CA_FILE: cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  return trustingFetchOptions(pem).options;
}

export function createTeamsPort(settings: TeamsSettings, given: TeamsPortOptions = {}): TeamsPort {
  if (settings.delivery === 'local') return new LocalSinkTeams(settings.sinkFile, { console: given.console });
  const o: TeamsPortOptions = given.fetchOptions ? given : { ...given, fetchOptions: graphFetchOptions(settings.graph) };
  const queue = new DeliveryQueue(o.queue);
  if (settings.delivery === 'activity') return activityPort(settings.graph, settings.activity, queue, o);
  const d = settings.delegated;
  const credential =
    o.delegatedCredential ??
    new RefreshTokenCredential({
      loginUrl: d.loginUrl,
      tenantId: d.tenantId,
      clientId: d.clientId,
      scopes: d.scopes,
      store: tokenStore(d.store, settings.graph.timeoutMs),
      timeoutMs: settings.graph.timeoutMs,
      onWarning: o.warn,
    });
  const client = createGraphClient({ credential, scopes: d.scopes, baseUrl: settings.graph.baseUrl, fetchOptions: o.fetchOptions });
  const notifier = settings.activity ? activityPort(settings.graph, settings.activity, queue, o) : undefined;
  return new GraphChannelTeams({ client, queue, timeoutMs: settings.graph.timeoutMs }, { teamId: settings.teamId, channelId: settings.channelId }, notifier);
}

let port: TeamsPort | undefined;

/**
 * The Teams settings as the app runs with them (the app's settings, src/app/settings.ts, parsed
 * once per process). The port, the freeze announcer's time budget and anything else of the app
 * that needs them read this one parse (the port is built once per process too).
 */
export function appTeamsSettings(): TeamsSettingsResult {
  return appSettings().teams;
}

/**
 * The process's Teams port; throws TeamsSettingsError listing every settings problem. Its
 * warnings go to `warn` (the console by default): it is built once per process, so they belong
 * to no one request's log.
 */
export function getTeamsPort(warn: (message: string) => void = (m) => console.warn(m)): TeamsPort {
  if (port) return port;
  const result = appTeamsSettings();
  if (!result.ok) throw new TeamsSettingsError(`Teams settings are invalid:\n${describeIssues(result.issues, '  ')}`);
  port = createTeamsPort(result.settings, { warn });
  return port;
}
