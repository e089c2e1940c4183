/**
 * The Teams activities with the step ledger: once per incident + step, reconciliation after an
 * interrupted attempt, plan-only mode, refusals as data, and signed approval links in proposals.
 * Delivery goes through the real adapters (local sink; Graph fake through the real Graph client).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTeamsActivities, messageReference, prepareMessage, type TeamsActivityPorts } from '../../src/activities/teams.js';
import { PostTeamsMessage, ReplyTeamsMessage, NotifyTeams, type PostTeamsMessageInput } from '../../src/activities/teams.contracts.js';
import { LocalSinkTeams } from '../../src/adapters/teams-sink.js';
import { verifyApprovalToken } from '../../src/activities/approval-token.js';
import { createTeamsPort } from '../../src/app/teams.js';
import type { ApprovalSettings } from '../../src/config/teams.js';
import type { TeamsPort } from '../../src/ports/teams.js';
import { APP_CLAIMS, DELEGATED_CLAIMS, GraphFake } from '../../src/lab/graph-server.js';
import { testCredential } from '../fakes/credentials.js';
import { MemoryStepLedger } from '../fakes/memory-ledger.js';
import { INCIDENT, samples, updateNo } from '../fixtures/teams/messages.js';
import { fakeGraphSettings } from '../harness/teams.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'teams-activities-'));
// The activity's clock (ledger times, the deadline pre-check) is fixed at the incident; Graph
// delivery runs on real time, so the deadline lies in the real future.
const NOW = new Date('2026-01-15T14:30:05Z');
const DEADLINE = new Date(Math.max(Date.now(), NOW.getTime()) + 15 * 60_000).toISOString();
const TEAM = '5b7a2c1e-0000-4000-8000-00000000c0de';
let fileNo = 0;

let fake: GraphFake;
let trust: { options: Record<string, unknown>; close: () => Promise<void> };
beforeAll(async () => {
  fake = await GraphFake.start();
  trust = await fake.trust();
});
afterAll(async () => {
  await fake?.stop();
  await trust?.close();
});

const approvals: ApprovalSettings = { keys: [randomBytes(32)], baseUrl: 'https://app.example.net', identity: 'link', approvers: [], audience: 'teams', table: 'ApprovalUses' };

function sink(): LocalSinkTeams {
  return new LocalSinkTeams(path.join(tmp, `outbox-${++fileNo}.jsonl`), { console: () => undefined });
}

function graphPort(mode: 'channel' | 'activity', channelId = `19:act${++fileNo}@thread.tacv2`): TeamsPort {
  const settings = fakeGraphSettings(fake.url, { TEAMS_DELIVERY: mode, TEAMS_TEAM_ID: TEAM, TEAMS_CHANNEL_ID: channelId, TEAMS_APP_CLIENT_ID: '22222222-0000-0000-0000-000000000002' });
  return createTeamsPort(settings, { delegatedCredential: testCredential(DELEGATED_CLAIMS), appCredential: testCredential(APP_CLAIMS), fetchOptions: trust.options });
}

function activities(teams: TeamsPort | (() => TeamsPort), ledger = new MemoryStepLedger(), extra: Partial<TeamsActivityPorts> = {}) {
  return {
    ledger,
    a: createTeamsActivities({ ledger: () => ledger, channel: typeof teams === 'function' ? teams : () => teams, pager: typeof teams === 'function' ? teams : () => teams, approvals: () => approvals, now: () => NOW, ...extra }),
  };
}

const post = (input: Omit<PostTeamsMessageInput, 'deadline'> & { deadline?: string }) => PostTeamsMessage.input.parse({ deadline: DEADLINE, ...input });

describe('Teams activities on the local sink', () => {
  it('posts once per incident + step: a repeat returns the recorded outcome and posts nothing', async () => {
    const teams = sink();
    const { a } = activities(teams);
    const input = post({ incidentId: INCIDENT, step: 'teams/declared', message: samples.declared });
    const first = await a.post(input);
    const again = await a.post(input);
    expect(first).toMatchObject({ kind: 'done', delivery: 'local', reconciled: false, possibleDuplicate: false });
    expect(again).toEqual(first);
    expect(await LocalSinkTeams.readAll(teams.file)).toHaveLength(1);
    expect(PostTeamsMessage.output.parse(first)).toEqual(first);
  });

  it('threads replies under the declaration', async () => {
    const teams = sink();
    const { a } = activities(teams);
    const declared = await a.post(post({ incidentId: INCIDENT, step: 'teams/declared', message: samples.declared }));
    if (declared.kind !== 'done') throw new Error(declared.summary);
    const reply = await a.reply(ReplyTeamsMessage.input.parse({ incidentId: INCIDENT, step: 'teams/update/1', message: updateNo(1), deadline: DEADLINE, threadId: declared.threadId }));
    expect(reply).toMatchObject({ kind: 'done', threadId: declared.threadId });
    const records = await LocalSinkTeams.readAll(teams.file);
    expect(records.map((r) => [r.op, r.threadId])).toEqual([
      ['post', declared.threadId],
      ['reply', declared.threadId],
    ]);
  });

  it('after an interrupted attempt, finds the message it already wrote instead of writing it again', async () => {
    const teams = sink();
    const { a, ledger } = activities(teams);
    const input = post({ incidentId: INCIDENT, step: 'teams/declared', message: samples.declared });
    // An earlier attempt wrote the message and crashed before recording its outcome.
    await teams.post(prepareMessage(input.message, INCIDENT, 'teams/declared', approvals).outgoing, { deadline: Date.now() + 60_000 });
    await ledger.start({ incidentId: INCIDENT, step: 'teams/declared' }, NOW.toISOString());
    const r = await a.post(input);
    expect(r).toMatchObject({ kind: 'done', reconciled: true });
    expect(await LocalSinkTeams.readAll(teams.file)).toHaveLength(1);
  });

  it('plan mode shows exactly what would be posted and records nothing', async () => {
    const teams = sink();
    const { a, ledger } = activities(teams);
    const r = await a.post(post({ incidentId: INCIDENT, step: 'teams/declared', message: samples.declared, mode: 'plan' }));
    expect(r).toMatchObject({ kind: 'planned', delivery: 'local' });
    expect(r.kind === 'planned' && r.text).toContain('🚨 P1 INCIDENT — Prod');
    expect(await LocalSinkTeams.readAll(teams.file)).toHaveLength(0);
    expect(ledger.rows.size).toBe(0);
  });

  it('refuses as data: past the deadline, a mismatched incident, Teams not configured', async () => {
    const { a } = activities(sink());
    expect(await a.post(post({ incidentId: INCIDENT, step: 's1', message: samples.declared, deadline: '2026-01-15T14:30:00Z' }))).toMatchObject({ kind: 'refused', reason: 'deadline' });
    expect(await a.post(post({ incidentId: 'inc-other', step: 's2', message: samples.declared }))).toMatchObject({ kind: 'refused', reason: 'rejected' });
    const broken = activities(() => {
      throw new Error('Teams settings are invalid: TEAMS_CHANNEL_ID required');
    }).a;
    expect(await broken.post(post({ incidentId: INCIDENT, step: 's3', message: samples.declared }))).toMatchObject({ kind: 'refused', reason: 'not-configured' });
  });

  it('embeds signed links that expire at the decision deadline in a proposal', async () => {
    const teams = sink();
    const { a } = activities(teams);
    const r = await a.post(post({ incidentId: INCIDENT, step: 'teams/proposal/prop-1', message: samples['containment-proposed'] }));
    expect(r).toMatchObject({ kind: 'done', approvalLinksExpireAt: '2026-01-15T14:40:00Z' });
    const [record] = await LocalSinkTeams.readAll(teams.file);
    const actions = (record?.card as { actions: { title: string; url: string }[] }).actions;
    expect(actions.map((x) => x.title)).toEqual(['Approve rollback', 'Revert flags/config', 'Do not contain; keep monitoring']);
    const tokens = actions.map((x) => verifyApprovalToken(x.url.replace('https://app.example.net/api/approvals/', ''), approvals.keys, NOW.getTime()));
    expect(tokens.map((t) => t.ok && t.claims.ch[0])).toEqual(['accept-proposal', 'revert-config', 'monitor-only']);
    expect(tokens.every((t) => t.ok && t.claims.iid === INCIDENT && t.claims.pid === 'prop-1' && t.claims.exp === Date.parse('2026-01-15T14:40:00Z') / 1000)).toBe(true);
    expect(new Set(tokens.map((t) => t.ok && t.claims.n)).size).toBe(1);
    expect(record?.link).toMatch(/^https:\/\/app\.example\.net\/api\/approvals\/v1\./);
  });
});

describe('Teams activities through Graph', () => {
  it('channel: a step interrupted after posting is found in the channel, not posted twice', async () => {
    const channel = `19:reconcile${++fileNo}@thread.tacv2`;
    const teams = graphPort('channel', channel);
    const { a, ledger } = activities(teams);
    fake.seed(TEAM, channel, { attachmentId: messageReference(INCIDENT, 'teams/declared') });
    await ledger.start({ incidentId: INCIDENT, step: 'teams/declared' }, NOW.toISOString());
    const r = await a.post(post({ incidentId: INCIDENT, step: 'teams/declared', message: samples.declared }));
    expect(r).toMatchObject({ kind: 'done', reconciled: true, messageId: fake.channel(TEAM, channel)[0]?.id });
    expect(fake.channel(TEAM, channel)).toHaveLength(1);
  });

  it('channel: a step interrupted before posting posts once', async () => {
    const channel = `19:interrupted${++fileNo}@thread.tacv2`;
    const { a, ledger } = activities(graphPort('channel', channel));
    await ledger.start({ incidentId: INCIDENT, step: 'teams/declared' }, NOW.toISOString());
    const r = await a.post(post({ incidentId: INCIDENT, step: 'teams/declared', message: samples.declared }));
    expect(r).toMatchObject({ kind: 'done', reconciled: false, possibleDuplicate: false });
    expect(fake.channel(TEAM, channel)).toHaveLength(1);
  });

  it('channel: a refusal is data and is not recorded as done, so a later attempt can deliver', async () => {
    const channel = `19:refused${++fileNo}@thread.tacv2`;
    const { a, ledger } = activities(graphPort('channel', channel));
    fake.inject({ status: 403 });
    const input = post({ incidentId: INCIDENT, step: 'teams/declared', message: samples.declared });
    const refused = await a.post(input);
    expect(refused).toMatchObject({ kind: 'refused', reason: 'rejected', status: 403 });
    expect((await ledger.get({ incidentId: INCIDENT, step: 'teams/declared' }))?.state).toBe('started');
    expect(await a.post(input)).toMatchObject({ kind: 'done' });
    expect(fake.channel(TEAM, channel)).toHaveLength(1);
  });

  it('activity feed: an interrupted attempt cannot be checked, so the outcome flags a possible duplicate', async () => {
    const { a, ledger } = activities(graphPort('activity'));
    await ledger.start({ incidentId: INCIDENT, step: 'teams/escalation/1' }, NOW.toISOString());
    const r = await a.notify(NotifyTeams.input.parse({ incidentId: INCIDENT, step: 'teams/escalation/1', message: samples.escalation, deadline: DEADLINE }));
    expect(r).toMatchObject({ kind: 'done', delivery: 'activity', possibleDuplicate: true });
    expect(r.summary).toContain('may be a duplicate');
  });

  it('notify from channel mode uses the activity feed when app-only settings are present', async () => {
    const { a } = activities(graphPort('channel'));
    const before = fake.posts.length;
    const r = await a.notify(NotifyTeams.input.parse({ incidentId: INCIDENT, step: 'teams/notify/approvers', message: samples['containment-proposed'], deadline: DEADLINE }));
    expect(r).toMatchObject({ kind: 'done', delivery: 'activity' });
    const sent = fake.posts.slice(before);
    expect(sent).toHaveLength(1);
    expect((sent[0]?.body.topic as { webUrl: string }).webUrl).toMatch(/\/api\/approvals\/v1\./);
  });
});
