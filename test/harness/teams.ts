/**
 * Teams settings that point the real Graph client at the Graph fake: delegated channel delivery
 * (the token comes from the test credential, so the token file is never read), the fake's URL,
 * a test tenant and client. Tests override what they vary (channel, team, app-only settings).
 */
import { tmpdir } from 'node:os';
import path from 'node:path';
import { readTeamsSettings, type TeamsSettings } from '../../src/config/teams.js';

export const FAKE_TENANT = '00000000-0000-0000-0000-0000000000aa';
export const FAKE_CLIENT_ID = '11111111-0000-0000-0000-000000000001';

export function fakeGraphSettings(graphUrl: string, env: Record<string, string> & { TEAMS_TEAM_ID: string; TEAMS_CHANNEL_ID: string }): TeamsSettings {
  const r = readTeamsSettings({
    TEAMS_DELIVERY: 'channel',
    TEAMS_GRAPH_URL: graphUrl,
    TEAMS_TENANT_ID: FAKE_TENANT,
    TEAMS_CLIENT_ID: FAKE_CLIENT_ID,
    TEAMS_TOKEN_FILE: path.join(tmpdir(), 'incident-autopilot-tests-unused-token.json'),
    ...env,
  });
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  return r.settings;
}
