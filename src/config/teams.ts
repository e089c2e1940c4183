/**
 * Settings of the Teams capability (App Settings in Azure, local.settings.json locally), read in
 * one pass so that every problem is listed at once. Secrets (the approval signing keys, an app
 * client secret) are checked for shape only and never echoed.
 *
 * Delivery modes (TEAMS_DELIVERY):
 *   - channel:  channel messages and threaded replies as a delegated identity (a service account
 *               signed in once with `npm run teams:signin`; its refresh token lives in Key Vault or,
 *               for development only, a local file). Graph allows channel posts only delegated.
 *   - activity: activity-feed notifications as the app itself (TeamsActivity.Send, app-only).
 *   - local:    nothing leaves the machine: console + a JSON-lines file (the default).
 */
import path from 'node:path';
import { z } from 'zod';
import { toIssues, type Issue } from './issues.js';
import { CHANNEL_ID_PATTERN, RECIPIENT_PATTERN, TEAM_ID_PATTERN } from '../domain/teams-routing.js';

const blankToUndefined = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : typeof v === 'string' ? v.trim() : v);
const opt = <T extends z.ZodType>(schema: T) => z.preprocess(blankToUndefined, schema.optional());
const guid = z.string().regex(TEAM_ID_PATTERN, 'must be a GUID');
const tenant = z.string().regex(/^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[a-z0-9.-]+\.[a-z]{2,})$/i, 'must be a tenant GUID or domain');
const intSetting = (min: number, max: number) => z.preprocess((v) => (typeof v === 'string' && v.trim() !== '' ? Number(v) : v), z.number().int().min(min).max(max));

export function isLoopbackUrl(u: URL): boolean {
  return u.hostname === '127.0.0.1' || u.hostname === 'localhost' || u.hostname === '[::1]';
}

/** https, or http on the loopback interface (tests and local fakes). */
const serviceUrl = z.url().refine((v) => {
  const u = new URL(v);
  return u.protocol === 'https:' || (u.protocol === 'http:' && isLoopbackUrl(u));
}, 'must be an https URL (http only on 127.0.0.1)');

const schema = z.object({
  TEAMS_DELIVERY: opt(z.enum(['channel', 'activity', 'local'])),
  TEAMS_TENANT_ID: opt(tenant),
  TEAMS_TEAM_ID: opt(guid),
  TEAMS_CHANNEL_ID: opt(z.string().regex(CHANNEL_ID_PATTERN, 'must be a channel id such as 19:abc...@thread.tacv2')),
  /** Graph root; only https (the Graph client sends tokens to https hosts only). */
  TEAMS_GRAPH_URL: opt(z.url({ protocol: /^https$/ })),
  TEAMS_GRAPH_TIMEOUT_MS: opt(intSetting(1000, 120_000)),
  /** A PEM file of an extra certificate authority to trust for Graph (the lab's loopback Graph; a TLS-inspecting proxy). */
  TEAMS_GRAPH_CA_FILE: opt(z.string().min(1)),
  TEAMS_LOGIN_URL: opt(serviceUrl),
  TEAMS_SINK_FILE: opt(z.string().min(1)),
  // channel mode (delegated)
  TEAMS_CLIENT_ID: opt(guid),
  TEAMS_DELEGATED_SCOPES: opt(z.string().min(1)),
  TEAMS_TOKEN_KEYVAULT_URL: opt(serviceUrl),
  TEAMS_TOKEN_SECRET_NAME: opt(z.string().regex(/^[0-9A-Za-z-]{1,127}$/, 'must be 1-127 letters, digits and dashes')),
  TEAMS_KEYVAULT_IDENTITY_CLIENT_ID: opt(guid),
  TEAMS_TOKEN_FILE: opt(z.string().min(1)),
  // activity mode (app-only)
  TEAMS_APP_CLIENT_ID: opt(guid),
  TEAMS_APP_CREDENTIAL: opt(z.enum(['federated', 'secret'])),
  TEAMS_APP_CLIENT_SECRET: opt(z.string().min(1)),
  TEAMS_APP_FEDERATION_IDENTITY_CLIENT_ID: opt(guid),
  TEAMS_APP_CATALOG_ID: opt(z.string().min(1).max(100)),
  TEAMS_ACTIVITY_RECIPIENTS: opt(z.string().min(1)),
  TEAMS_ACTIVITY_WEB_URL: opt(z.url({ protocol: /^https$/ })),
});

export const DEFAULT_GRAPH_URL = 'https://graph.microsoft.com';
export const DEFAULT_LOGIN_URL = 'https://login.microsoftonline.com';
export const DEFAULT_SECRET_NAME = 'teams-delegated-token';
/** ChannelMessage.Read.All lets an interrupted post be found instead of posted twice. */
export const DEFAULT_DELEGATED_SCOPES = 'ChannelMessage.Send ChannelMessage.Read.All offline_access';

export interface GraphSettings {
  baseUrl: string;
  timeoutMs: number;
  /** Extra certificate authority to trust (TEAMS_GRAPH_CA_FILE), as a file path. */
  caFile: string | undefined;
}

export type TokenStoreSettings =
  | { kind: 'keyvault'; vaultUrl: string; secretName: string; identityClientId: string | undefined }
  | { kind: 'file'; path: string };

export interface DelegatedSettings {
  tenantId: string;
  clientId: string;
  loginUrl: string;
  /** Fully qualified (https://graph.microsoft.com/ChannelMessage.Send ... offline_access). */
  scopes: string[];
  store: TokenStoreSettings;
}

export type ActivityRecipients = { kind: 'team' } | { kind: 'channel' } | { kind: 'users'; users: string[] };

export interface ActivitySettings {
  tenantId: string;
  /** Entra authority host for the app credential. */
  loginUrl: string;
  clientId: string;
  credential: { kind: 'federated'; identityClientId: string | undefined } | { kind: 'secret'; secret: string };
  teamsAppId: string | undefined;
  recipients: ActivityRecipients;
  teamId: string | undefined;
  channelId: string | undefined;
  webUrl: string;
}

export type TeamsSettings =
  | { delivery: 'local'; sinkFile: string }
  | { delivery: 'channel'; graph: GraphSettings; teamId: string; channelId: string; delegated: DelegatedSettings; activity: ActivitySettings | undefined }
  | { delivery: 'activity'; graph: GraphSettings; activity: ActivitySettings };

export type TeamsSettingsResult = { ok: true; settings: TeamsSettings } | { ok: false; issues: Issue[] };

const GRAPH_RESOURCE = 'https://graph.microsoft.com/';
const OIDC_SCOPES = new Set(['offline_access', 'openid', 'profile', 'email']);

/** "ChannelMessage.Send offline_access" -> the scope strings the token endpoint expects. */
export function qualifyScopes(value: string): string[] {
  return value
    .split(/[\s,]+/)
    .filter(Boolean)
    .map((s) => (OIDC_SCOPES.has(s) || s.includes('://') ? s : GRAPH_RESOURCE + s));
}

/** A deep link to a Teams channel (what an activity-feed notification opens by default). */
export function channelDeepLink(tenantId: string, teamId: string, channelId: string): string {
  return `https://teams.microsoft.com/l/channel/${encodeURIComponent(channelId)}/incident?groupId=${teamId}&tenantId=${encodeURIComponent(tenantId)}`;
}

function defaultSinkFile(env: NodeJS.ProcessEnv): string {
  // In Azure the app folder is read-only (run from package): the temp folder is what is writable.
  const base = env.WEBSITE_INSTANCE_ID ? (env.TMP ?? env.TEMP ?? '/tmp') : path.join(process.cwd(), '.devhost');
  return path.join(base, 'teams-outbox.jsonl');
}

type Parsed = z.infer<typeof schema>;

function activitySettings(s: Parsed, issues: Issue[], required: boolean): ActivitySettings | undefined {
  const need = (name: keyof Parsed, why: string) => {
    if (s[name] === undefined) issues.push({ path: name, code: 'required', message: `required ${why}` });
  };
  if (!required && s.TEAMS_APP_CLIENT_ID === undefined) return undefined;
  const why = 'for activity-feed notifications (app-only)';
  need('TEAMS_TENANT_ID', why);
  need('TEAMS_APP_CLIENT_ID', why);
  const credentialKind = s.TEAMS_APP_CREDENTIAL ?? 'federated';
  if (credentialKind === 'secret') need('TEAMS_APP_CLIENT_SECRET', 'when TEAMS_APP_CREDENTIAL=secret (use a Key Vault reference)');

  let recipients: ActivityRecipients = { kind: 'team' };
  const raw = s.TEAMS_ACTIVITY_RECIPIENTS ?? 'team';
  if (raw === 'team' || raw === 'channel') recipients = { kind: raw };
  else {
    const users = raw.split(/[\s,;]+/).filter(Boolean);
    const bad = users.filter((u) => !RECIPIENT_PATTERN.test(u));
    if (bad.length) issues.push({ path: 'TEAMS_ACTIVITY_RECIPIENTS', code: 'invalid', message: `"team", "channel" or user object ids / UPNs; ${bad.length} entr(y/ies) are neither` });
    if (users.length > 100) issues.push({ path: 'TEAMS_ACTIVITY_RECIPIENTS', code: 'too_big', message: 'at most 100 users' });
    recipients = { kind: 'users', users };
  }
  if (recipients.kind !== 'users') need('TEAMS_TEAM_ID', `when TEAMS_ACTIVITY_RECIPIENTS=${recipients.kind}`);
  if (recipients.kind === 'channel') need('TEAMS_CHANNEL_ID', 'when TEAMS_ACTIVITY_RECIPIENTS=channel');

  let webUrl = s.TEAMS_ACTIVITY_WEB_URL;
  if (!webUrl && s.TEAMS_TENANT_ID && s.TEAMS_TEAM_ID && s.TEAMS_CHANNEL_ID) webUrl = channelDeepLink(s.TEAMS_TENANT_ID, s.TEAMS_TEAM_ID, s.TEAMS_CHANNEL_ID);
  if (!webUrl) need('TEAMS_ACTIVITY_WEB_URL', '(the link a notification opens) unless TEAMS_TEAM_ID and TEAMS_CHANNEL_ID are set');

  if (!s.TEAMS_TENANT_ID || !s.TEAMS_APP_CLIENT_ID || !webUrl) return undefined;
  return {
    tenantId: s.TEAMS_TENANT_ID,
    loginUrl: (s.TEAMS_LOGIN_URL ?? DEFAULT_LOGIN_URL).replace(/\/+$/, ''),
    clientId: s.TEAMS_APP_CLIENT_ID,
    credential:
      credentialKind === 'secret'
        ? { kind: 'secret', secret: s.TEAMS_APP_CLIENT_SECRET ?? '' }
        : { kind: 'federated', identityClientId: s.TEAMS_APP_FEDERATION_IDENTITY_CLIENT_ID },
    teamsAppId: s.TEAMS_APP_CATALOG_ID,
    recipients,
    teamId: s.TEAMS_TEAM_ID,
    channelId: s.TEAMS_CHANNEL_ID,
    webUrl,
  };
}

function delegatedSettings(s: Parsed, env: NodeJS.ProcessEnv, issues: Issue[]): DelegatedSettings | undefined {
  const why = 'for channel messages (delegated)';
  for (const name of ['TEAMS_TENANT_ID', 'TEAMS_CLIENT_ID'] as const) {
    if (s[name] === undefined) issues.push({ path: name, code: 'required', message: `required ${why}` });
  }
  let store: TokenStoreSettings | undefined;
  if (s.TEAMS_TOKEN_KEYVAULT_URL) {
    store = {
      kind: 'keyvault',
      vaultUrl: s.TEAMS_TOKEN_KEYVAULT_URL.replace(/\/+$/, ''),
      secretName: s.TEAMS_TOKEN_SECRET_NAME ?? DEFAULT_SECRET_NAME,
      identityClientId: s.TEAMS_KEYVAULT_IDENTITY_CLIENT_ID,
    };
  } else if (s.TEAMS_TOKEN_FILE) {
    if (env.WEBSITE_INSTANCE_ID) {
      issues.push({
        path: 'TEAMS_TOKEN_FILE',
        code: 'invalid',
        message: 'a token file is for development only; in Azure set TEAMS_TOKEN_KEYVAULT_URL (instances do not share local files)',
      });
    }
    store = { kind: 'file', path: path.resolve(s.TEAMS_TOKEN_FILE) };
  } else {
    issues.push({
      path: 'TEAMS_TOKEN_KEYVAULT_URL',
      code: 'required',
      message: `required ${why}: where the signed-in token is kept (or TEAMS_TOKEN_FILE for development)`,
    });
  }
  if (!s.TEAMS_TENANT_ID || !s.TEAMS_CLIENT_ID || !store) return undefined;
  const scopes = qualifyScopes(s.TEAMS_DELEGATED_SCOPES ?? DEFAULT_DELEGATED_SCOPES);
  if (!scopes.includes('offline_access')) scopes.push('offline_access');
  return { tenantId: s.TEAMS_TENANT_ID, clientId: s.TEAMS_CLIENT_ID, loginUrl: (s.TEAMS_LOGIN_URL ?? DEFAULT_LOGIN_URL).replace(/\/+$/, ''), scopes, store };
}

export function readTeamsSettings(env: NodeJS.ProcessEnv): TeamsSettingsResult {
  const parsed = schema.safeParse(env);
  // Shape problems first: cross-field rules would only repeat them.
  if (!parsed.success) return { ok: false, issues: toIssues(parsed.error) };
  const s = parsed.data;
  const issues: Issue[] = [];
  const delivery = s.TEAMS_DELIVERY ?? 'local';
  const graph: GraphSettings = {
    baseUrl: (s.TEAMS_GRAPH_URL ?? DEFAULT_GRAPH_URL).replace(/\/+$/, ''),
    timeoutMs: s.TEAMS_GRAPH_TIMEOUT_MS ?? 15_000,
    caFile: s.TEAMS_GRAPH_CA_FILE ? path.resolve(s.TEAMS_GRAPH_CA_FILE) : undefined,
  };

  if (delivery === 'local') {
    return { ok: true, settings: { delivery, sinkFile: path.resolve(s.TEAMS_SINK_FILE ?? defaultSinkFile(env)) } };
  }
  if (delivery === 'activity') {
    const activity = activitySettings(s, issues, true);
    if (issues.length || !activity) return { ok: false, issues };
    return { ok: true, settings: { delivery, graph, activity } };
  }
  for (const name of ['TEAMS_TEAM_ID', 'TEAMS_CHANNEL_ID'] as const) {
    if (s[name] === undefined) issues.push({ path: name, code: 'required', message: 'required for channel messages' });
  }
  const delegated = delegatedSettings(s, env, issues);
  const activity = activitySettings(s, issues, false);
  if (issues.length || !delegated || !s.TEAMS_TEAM_ID || !s.TEAMS_CHANNEL_ID) return { ok: false, issues };
  return { ok: true, settings: { delivery, graph, teamId: s.TEAMS_TEAM_ID, channelId: s.TEAMS_CHANNEL_ID, delegated, activity } };
}

// ---------------------------------------------------------------------------------------------
// Approval links

const approvalSchema = z.object({
  APPROVAL_SIGNING_KEY: opt(z.string()),
  APPROVAL_SIGNING_KEY_PREVIOUS: opt(z.string()),
  APPROVAL_BASE_URL: opt(serviceUrl),
  APPROVAL_IDENTITY: opt(z.enum(['entra', 'link'])),
  APPROVERS: opt(z.string()),
  APPROVAL_AUDIENCE: opt(z.string().max(100)),
  APPROVAL_TABLE: opt(z.string().regex(/^[A-Za-z][A-Za-z0-9]{2,62}$/, 'must be a valid table name')),
  WEBSITE_HOSTNAME: opt(z.string()),
  WEBSITE_AUTH_ENABLED: opt(z.string()),
  WEBSITE_INSTANCE_ID: opt(z.string()),
});

export interface ApprovalSettings {
  /** Current key first; the previous one only verifies (rotation). */
  keys: Buffer[];
  /** Where links point ("https://app.azurewebsites.net"), without a trailing slash. */
  baseUrl: string;
  /**
   * entra: the app sits behind App Service Authentication; the approver is the signed-in person,
   * who must be in the approver list. link: whoever holds the link (local development).
   */
  identity: 'entra' | 'link';
  approvers: string[];
  audience: string;
  table: string;
}

export type ApprovalSettingsResult = { ok: true; settings: ApprovalSettings } | { ok: false; issues: Issue[] };

export const MIN_KEY_BYTES = 32;

/** A signing key setting: base64 (standard or URL alphabet) of at least 32 random bytes. */
export function decodeSigningKey(value: string): Buffer | undefined {
  const v = value.trim();
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(v)) return undefined;
  const bytes = Buffer.from(v.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
  return bytes.length >= MIN_KEY_BYTES ? bytes : undefined;
}

export function parseApprovers(value: string | undefined): string[] {
  return (value ?? '')
    .split(/[,;\s]+/)
    .map((v) => v.trim().toLowerCase())
    .filter(Boolean);
}

export function readApprovalSettings(env: NodeJS.ProcessEnv): ApprovalSettingsResult {
  const parsed = approvalSchema.safeParse(env);
  if (!parsed.success) return { ok: false, issues: toIssues(parsed.error) };
  const s = parsed.data;
  const issues: Issue[] = [];
  const keys: Buffer[] = [];
  const keyProblem = `must be base64 of at least ${MIN_KEY_BYTES} random bytes (e.g. \`openssl rand -base64 32\`)`;
  if (!s.APPROVAL_SIGNING_KEY) issues.push({ path: 'APPROVAL_SIGNING_KEY', code: 'required', message: `required for approval links; ${keyProblem}` });
  else {
    const key = decodeSigningKey(s.APPROVAL_SIGNING_KEY);
    if (key) keys.push(key);
    else issues.push({ path: 'APPROVAL_SIGNING_KEY', code: 'invalid', message: keyProblem });
  }
  if (s.APPROVAL_SIGNING_KEY_PREVIOUS) {
    const key = decodeSigningKey(s.APPROVAL_SIGNING_KEY_PREVIOUS);
    if (key) keys.push(key);
    else issues.push({ path: 'APPROVAL_SIGNING_KEY_PREVIOUS', code: 'invalid', message: keyProblem });
  }
  let baseUrl = s.APPROVAL_BASE_URL;
  if (!baseUrl && s.WEBSITE_HOSTNAME) {
    const host = s.WEBSITE_HOSTNAME;
    baseUrl = /^(127\.0\.0\.1|localhost)(:\d+)?$/.test(host) ? `http://${host}` : `https://${host}`;
  }
  if (!baseUrl) issues.push({ path: 'APPROVAL_BASE_URL', code: 'required', message: 'required (the public URL of this app) unless WEBSITE_HOSTNAME is set' });
  const authEnabled = s.WEBSITE_AUTH_ENABLED?.toLowerCase() === 'true';
  const identity = s.APPROVAL_IDENTITY ?? (authEnabled ? 'entra' : 'link');
  if (!s.APPROVAL_IDENTITY && !authEnabled && s.WEBSITE_INSTANCE_ID) {
    // In Azure, a link that anyone holding it can use must be a deliberate choice.
    issues.push({
      path: 'APPROVAL_IDENTITY',
      code: 'required',
      message: 'App Service Authentication is off: enable it (approvers are then identified), or set APPROVAL_IDENTITY=link to accept links from anyone who holds them',
    });
  }
  // Everywhere, not only in Azure: without it no principal header is believed, so no link could be used.
  if (identity === 'entra' && !authEnabled) {
    issues.push({ path: 'APPROVAL_IDENTITY', code: 'invalid', message: 'entra needs App Service Authentication enabled on this app (WEBSITE_AUTH_ENABLED is not true)' });
  }
  const approvers = parseApprovers(s.APPROVERS);
  if (issues.length || !baseUrl) return { ok: false, issues };
  return {
    ok: true,
    settings: {
      keys,
      baseUrl: baseUrl.replace(/\/+$/, ''),
      identity,
      approvers,
      audience: s.APPROVAL_AUDIENCE ?? 'teams',
      table: s.APPROVAL_TABLE ?? 'ApprovalUses',
    },
  };
}
