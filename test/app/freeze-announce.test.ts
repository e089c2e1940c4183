/**
 * POST /api/freeze/{env} announced in Teams: the freeze API's handler (src/app/release-api.ts)
 * with the Teams freeze announcer, the real Graph client against the Graph fake, and the freeze
 * store and step ledger in Azurite. A freeze and its lifting are posted once each in the
 * environment's channel, even when the request is retried; with Teams unreachable the freeze is
 * set all the same, the answer says the announcement failed, and a later retry posts it, once.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { HttpRequest, InvocationContext, type HttpResponseInit } from '@azure/functions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTableClient, storageTarget } from '../../src/adapters/storage.js';
import { TableStepLedger } from '../../src/adapters/table-ledger.js';
import { TableFreezeStore, TableLkgRegistry } from '../../src/adapters/table-release.js';
import { TeamsFreezeAnnouncer } from '../../src/app/freeze-announcer.js';
import { createReleaseApi } from '../../src/app/release-api.js';
import { createTeamsPort } from '../../src/app/teams.js';
import { parsePolicyText } from '../../src/config/policy.js';
import { readTeamsSettings } from '../../src/config/teams.js';
import { freePort, type AzuriteInstance } from '../../src/devhost/index.js';
import type { TeamsPort } from '../../src/ports/teams.js';
import { DELEGATED_CLAIMS, GraphFake } from '../../src/lab/graph-server.js';
import { testCredential } from '../fakes/credentials.js';
import { repoRoot, startTestAzurite, uniqueHubName } from '../harness/devhost.js';

const policyFile = path.join(repoRoot, 'test', 'fixtures', 'policy', 'teams-routing-policy.json');
const policy = parsePolicyText(readFileSync(policyFile, 'utf8'), policyFile);
const PROD = { teamId: '00000000-0000-0000-0000-0000000000f1', channelId: '19:prod-incidents@thread.tacv2' };
const SETTINGS = { teamId: '5b7a2c1e-0000-4000-8000-00000000c0de', channelId: '19:settings-default@thread.tacv2' };
const BUDGET_MS = 1500;

let azurite: AzuriteInstance;
let fake: GraphFake;
let trust: { options: Record<string, unknown>; close: () => Promise<void> };
let freeze: TableFreezeStore;
let ledger: TableStepLedger;
let live: TeamsPort;
let down: TeamsPort;
/** What the announcer's Teams port is right now (Teams up, or down). */
let teams: TeamsPort;
const logs: string[] = [];

function port(graphUrl: string): TeamsPort {
  const r = readTeamsSettings({
    TEAMS_DELIVERY: 'channel',
    TEAMS_GRAPH_URL: graphUrl,
    TEAMS_GRAPH_TIMEOUT_MS: '1000',
    TEAMS_TENANT_ID: '00000000-0000-0000-0000-0000000000aa',
    TEAMS_TEAM_ID: SETTINGS.teamId,
    TEAMS_CHANNEL_ID: SETTINGS.channelId,
    TEAMS_CLIENT_ID: '11111111-0000-0000-0000-000000000001',
    TEAMS_TOKEN_FILE: '/nonexistent/unused.json',
  });
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  return createTeamsPort(r.settings, { delegatedCredential: testCredential(DELEGATED_CLAIMS), fetchOptions: trust.options, queue: { backoff: { firstMs: 200, factor: 2, maxMs: 400 } } });
}

beforeAll(async () => {
  azurite = await startTestAzurite();
  fake = await GraphFake.start();
  trust = await fake.trust();
  const target = storageTarget({ AzureWebJobsStorage: azurite.connectionString });
  freeze = new TableFreezeStore(createTableClient(target, uniqueHubName('Freeze')));
  ledger = new TableStepLedger(createTableClient(target, uniqueHubName('Steps')));
  live = port(fake.url);
  // Nothing listens there: Teams is unreachable.
  down = port(`https://127.0.0.1:${await freePort()}`);
  teams = live;
});
afterAll(async () => {
  await fake?.stop();
  await trust?.close();
  await azurite?.stop();
});

const api = () =>
  createReleaseApi({
    registry: () => ({ ok: true, value: { freeze, lkg: new TableLkgRegistry(createTableClient(storageTarget({ AzureWebJobsStorage: azurite.connectionString }), 'LkgUnused')) } }),
    announcer: (log) => new TeamsFreezeAnnouncer({ teams: () => teams, ledger: () => ledger, policy: () => policy, log, budgetMs: BUDGET_MS }),
  });

interface Answer {
  changed: boolean;
  state: { frozen: boolean; since: string };
  announcement: { channel: string; ok: boolean; previously?: boolean; destination?: unknown; source?: string; delivery?: string; error?: string } | null;
}

async function call(env: string, body: unknown): Promise<Answer> {
  const request = new HttpRequest({
    method: 'POST',
    url: `http://127.0.0.1/api/freeze/${env}`,
    params: { env },
    headers: { 'content-type': 'application/json' },
    body: { string: JSON.stringify(body) },
  });
  const context = new InvocationContext({ functionName: 'freezeSet', logHandler: (_level, ...args) => logs.push(args.map(String).join(' ')) });
  const res: HttpResponseInit = await api().postFreeze(request, context, 'req-1');
  expect(res.status).toBe(200);
  return res.jsonBody as Answer;
}

/** The freeze announcements the Prod channel holds, oldest first (their first line). */
function announced(channel = PROD): string[] {
  return fake
    .channel(channel.teamId, channel.channelId)
    .map((m) => (JSON.parse((m.attachments as { content: string }[])[0]?.content ?? '{}') as { fallbackText: string }).fallbackText.split('\n')[0] ?? '');
}

const actor = { id: 'sre@contoso.com', name: 'On-call SRE' };

describe('freeze announcements in Teams', () => {
  it('announces a manual freeze and its lifting in the environment channel, once each, even when the requests are retried', async () => {
    const body = { action: 'freeze', reason: 'Hold deploys during the payment migration', actor };
    const first = await call('Prod', body);
    expect(first).toMatchObject({
      changed: true,
      state: { frozen: true },
      announcement: { channel: 'teams', ok: true, previously: false, delivery: 'channel', destination: PROD, source: 'environment' },
    });
    // The pipeline did not get the answer and sends the same request again.
    const retry = await call('prod', body);
    expect(retry).toMatchObject({ changed: false, announcement: { ok: true, previously: true } });
    expect(announced()).toEqual(['🧊 DEPLOY FREEZE — Prod: deploys are frozen by On-call SRE (sre@contoso.com). Reason: Hold deploys during the payment migration.']);

    const lift = { action: 'unfreeze', reason: 'Migration done', actor: { id: 'pipeline:payments' } };
    expect(await call('Prod', lift)).toMatchObject({ changed: true, announcement: { ok: true, previously: false } });
    expect(await call('Prod', lift)).toMatchObject({ changed: false, announcement: { ok: true, previously: true } });
    expect(announced()).toEqual([
      '🧊 DEPLOY FREEZE — Prod: deploys are frozen by On-call SRE (sre@contoso.com). Reason: Hold deploys during the payment migration.',
      '✅ DEPLOY FREEZE LIFTED — Prod: deploys may resume (lifted by pipeline:payments). Reason: Migration done.',
    ]);
    // The log line stays.
    expect(logs.some((l) => l.includes('Deploy freeze: deploys to Prod are FROZEN since'))).toBe(true);
    // An environment without a destination of its own (and no top-level one): the configured channel.
    const rtm = await call('RTM', { action: 'freeze', reason: 'RTM sign-off', actor });
    expect(rtm.announcement).toMatchObject({ ok: true, destination: SETTINGS, source: 'settings' });
    expect(announced(SETTINGS)).toHaveLength(1);
  });

  it('with Teams unreachable, still freezes, says the announcement failed, and a later retry posts it once', async () => {
    const body = { action: 'freeze', reason: 'Rollback of r42 in progress', actor, incidentId: 'inc-77' };
    const before = announced().length;
    teams = down;
    let answer: Answer;
    try {
      answer = await call('Prod', body);
    } finally {
      teams = live;
    }
    expect(answer.changed).toBe(true);
    expect(answer.state.frozen).toBe(true);
    expect(answer.announcement).toMatchObject({ channel: 'teams', ok: false });
    expect(answer.announcement?.error).toMatch(/before the deadline/);
    // Pipelines read the record, not the announcement.
    expect(await freeze.get('Prod')).toMatchObject({ frozen: true, incidentId: 'inc-77', since: answer.state.since });
    expect(announced()).toHaveLength(before);

    // Teams is back; the earlier attempt's time bound (its deadline plus one request timeout) has
    // passed: the retry announces, once.
    await new Promise((r) => setTimeout(r, 2 * BUDGET_MS));
    const retry = await call('Prod', body);
    expect(retry).toMatchObject({ changed: false, announcement: { ok: true, previously: false, reconciled: false } });
    expect(await call('Prod', body)).toMatchObject({ announcement: { ok: true, previously: true } });
    expect(announced().slice(before)).toEqual(['🧊 DEPLOY FREEZE — Prod: deploys are frozen by On-call SRE (sre@contoso.com). Reason: Rollback of r42 in progress.']);
  });
});
