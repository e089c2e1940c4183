/**
 * The close of an incident and the postmortem reminder, end to end in the product app on the dev
 * host (loaded from dist/: run `npm run build` first), with Azurite (Durable history, incident
 * tables, step ledger, LKG registry and freeze, evidence), the ARM fake (slot swaps, slot builds),
 * the simulated target app (smoke checks) and the local Teams sink, on a manual clock:
 *   - a rolled-back incident: its sealed pack holds "rollback executed", the freeze lift and
 *     "resolved" (with the postmortem due date and the draft link); `evidence verify` passes;
 *   - a clean monitoring window: its sealed pack holds the LKG record, which links to the pack's
 *     manifest; `evidence verify` passes;
 *   - the postmortem reminder (timer function postmortemReminders): nothing before the due date;
 *     on it, one "postmortem due" reply in the incident's thread however often the sweep runs,
 *     on the timeline; never for a drill.
 */
import { BlobServiceClient } from '@azure/storage-blob';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { LocalSinkTeams } from '../../src/adapters/teams-sink.js';
import { packPrefix } from '../../src/domain/evidence.js';
import type { IncidentSummary, TimelineEntry } from '../../src/domain/incident.js';
import { ArmFake } from '../../src/lab/arm-server.js';
import { startTargetApp, type TargetApp } from '../../src/lab/target-app.js';
import { repoRoot } from '../harness/devhost.js';
import { useProductHost } from '../harness/product-host.js';

const SUB = '00000000-0000-4000-8000-000000000002';
const MIN = 60_000;
const ENV_KEYS = ['POLICY_PATH', 'TEAMS_DELIVERY', 'TEAMS_SINK_FILE', 'APPSERVICE_ARM_ENDPOINT', 'APPSERVICE_ARM_CA_FILE', 'APPSERVICE_MANAGED_IDENTITY_CLIENT_ID', 'APPSERVICE_POLL_INTERVAL_MS', 'IDENTITY_ENDPOINT', 'IDENTITY_HEADER', 'LKG_TABLE', 'FREEZE_TABLE'];

let arm: ArmFake;
let target: TargetApp;
let dir: string;
let sinkFile: string;

function policy(targetUrl: string) {
  const timeboxes = {
    P1: { ackMinutes: 15, decisionMinutes: 10, noDecision: 'rollback', containmentMinutes: 15, recoveryMinutes: 30, monitoringMinutes: 60, updateEveryMinutes: 15 },
    P2: { ackMinutes: 30, decisionMinutes: 20, noDecision: 'escalate', containmentMinutes: 30, recoveryMinutes: 30, monitoringMinutes: 30, updateEveryMinutes: 30 },
    P3: { ackMinutes: 120, decisionMinutes: 120, noDecision: 'escalate', containmentMinutes: 240, recoveryMinutes: 60, monitoringMinutes: 30, updateEveryMinutes: 120 },
  };
  const slotSwap = (site: string) => ({ strategy: 'slot-swap', subscriptionId: SUB, resourceGroup: 'rg-shop-prod', site, build: { from: 'setting', name: 'APP_BUILD_ID', releaseName: 'APP_RELEASE' } });
  const endpoints = { baseUrl: targetUrl, health: '/healthz', ready: '/ready' };
  return {
    version: 1,
    bot: { actor: 'incident-bot' },
    environments: { Prod: { triggerSeverity: 'P1' } },
    severity: { azure: { Sev0: 'P1', Sev1: 'P1', Sev2: 'P2', Sev3: 'P3', Sev4: 'P3' }, whenUnsure: 'P2' },
    triggers: [],
    timeboxes,
    approvers: ['release.manager@contoso.example'],
    services: [
      { service: 'shop-api', environment: 'Prod', match: { properties: { service: 'shop-api' } }, rollback: { api: slotSwap('shop-api-prod') }, endpoints },
      { service: 'shop-jobs', environment: 'Prod', match: { properties: { service: 'shop-jobs' } }, rollback: { api: slotSwap('shop-jobs-prod') }, endpoints },
      { service: 'status-page', environment: 'Prod', match: { properties: { service: 'status-page' } } },
    ],
  };
}

beforeAll(async () => {
  arm = await new ArmFake().start();
  arm.addSite({ subscriptionId: SUB, resourceGroup: 'rg-shop-prod', name: 'shop-api-prod', slots: { production: { APP_BUILD_ID: 'b42', APP_RELEASE: 'r42' }, staging: { APP_BUILD_ID: 'b41', APP_RELEASE: 'r41' } } });
  arm.addSite({ subscriptionId: SUB, resourceGroup: 'rg-shop-prod', name: 'shop-jobs-prod', slots: { production: { APP_BUILD_ID: 'b50', APP_RELEASE: 'r50' }, staging: { APP_BUILD_ID: 'b49', APP_RELEASE: 'r49' } } });
  target = await startTargetApp();
  dir = mkdtempSync(path.join(tmpdir(), 'incident-close-'));
  writeFileSync(path.join(dir, 'arm-ca.pem'), arm.ca);
  writeFileSync(path.join(dir, 'policy.json'), JSON.stringify(policy(target.url('production'))));
  sinkFile = path.join(dir, 'teams-outbox.jsonl');
}, 60_000);
afterAll(async () => {
  await target?.stop();
  await arm?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
  for (const k of ENV_KEYS) delete process.env[k];
});
// Started after the fakes above and stopped before them (after-hooks run in reverse).
const product = useProductHost(
  () => ({
    logLevel: 'debug',
    env: {
      POLICY_PATH: path.join(dir, 'policy.json'),
      TEAMS_DELIVERY: 'local',
      TEAMS_SINK_FILE: sinkFile,
      APPSERVICE_ARM_ENDPOINT: arm.armUrl,
      APPSERVICE_ARM_CA_FILE: path.join(dir, 'arm-ca.pem'),
      APPSERVICE_MANAGED_IDENTITY_CLIENT_ID: '11111111-2222-3333-4444-555555555555',
      APPSERVICE_POLL_INTERVAL_MS: '10',
      IDENTITY_ENDPOINT: arm.identityEndpoint,
      IDENTITY_HEADER: arm.identityHeader,
      LKG_TABLE: 'LkgClose',
      FREEZE_TABLE: 'FreezeClose',
    },
  }),
  60_000,
);

const post = (p: string, body: unknown) =>
  product.h.json<Record<string, unknown>>(p, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

interface Read {
  summary: IncidentSummary;
  timeline: TimelineEntry[];
}

async function incidentWhen(id: string, ready: (b: Read) => boolean, timeoutMs = 20_000): Promise<Read> {
  let body: Read | undefined;
  await vi.waitFor(
    async () => {
      await product.h.settle();
      body = (await product.h.json<Read>(`/api/incidents/${id}`)).body;
      expect(ready(body)).toBe(true);
    },
    { timeout: timeoutMs, interval: 50 },
  );
  return body as Read;
}

async function declare(service: string, severity: 'P1' | 'P2', extra: Record<string, unknown> = {}): Promise<string> {
  const res = await post('/api/incidents', { service, environment: 'Prod', summary: `${service}: 5xx after the release`, severity, ...extra });
  expect(res.status).toBe(201);
  return res.body.incidentId as string;
}

function container() {
  return BlobServiceClient.fromConnectionString(product.azurite.connectionString).getContainerClient('incident-evidence');
}

async function pack(s: IncidentSummary): Promise<{ prefix: string; names: string[]; json: (name: string) => Promise<Record<string, unknown>> }> {
  const prefix = packPrefix(s);
  const names: string[] = [];
  for await (const b of container().listBlobsFlat({ prefix })) names.push(b.name.slice(prefix.length));
  const json = async (name: string) => JSON.parse((await container().getBlobClient(prefix + name).downloadToBuffer()).toString('utf8')) as Record<string, unknown>;
  return { prefix, names: names.sort(), json };
}

function verify(incidentId: string) {
  const res = spawnSync(process.execPath, [path.join(repoRoot, 'dist', 'src', 'cli', 'evidence.js'), 'verify', incidentId], {
    env: { PATH: process.env.PATH, AzureWebJobsStorage: product.azurite.connectionString },
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { code: res.status, out: res.stdout, err: res.stderr };
}

const sink = async (incidentId: string) => (await LocalSinkTeams.readAll(sinkFile)).filter((r) => r.incidentId === incidentId);

describe('closing an incident: the sealed pack holds the whole story', () => {
  it('rolled back: "rollback executed", the freeze lift and "resolved" are in the pack, and it verifies', async () => {
    expect((await post('/api/lkg', { env: 'Prod', service: 'shop-api', releaseTag: 'r41', buildId: 'b41', evidenceUrl: 'https://evidence.example/r41/', recordedBy: { id: 'pipeline' } })).status).toBe(201);
    const id = await declare('shop-api', 'P1');
    await incidentWhen(id, (b) => b.summary.phase === 'deciding');
    expect((await post(`/api/incidents/${id}/rollback`, { reason: 'customers failing', actor: { id: 'riley@contoso.example' } })).status).toBe(202);
    await incidentWhen(id, (b) => b.summary.phase === 'monitoring');
    expect(arm.buildOf('shop-api-prod', 'production')).toBe('b41');
    expect((await product.h.json<{ frozen: boolean }>('/api/freeze/Prod')).body.frozen).toBe(true);
    expect((await post(`/api/incidents/${id}/resolve`, { actor: { id: 'riley@contoso.example' } })).status).toBe(202);
    await product.h.waitFor(id, ['Completed'], 30_000);
    expect((await product.h.json<{ frozen: boolean }>('/api/freeze/Prod')).body.frozen).toBe(false);

    const { summary, timeline } = (await product.h.json<Read>(`/api/incidents/${id}`)).body;
    expect(summary.postmortem).toEqual({ dueAt: expect.stringMatching(/^2026-01-06T/) as unknown, dueBusinessDays: 3, reminder: null, doneAt: null });
    const p = await pack(summary);
    expect(summary.evidence).toMatchObject({ location: `incident-evidence/${p.prefix}`, postmortemUrl: container().getBlobClient(`${p.prefix}postmortem.md`).url });
    expect(p.names).toEqual(expect.arrayContaining(['manifest.json', 'postmortem.md', 'messages/announce-rollback-executed.json', 'rollback/freeze-off.json', 'messages/announce-resolved.json']));
    const resolved = await p.json('messages/announce-resolved.json');
    expect(resolved).toMatchObject({ template: 'resolved', delivered: true });
    expect(resolved.text).toContain('Postmortem due: 2026-01-06 (Tue), 3 business days after resolution (Mon–Fri, UTC)');
    expect(resolved.text).toContain(`Open postmortem: ${summary.evidence?.postmortemUrl ?? '?'}`);
    expect(await p.json('rollback/freeze-off.json')).toMatchObject({ action: 'appService_clearDeployFreeze', outcome: { kind: 'done' } });
    // The pack's timeline has the freeze lift; only the seal's own line and the postmortem draft's
    // action items (recorded from what the seal wrote) come after it.
    const packed = (await p.json('timeline.json')) as unknown as TimelineEntry[];
    expect(packed.map((e) => e.text)).toContainEqual(expect.stringMatching(/freeze/i));
    const after = timeline.filter((e) => !packed.some((x) => x.seq === e.seq));
    expect(after.map((e) => e.kind)).toEqual(['evidence', 'evidence']);
    expect(after[1]?.text).toMatch(/^Postmortem draft: \d+ action item\(s\).*; track them with POST \/api\/incidents\/.*\/actions\.$/);
    // The resolution message went out in the thread the declaration started.
    const sent = await sink(id);
    expect(sent.map((r) => [r.op, r.kind])).toContainEqual(['reply', 'resolved']);
    // (The freeze and its lift are posted on their own in the environment's channel.)
    expect(new Set(sent.filter((r) => !r.kind.startsWith('deploy-')).map((r) => r.threadId))).toEqual(new Set([summary.teamsThreadId]));
    expect(sent.filter((r) => r.kind.startsWith('deploy-')).map((r) => [r.op, r.kind])).toEqual([['post', 'deploy-freeze'], ['post', 'deploy-unfreeze']]);

    const v = verify(id);
    expect(v.err).toBe('');
    expect(v.code).toBe(0);
  });

  it('a clean monitoring window: the LKG record, linked to the pack it is sealed in, and "resolved" are in the pack, and it verifies', async () => {
    const id = await declare('shop-jobs', 'P2');
    await incidentWhen(id, (b) => b.summary.phase === 'deciding');
    expect((await post(`/api/incidents/${id}/decision`, { choice: 'monitor-only', actor: { id: 'riley@contoso.example' } })).status).toBe(202);
    await incidentWhen(id, (b) => b.summary.phase === 'monitoring');
    for (let i = 0; i < 7 && (await product.h.status(id))?.runtimeStatus !== 'Completed'; i++) await product.h.advance(5 * MIN);
    await product.h.waitFor(id, ['Completed'], 30_000);

    const { summary } = (await product.h.json<Read>(`/api/incidents/${id}`)).body;
    const p = await pack(summary);
    expect(p.names).toEqual(expect.arrayContaining(['manifest.json', 'rollback/lkg-record.json', 'messages/announce-resolved.json']));
    expect(p.names).not.toContain('messages/announce-rollback-executed.json');
    expect(await p.json('rollback/lkg-record.json')).toMatchObject({ action: 'appService_recordLkg', outcome: { kind: 'done' } });
    const lkg = await product.h.json<{ current: { releaseTag: string; evidenceUrl: string } }>('/api/lkg/Prod/shop-jobs');
    expect(lkg.body.current).toMatchObject({ releaseTag: 'r50', evidenceUrl: container().getBlobClient(`${p.prefix}manifest.json`).url });
    expect(summary.evidence?.manifestUrl).toBe(lkg.body.current.evidenceUrl);

    const v = verify(id);
    expect(v.err).toBe('');
    expect(v.code).toBe(0);
  });
});

describe('postmortem reminder (timer function postmortemReminders)', () => {
  const runs = () => product.h.logs.filter((l) => l.category === 'Function.postmortemReminders' && l.message.startsWith('Postmortem reminders:')).length;
  async function sweepNow(): Promise<void> {
    const before = runs();
    expect((await product.h.fetch('/admin/functions/postmortemReminders', { method: 'POST' })).status).toBe(202);
    await vi.waitFor(() => expect(runs()).toBeGreaterThan(before), { timeout: 10_000, interval: 20 });
  }
  const reminders = async (id: string) => (await sink(id)).filter((r) => r.kind === 'postmortem-due');

  it('nothing before the due date; on it, one reply in the thread with the draft link, on the timeline, however often it runs; never for a drill', async () => {
    const id = await declare('status-page', 'P2');
    const drill = await declare('status-page', 'P1', { dryRun: true });
    await incidentWhen(id, (b) => b.summary.phase === 'deciding');
    await incidentWhen(drill, (b) => b.summary.phase === 'deciding');
    expect((await post(`/api/incidents/${id}/resolve`, {})).status).toBe(202);
    expect((await post(`/api/incidents/${drill}/resolve`, {})).status).toBe(202);
    await product.h.waitFor(id, ['Completed'], 30_000);
    await product.h.waitFor(drill, ['Completed'], 30_000);
    const { summary } = (await product.h.json<Read>(`/api/incidents/${id}`)).body;
    // Resolved Thursday 2026-01-01: due Tuesday 2026-01-06 (Friday, Monday, Tuesday).
    expect(summary.postmortem?.dueAt.slice(0, 10)).toBe('2026-01-06');
    expect(summary.teamsThreadId).toMatch(/^local:/);

    // The last minutes before the due date: the scheduled runs and one on demand send nothing.
    await product.h.advance(Date.parse('2026-01-05T23:50:00Z') - product.h.clock.now());
    await sweepNow();
    expect(await reminders(id)).toEqual([]);

    // The due date: the scheduled run at 00:00 sends it; two more runs send nothing more.
    await product.h.advance(20 * MIN);
    await vi.waitFor(async () => expect(await reminders(id)).toHaveLength(1), { timeout: 10_000, interval: 50 });
    await sweepNow();
    await sweepNow();
    const sent = await reminders(id);
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ op: 'reply', threadId: summary.teamsThreadId, importance: 'normal' });
    expect(sent[0]?.text).toContain('📝 Postmortem due 2026-01-06 (Tue) — P2 Prod — status-page');
    expect(sent[0]?.text).toContain(`Open draft: ${summary.evidence?.postmortemUrl ?? '?'}`);

    const after = (await product.h.json<Read>(`/api/incidents/${id}`)).body;
    expect(after.summary.postmortem?.reminder).toMatchObject({ state: 'sent', attempts: 1, messageId: sent[0]?.messageId, at: expect.stringMatching(/^2026-01-06T00:/) as unknown });
    const line = after.timeline.filter((e) => e.kind === 'postmortem-reminder');
    expect(line).toHaveLength(1);
    expect(line[0]).toMatchObject({ actor: 'incident-bot', at: expect.stringMatching(/^2026-01-06T00:/) as unknown });
    expect(line[0]?.text).toContain('Postmortem due 2026-01-06: reminder posted');
    expect(await reminders(drill)).toEqual([]);
  });
});
