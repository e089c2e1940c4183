/**
 * Routing of the Teams activities by the policy, through the real Graph client against the Graph
 * fake: each incident's thread in its environment's channel (replies in the same channel), the
 * configured channel as the fallback, idempotency per destination, one delivery lane per real
 * channel, and notifications to exactly the named people (object ids and UPNs, as Graph takes them).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTeamsActivities, messageReference } from '../../src/activities/teams.js';
import { NotifyTeams, PostTeamsMessage, ReplyTeamsMessage } from '../../src/activities/teams.contracts.js';
import type { DeliveryEvent } from '../../src/adapters/graph-delivery.js';
import { createTeamsPort } from '../../src/app/teams.js';
import type { IncidentMessageInput } from '../../src/domain/messages/types.js';
import type { TeamsPort } from '../../src/ports/teams.js';
import { APP_CLAIMS, DELEGATED_CLAIMS, GraphFake } from '../../src/lab/graph-server.js';
import { testCredential } from '../fakes/credentials.js';
import { MemoryStepLedger } from '../fakes/memory-ledger.js';
import { samples, updateNo } from '../fixtures/teams/messages.js';
import { fakeGraphSettings } from '../harness/teams.js';

const NOW = new Date('2026-01-15T14:30:05Z');
const DEADLINE = new Date(Math.max(Date.now(), NOW.getTime()) + 15 * 60_000).toISOString();
const TENANT = '00000000-0000-0000-0000-0000000000aa';
const SETTINGS_TEAM = '5b7a2c1e-0000-4000-8000-00000000c0de';
const PROD = { teamId: '00000000-0000-0000-0000-0000000000f1', channelId: '19:prod-incidents@thread.tacv2' };
const BETA = { teamId: '00000000-0000-0000-0000-0000000000b1', channelId: '19:beta-incidents@thread.tacv2' };
const DEPUTY = { id: '44444444-0000-0000-0000-000000000004', upn: 'sre-deputy@contoso.example' };
const DIRECTOR = { id: '55555555-0000-0000-0000-000000000005', upn: 'director.eng@contoso.example' };
const ONCALL = { id: '66666666-0000-0000-0000-000000000006', upn: 'sre-oncall@contoso.example' };
let seq = 0;

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
beforeEach(() => {
  fake.users = undefined;
});

/** Channel mode (delegated) with app-only settings for notifications; TEAMS_ACTIVITY_RECIPIENTS=team. */
function graphPort(o: { channelId?: string; events?: DeliveryEvent[]; delivery?: 'channel' | 'activity'; recipients?: string } = {}): { port: TeamsPort; channelId: string } {
  const channelId = o.channelId ?? `19:settings${++seq}@thread.tacv2`;
  const settings = fakeGraphSettings(fake.url, {
    TEAMS_DELIVERY: o.delivery ?? 'channel',
    TEAMS_TENANT_ID: TENANT,
    TEAMS_TEAM_ID: SETTINGS_TEAM,
    TEAMS_CHANNEL_ID: channelId,
    TEAMS_APP_CLIENT_ID: '22222222-0000-0000-0000-000000000002',
    TEAMS_ACTIVITY_RECIPIENTS: o.recipients ?? 'team',
  });
  const port = createTeamsPort(settings, {
    delegatedCredential: testCredential(DELEGATED_CLAIMS),
    appCredential: testCredential(APP_CLAIMS),
    fetchOptions: trust.options,
    queue: { onEvent: (e) => o.events?.push(e) },
  });
  return { port, channelId };
}

function activities(port: TeamsPort, ledger = new MemoryStepLedger()) {
  return { ledger, a: createTeamsActivities({ ledger: () => ledger, channel: () => port, pager: () => port, approvals: () => undefined, now: () => NOW }) };
}

/** The sample messages as another incident in another environment. */
function as(incidentId: string, environment: string, m: IncidentMessageInput): IncidentMessageInput {
  return { ...m, incidentId, environment };
}

const fallback = (m: { attachments: unknown }) => (JSON.parse((m.attachments as { content: string }[])[0]?.content ?? '{}') as { fallbackText: string }).fallbackText;

describe('channel routing by the policy destination', () => {
  it("puts two environments' incidents in two channels, each with its replies threaded in its own channel", async () => {
    const events: DeliveryEvent[] = [];
    const { port, channelId: configured } = graphPort({ events });
    const { a } = activities(port);
    const incidents = [
      { id: `inc-prod-${++seq}`, env: 'Prod', dest: PROD },
      { id: `inc-beta-${++seq}`, env: 'Beta', dest: BETA },
    ];
    const threads: Record<string, string> = {};
    for (const i of incidents) {
      const out = await a.post(PostTeamsMessage.input.parse({ incidentId: i.id, step: 'teams/announce/declared', message: as(i.id, i.env, samples.declared), deadline: DEADLINE, destination: i.dest }));
      expect(out).toMatchObject({ kind: 'done', delivery: 'channel', destination: i.dest });
      if (out.kind !== 'done') throw new Error(out.summary);
      expect(out.summary).toContain(`to the Teams channel ${i.dest.channelId}`);
      threads[i.id] = out.threadId;
    }
    // Updates interleaved between the incidents: each goes to its own thread, in its own channel.
    for (const n of [1, 2]) {
      for (const i of incidents) {
        const out = await a.reply(
          ReplyTeamsMessage.input.parse({ incidentId: i.id, step: `teams/announce/update/${n}`, message: updateNo(n, i.id), deadline: DEADLINE, threadId: threads[i.id], destination: i.dest }),
        );
        expect(out).toMatchObject({ kind: 'done', threadId: threads[i.id], destination: i.dest });
      }
    }
    for (const i of incidents) {
      const roots = fake.channel(i.dest.teamId, i.dest.channelId).filter((m) => fallback(m).includes(`Incident ${i.id}`));
      expect(roots.map((m) => m.id)).toEqual([threads[i.id]]);
      expect(fallback(roots[0]!)).toContain(`INCIDENT — ${i.env}`);
      expect(roots[0]?.replies.map((r) => /UPDATE #(\d)/.exec(fallback(r))?.[1])).toEqual(['1', '2']);
      expect(roots[0]?.replies.every((r) => fallback(r).includes(`Incident ${i.id}`))).toBe(true);
    }
    expect(fake.channel(SETTINGS_TEAM, configured)).toHaveLength(0);
    // One FIFO lane per real channel: the Graph requests of each incident queued in its channel's lane.
    const lanes = new Set(events.filter((e) => e.outcome === 'sent').map((e) => e.lane));
    expect(lanes).toEqual(new Set([`channel:${PROD.teamId}/${PROD.channelId}`, `channel:${BETA.teamId}/${BETA.channelId}`]));
  });

  it('uses the configured channel when the policy names none', async () => {
    const { port, channelId } = graphPort();
    const { a } = activities(port);
    const id = `inc-rtm-${++seq}`;
    const out = await a.post(PostTeamsMessage.input.parse({ incidentId: id, step: 'teams/announce/declared', message: as(id, 'RTM', samples.declared), deadline: DEADLINE }));
    expect(out).toMatchObject({ kind: 'done', destination: { teamId: SETTINGS_TEAM, channelId } });
    expect(fake.channel(SETTINGS_TEAM, channelId)).toHaveLength(1);
  });

  it('refuses a destination that is not a team GUID and channel id (zod names the field)', () => {
    const r = PostTeamsMessage.input.safeParse({ incidentId: 'i', step: 's', message: samples.declared, deadline: DEADLINE, destination: { teamId: 'Incidents', channelId: 'general' } });
    expect(r.success).toBe(false);
    expect(r.error?.issues.map((i) => i.path.join('.')).sort()).toEqual(['destination.channelId', 'destination.teamId']);
  });

  it('after an interrupted attempt, looks for the message in the destination channel only', async () => {
    const { port, channelId: configured } = graphPort();
    const { a, ledger } = activities(port);
    const prodId = `inc-prod-${++seq}`;
    const betaId = `inc-beta-${++seq}`;
    const step = 'teams/announce/declared';
    // Prod: the earlier attempt did post in the Prod channel -> found there, not posted again.
    const seeded = fake.seed(PROD.teamId, PROD.channelId, { attachmentId: messageReference(prodId, step) });
    await ledger.start({ incidentId: prodId, step }, NOW.toISOString());
    const prod = await a.post(PostTeamsMessage.input.parse({ incidentId: prodId, step, message: as(prodId, 'Prod', samples.declared), deadline: DEADLINE, destination: PROD }));
    expect(prod).toMatchObject({ kind: 'done', reconciled: true, messageId: seeded, destination: PROD });
    expect(fake.channel(PROD.teamId, PROD.channelId).filter((m) => m.id === seeded)).toHaveLength(1);
    // Beta: a message with its reference in another channel is not this one -> posted in Beta, once.
    fake.seed(SETTINGS_TEAM, configured, { attachmentId: messageReference(betaId, step) });
    await ledger.start({ incidentId: betaId, step }, NOW.toISOString());
    const beta = await a.post(PostTeamsMessage.input.parse({ incidentId: betaId, step, message: as(betaId, 'Beta', samples.declared), deadline: DEADLINE, destination: BETA }));
    expect(beta).toMatchObject({ kind: 'done', reconciled: false, destination: BETA });
    const inBeta = fake.channel(BETA.teamId, BETA.channelId).filter((m) => JSON.stringify(m.attachments).includes(messageReference(betaId, step)));
    expect(inBeta).toHaveLength(1);
    // And the recorded outcome is returned on a repeat: nothing more is posted.
    const again = await a.post(PostTeamsMessage.input.parse({ incidentId: betaId, step, message: as(betaId, 'Beta', samples.declared), deadline: DEADLINE, destination: BETA }));
    expect(again).toEqual(beta);
    expect(fake.channel(BETA.teamId, BETA.channelId).filter((m) => JSON.stringify(m.attachments).includes(messageReference(betaId, step)))).toHaveLength(1);
  });
});

describe('notifications to the people the policy names', () => {
  it('an escalation notifies exactly its listed people (a UPN and an object id), not the configured recipients', async () => {
    fake.users = [DEPUTY, DIRECTOR, ONCALL];
    const { port } = graphPort({ recipients: 'team' });
    const { a } = activities(port);
    const before = fake.posts.length;
    const id = `inc-prod-${++seq}`;
    const out = await a.notify(
      NotifyTeams.input.parse({
        incidentId: id,
        step: 'teams/notify/announce/escalation/ack/0',
        message: as(id, 'Prod', samples.escalation),
        deadline: DEADLINE,
        destination: PROD,
        recipients: [DEPUTY.upn, DIRECTOR.id],
      }),
    );
    expect(out).toMatchObject({ kind: 'done', delivery: 'activity', notified: [DEPUTY.upn, DIRECTOR.id], unreached: [] });
    const sent = fake.posts.slice(before);
    expect(sent.map((p) => p.path)).toEqual([`/v1.0/users/${encodeURIComponent(DEPUTY.upn)}/teamwork/sendActivityNotification`, `/v1.0/users/${DIRECTOR.id}/teamwork/sendActivityNotification`]);
    expect(sent.map((p) => p.user?.id)).toEqual([DEPUTY.id, DIRECTOR.id]);
    expect(sent.every((p) => p.claims.roles !== undefined)).toBe(true);
    // The notification opens the incident's channel.
    expect((sent[0]?.body.topic as { webUrl: string }).webUrl).toBe(
      `https://teams.microsoft.com/l/channel/${encodeURIComponent(PROD.channelId)}/incident?groupId=${PROD.teamId}&tenantId=${TENANT}`,
    );
    expect(fake.posts.slice(before).some((p) => p.path.includes('/teams/'))).toBe(false);
  });

  it('reaches the others when Graph does not know one of them, and says who was not reached', async () => {
    fake.users = [DEPUTY];
    const { port } = graphPort();
    const { a } = activities(port);
    const before = fake.posts.length;
    const id = `inc-prod-${++seq}`;
    const out = await a.notify(
      NotifyTeams.input.parse({ incidentId: id, step: 'teams/notify/x', message: as(id, 'Prod', samples.escalation), deadline: DEADLINE, recipients: ['left.company@contoso.example', DEPUTY.upn] }),
    );
    expect(out).toMatchObject({ kind: 'done', notified: [DEPUTY.upn], unreached: [{ recipient: 'left.company@contoso.example', reason: 'HTTP 404 Request_ResourceNotFound' }] });
    expect(out.summary).toContain('not reached: left.company@contoso.example (HTTP 404');
    expect(fake.posts.slice(before).map((p) => p.user?.upn)).toEqual([DEPUTY.upn]);
  });

  it('refuses recipients that are neither object ids nor UPNs before anything is sent', () => {
    const r = NotifyTeams.input.safeParse({ incidentId: 'i', step: 's', message: samples.escalation, deadline: DEADLINE, recipients: ['sre oncall'] });
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]?.path).toEqual(['recipients', 0]);
  });

  it('activity mode: a declaration reaches the members of the destination team, not the configured one', async () => {
    const { port } = graphPort({ delivery: 'activity' });
    const { a } = activities(port);
    const before = fake.posts.length;
    const id = `inc-beta-${++seq}`;
    const out = await a.post(PostTeamsMessage.input.parse({ incidentId: id, step: 'teams/announce/declared', message: as(id, 'Beta', samples.declared), deadline: DEADLINE, destination: BETA }));
    expect(out).toMatchObject({ kind: 'done', delivery: 'activity', destination: BETA });
    const [sent] = fake.posts.slice(before);
    expect(sent?.path).toBe(`/v1.0/teams/${BETA.teamId}/sendActivityNotification`);
    expect(sent?.body.recipient).toEqual({ '@odata.type': 'microsoft.graph.teamMembersNotificationRecipient', teamId: BETA.teamId });
  });
});
