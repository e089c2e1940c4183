/** Teams settings: modes, every problem listed at once, secrets never echoed. */
import { describe, expect, it } from 'vitest';
import { qualifyScopes, readTeamsSettings } from '../../src/config/teams.js';

const TENANT = '00000000-0000-0000-0000-0000000000aa';
const TEAM = '5b7a2c1e-0000-4000-8000-00000000c0de';
const CHANNEL = '19:abc123@thread.tacv2';

describe('readTeamsSettings', () => {
  it('defaults to the local sink', () => {
    const r = readTeamsSettings({});
    expect(r.ok && r.settings.delivery).toBe('local');
    expect(r.ok && r.settings.delivery === 'local' && r.settings.sinkFile).toMatch(/teams-outbox\.jsonl$/);
  });

  it('lists every missing channel setting at once', () => {
    const r = readTeamsSettings({ TEAMS_DELIVERY: 'channel' });
    expect(r.ok).toBe(false);
    expect(!r.ok && r.issues.map((i) => i.path).sort()).toEqual(['TEAMS_CHANNEL_ID', 'TEAMS_CLIENT_ID', 'TEAMS_TEAM_ID', 'TEAMS_TENANT_ID', 'TEAMS_TOKEN_KEYVAULT_URL']);
  });

  it('builds channel settings with Key Vault, qualified scopes and optional activity notify', () => {
    const r = readTeamsSettings({
      TEAMS_DELIVERY: 'channel',
      TEAMS_TENANT_ID: TENANT,
      TEAMS_TEAM_ID: TEAM,
      TEAMS_CHANNEL_ID: CHANNEL,
      TEAMS_CLIENT_ID: '11111111-0000-0000-0000-000000000001',
      TEAMS_TOKEN_KEYVAULT_URL: 'https://ops-kv.vault.azure.net/',
      TEAMS_APP_CLIENT_ID: '22222222-0000-0000-0000-000000000002',
    });
    expect(r.ok).toBe(true);
    if (!r.ok || r.settings.delivery !== 'channel') return;
    expect(r.settings.delegated.store).toEqual({ kind: 'keyvault', vaultUrl: 'https://ops-kv.vault.azure.net', secretName: 'teams-delegated-token', identityClientId: undefined });
    expect(r.settings.delegated.scopes).toEqual([
      'https://graph.microsoft.com/ChannelMessage.Send',
      'https://graph.microsoft.com/ChannelMessage.Read.All',
      'offline_access',
    ]);
    expect(r.settings.activity).toMatchObject({ recipients: { kind: 'team' }, credential: { kind: 'federated' } });
    expect(r.settings.activity?.webUrl).toContain(encodeURIComponent(CHANNEL));
  });

  it('refuses a token file in Azure and plain http for Graph', () => {
    const r = readTeamsSettings({
      TEAMS_DELIVERY: 'channel',
      TEAMS_TENANT_ID: TENANT,
      TEAMS_TEAM_ID: TEAM,
      TEAMS_CHANNEL_ID: CHANNEL,
      TEAMS_CLIENT_ID: '11111111-0000-0000-0000-000000000001',
      TEAMS_TOKEN_FILE: '/tmp/token.json',
      WEBSITE_INSTANCE_ID: 'abc',
    });
    expect(!r.ok && r.issues.map((i) => i.path)).toEqual(['TEAMS_TOKEN_FILE']);
    const http = readTeamsSettings({ TEAMS_DELIVERY: 'local', TEAMS_GRAPH_URL: 'http://graph.example' });
    expect(!http.ok && http.issues.map((i) => i.path)).toEqual(['TEAMS_GRAPH_URL']);
  });

  it('activity mode: secret credential needs the secret, and the secret is never echoed', () => {
    const secret = 'sup3r~secret~value';
    const r = readTeamsSettings({
      TEAMS_DELIVERY: 'activity',
      TEAMS_TENANT_ID: TENANT,
      TEAMS_APP_CLIENT_ID: '22222222-0000-0000-0000-000000000002',
      TEAMS_APP_CREDENTIAL: 'secret',
      TEAMS_APP_CLIENT_SECRET: secret,
      TEAMS_ACTIVITY_RECIPIENTS: 'dana@contoso.com,not a user',
    });
    expect(r.ok).toBe(false);
    expect(JSON.stringify(r)).not.toContain(secret);
    expect(!r.ok && r.issues.map((i) => i.path).sort()).toEqual(['TEAMS_ACTIVITY_RECIPIENTS', 'TEAMS_ACTIVITY_WEB_URL']);
  });

  it('qualifies Graph scopes but not OpenID ones', () => {
    expect(qualifyScopes('ChannelMessage.Send offline_access https://graph.microsoft.com/User.Read')).toEqual([
      'https://graph.microsoft.com/ChannelMessage.Send',
      'offline_access',
      'https://graph.microsoft.com/User.Read',
    ]);
  });
});
