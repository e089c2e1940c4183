/**
 * The delegated identity end to end: the sign-in command (device code flow) against a fake
 * Entra token endpoint, the refresh-token credential (caching, rotation written back, revocation),
 * the Key Vault and file token stores, and finally channel posts made by the real Graph client
 * with the token that sign-in produced.
 */
import { mkdtempSync, statSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prepareMessage } from '../../src/activities/teams.js';
import { DelegatedAuthError, RefreshTokenCredential, StoredSignIn } from '../../src/adapters/delegated-token.js';
import { FileSecretStore, KeyVaultSecretStore } from '../../src/adapters/secret-store.js';
import { createTeamsPort } from '../../src/app/teams.js';
import { runSignIn } from '../../src/cli/teams-signin.js';
import { readTeamsSettings } from '../../src/config/teams.js';
import { IncidentMessage } from '../../src/domain/messages/types.js';
import { GraphFake } from '../../src/lab/graph-server.js';
import { testCredential } from '../fakes/credentials.js';
import { LoginFake } from '../../src/lab/login-server.js';
import { KeyVaultFake } from '../fakes/key-vault.js';
import { samples } from '../fixtures/teams/messages.js';

const TENANT = '00000000-0000-0000-0000-0000000000aa';
const CLIENT = '11111111-0000-0000-0000-000000000001';
const TEAM = '5b7a2c1e-0000-4000-8000-00000000c0de';
const CHANNEL = '19:signin@thread.tacv2';
const tmp = mkdtempSync(path.join(tmpdir(), 'teams-signin-'));
let n = 0;
const tokenFile = () => path.join(tmp, `token-${++n}.json`);

let login: LoginFake;
let graph: GraphFake;
let vault: KeyVaultFake;
let trust: { options: Record<string, unknown>; close: () => Promise<void> };

beforeAll(async () => {
  [login, graph, vault] = await Promise.all([LoginFake.start(), GraphFake.start(), KeyVaultFake.start()]);
  trust = await graph.trust();
});
afterAll(async () => {
  await Promise.all([login?.stop(), graph?.stop(), vault?.stop(), trust?.close()]);
});

function env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    TEAMS_DELIVERY: 'channel',
    TEAMS_TENANT_ID: TENANT,
    TEAMS_CLIENT_ID: CLIENT,
    TEAMS_TEAM_ID: TEAM,
    TEAMS_CHANNEL_ID: CHANNEL,
    TEAMS_LOGIN_URL: login.url,
    TEAMS_GRAPH_URL: graph.url,
    ...extra,
  };
}

async function signIn(file: string) {
  const out: string[] = [];
  const waits: number[] = [];
  const code = await runSignIn(['--file', file], env(), {
    out: (l) => out.push(l),
    err: (l) => out.push(l),
    sleep: (ms) => {
      waits.push(ms);
      return Promise.resolve();
    },
  });
  return { code, out: out.join('\n'), waits };
}

describe('npm run teams:signin', () => {
  it('signs in with the device code flow and stores only what is needed, owner-readable', async () => {
    const file = tokenFile();
    const { code, out, waits } = await signIn(file);
    expect(code).toBe(0);
    expect(out).toContain('enter the code ABCD-EFGH');
    expect(out).toContain('Signed in as incident-bot@contoso.test');
    expect(waits.length).toBeGreaterThanOrEqual(3);
    expect(waits.every((w) => w >= 1000)).toBe(true);
    const stored = StoredSignIn.parse(JSON.parse(readFileSync(file, 'utf8')));
    expect(stored).toMatchObject({ tenantId: TENANT, clientId: CLIENT, account: { upn: 'incident-bot@contoso.test' } });
    expect(out).not.toContain(stored.refreshToken);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const asked = login.requests.find((r) => r.path.endsWith('/devicecode'))?.form.scope;
    expect(asked).toBe('https://graph.microsoft.com/ChannelMessage.Send https://graph.microsoft.com/ChannelMessage.Read.All offline_access');
  });

  it('fails clearly when the sign-in was not granted ChannelMessage.Send', async () => {
    const narrow = await LoginFake.start({ grant: 'User.Read' });
    try {
      const err = await runSignIn(['--file', tokenFile()], env({ TEAMS_LOGIN_URL: narrow.url }), { out: () => undefined, err: () => undefined, sleep: () => Promise.resolve() }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DelegatedAuthError);
      expect((err as Error).message).toContain('not granted ChannelMessage.Send');
    } finally {
      await narrow.stop();
    }
  });

  it('lists the missing settings instead of starting', async () => {
    const lines: string[] = [];
    const code = await runSignIn([], { TEAMS_TENANT_ID: TENANT }, { out: (l) => lines.push(l), err: (l) => lines.push(l) });
    expect(code).toBe(2);
    expect(lines.join('\n')).toContain('TEAMS_CLIENT_ID');
  });
});

describe('RefreshTokenCredential', () => {
  function credential(file: string, now: () => number = Date.now, warnings: string[] = []) {
    const s = readTeamsSettings(env({ TEAMS_TOKEN_FILE: file }));
    if (!s.ok || s.settings.delivery !== 'channel') throw new Error('settings');
    const d = s.settings.delegated;
    return new RefreshTokenCredential({ loginUrl: d.loginUrl, tenantId: TENANT, clientId: CLIENT, scopes: d.scopes, store: new FileSecretStore(file), now, onWarning: (w) => warnings.push(w) });
  }

  it('redeems the stored refresh token, caches the access token, and saves the rotated refresh token', async () => {
    const file = tokenFile();
    await signIn(file);
    const first = StoredSignIn.parse(JSON.parse(readFileSync(file, 'utf8')));
    let clock = Date.now();
    const cred = credential(file, () => clock);
    const before = login.requests.length;
    const a = await cred.getToken('ignored');
    const b = await cred.getToken('ignored');
    expect(b).toBe(a);
    expect(login.requests.length - before).toBe(1);
    const rotated = StoredSignIn.parse(JSON.parse(readFileSync(file, 'utf8')));
    expect(rotated.refreshToken).not.toBe(first.refreshToken);
    clock += 56 * 60_000; // less than 5 minutes left on the access token
    await cred.getToken('ignored');
    expect(login.requests.at(-1)?.form).toMatchObject({ grant_type: 'refresh_token', refresh_token: rotated.refreshToken });
  });

  it('says to sign in again when the refresh token is revoked, and when there is no sign-in', async () => {
    const file = tokenFile();
    await signIn(file);
    const stored = StoredSignIn.parse(JSON.parse(readFileSync(file, 'utf8')));
    login.revokeAll();
    const err = (await credential(file).getToken('x').catch((e: unknown) => e)) as Error;
    expect(err).toBeInstanceOf(DelegatedAuthError);
    expect(err.message).toContain('npm run teams:signin');
    expect(err.message).toContain('AADSTS700082');
    expect(err.message).not.toContain(stored.refreshToken);
    const none = (await credential(tokenFile()).getToken('x').catch((e: unknown) => e)) as Error;
    expect(none).toBeInstanceOf(DelegatedAuthError);
    expect(none.message).toContain('No delegated Teams sign-in');
  });
});

describe('KeyVaultSecretStore', () => {
  it('reads and writes the secret with a bearer token, and reports a missing one as absent', async () => {
    const cred = testCredential({ aud: 'https://vault.azure.net' });
    const store = new KeyVaultSecretStore(vault.url, 'teams-delegated-token', cred);
    expect(await store.read()).toBeUndefined();
    await store.write('{"v":1}');
    await store.write('{"v":1,"rotated":true}');
    expect(await store.read()).toBe('{"v":1,"rotated":true}');
    expect(vault.secrets.get('teams-delegated-token')).toHaveLength(2);
    expect(vault.calls.every((c) => c.authorized)).toBe(true);
    expect(cred.calls).toBe(4);
  });
});

describe('channel posts as the signed-in account', () => {
  it('posts the declaration and a reply with the token from the sign-in, no credential injected', async () => {
    login.revokeAll();
    const file = tokenFile();
    await signIn(file);
    const s = readTeamsSettings(env({ TEAMS_TOKEN_FILE: file }));
    if (!s.ok) throw new Error(JSON.stringify(s.issues));
    const port = createTeamsPort(s.settings, { fetchOptions: trust.options });
    const msg = (input: typeof samples.declared, step: string) => prepareMessage(IncidentMessage.parse(input), input.incidentId, step, undefined).outgoing;
    const declared = await port.post(msg(samples.declared, 'teams/declared'), { deadline: Date.now() + 60_000 });
    await port.reply(declared.threadId, msg(samples.stabilized, 'teams/stabilized'), { deadline: Date.now() + 60_000 });
    const posts = graph.posts.filter((p) => p.channelId === CHANNEL);
    expect(posts.map((p) => p.kind)).toEqual(['message', 'reply']);
    expect(posts[0]?.claims).toMatchObject({ idtyp: 'user', upn: 'incident-bot@contoso.test', scp: 'ChannelMessage.Send ChannelMessage.Read.All' });
  });
});
