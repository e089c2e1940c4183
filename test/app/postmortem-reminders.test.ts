/**
 * The postmortem reminder sweep with the real stores on Azurite (incident summaries and timeline,
 * step ledger) and the real Teams activity handler: on the local sink, and in channel mode through
 * the real Graph client against the Graph fake (the reply lands in the incident's thread).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTeamsActivities } from '../../src/activities/teams.js';
import { TableIncidentStore } from '../../src/adapters/incident-store.js';
import { createTableClient, storageTarget } from '../../src/adapters/storage.js';
import { TableStepLedger } from '../../src/adapters/table-ledger.js';
import { LocalSinkTeams } from '../../src/adapters/teams-sink.js';
import { sweepPostmortemReminders, type ReminderDeps } from '../../src/app/postmortem-reminders.js';
import { createTeamsPort } from '../../src/app/teams.js';
import type { AzuriteInstance } from '../../src/devhost/index.js';
import type { IncidentSummary } from '../../src/domain/incident.js';
import { claimReminder, reminderMessage, REMINDER_RETRY_MS, REMINDER_STEP } from '../../src/domain/postmortem-reminder.js';
import { IncidentMessage } from '../../src/domain/messages/types.js';
import { TeamsDeliveryError, type TeamsPort } from '../../src/ports/teams.js';
import { DELEGATED_CLAIMS, GraphFake } from '../../src/lab/graph-server.js';
import { testCredential } from '../fakes/credentials.js';
import { startTestAzurite, uniqueHubName } from '../harness/devhost.js';
import { resolvedSummary } from '../harness/summaries.js';
import { fakeGraphSettings } from '../harness/teams.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'reminders-'));
const TEAM = '5b7a2c1e-0000-4000-8000-00000000c0de';
const ON_THE_DAY = new Date('2026-11-25T00:15:00Z');

let azurite: AzuriteInstance;
let store: TableIncidentStore;
let ledger: TableStepLedger;
let fake: GraphFake;
let trust: { options: Record<string, unknown>; close: () => Promise<void> };
let n = 0;

beforeAll(async () => {
  azurite = await startTestAzurite();
  const target = storageTarget({ AzureWebJobsStorage: azurite.connectionString });
  store = new TableIncidentStore(createTableClient(target, uniqueHubName('Incidents')));
  ledger = new TableStepLedger(createTableClient(target, uniqueHubName('Steps')));
  fake = await GraphFake.start();
  trust = await fake.trust();
});
afterAll(async () => {
  await fake?.stop();
  await trust?.close();
  await azurite?.stop();
});

const summary = (incidentId: string, over: Partial<IncidentSummary> = {}): IncidentSummary =>
  resolvedSummary(incidentId, { teamsThreadId: `local:thread-${incidentId}`, ...over }, 'http://127.0.0.1:10000/devstoreaccount1');

/** A resolved incident as the orchestration leaves it: summary and a timeline. */
async function resolvedIncident(over: Partial<IncidentSummary> = {}): Promise<IncidentSummary> {
  const s = summary(`inc-reminder-${++n}`, over);
  await store.putSummary(s);
  await store.appendTimeline(s.incidentId, [
    { seq: 0, at: s.declaredAt, kind: 'declared', actor: 'azure-monitor', text: 'P1 incident declared' },
    { seq: 1, at: s.resolvedAt ?? s.updatedAt, kind: 'resolved', actor: 'riley', text: 'Resolved by riley.' },
  ]);
  return s;
}

function deps(teams: TeamsPort | (() => TeamsPort), now: () => Date): ReminderDeps {
  const activities = createTeamsActivities({ ledger: () => ledger, channel: typeof teams === 'function' ? teams : () => teams, pager: typeof teams === 'function' ? teams : () => teams, approvals: () => undefined, now });
  return { store, teams: activities, now, actor: 'incident-bot' };
}

const sink = () => new LocalSinkTeams(path.join(tmp, `outbox-${++n}.jsonl`), { console: () => undefined });
const mine = async (teams: LocalSinkTeams, incidentId: string) => (await LocalSinkTeams.readAll(teams.file)).filter((r) => r.incidentId === incidentId);

describe('postmortem reminder sweep (local sink)', () => {
  it('sends nothing before the due date, then one reply in the thread; concurrent sweeps and later ones that day send nothing more', async () => {
    const teams = sink();
    const s = await resolvedIncident();
    const before = await sweepPostmortemReminders(deps(teams, () => new Date('2026-11-24T23:45:00Z')));
    expect(before.sent).not.toContain(s.incidentId);
    expect(await mine(teams, s.incidentId)).toEqual([]);

    const d = deps(teams, () => ON_THE_DAY);
    const [a, b] = await Promise.all([sweepPostmortemReminders(d), sweepPostmortemReminders(d)]);
    expect([...a.sent, ...b.sent].filter((id) => id === s.incidentId)).toHaveLength(1);
    const again = await sweepPostmortemReminders(deps(teams, () => new Date('2026-11-25T23:45:00Z')));
    expect(again.due).toBe(0);

    const sent = await mine(teams, s.incidentId);
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ op: 'reply', threadId: s.teamsThreadId, kind: 'postmortem-due' });
    expect(sent[0]?.text).toContain('📝 Postmortem due 2026-11-25 (Wed) — P1 Prod — admin-api');
    expect(sent[0]?.text).toContain(`Open draft: ${s.evidence?.postmortemUrl ?? ''}`);

    const stored = await store.getSummary(s.incidentId);
    expect(stored?.postmortem?.reminder).toMatchObject({ state: 'sent', attempts: 1, messageId: sent[0]?.messageId });
    const timeline = await store.getTimeline(s.incidentId);
    expect(timeline.map((e) => e.kind)).toEqual(['declared', 'resolved', 'postmortem-reminder']);
    expect(timeline[2]).toMatchObject({ seq: 2, actor: 'incident-bot', at: ON_THE_DAY.toISOString() });
    expect(timeline[2]?.text).toContain('Postmortem due 2026-11-25: reminder posted');
  });

  it('never reminds for a drill or an open incident', async () => {
    const teams = sink();
    const drill = await resolvedIncident({ drill: true });
    const open = await resolvedIncident({ status: 'open', resolvedAt: null });
    await sweepPostmortemReminders(deps(teams, () => ON_THE_DAY));
    expect(await mine(teams, drill.incidentId)).toEqual([]);
    expect(await mine(teams, open.incidentId)).toEqual([]);
  });

  it('posts a new message when the incident never got a thread, and says overdue when the day has passed', async () => {
    const teams = sink();
    const s = await resolvedIncident({ teamsThreadId: null });
    await sweepPostmortemReminders(deps(teams, () => new Date('2026-11-27T08:00:00Z')));
    const sent = await mine(teams, s.incidentId);
    expect(sent).toMatchObject([{ op: 'post', kind: 'postmortem-due', importance: 'high' }]);
    expect(sent[0]?.headline).toContain('Postmortem OVERDUE (was due 2026-11-25 (Wed))');
  });

  it('after a sweep died between sending and recording, the next one records the message instead of sending it again', async () => {
    const teams = sink();
    const s = await resolvedIncident();
    const d = deps(teams, () => ON_THE_DAY);
    // What the dead sweep did: claimed the reminder and sent it through the ledger.
    const claimed = await store.updateSummary(s.incidentId, (x) => claimReminder(x, ON_THE_DAY.getTime()));
    const message = IncidentMessage.parse(reminderMessage(claimed as IncidentSummary, ON_THE_DAY.getTime()));
    await d.teams.reply({ incidentId: s.incidentId, step: REMINDER_STEP, message, deadline: '2026-11-25T00:20:00.000Z', mode: 'execute', threadId: s.teamsThreadId ?? '' });
    // Within the claim's lease nobody touches it; after it, the next sweep takes over.
    expect((await sweepPostmortemReminders(deps(teams, () => new Date('2026-11-25T00:20:00Z')))).sent).not.toContain(s.incidentId);
    const later = await sweepPostmortemReminders(deps(teams, () => new Date('2026-11-25T00:30:00Z')));
    expect(later.sent).toContain(s.incidentId);
    expect(await mine(teams, s.incidentId)).toHaveLength(1);
    expect((await store.getSummary(s.incidentId))?.postmortem?.reminder).toMatchObject({ state: 'sent', attempts: 2 });
  });

  it('a refused delivery is recorded and tried again an hour later', async () => {
    const teams = sink();
    let down = true;
    // Teams refusing (as Graph does for an expired sign-in): the port throws a delivery error.
    const port: TeamsPort = {
      mode: 'local',
      canNotify: true,
      post: (m, o) => (down ? Promise.reject(new TeamsDeliveryError('auth', 'The sign-in has expired: run npm run teams:signin')) : teams.post(m, o)),
      reply: (t, m, o) => (down ? Promise.reject(new TeamsDeliveryError('auth', 'The sign-in has expired: run npm run teams:signin')) : teams.reply(t, m, o)),
      notify: (m, o) => teams.notify(m, o),
      find: (r) => teams.find(r),
    };
    const s = await resolvedIncident();
    const first = await sweepPostmortemReminders(deps(port, () => ON_THE_DAY));
    expect(first.refused).toContain(s.incidentId);
    expect((await store.getSummary(s.incidentId))?.postmortem?.reminder).toMatchObject({ state: 'retry', attempts: 1, nextAttemptAt: new Date(ON_THE_DAY.getTime() + REMINDER_RETRY_MS).toISOString() });
    const refusedLine = (await store.getTimeline(s.incidentId)).at(-1);
    expect(refusedLine?.text).toContain('the reminder was not delivered (Not delivered: The sign-in has expired');

    down = false;
    const soon = await sweepPostmortemReminders(deps(port, () => new Date(ON_THE_DAY.getTime() + 30 * 60_000)));
    expect(soon.sent).not.toContain(s.incidentId);
    const hourLater = await sweepPostmortemReminders(deps(port, () => new Date(ON_THE_DAY.getTime() + REMINDER_RETRY_MS)));
    expect(hourLater.sent).toContain(s.incidentId);
    expect(await mine(teams, s.incidentId)).toHaveLength(1);
    expect((await store.getTimeline(s.incidentId)).map((e) => e.data?.state ?? e.kind)).toEqual(['declared', 'resolved', 'retry', 'sent']);
  });
});

describe('postmortem reminder sweep (channel mode, Graph fake)', () => {
  /** The real Graph client, delegated, posting to `channel` of the fake unless a message names its destination. */
  function channelPort(channel: string): TeamsPort {
    return createTeamsPort(fakeGraphSettings(fake.url, { TEAMS_TEAM_ID: TEAM, TEAMS_CHANNEL_ID: channel }), { delegatedCredential: testCredential(DELEGATED_CLAIMS), fetchOptions: trust.options });
  }

  it("replies in the incident's thread in the channel, once", async () => {
    const channel = '19:reminders@thread.tacv2';
    const port = channelPort(channel);
    // The declaration the runbook posted days before.
    const threadId = fake.seed(TEAM, channel, { attachmentId: 'declared-ref' });
    const s = await resolvedIncident({ teamsThreadId: threadId });
    // Graph throttles once: the reply waits it out inside its deadline.
    fake.inject({ kind: 'reply', status: 429, retryAfter: '0' });
    const now = () => ON_THE_DAY;
    await sweepPostmortemReminders(deps(port, now));
    await sweepPostmortemReminders(deps(port, now));
    const root = fake.channel(TEAM, channel);
    expect(root).toHaveLength(1);
    expect(root[0]?.replies).toHaveLength(1);
    expect(JSON.stringify(root[0]?.replies[0]?.attachments)).toContain('Postmortem due 2026-11-25 (Wed)');
    expect((await store.getSummary(s.incidentId))?.postmortem?.reminder).toMatchObject({ state: 'sent', messageId: root[0]?.replies[0]?.id });
  });

  it("replies in the channel the incident's thread is in (the policy's destination), not the app's channel", async () => {
    const appChannel = '19:app-default@thread.tacv2';
    const prodChannel = '19:prod-incidents@thread.tacv2';
    const port = channelPort(appChannel);
    const threadId = fake.seed(TEAM, prodChannel, { attachmentId: 'declared-prod' });
    const s = await resolvedIncident({ teamsThreadId: threadId, teamsDestination: { teamId: TEAM, channelId: prodChannel } });
    await sweepPostmortemReminders(deps(port, () => ON_THE_DAY));
    expect(fake.channel(TEAM, prodChannel)[0]?.replies).toHaveLength(1);
    expect(fake.channel(TEAM, appChannel)).toHaveLength(0);
    expect((await store.getSummary(s.incidentId))?.postmortem?.reminder).toMatchObject({ state: 'sent' });
  });
});
