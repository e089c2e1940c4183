/**
 * Teams figures: rendering cost per message kind, and the latency of posting an incident
 * declaration through the real Graph client (token, middleware, fetch, TLS) to the loopback Graph
 * fake: the automation's share of "alert -> declared in Teams". Each post uses a fresh port (an
 * idle channel queue), as the first message of an incident does.
 */
import { performance } from 'node:perf_hooks';
import { prepareMessage } from '../../src/activities/teams.js';
import { createTeamsPort } from '../../src/app/teams.js';
import { readTeamsSettings } from '../../src/config/teams.js';
import { renderMessage } from '../../src/domain/messages/render.js';
import { IncidentMessage, type MessageKind } from '../../src/domain/messages/types.js';
import { DELEGATED_CLAIMS, GraphFake } from '../../src/lab/graph-server.js';
import { testCredential } from '../fakes/credentials.js';
import { samples } from '../fixtures/teams/messages.js';
import type { BenchResult } from './run.js';
import { round, summary } from './stats.js';

export async function teamsBenchmarks(emit: (r: BenchResult) => void): Promise<void> {
  const ctx = { reference: '0'.repeat(32), approvalLinks: { 'accept-proposal': 'https://app.example.net/api/approvals/x' } };
  for (const kind of Object.keys(samples) as MessageKind[]) {
    const input = IncidentMessage.parse(samples[kind]);
    for (let i = 0; i < 200; i++) renderMessage(input, ctx);
    const n = 2000;
    const t0 = performance.now();
    for (let i = 0; i < n; i++) renderMessage(input, ctx);
    emit({ bench: 'teams.render', kind, microsPerMessage: round(((performance.now() - t0) / n) * 1000) });
  }

  const fake = await GraphFake.start();
  const trust = await fake.trust();
  try {
    const settings = readTeamsSettings({
      TEAMS_DELIVERY: 'channel',
      TEAMS_GRAPH_URL: fake.url,
      TEAMS_TENANT_ID: '00000000-0000-0000-0000-0000000000aa',
      TEAMS_TEAM_ID: '5b7a2c1e-0000-4000-8000-00000000c0de',
      TEAMS_CHANNEL_ID: '19:bench@thread.tacv2',
      TEAMS_CLIENT_ID: '11111111-0000-0000-0000-000000000001',
      TEAMS_TOKEN_FILE: '/nonexistent/unused.json',
    });
    if (!settings.ok) throw new Error(JSON.stringify(settings.issues));
    const declared = IncidentMessage.parse(samples.declared);
    const latencies: number[] = [];
    for (let i = 0; i < 60; i++) {
      const port = createTeamsPort(settings.settings, { delegatedCredential: testCredential(DELEGATED_CLAIMS), fetchOptions: trust.options });
      const t0 = performance.now();
      const { outgoing } = prepareMessage(declared, declared.incidentId, `teams/declared/${i}`, undefined);
      await port.post(outgoing, { deadline: Date.now() + 60_000 });
      if (i >= 10) latencies.push(performance.now() - t0);
    }
    emit({ bench: 'teams.declare', via: 'graph-client->https loopback fake', latencyMs: summary(latencies) });
  } finally {
    await trust.close();
    await fake.stop();
  }
}
