/**
 * End to end, RB-02 section 9: after the containment (the API back on LKG), the config parity check
 * still finds critical drift, because the drifted value lives in the environment's database, not in
 * the release. The runbook reapplies the intended value (the parity check's `expected`) through
 * dbo.sp_Config_SetValue and runs the checks again until 0 critical keys differ; when something
 * outside the database pins the value, it stops at the policy's bound and says why.
 */
import { BlobServiceClient } from '@azure/storage-blob';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { APPROVER, BOT, KEEPALIVE, MINUTE, ProductWorld, principal } from '../harness/product.js';

let w: ProductWorld;

beforeAll(async () => {
  w = await ProductWorld.start({ configParity: { attempts: 2 } });
  expect((await w.recordLkg()).status).toBe(201);
});
afterAll(async () => {
  await w?.stop();
});
beforeEach(() => w.reset());

const texts = (r: { timeline: { text: string }[] }): string[] => r.timeline.map((t) => t.text);

/** Fires the alert, waits for the proposal and approves the rollback it proposes (the parity drift is an API symptom). */
async function declareAndRollBack(): Promise<string> {
  const alert = await w.fireAlert();
  const id = alert.body.incidentId as string;
  const deciding = await w.until(id, (r) => r.runtime.customStatus?.phase === 'deciding', 'the decision');
  expect(deciding.runtime.customStatus?.lastChecks?.reasons).toContainEqual(`api/production config-parity: 1 critical config drift: ${KEEPALIVE} (changed)`);
  const link = await w.approvalPath(id, 'Roll back API to last known good');
  const who = principal(APPROVER.upn, APPROVER.oid);
  const confirm = await w.host.fetch(link, { method: 'POST', headers: { accept: 'text/html', ...who, 'content-type': 'application/x-www-form-urlencoded' }, body: 'choice=api-to-lkg' });
  expect(confirm.status).toBe(200);
  return id;
}

describe('RB-02 section 9: reapply the intended config and re-run parity', () => {
  it('reapplies the drifted key through the stored procedure once, parity ends at 0 critical, and the record, thread, report and evidence say so', async () => {
    // Someone set the keep-alive to 60 s in the database long ago (no audit row in the lookback).
    w.sql.db.seedConfig({ configKey: KEEPALIVE, scope: 'Prod', value: '60' });
    const id = await declareAndRollBack();

    const monitoring = await w.until(id, (r) => r.runtime.customStatus?.phase === 'monitoring', 'monitoring');
    expect(monitoring.runtime.customStatus).toMatchObject({ rolledBack: true, lastChecks: { verdict: 'green' } });
    const calls = w.sql.callsOf('dbo.sp_Config_SetValue');
    expect(calls).toHaveLength(1);
    expect(calls[0]?.params).toMatchObject({ ConfigKey: KEEPALIVE, Scope: 'Prod', Value: '10', Actor: BOT, RequestId: `${id}/parity/reapply/1/${KEEPALIVE}` });
    expect(w.sql.db.configValue(KEEPALIVE, 'Prod')).toMatchObject({ value: '10', updatedBy: BOT });
    const story = texts(monitoring);
    expect(story).toContainEqual(expect.stringMatching(new RegExp(`^Config parity: critical drift after containment; reapplying the intended value of ${KEEPALIVE} .*\\(attempt 1, RB-02 section 9\\)\\.$`)));
    expect(story).toContainEqual(expect.stringMatching(/^set-config: done: /));
    expect(story).toContainEqual('Config parity: 0 critical keys differ after 1 reapply of the intended config (RB-02 section 9).');
    // In order: the reapply, then a round that found parity clean, then the monitoring window.
    const at = (re: RegExp) => story.findIndex((t) => re.test(t));
    expect(at(/^Config parity: critical drift/)).toBeLessThan(at(/^Config parity: 0 critical/));
    expect(at(/^Config parity: 0 critical/)).toBeLessThan(at(/^Checks green: monitoring/));

    await w.advance(30 * MINUTE);
    const resolved = await w.resolved(id);
    expect(w.sql.callsOf('dbo.sp_Config_SetValue')).toHaveLength(1);
    const thread = await w.teams(id);
    const resolvedMsg = thread.find((m) => m.kind === 'resolved');
    expect(resolvedMsg?.text).toContain(KEEPALIVE);

    const container = BlobServiceClient.fromConnectionString(w.azurite.connectionString).getContainerClient('incident-evidence');
    const incident = JSON.parse((await container.getBlobClient(`Prod/2026/11/${id}/incident.json`).downloadToBuffer()).toString('utf8')) as Record<string, unknown>;
    expect(incident).toMatchObject({
      containment: { choice: 'api-to-lkg', actions: ['api-to-lkg', `set-config ${KEEPALIVE}`] },
      parity: [{ attempts: 1, keys: [KEEPALIVE], outcome: 'clean', text: 'Config parity: 0 critical keys differ after 1 reapply of the intended config (RB-02 section 9).' }],
    });
    const postmortem = (await container.getBlobClient(`Prod/2026/11/${id}/postmortem.md`).downloadToBuffer()).toString('utf8');
    expect(postmortem).toContain(`done: api-to-lkg, set-config ${KEEPALIVE}`);
    expect(postmortem).toContain('Config parity: 0 critical keys differ after 1 reapply');
    const report = (await container.getBlobClient(`Prod/2026/11/${id}/report.html`).downloadToBuffer()).toString('utf8');
    expect(report).toContain('Config parity: 0 critical keys differ after 1 reapply');
    expect(texts(resolved).filter((t) => t.startsWith('Config parity'))).toHaveLength(2);
  }, 90_000);

  it('stops at the bound and says why when the value is pinned outside the database', async () => {
    // The database drifted, and an app setting pins the same value over it: reapplying the database
    // value fixes the database but not what the app runs with.
    w.sql.db.seedConfig({ configKey: KEEPALIVE, scope: 'Prod', value: '60' });
    w.target.pinConfig(KEEPALIVE, '60');
    try {
      const id = await declareAndRollBack();
      const stopped = await w.until(id, (r) => texts(r).some((t) => t.includes('still differs')), 'the loop to stop');
      // Attempt 1 writes the intended value; attempt 2 finds it in the database already (change-once: no second write).
      const calls = w.sql.callsOf('dbo.sp_Config_SetValue');
      expect(calls.map((c) => c.params.RequestId)).toEqual([`${id}/parity/reapply/1/${KEEPALIVE}`]);
      expect(w.sql.db.configValue(KEEPALIVE, 'Prod')).toMatchObject({ value: '10' });
      expect(texts(stopped).filter((t) => t.startsWith('Config parity: critical drift after containment'))).toHaveLength(2);
      expect(texts(stopped).filter((t) => /^set-config: (done|skipped): /.test(t)).map((t) => t.split(':')[1]?.trim())).toEqual(['done', 'skipped']);
      const why = `Config parity: 1 critical key still differs after 2 reapplies: ${KEEPALIVE}.`;
      expect(texts(stopped)).toContainEqual(why);
      expect(texts(stopped)).toContainEqual(expect.stringContaining(`Escalated (`));
      const escalation = (await w.teams(id)).find((m) => m.kind === 'escalation' && m.text.includes('still differs'));
      expect(escalation?.text).toContain(why);
      expect(escalation?.text).toContain('find what overrides the database value');
      // No further reapply: the loop has ended for this containment, whatever the next rounds find.
      await w.advance(10 * MINUTE);
      await w.host.settle();
      expect(w.sql.callsOf('dbo.sp_Config_SetValue')).toHaveLength(1);
      expect(texts(await w.incident(id)).filter((t) => t === why)).toHaveLength(1);
    } finally {
      w.target.pinConfig(KEEPALIVE, null);
    }
  }, 90_000);
});
