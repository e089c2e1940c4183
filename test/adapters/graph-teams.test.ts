/**
 * The Teams adapters with the real Microsoft Graph client (and fetch) against the Graph fake over
 * https on 127.0.0.1: a declaration and threaded updates, a throttling storm that still delivers
 * everything in order, faults, deadlines, reconciliation after an ambiguous timeout, app-only
 * tokens refused for channel posts, and activity-feed notifications.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prepareMessage } from '../../src/activities/teams.js';
import type { DeliveryClock, DeliveryEvent } from '../../src/adapters/graph-delivery.js';
import { readTeamsSettings, type TeamsSettings } from '../../src/config/teams.js';
import { createTeamsPort } from '../../src/app/teams.js';
import type { IncidentMessageInput } from '../../src/domain/messages/types.js';
import { IncidentMessage } from '../../src/domain/messages/types.js';
import { TeamsDeliveryError, type OutgoingMessage, type TeamsPort } from '../../src/ports/teams.js';
import { APP_CLAIMS, APP_ONLY_CHANNEL_POST, DELEGATED_CLAIMS, GraphFake } from '../../src/lab/graph-server.js';
import { testCredential } from '../fakes/credentials.js';
import { INCIDENT, samples, updateNo } from '../fixtures/teams/messages.js';

const TENANT = '00000000-0000-0000-0000-0000000000aa';
const TEAM = '5b7a2c1e-0000-4000-8000-00000000c0de';
let channelSeq = 0;
const newChannel = () => `19:incident${++channelSeq}@thread.tacv2`;

let fake: GraphFake;
let trust: { options: Record<string, unknown>; close: () => Promise<void> };
const tmp = mkdtempSync(path.join(tmpdir(), 'graph-teams-'));

beforeAll(async () => {
  fake = await GraphFake.start();
  trust = await fake.trust();
});
afterAll(async () => {
  await fake?.stop();
  await trust?.close();
});

function settings(env: Record<string, string>): TeamsSettings {
  const r = readTeamsSettings({ TEAMS_GRAPH_URL: fake.url, TEAMS_TENANT_ID: TENANT, TEAMS_TEAM_ID: TEAM, ...env });
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  return r.settings;
}

/** Time running `scale` times faster than the wall: Retry-After 1 s waits 1000/scale ms. */
function scaledClock(scale: number): DeliveryClock {
  const wall0 = Date.now();
  return { now: () => wall0 + (Date.now() - wall0) * scale, sleep: (ms) => new Promise((r) => setTimeout(r, ms / scale)) };
}

function channelPort(channelId: string, o: { claims?: Record<string, unknown>; clock?: DeliveryClock; events?: DeliveryEvent[]; timeoutMs?: string } = {}) {
  const credential = testCredential(o.claims ?? DELEGATED_CLAIMS);
  const port = createTeamsPort(
    settings({
      TEAMS_DELIVERY: 'channel',
      TEAMS_CHANNEL_ID: channelId,
      TEAMS_CLIENT_ID: '11111111-0000-0000-0000-000000000001',
      TEAMS_TOKEN_FILE: path.join(tmp, 'unused-token.json'),
      ...(o.timeoutMs ? { TEAMS_GRAPH_TIMEOUT_MS: o.timeoutMs } : {}),
    }),
    { delegatedCredential: credential, fetchOptions: trust.options, queue: { clock: o.clock, onEvent: (e) => o.events?.push(e) } },
  );
  return { port, credential };
}

function message(input: IncidentMessageInput, step: string): OutgoingMessage {
  return prepareMessage(IncidentMessage.parse(input), input.incidentId, step, undefined).outgoing;
}

const soon = (ms = 60_000) => ({ deadline: Date.now() + ms });

function cardOf(m: { attachments: unknown }): { body: unknown[]; fallbackText: string } {
  const [a] = m.attachments as { content: string }[];
  return JSON.parse(a?.content ?? '{}') as { body: unknown[]; fallbackText: string };
}

describe('channel messages (delegated) through the real Graph client', () => {
  it('posts the declaration and three updates as replies in its thread, in order, with a delegated token', async () => {
    const channel = newChannel();
    const events: DeliveryEvent[] = [];
    const { port } = channelPort(channel, { events });
    const declared = await port.post(message(samples.declared, 'teams/declared'), soon());
    expect(declared.mode).toBe('channel');
    expect(declared.threadId).toBe(declared.messageId);
    for (const n of [1, 2, 3]) {
      const r = await port.reply(declared.threadId, message(updateNo(n), `teams/update/${n}`), soon());
      expect(r.threadId).toBe(declared.threadId);
    }
    const [root, ...others] = fake.channel(TEAM, channel);
    expect(others).toHaveLength(0);
    expect(root?.id).toBe(declared.messageId);
    expect(cardOf(root!).fallbackText).toContain('🚨 P1 INCIDENT — Prod — API 5xx above 1% for 5 min after release v2.4.0.');
    expect(root?.replies.map((r) => cardOf(r).fallbackText.split('\n')[0])).toEqual([
      expect.stringContaining('UPDATE #1'),
      expect.stringContaining('UPDATE #2'),
      expect.stringContaining('UPDATE #3'),
    ]);
    const posts = fake.posts.filter((p) => p.channelId === channel);
    expect(posts.map((p) => p.kind)).toEqual(['message', 'reply', 'reply', 'reply']);
    expect(posts.every((p) => p.claims.upn === DELEGATED_CLAIMS.upn)).toBe(true);
    // The HTML body references the card attachment by the message's client reference.
    const body = posts[0]?.body as { body: { contentType: string; content: string }; attachments: { id: string; contentType: string }[] };
    expect(body.body).toEqual({ contentType: 'html', content: `<attachment id="${body.attachments[0]?.id}"></attachment>` });
    expect(body.attachments[0]?.contentType).toBe('application/vnd.microsoft.card.adaptive');
    // Channel posts are spaced by the app-wide limit (2 per second per tenant).
    const sent = events.filter((e) => e.outcome === 'sent').map((e) => e.at);
    for (let i = 1; i < sent.length; i++) expect(sent[i]! - sent[i - 1]!).toBeGreaterThanOrEqual(499);
  });

  it('delivers every message of a 429/503 storm, in order, waiting out each Retry-After', async () => {
    const channel = newChannel();
    const events: DeliveryEvent[] = [];
    const clock = scaledClock(20);
    const { port } = channelPort(channel, { clock, events });
    const declared = await port.post(message(samples.declared, 'teams/declared'), { deadline: clock.now() + 600_000 });
    const before = fake.requests.length;
    fake.inject(
      { status: 429, retryAfter: '2' },
      { status: 429, retryAfter: '1' },
      { status: 503 },
      { status: 429, retryAfter: '3' },
      { status: 504, retryAfter: '1' },
      { status: 429 },
      { status: 429, retryAfter: '1' },
      { status: 503 },
    );
    const updates = Array.from({ length: 10 }, (_, i) => i + 1);
    // All enqueued at once: the lane keeps their order through the storm.
    const results = await Promise.all(updates.map((n) => port.reply(declared.threadId, message(updateNo(n), `teams/update/${n}`), { deadline: clock.now() + 600_000 })));
    const replies = fake.channel(TEAM, channel)[0]?.replies ?? [];
    expect(replies.map((r) => /UPDATE #(\d+)/.exec(cardOf(r).fallbackText)?.[1])).toEqual(updates.map(String));
    expect(results.reduce((n, r) => n + r.throttled, 0)).toBe(5);
    // Exactly one request per attempt: no retry handler underneath ours multiplies them.
    expect(fake.requests.length - before).toBe(10 + 8);
    expect(fake.requests.slice(before).filter((r) => r.status === 429)).toHaveLength(5);
    // After each throttle, the channel sends nothing until Retry-After has passed.
    const laneEvents = events.filter((e) => e.lane.endsWith(channel));
    for (const [i, e] of laneEvents.entries()) {
      if (e.outcome !== 'throttled' && e.outcome !== 'transient') continue;
      const nextSent = laneEvents.slice(i + 1).find((x) => x.outcome === 'sent');
      expect(nextSent!.at - e.at).toBeGreaterThanOrEqual(e.waitMs! - 1);
      if (e.outcome === 'throttled' && e.status === 429) expect(e.waitMs).toBeGreaterThan(0);
    }
    const throttleWaits = laneEvents.filter((e) => e.outcome === 'throttled').map((e) => e.waitMs);
    expect(throttleWaits.slice(0, 2)).toEqual([2000, 1000]);
  });

  it('gives up at the deadline instead of sleeping through a long Retry-After, posting nothing', async () => {
    const channel = newChannel();
    const { port } = channelPort(channel);
    fake.inject({ status: 429, retryAfter: '3600' });
    const started = Date.now();
    const err = await port.post(message(samples.declared, 'teams/declared'), soon(30_000)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TeamsDeliveryError);
    expect((err as TeamsDeliveryError).failure).toBe('deadline');
    expect((err as TeamsDeliveryError).details).toMatchObject({ attempts: 1, throttled: 1, status: 429 });
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(fake.channel(TEAM, channel)).toHaveLength(0);
  });

  it('fails at once on a 4xx that retrying cannot fix', async () => {
    const channel = newChannel();
    const { port } = channelPort(channel);
    const before = fake.requests.length;
    fake.inject({ status: 403 });
    const err = (await port.post(message(samples.declared, 'teams/declared'), soon()).catch((e: unknown) => e)) as TeamsDeliveryError;
    expect(err.failure).toBe('rejected');
    expect(err.details.status).toBe(403);
    expect(fake.requests.length - before).toBe(1);
  });

  it('finds the message after an ambiguous timeout instead of posting it twice', async () => {
    const channel = newChannel();
    const events: DeliveryEvent[] = [];
    const { port } = channelPort(channel, { events, timeoutMs: '1000' });
    fake.inject({ delayAfterProcessingMs: 3000 });
    const out = message(samples.declared, 'teams/declared');
    const r = await port.post(out, soon());
    const stored = fake.channel(TEAM, channel);
    expect(stored).toHaveLength(1);
    expect(r.messageId).toBe(stored[0]?.id);
    expect(events.map((e) => e.outcome)).toEqual(['sent', 'ambiguous', 'reconciled']);
    expect(await port.find(out.reference)).toMatchObject({ messageId: stored[0]?.id });
  });

  it('is refused with Graph’s own 401 when the token is app-only (channel posts are delegated-only)', async () => {
    const channel = newChannel();
    const { port } = channelPort(channel, { claims: APP_CLAIMS });
    const err = (await port.post(message(samples.declared, 'teams/declared'), soon()).catch((e: unknown) => e)) as TeamsDeliveryError;
    expect(err.failure).toBe('auth');
    expect(err.details.status).toBe(401);
    expect(err.message).toContain(APP_ONLY_CHANNEL_POST.slice(0, 60));
    expect(fake.channel(TEAM, channel)).toHaveLength(0);
  });

  it('reports "unknown" when it may not read the channel (no ChannelMessage.Read.All)', async () => {
    const channel = newChannel();
    const { port } = channelPort(channel, { claims: { ...DELEGATED_CLAIMS, scp: 'ChannelMessage.Send' } });
    expect(await port.find('0'.repeat(32))).toBe('unknown');
  });
});

describe('activity-feed notifications (app-only) through the real Graph client', () => {
  function activityPort(env: Record<string, string>, claims: Record<string, unknown> = APP_CLAIMS): { port: TeamsPort } {
    const port = createTeamsPort(
      settings({ TEAMS_DELIVERY: 'activity', TEAMS_APP_CLIENT_ID: '22222222-0000-0000-0000-000000000002', TEAMS_ACTIVITY_WEB_URL: 'https://teams.microsoft.com/l/channel/x', ...env }),
      { appCredential: testCredential(claims), fetchOptions: trust.options },
    );
    return { port };
  }

  it('notifies the team with the systemDefault activity type, free text and an app-only token', async () => {
    const { port } = activityPort({ TEAMS_ACTIVITY_RECIPIENTS: 'team', TEAMS_APP_CATALOG_ID: 'teams-app-1' });
    const before = fake.posts.length;
    const declared = await port.post(message(samples.declared, 'teams/declared'), soon());
    const update = await port.reply(declared.threadId, message(updateNo(1), 'teams/update/1'), soon());
    expect(declared).toMatchObject({ mode: 'activity', recipients: 1 });
    expect(update.threadId).toBe(declared.threadId);
    const posts = fake.posts.slice(before);
    expect(posts.map((p) => p.path)).toEqual([`/v1.0/teams/${TEAM}/sendActivityNotification`, `/v1.0/teams/${TEAM}/sendActivityNotification`]);
    expect(posts[0]?.claims.roles).toEqual(['TeamsActivity.Send']);
    expect(posts[0]?.body).toMatchObject({
      activityType: 'systemDefault',
      topic: { source: 'text', value: `Incident ${INCIDENT}`, webUrl: 'https://teams.microsoft.com/l/channel/x' },
      recipient: { '@odata.type': 'microsoft.graph.teamMembersNotificationRecipient', teamId: TEAM },
      templateParameters: [{ name: 'systemDefaultText', value: 'P1 incident declared — Prod' }],
      teamsAppId: 'teams-app-1',
    });
    const preview = (posts[0]?.body.previewText as { content: string }).content;
    expect([...preview].length).toBeLessThanOrEqual(150);
    expect(preview.startsWith('🚨 P1 INCIDENT — Prod')).toBe(true);
  });

  it('notifies named users one call each, and opens the approval page from a proposal', async () => {
    const { port } = activityPort({ TEAMS_ACTIVITY_RECIPIENTS: 'dana.kim@contoso.com, 33333333-0000-0000-0000-000000000003' });
    const before = fake.posts.length;
    const out = { ...message(samples['containment-proposed'], 'teams/proposal/prop-1'), link: 'https://app.example.net/api/approvals/v1.x.y' };
    const r = await port.notify(out, soon());
    expect(r).toMatchObject({ recipients: 2 });
    const posts = fake.posts.slice(before);
    expect(posts.map((p) => p.userId)).toEqual(['dana.kim@contoso.com', '33333333-0000-0000-0000-000000000003']);
    expect(posts[0]?.body).not.toHaveProperty('recipient');
    expect((posts[0]?.body.topic as { webUrl: string }).webUrl).toBe(out.link);
    expect(await port.find(out.reference)).toBe('unknown');
  });

  it('is refused when the app lacks TeamsActivity.Send', async () => {
    const { port } = activityPort({ TEAMS_ACTIVITY_RECIPIENTS: 'team' }, { idtyp: 'app', roles: [] });
    const err = (await port.notify(message(samples.escalation, 'teams/escalation/1'), soon()).catch((e: unknown) => e)) as TeamsDeliveryError;
    expect(err.failure).toBe('rejected');
    expect(err.details.status).toBe(403);
  });
});

describe('TEAMS_GRAPH_CA_FILE: a Graph behind a private certificate authority', () => {
  const caPort = (channelId: string, caFile: string | undefined) =>
    createTeamsPort(
      settings({
        TEAMS_DELIVERY: 'channel',
        TEAMS_CHANNEL_ID: channelId,
        TEAMS_CLIENT_ID: '11111111-0000-0000-0000-000000000001',
        TEAMS_TOKEN_FILE: path.join(tmp, 'unused-token.json'),
        TEAMS_GRAPH_TIMEOUT_MS: '2000',
        ...(caFile ? { TEAMS_GRAPH_CA_FILE: caFile } : {}),
      }),
      // No fetch options from the test: the setting alone makes the certificate trusted.
      { delegatedCredential: testCredential(DELEGATED_CLAIMS) },
    );

  it('trusts the authority the file names, and only with it', async () => {
    const caFile = path.join(tmp, 'graph-ca.pem');
    writeFileSync(caFile, fake.ca);
    const channel = newChannel();
    await caPort(channel, caFile).post(message(samples.declared, 'ca/declared'), soon());
    expect(fake.channel(TEAM, channel)).toHaveLength(1);

    const untrusted = newChannel();
    await expect(caPort(untrusted, undefined).post(message(samples.declared, 'ca/untrusted'), soon(3000))).rejects.toBeInstanceOf(TeamsDeliveryError);
    expect(fake.channel(TEAM, untrusted)).toHaveLength(0);
  });

  it('names the setting when the file cannot be read', () => {
    expect(() => caPort(newChannel(), path.join(tmp, 'missing-ca.pem'))).toThrow(/TEAMS_GRAPH_CA_FILE: cannot be read \(ENOENT\)/);
  });
});
