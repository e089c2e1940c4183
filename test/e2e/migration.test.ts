/**
 * End to end: the failing release shipped a database migration. The deploy wrote the migration and
 * the deploy time next to the build id (non-sticky app settings APP_MIGRATIONS / APP_DEPLOYED_AT on
 * the production slot); the snapshot reads them through ARM, so the real `incident` orchestration
 * proposes RB-02's migration path: the app back to LKG, the schema left alone, and a forward fix
 * in the postmortem's action items.
 */
import { BlobServiceClient } from '@azure/storage-blob';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APPROVER, BAD, LKG, MINUTE, ProductWorld, SITE, principal } from '../harness/product.js';

let w: ProductWorld;
const MIGRATION = '20261120_add_job_state';

beforeAll(async () => {
  w = await ProductWorld.start();
  expect((await w.recordLkg()).status).toBe(201);
});
afterAll(async () => {
  await w?.stop();
});

describe('the bad release shipped a migration', () => {
  it('proposes app-only rollback with a forward fix, swaps once on the decision, and the postmortem lists the forward fix', async () => {
    const deployedAt = new Date(w.now() - 30 * MINUTE).toISOString();
    w.arm.deploy(SITE, 'production', { APP_BUILD_ID: BAD.buildId, APP_RELEASE_TAG: BAD.releaseTag, APP_DEPLOYED_AT: deployedAt, APP_MIGRATIONS: MIGRATION });
    w.breakProduction();
    const alert = await w.fireAlert();
    expect(alert.body).toMatchObject({ kind: 'declared', severity: { level: 'P1' } });
    const id = alert.body.incidentId as string;

    const deciding = await w.until(id, (r) => r.runtime.customStatus?.phase === 'deciding', 'the decision');
    expect(deciding.runtime.customStatus).toMatchObject({ proposal: { path: 'app-to-lkg-forward-fix' } });
    const story = (r: { timeline: { text: string }[] }): string[] => r.timeline.map((t) => t.text);
    expect(story(deciding)).toContainEqual(expect.stringContaining(`production runs r42 (build b42; deployed ${deployedAt.slice(0, 16).replace('T', ' ')} UTC; migrations ${MIGRATION})`));
    expect(story(deciding)).toContainEqual(expect.stringContaining(`shipped migration(s) ${MIGRATION}: roll the app back to r41, never the schema`));
    expect(w.swaps()).toBe(0);

    const decided = await w.post(`/api/incidents/${id}/decision`, { choice: 'accept-proposal', proposalId: 'proposal-1' }, principal(APPROVER.upn, APPROVER.oid));
    expect(decided.status).toBe(202);
    const monitoring = await w.until(id, (r) => r.runtime.customStatus?.phase === 'monitoring', 'monitoring');
    expect(monitoring.runtime.customStatus).toMatchObject({ proposal: { path: 'app-to-lkg-forward-fix' }, decision: { choice: 'accept-proposal', by: APPROVER.upn }, rolledBack: true, lastChecks: { verdict: 'green' } });
    expect(w.swaps()).toBe(1);
    expect(w.target.build('production')).toEqual(LKG);
    // Only the app moved: no stored procedure was called to change anything.
    expect(w.sqlWrites()).toBe(0);

    await w.advance(30 * MINUTE);
    await w.resolved(id);
    const container = BlobServiceClient.fromConnectionString(w.azurite.connectionString).getContainerClient('incident-evidence');
    const postmortem = (await container.getBlobClient(`Prod/2026/11/${id}/postmortem.md`).downloadToBuffer()).toString('utf8');
    // An action item of its own, owned and due (Markdown escapes the underscores).
    expect(postmortem).toContain('| Forward fix: Forward-fix migration for 20261120\\_add\\_job\\_state (add-only; no DROP) before re-releasing r42 | forward-fix |');
    // "Rollback executed" says why: the symptom, then what triggered it.
    const executed = (await w.teams(id)).find((m) => m.kind === 'rollback-executed');
    expect(executed?.headline).toMatch(/^↩️ Rolled back to r41 due to .*: decision by dana\.kim@contoso\.example: accept-proposal/);
    // Posted at the close, 30 min later, but it says when the rollback completed (the swap).
    expect(executed?.text).toContain('Completed: 2026-11-20 10:16 UTC');
  }, 60_000);
});
