/**
 * End to end: a feature flag turned on shortly before the alert is the cause. The real `incident`
 * orchestration (dist/) reads the audit trail from the SQL target (TDS fake, real mssql driver),
 * proposes reverting the flag, and after approval reverts it through dbo.sp_Feature_Set as the bot
 * with a RequestId of incident + step. The target app reads its flags from the same database, so
 * the config-parity check goes green once the flag is off. No slot is swapped.
 */
import { BlobServiceClient } from '@azure/storage-blob';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APPROVER, BAD, BOT, LEGACY_FLAG, MINUTE, ProductWorld, SITE, principal } from '../harness/product.js';

let w: ProductWorld;

beforeAll(async () => {
  // The policy's parity check: production runs with EnableLegacyHttpSse off (critical).
  w = await ProductWorld.start({ flagParity: true });
  expect((await w.recordLkg()).status).toBe(201);
});
afterAll(async () => {
  await w?.stop();
});

describe('config change caused it', () => {
  it('proposes reverting the flag, reverts it through the stored procedure as the bot, and swaps nothing', async () => {
    w.sql.db.seedFlag({ flagKey: LEGACY_FLAG, scope: 'Prod', isEnabled: true });
    w.sql.db.seedAudit({
      createdAt: new Date(w.now() - 20 * MINUTE),
      actor: 'sam.lee@contoso.example',
      requestId: 'portal-7f3a',
      entityType: 'FeatureFlag',
      entityKey: LEGACY_FLAG,
      scope: 'Prod',
      field: 'IsEnabled',
      action: 'Update',
      beforeValue: '0',
      afterValue: '1',
      description: 'try the legacy transport',
    });
    const alert = await w.fireAlert();
    expect(alert.body).toMatchObject({ kind: 'declared', severity: { level: 'P1' } });
    const id = alert.body.incidentId as string;

    const deciding = await w.until(id, (r) => r.runtime.customStatus?.phase === 'deciding', 'the decision');
    expect(deciding.runtime.customStatus).toMatchObject({ proposal: { path: 'revert-config' }, lastChecks: { verdict: 'red' } });
    // The parity drift is the finding; a loaded machine may add a latency one (a real-time budget).
    const reasons = deciding.runtime.customStatus?.lastChecks?.reasons ?? [];
    expect(reasons.filter((r) => r.includes('parity'))).toEqual([`api/production parity: 1 critical config drift: ${LEGACY_FLAG} (changed)`]);
    expect(reasons.filter((r) => !r.includes('parity') && !/\d ms\b/.test(r))).toEqual([]);
    const story = (r: { timeline: { text: string }[] }): string[] => r.timeline.map((t) => t.text);
    expect(story(deciding)).toContainEqual(expect.stringContaining(`flag ${LEGACY_FLAG} changed false -> true at 2026-11-20T09:56:00.000Z by sam.lee@contoso.example`));
    expect(story(deciding)).toContainEqual(expect.stringMatching(/^Proposed containment: revert-config \(1 flag\/config change/));
    const proposal = (await w.teams(id)).find((m) => m.kind === 'containment-proposed');
    expect(proposal?.text).toContain(`Flag ${LEGACY_FLAG}: true -> false (dbo.sp_Feature_Set)`);
    expect(w.sqlWrites()).toBe(0);

    const link = await w.approvalPath(id, 'Revert flags/config');
    const who = principal(APPROVER.upn, APPROVER.oid);
    const confirm = await w.host.fetch(link, { method: 'POST', headers: { accept: 'text/html', ...who, 'content-type': 'application/x-www-form-urlencoded' }, body: 'choice=revert-config' });
    expect(confirm.status).toBe(200);

    // Reverted once, as the bot, with the incident + step as RequestId; the checks go green.
    const monitoring = await w.until(id, (r) => r.runtime.customStatus?.phase === 'monitoring', 'monitoring');
    expect(monitoring.runtime.customStatus).toMatchObject({ decision: { choice: 'revert-config', by: APPROVER.upn }, lastChecks: { verdict: 'green' }, rolledBack: false, frozen: false });
    const calls = w.sql.callsOf('dbo.sp_Feature_Set');
    expect(calls).toHaveLength(1);
    const requestId = calls[0]?.params.RequestId as string;
    expect(requestId).toMatch(new RegExp(`^${id}/contain/set-flag/${LEGACY_FLAG}/\\d+$`));
    expect(calls[0]?.params).toMatchObject({ FlagKey: LEGACY_FLAG, Scope: 'Prod', IsEnabled: false, Actor: BOT });
    expect(w.sql.db.flag(LEGACY_FLAG, 'Prod')).toMatchObject({ isEnabled: false, updatedBy: BOT });
    expect(w.sql.db.auditFor(requestId)).toEqual([expect.objectContaining({ actor: BOT, field: 'IsEnabled', action: 'Update', beforeValue: '1', afterValue: '0' })]);
    expect(story(monitoring)).toContainEqual(`set-flag: done: Disabled flag ${LEGACY_FLAG} in Prod (was enabled) on SQL_CONNECTION_ADMIN_PROD (audit request ${requestId}).`);

    // The window (30 min) passes clean: resolved, and the release that ran through it becomes the LKG.
    await w.advance(30 * MINUTE);
    const resolved = await w.resolved(id);
    expect(w.swaps()).toBe(0);
    expect(w.arm.buildOf(SITE, 'production')).toBe(BAD.buildId);
    expect(w.sql.callsOf('dbo.sp_Feature_Set')).toHaveLength(1);
    expect(await w.freeze()).toMatchObject({ frozen: false });
    expect(story(resolved).some((t) => /freeze/i.test(t))).toBe(false);
    expect((await w.host.json<{ current: { releaseTag: string; source: string } }>('/api/lkg/Prod/admin-api')).body.current).toMatchObject({ releaseTag: BAD.releaseTag, source: 'monitoring-window' });

    // The audit trail's before -> after is in the sealed evidence.
    const container = BlobServiceClient.fromConnectionString(w.azurite.connectionString).getContainerClient('incident-evidence');
    const names: string[] = [];
    for await (const b of container.listBlobsFlat({ prefix: `Prod/2026/11/${id}/audit/` })) names.push(b.name);
    expect(names).toHaveLength(1);
    const audit = JSON.parse((await container.getBlobClient(names[0] ?? '').downloadToBuffer()).toString('utf8')) as unknown;
    expect(audit).toMatchObject({ requestId, changes: [{ target: `flag:${LEGACY_FLAG}@Prod`, field: 'IsEnabled', before: true, after: false }] });
    const incident = JSON.parse((await container.getBlobClient(`Prod/2026/11/${id}/incident.json`).downloadToBuffer()).toString('utf8')) as unknown;
    expect(incident).toMatchObject({ containment: { choice: 'revert-config', decidedBy: APPROVER.upn }, release: { restored: null } });
    expect(await container.getBlobClient(`Prod/2026/11/${id}/manifest.json`).exists()).toBe(true);
  }, 60_000);
});
