/**
 * End to end: the real `incident` orchestration of the product app (dist/; run `npm run build`)
 * on the dev host, from an Azure Monitor alert to a sealed evidence pack, against the wire-level
 * fakes (test/harness/product.ts): a bad release in production, the LKG in staging.
 */
import { BlobServiceClient } from '@azure/storage-blob';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { repoRoot } from '../harness/devhost.js';
import { APPROVER, BAD, LEGACY_FLAG, LKG, MINUTE, ProductWorld, SITE, principal } from '../harness/product.js';
import { expectRollbackThread } from '../harness/product-thread.js';

let w: ProductWorld;

beforeAll(async () => {
  w = await ProductWorld.start();
  expect((await w.recordLkg()).status).toBe(201);
});
afterAll(async () => {
  await w?.stop();
});
beforeEach(() => w.reset());

const html = { accept: 'text/html' };
const texts = (r: { timeline: { text: string }[] }): string[] => r.timeline.map((t) => t.text);

function evidenceCli(...argv: string[]) {
  const res = spawnSync(process.execPath, [path.join(repoRoot, 'dist', 'src', 'cli', 'evidence.js'), ...argv], {
    env: { PATH: process.env.PATH, AzureWebJobsStorage: w.azurite.connectionString },
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { code: res.status, out: res.stdout, err: res.stderr };
}

describe('bad release, a person approves the rollback', () => {
  it('declares, proposes API to LKG, swaps once on approval, stabilizes, resolves and seals the evidence', async () => {
    w.breakProduction();
    const alert = await w.fireAlert();
    expect(alert.status).toBe(202);
    expect(alert.body).toMatchObject({ kind: 'declared', severity: { level: 'P1' } });
    const id = alert.body.incidentId as string;
    expect((await w.post(`/api/incidents/${id}/ack`, { role: 'ic' }, principal('sam.lee@contoso.example', 'bbbbbbbb-0000-4000-8000-000000000002'))).status).toBe(202);

    // The first-15-minutes snapshot: red checks, what runs in which slot, the proposal.
    const deciding = await w.until(id, (r) => r.runtime.customStatus?.phase === 'deciding', 'the decision');
    expect(deciding.runtime.customStatus).toMatchObject({ proposal: { path: 'api-to-lkg' }, lastChecks: { verdict: 'red' }, rolledBack: false, frozen: false });
    expect(deciding.runtime.customStatus?.lastChecks?.reasons).toContainEqual(expect.stringContaining('/ready answered 503'));
    expect(texts(deciding)).toContainEqual(expect.stringMatching(/^Snapshot: .*production runs r42 \(build b42\); staging runs r41 \(build b41\)/));
    expect(texts(deciding)).toContainEqual(expect.stringMatching(/^Proposed containment: api-to-lkg \(API symptoms .*roll the API back to r41/));
    let thread = await w.teams(id);
    expect(thread.map((m) => [m.op, m.kind])).toEqual([
      ['post', 'declared'],
      ['reply', 'containment-proposed'],
    ]);
    expect(thread[0]?.headline).toMatch(/^🚨 P1 INCIDENT — Prod — prod-api-http5xx-rate/);
    expect(thread[1]?.threadId).toBe(thread[0]?.messageId);
    expect(thread[1]?.headline).toContain('API to last known good: r42 -> r41 (slot swap)');
    expect(w.swaps()).toBe(0);

    // The release manager opens the signed link (a confirmation page records nothing), then confirms.
    const link = await w.approvalPath(id, 'Roll back API to last known good');
    const who = principal(APPROVER.upn, APPROVER.oid);
    const page = await w.host.fetch(link, { headers: { ...html, ...who } });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('API to last known good: r42 -&#62; r41');
    await w.host.settle();
    expect((await w.incident(id)).runtime.customStatus?.decision).toBeNull();
    const confirm = await w.host.fetch(link, { method: 'POST', headers: { ...html, ...who, 'content-type': 'application/x-www-form-urlencoded' }, body: 'choice=api-to-lkg' });
    expect(confirm.status).toBe(200);
    expect(await confirm.text()).toContain('Decision recorded');

    // Containment: freeze, one swap on ARM (and so in the target app), green checks, monitoring.
    const monitoring = await w.until(id, (r) => r.runtime.customStatus?.phase === 'monitoring', 'monitoring');
    expect(monitoring.runtime.customStatus).toMatchObject({ decision: { choice: 'api-to-lkg', by: APPROVER.upn }, rolledBack: true, frozen: true, lastChecks: { verdict: 'green' } });
    expect(w.swaps()).toBe(1);
    expect(w.arm.swapRequests()[0]).toMatchObject({ path: expect.stringMatching(new RegExp(`/sites/${SITE}/slotsswap$`)) as unknown, body: { targetSlot: 'staging' } });
    expect(w.arm.buildOf(SITE, 'production')).toBe(LKG.buildId);
    expect(w.target.build('production')).toEqual(LKG);
    expect(w.target.build('staging')).toEqual(BAD);
    expect(await w.freeze()).toMatchObject({ frozen: true, incidentId: id });
    const decision = monitoring.timeline.find((t) => t.kind === 'decision');
    expect(decision).toMatchObject({ actor: `${APPROVER.upn} (${APPROVER.oid})`, text: 'Containment decision: api-to-lkg.' });
    expect(texts(monitoring)).toContainEqual(expect.stringMatching(/^api-to-lkg: done: admin-api \(Prod\): swapped admin-api-prod\/staging into production .*production now runs LKG r41 \(build b41\) \(verified\)/));
    expect(w.sqlWrites()).toBe(0);

    // The monitoring window (30 min) passes with green checks: resolved, freeze lifted.
    await w.advance(30 * MINUTE);
    const resolved = await w.resolved(id);
    expect(resolved.summary).toMatchObject({ status: 'resolved', phase: 'closed' });
    expect(await w.freeze()).toMatchObject({ frozen: false });
    expect(w.swaps()).toBe(1);
    const story = texts(resolved);
    expect(story).toContainEqual(expect.stringMatching(/^Deploys to Prod frozen for incident/));
    expect(story).toContainEqual(expect.stringMatching(/^Deploy freeze on Prod lifted/));
    expect(story).toContainEqual(expect.stringMatching(/^Evidence pack sealed: manifest SHA-256 [0-9a-f]{64}/));

    thread = await w.teams(id);
    const kinds = thread.map((m) => m.kind);
    // Acknowledged, so no escalation; status updates on the P1 cadence (every 15 min) in between.
    expectRollbackThread(kinds.filter((k) => k !== 'update'));
    expect(kinds.filter((k) => k === 'update').length).toBeGreaterThanOrEqual(1);
    expect(thread.find((m) => m.kind === 'resolved')?.headline).toMatch(/^✅ RESOLVED .* Prod — admin-api/);
    // Everything of the incident replies in its thread; the freeze and its lift are the
    // environment's news, posted on their own in the channel.
    const [freezes, incidentThread] = [thread.filter((m) => m.kind.startsWith('deploy-')), thread.filter((m) => !m.kind.startsWith('deploy-'))];
    expect(freezes.map((m) => [m.op, m.kind])).toEqual([['post', 'deploy-freeze'], ['post', 'deploy-unfreeze']]);
    expect(incidentThread.slice(1).every((m) => m.op === 'reply' && m.threadId === incidentThread[0]?.messageId)).toBe(true);
    expect(new Set(thread.map((m) => m.reference)).size).toBe(thread.length);

    // The pack verifies with the built CLI, and it names the approver.
    const verify = evidenceCli('verify', id);
    expect(verify.err).toBe('');
    expect(verify.code).toBe(0);
    const container = BlobServiceClient.fromConnectionString(w.azurite.connectionString).getContainerClient('incident-evidence');
    const names: string[] = [];
    for await (const b of container.listBlobsFlat({ prefix: `Prod/2026/11/${id}/` })) names.push(b.name.split(`${id}/`)[1] ?? b.name);
    expect(names).toEqual(expect.arrayContaining(['manifest.json', 'incident.json', 'timeline.json', 'postmortem.md', 'approvals/decision-1.json']));
    // The timeline's evidence line counts the whole pack (every artifact but the manifest), not the last write's share.
    expect(story).toContainEqual(expect.stringContaining(`Evidence: ${names.length - 1} written, 0 already stored unchanged, 0 refused.`));
    const blob = async (name: string): Promise<unknown> => JSON.parse((await container.getBlobClient(`Prod/2026/11/${id}/${name}`).downloadToBuffer()).toString('utf8')) as unknown;
    expect(await blob('approvals/decision-1.json')).toMatchObject({ approver: { id: APPROVER.oid, name: APPROVER.upn, via: 'approval-link' }, decision: 'api-to-lkg', proposalId: 'proposal-1' });
    expect(await blob('timeline.json')).toContainEqual(expect.objectContaining({ kind: 'decision', actor: `${APPROVER.upn} (${APPROVER.oid})` }));
    expect(await blob('incident.json')).toMatchObject({ release: { current: 'r42', lkg: 'r41', restored: 'r41' }, containment: { choice: 'api-to-lkg', decidedBy: APPROVER.upn, automatic: false } });
    // A rollback does not make the bad release the LKG.
    expect((await w.host.json<{ current: { releaseTag: string } }>('/api/lkg/Prod/admin-api')).body.current).toMatchObject({ releaseTag: 'r41' });
  }, 60_000);
});

describe('nobody answers', () => {
  it('rolls back by itself at the decision deadline of a P1 and says so in Teams', async () => {
    w.breakProduction();
    const alert = await w.fireAlert();
    const id = alert.body.incidentId as string;
    await w.until(id, (r) => r.runtime.customStatus?.phase === 'deciding', 'the decision');
    await w.advance(9 * MINUTE, MINUTE);
    expect((await w.incident(id)).runtime.customStatus).toMatchObject({ phase: 'deciding', rolledBack: false });
    expect(w.swaps()).toBe(0);

    await w.advance(MINUTE);
    const after = await w.until(id, (r) => r.runtime.customStatus?.phase === 'monitoring', 'monitoring after the automatic rollback');
    expect(after.runtime.customStatus).toMatchObject({ decision: { choice: 'api-to-lkg', by: 'incident-bot (timebox)' }, rolledBack: true, frozen: true, lastChecks: { verdict: 'green' } });
    expect(texts(after)).toContainEqual('Nobody decided in time: rolling back to the last known good release.');
    expect(after.timeline.some((t) => t.kind === 'decision')).toBe(false);
    expect(w.swaps()).toBe(1);
    expect(w.target.build('production')).toEqual(LKG);
    expect(await w.freeze()).toMatchObject({ frozen: true, incidentId: id });

    // Nobody acknowledged either: the escalation chain (15 min) is paged, in the thread and the feed.
    await w.advance(5 * MINUTE, MINUTE);
    const thread = (await w.teams(id)).filter((m) => m.kind !== 'update');
    expect(thread.map((m) => [m.op, m.kind])).toEqual([
      ['post', 'declared'],
      ['reply', 'containment-proposed'],
      ['post', 'deploy-freeze'],
      ['reply', 'rollback-started'],
      ['reply', 'stabilized'],
      // The people first (activity feed), then the thread.
      ['notify', 'escalation'],
      ['reply', 'escalation'],
    ]);
    expect(thread[1]?.text).toContain('if nobody answers, the automation rolls back to LKG r41');
    expect(thread[2]?.text).toMatch(/Prod/);
    expect(thread[3]?.text).toContain('nobody decided within the timebox. Reverting to LKG r41 now.');
    expect(thread[3]?.text).toContain('Deploy freeze: in place for Prod');
    expect(thread[6]?.text).toContain('No Incident Commander 15 min after the declaration: escalated to sre-deputy@contoso.example');

    // A person closes it; the freeze this incident set is lifted.
    expect((await w.post(`/api/incidents/${id}/resolve`, { summary: 'rolled back to r41' }, principal(APPROVER.upn, APPROVER.oid))).status).toBe(202);
    await w.resolved(id);
    expect(await w.freeze()).toMatchObject({ frozen: false });
    expect(w.swaps()).toBe(1);
  });
});

describe('drill', () => {
  it('runs the runbook in plan mode: every action planned, no swap, no SQL write, nothing posted; ends by itself with a sealed pack', async () => {
    // A flag turned on 20 minutes ago, and the bad release: the drill has SQL and ARM work to plan.
    w.breakProduction();
    w.sql.db.seedFlag({ flagKey: LEGACY_FLAG, scope: 'Prod', isEnabled: true });
    w.sql.db.seedAudit({ createdAt: new Date(w.now() - 20 * MINUTE), actor: 'sam.lee@contoso.example', requestId: 'portal-1', entityType: 'FeatureFlag', entityKey: LEGACY_FLAG, scope: 'Prod', field: 'IsEnabled', action: 'Update', beforeValue: '0', afterValue: '1', description: null });
    const drill = await w.post<{ incidentId: string; drill: boolean }>('/api/incidents', { service: 'admin-api', environment: 'Prod', summary: 'game day: bad release', severity: 'P1', dryRun: true });
    expect(drill.status).toBe(201);
    expect(drill.body.drill).toBe(true);
    const id = drill.body.incidentId;
    const deciding = await w.until(id, (r) => r.runtime.customStatus?.phase === 'deciding', 'the decision');
    expect(deciding.runtime.customStatus).toMatchObject({ proposal: { path: 'revert-config' } });

    // Nobody decides: at the deadline the drill plans the flag revert and the rollback, checks once, and ends.
    await w.advance(11 * MINUTE, MINUTE);
    await w.resolved(id);

    const story = texts(await w.incident(id));
    expect(story).toContainEqual(expect.stringMatching(/^Reverting EnableLegacyHttpSse and rolling back to the last known good release \(nobody decided within the timebox\)/));
    expect(story).toContainEqual(expect.stringMatching(/^set-flag: planned: Plan: .*EnableLegacyHttpSse/));
    expect(story).toContainEqual(expect.stringMatching(/^Plan: .*freeze/i));
    expect(story).toContainEqual(expect.stringMatching(/^Drill complete: the containment was planned, not carried out/));
    // The drill's evidence is its output: written and sealed like a real incident's.
    expect(story.filter((t) => t.startsWith('Evidence pack'))).toEqual([expect.stringMatching(/^Evidence pack sealed: manifest SHA-256 [0-9a-f]{64}\./)]);
    expect(story).toContainEqual('api-to-lkg: planned: Plan: admin-api (Prod): swap admin-api-prod/staging into production: production r42 (build b42) -> LKG r41 (build b41).');
    // Every action of the drill reported "planned": none was done, skipped or refused.
    const outcomes = story.flatMap((t) => /^(set-flag|set-config|api-to-lkg|web-to-lkg): (\w+):/.exec(t)?.[2] ?? []);
    expect(outcomes.length).toBeGreaterThanOrEqual(2);
    expect(new Set(outcomes)).toEqual(new Set(['planned']));

    expect(w.swaps()).toBe(0);
    expect(w.sqlWrites()).toBe(0);
    expect(w.sql.callsOf('dbo.sp_Audit_Recent').length).toBeGreaterThan(0); // it did read
    expect(w.sql.db.flag(LEGACY_FLAG, 'Prod')?.isEnabled).toBe(true);
    expect(await w.teams(id)).toEqual([]);
    expect(await w.freeze()).toMatchObject({ frozen: false });
    expect(w.target.build('production')).toEqual(BAD);
  });
});
