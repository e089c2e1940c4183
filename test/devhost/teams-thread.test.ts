/**
 * One Teams thread per incident, even when the declaration is refused: the product's incident
 * orchestration on the dev host (from dist/: run `npm run build` first; fixture
 * test/fixtures/teams-thread-app), its Teams activities delivering through the real Graph client
 * to the Graph fake, which refuses the first root post(s) with 403.
 *   - refused once: the next message posts the declaration again first, then replies under it;
 *   - refused twice: the next message starts the thread itself, and the later ones reply to it.
 */
import { BlobServiceClient } from '@azure/storage-blob';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { TeamsPortOptions } from '../../src/app/teams.js';
import type { AzuriteInstance } from '../../src/devhost/azurite.js';
import { packPrefix } from '../../src/domain/evidence.js';
import type { IncidentSummary, TimelineEntry } from '../../src/domain/incident.js';
import { DELEGATED_CLAIMS, GraphFake } from '../../src/lab/graph-server.js';
import { testCredential } from '../fakes/credentials.js';
import { testPolicyPath } from '../harness/alerts.js';
import { repoRoot, startTestAzurite, startTestHost, type TestHost } from '../harness/devhost.js';
import { fakeGraphSettings } from '../harness/teams.js';

const TEAM = '5b7a2c1e-0000-4000-8000-00000000c0de';
const PORT = Symbol.for('incident-autopilot.test.teams-port');
let azurite: AzuriteInstance;
let fake: GraphFake;
let trust: { options: Record<string, unknown>; close: () => Promise<void> };
let h: TestHost;
let channelNo = 0;

beforeAll(async () => {
  azurite = await startTestAzurite();
  fake = await GraphFake.start();
  trust = await fake.trust();
  h = await startTestHost({ azurite, appRoot: path.join(repoRoot, 'test', 'fixtures', 'teams-thread-app'), env: { POLICY_PATH: testPolicyPath } });
});
afterAll(async () => {
  await h?.stop();
  await fake?.stop();
  await trust?.close();
  await azurite?.stop();
  delete (globalThis as Record<symbol, unknown>)[PORT];
});

/** A fresh channel per test, reached through the real Graph client (the fixture builds the port). */
function useChannel(): string {
  const channel = `19:thread${++channelNo}@thread.tacv2`;
  (globalThis as Record<symbol, unknown>)[PORT] = { settings: fakeGraphSettings(fake.url, { TEAMS_TEAM_ID: TEAM, TEAMS_CHANNEL_ID: channel }), options: { delegatedCredential: testCredential(DELEGATED_CLAIMS), fetchOptions: trust.options } satisfies TeamsPortOptions };
  return channel;
}

const post = (p: string, body: unknown) =>
  h.json<Record<string, unknown>>(p, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

interface Read {
  summary: IncidentSummary;
  timeline: TimelineEntry[];
}

/** Declares a P2 incident, waits for the proposal, resolves it; returns what the API shows. */
async function incidentThrough(): Promise<Read> {
  const declared = await post('/api/incidents', { service: 'billing', environment: 'Prod', summary: 'Checkout 5xx', severity: 'P2' });
  expect(declared.status).toBe(201);
  const id = declared.body.incidentId as string;
  await vi.waitFor(
    async () => {
      await h.settle();
      expect((await h.json<Read>(`/api/incidents/${id}`)).body.summary.phase).toBe('deciding');
    },
    { timeout: 15_000, interval: 50 },
  );
  expect((await post(`/api/incidents/${id}/resolve`, {})).status).toBe(202);
  await h.waitFor(id, ['Completed'], 30_000);
  return (await h.json<Read>(`/api/incidents/${id}`)).body;
}

/** What a root message or reply says (its card's headline), for reading the channel. */
const said = (m: { attachments: unknown }) => JSON.stringify(m.attachments);

describe('one Teams thread per incident', () => {
  it('a refused declaration is posted again before the next message, which then replies under it', async () => {
    const channel = useChannel();
    fake.inject({ kind: 'message', status: 403 });
    const { summary, timeline } = await incidentThrough();

    const roots = fake.channel(TEAM, channel);
    expect(roots).toHaveLength(1);
    expect(said(roots[0] as { attachments: unknown })).toContain('P2 INCIDENT');
    expect(roots[0]?.replies.map((r) => (said(r).includes('DECISION NEEDED') ? 'proposal' : said(r).includes('RESOLVED') ? 'resolved' : 'other'))).toEqual(['proposal', 'resolved']);
    expect(summary.teamsThreadId).toBe(roots[0]?.id);
    expect(timeline.map((e) => e.text)).toContainEqual(expect.stringMatching(/^Teams message "declared" not delivered: Not delivered/));

    // Both attempts are evidence: the refused one and the one that went through.
    const names: string[] = [];
    const container = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient('incident-evidence');
    for await (const b of container.listBlobsFlat({ prefix: packPrefix(summary) })) names.push(b.name.slice(packPrefix(summary).length));
    expect(names).toEqual(expect.arrayContaining(['messages/announce-declared.json', 'messages/announce-declared-attempt-2.json', 'messages/announce-proposal-proposal-1.json']));
  });

  it('when the declaration is refused again, the next message starts the thread and the later ones reply to it', async () => {
    const channel = useChannel();
    fake.inject({ kind: 'message', status: 403 }, { kind: 'message', status: 403 });
    const { summary, timeline } = await incidentThrough();

    const roots = fake.channel(TEAM, channel);
    expect(roots).toHaveLength(1);
    expect(said(roots[0] as { attachments: unknown })).toContain('DECISION NEEDED');
    expect(roots[0]?.replies.map((r) => said(r).includes('RESOLVED'))).toEqual([true]);
    expect(summary.teamsThreadId).toBe(roots[0]?.id);
    expect(timeline.map((e) => e.text)).toContainEqual('The declaration could not be posted; this "containment-proposed" message starts the incident\'s Teams thread instead.');
  });
});
