/**
 * Teams routing in the product app on the dev host (the incident orchestration and the Teams
 * activities from dist/, the local sink as the delivery): each incident's thread in its
 * environment's channel from the policy (the configured channel when the policy names none), the
 * destination's on-call paged for a P1 only, and an escalation step paging exactly its people.
 * The sink records the destination and the recipients of every message.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { messageReference } from '../../src/activities/teams.js';
import { LocalSinkTeams, type SinkRecord } from '../../src/adapters/teams-sink.js';
import { alertFixture, postAlert, withAlertId } from '../harness/alerts.js';
import { repoRoot } from '../harness/devhost.js';
import { useProductHost } from '../harness/product-host.js';

const sinkFile = path.join(mkdtempSync(path.join(tmpdir(), 'teams-routing-')), 'teams-outbox.jsonl');
const policyPath = path.join(repoRoot, 'test', 'fixtures', 'policy', 'teams-routing-policy.json');
const PROD = { teamId: '00000000-0000-0000-0000-0000000000f1', channelId: '19:prod-incidents@thread.tacv2' };
const BETA = { teamId: '00000000-0000-0000-0000-0000000000b1', channelId: '19:beta-incidents@thread.tacv2' };


const product = useProductHost({ env: { POLICY_PATH: policyPath, TEAMS_DELIVERY: 'local', TEAMS_SINK_FILE: sinkFile } });

async function declare(environment: string, severity: string, service = 'admin-api'): Promise<string> {
  const r = await product.h.json<{ incidentId: string }>('/api/incidents', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ service, environment, severity, summary: `${environment} ${service} 5xx after release`, actor: { id: 'sam@contoso.example' } }),
  });
  expect(r.status).toBe(201);
  return r.body.incidentId;
}

const of = async (incidentId: string): Promise<SinkRecord[]> => (await LocalSinkTeams.readAll(sinkFile)).filter((r) => r.incidentId === incidentId);

describe('Teams routing from the policy (local sink)', () => {
  it("threads each incident in its environment's channel, pages on-call for a P1, and an escalation pages exactly its people", async () => {
    const prod = await declare('Prod', 'P1');
    const beta = await declare('Beta', 'P2');
    const rtm = await declare('RTM', 'P2');
    // Each declaration, then the proposal as a reply in the thread.
    await vi.waitFor(
      async () => {
        await product.h.settle();
        for (const id of [prod, beta, rtm]) expect((await of(id)).filter((r) => r.op === 'reply').length).toBeGreaterThan(0);
      },
      { timeout: 20_000, interval: 100 },
    );
    for (const [id, destination] of [
      [prod, PROD],
      [beta, BETA],
      [rtm, null],
    ] as const) {
      const records = await of(id);
      const [declared, ...others] = records.filter((r) => r.op !== 'notify');
      expect(declared).toMatchObject({ op: 'post', kind: 'declared', destination });
      expect(others.length).toBeGreaterThan(0);
      // Every reply in the declaration's thread, in the same channel.
      expect(others.every((r) => r.op === 'reply' && r.threadId === declared?.threadId && JSON.stringify(r.destination) === JSON.stringify(destination))).toBe(true);
    }

    // On-call of the Prod destination paged for the P1; nobody paged for the P2 in Beta or RTM.
    const prodPages = (await of(prod)).filter((r) => r.op === 'notify');
    expect(prodPages.map((r) => [r.kind, r.recipients, r.destination])).toEqual([['declared', ['sre-oncall@contoso.example'], PROD]]);
    expect(prodPages[0]?.reference).toBe(messageReference(prod, 'teams/notify/on-call'));
    expect((await of(beta)).filter((r) => r.op === 'notify')).toEqual([]);
    expect((await of(rtm)).filter((r) => r.op === 'notify')).toEqual([]);
    const timeline = await product.h.json<{ timeline: { kind: string; text: string }[] }>(`/api/incidents/${prod}`);
    expect(timeline.body.timeline).toContainEqual(expect.objectContaining({ kind: 'message', text: expect.stringContaining('On-call (P1): Notified') as unknown }));

    // 15 minutes without an Incident Commander: the first escalation step (P1 only) pages its two people.
    await product.h.advance(15 * 60_000 + 1_000);
    await vi.waitFor(
      async () => {
        await product.h.settle();
        expect((await of(prod)).filter((r) => r.op === 'notify')).toHaveLength(2);
      },
      { timeout: 20_000, interval: 100 },
    );
    const escalation = (await of(prod)).filter((r) => r.op === 'notify')[1];
    expect(escalation).toMatchObject({
      kind: 'escalation',
      recipients: ['sre-deputy@contoso.example', '44444444-0000-0000-0000-000000000004'],
      destination: PROD,
      reference: messageReference(prod, 'teams/notify/announce/escalation/ic/0'),
    });
    // The escalation message itself is a reply in the Prod thread; the P2s have no P1-only step.
    expect((await of(prod)).some((r) => r.op === 'reply' && r.kind === 'escalation')).toBe(true);
    expect((await of(beta)).filter((r) => r.op === 'notify')).toEqual([]);
  });

  it('pages on-call once when a later alert raises the incident to P1', async () => {
    const web = await declare('Prod', 'P2', 'admin-web');
    await vi.waitFor(
      async () => {
        await product.h.settle();
        expect((await of(web)).some((r) => r.op === 'post' && r.kind === 'declared')).toBe(true);
      },
      { timeout: 20_000, interval: 100 },
    );
    expect((await of(web)).filter((r) => r.op === 'notify')).toEqual([]);
    for (const n of [1, 2]) {
      const doc = withAlertId(alertFixture('metric-5xx-fired.json'), `web-p1-${n}`, { alertRule: `prod-admin-web-5xx-${n}`, severity: 'Sev1' }) as { data: Record<string, unknown> };
      doc.data.customProperties = { service: 'admin-web', environment: 'Prod' };
      const alert = await postAlert(product.h, doc);
      expect(alert.body).toMatchObject({ kind: 'correlated', incidentId: web });
    }
    await vi.waitFor(
      async () => {
        await product.h.settle();
        const summary = await product.h.json<{ summary: { severity: string } }>(`/api/incidents/${web}`);
        expect(summary.body.summary.severity).toBe('P1');
        expect((await of(web)).filter((r) => r.op === 'notify')).toHaveLength(1);
      },
      { timeout: 20_000, interval: 100 },
    );
    // Both alerts were raised before the wait: once everything is handled, still one page.
    await product.h.settle();
    const pages = (await of(web)).filter((r) => r.op === 'notify');
    expect(pages).toHaveLength(1);
    const [page] = pages;
    expect(page).toMatchObject({ kind: 'declared', recipients: ['sre-oncall@contoso.example'], destination: PROD });
    // The page says first what the person is paged as, then the declaration.
    expect(page?.headline).toMatch(/^📟 You are paged as on-call \(P1\) for incident \S+\. 🚨 P1 INCIDENT — Prod/);
  });

  it('says on the timeline when the policy destination is unusable, and posts in the configured channel', async () => {
    const lab = await declare('Lab', 'P3');
    await vi.waitFor(
      async () => {
        await product.h.settle();
        expect((await of(lab)).some((r) => r.op === 'post' && r.kind === 'declared')).toBe(true);
      },
      { timeout: 20_000, interval: 100 },
    );
    expect((await of(lab)).find((r) => r.op === 'post')?.destination).toBeNull();
    const read = await product.h.json<{ timeline: { kind: string; text: string }[] }>(`/api/incidents/${lab}`);
    expect(read.body.timeline).toContainEqual(
      expect.objectContaining({
        kind: 'message',
        text: "The Teams destination of admin-api@Lab names a Teams teamId that must be the team (group) GUID: messages go to the app's configured Teams channel (TEAMS_TEAM_ID / TEAMS_CHANNEL_ID).",
      }),
    );
  });
});
