/**
 * End to end, RB-03 section 7's further containment actions on the wire: the real `incident`
 * orchestration (dist/) restarts the App Service, scales its plan out and applies an access
 * restriction through the real `@azure/arm-appservice` SDK against the ARM fake, each allowed by
 * the environment's policy, verified after, and carried out once even when an attempt is retried.
 * The traffic rule is only proposed (for the 429 row) and applied after a person's decision; a
 * drill plans and changes nothing.
 */
import { BlobServiceClient } from '@azure/storage-blob';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ABUSE_CIDR, APPROVER, MINUTE, PLAN, PLAN_CAPACITY, ProductWorld, SCALE_OUT_TO, SITE, principal } from '../harness/product.js';

let w: ProductWorld;

beforeAll(async () => {
  w = await ProductWorld.start({ siteActions: true });
  expect((await w.recordLkg()).status).toBe(201);
});
afterAll(async () => {
  await w?.stop();
});
beforeEach(() => w.reset());

const who = principal(APPROVER.upn, APPROVER.oid);
const texts = (r: { timeline: { text: string }[] }): string[] => r.timeline.map((t) => t.text);

/** Confirms the button `title` of the latest proposal card (a reminder reissues the card with links for the new deadline). */
async function confirm(id: string, title: string, choice: string): Promise<void> {
  const cards = (await w.teams(id)).filter((m) => m.kind === 'containment-proposed');
  const actions = (cards.at(-1)?.card as { actions?: { title: string; url: string }[] } | undefined)?.actions ?? [];
  const url = actions.find((a) => a.title === title)?.url;
  if (!url) throw new Error(`no "${title}" button on the latest proposal card: ${actions.map((a) => a.title).join(', ')}`);
  const link = new URL(url).pathname;
  const res = await w.host.fetch(link, { method: 'POST', headers: { accept: 'text/html', ...who, 'content-type': 'application/x-www-form-urlencoded' }, body: `choice=${choice}` });
  expect(res.status).toBe(200);
}

/** Resolves by hand and waits for the close, so the next scenario's alert opens an incident of its own. */
async function close(id: string): Promise<void> {
  expect((await w.post(`/api/incidents/${id}/resolve`, { summary: 'test scenario over' }, who)).status).toBe(202);
  await w.until(id, (r) => r.runtime.runtimeStatus === 'Completed', 'the close');
}

describe('restart, scale-out and traffic rule against the ARM fake', () => {
  it('restarts the App Service once on a decision, even when ARM’s answer is lost and the step is retried, and sees /healthz answer again', async () => {
    w.breakProduction();
    const id = (await w.fireAlert()).body.incidentId as string;
    await w.until(id, (r) => r.runtime.customStatus?.phase === 'deciding', 'the decision');
    const card = (await w.teams(id)).find((m) => m.kind === 'containment-proposed');
    expect(card?.text).toContain('Restart the App Service');
    expect(w.arm.changeRequests()).toEqual([]);

    // ARM restarts the site and the answer is lost: the activity fails, Durable retries it.
    w.arm.dropNext('POST', /\/restart$/, true);
    await confirm(id, 'Restart the App Service', 'restart');
    await w.advance(2 * MINUTE, 30_000);
    const monitoring = await w.until(id, (r) => r.runtime.customStatus?.phase === 'monitoring', 'monitoring');

    const restarts = w.arm.changeRequests();
    expect(restarts).toHaveLength(1);
    expect(restarts[0]).toMatchObject({ method: 'POST', path: expect.stringMatching(new RegExp(`/sites/${SITE}/restart$`)) as unknown, query: { synchronous: 'true', softRestart: 'false' } });
    expect(w.arm.restarts(SITE)).toBe(1);
    expect(w.swaps()).toBe(0);
    const line = texts(monitoring).find((t) => t.startsWith('restart: done: '));
    expect(line).toMatch(new RegExp(`^restart: done: Restarted the App Service ${SITE} \\(admin-api@Prod\\) \\(by an earlier attempt of this step, whose answer was lost; not restarted again\\); http://127\\.0\\.0\\.1:\\d+/healthz answered 200\\.$`));
    expect(monitoring.runtime.customStatus).toMatchObject({ decision: { choice: 'restart' }, lastChecks: { verdict: 'green' }, rolledBack: false });

    await close(id);
    const container = BlobServiceClient.fromConnectionString(w.azurite.connectionString).getContainerClient('incident-evidence');
    const incident = JSON.parse((await container.getBlobClient(`Prod/2026/11/${id}/incident.json`).downloadToBuffer()).toString('utf8')) as unknown;
    expect(incident).toMatchObject({ containment: { choice: 'restart', actions: ['restart'] } });
    const postmortem = (await container.getBlobClient(`Prod/2026/11/${id}/postmortem.md`).downloadToBuffer()).toString('utf8');
    expect(postmortem).toContain('done: restart');
    expect((await w.teams(id)).find((m) => m.kind === 'resolved')?.text).toContain(`Restarted the App Service ${SITE}`);
  }, 90_000);

  it('scales the plan out to the policy’s count once, though a poll fails and the step is retried, and reads the new capacity back', async () => {
    w.breakProduction();
    const id = (await w.fireAlert()).body.incidentId as string;
    await w.until(id, (r) => r.runtime.customStatus?.phase === 'deciding', 'the decision');
    expect(w.arm.capacity(PLAN)).toBe(PLAN_CAPACITY);

    // The scale operation's first poll fails (a 500): the attempt throws, the retry reconciles.
    w.arm.failNext('GET', /\/serverfarms\/[^/]+\/operationresults\//, 500);
    await confirm(id, 'Scale out the App Service plan', 'scale-out');
    await w.advance(2 * MINUTE, 30_000);
    const done = await w.until(id, (r) => texts(r).some((t) => t.startsWith('scale-out: ')), 'the scale-out');

    const puts = w.arm.changeRequests();
    expect(puts).toHaveLength(1);
    expect(puts[0]).toMatchObject({ method: 'PUT', path: expect.stringMatching(new RegExp(`/serverfarms/${PLAN}$`)) as unknown, body: { sku: { capacity: SCALE_OUT_TO } } });
    expect(w.arm.capacity(PLAN)).toBe(SCALE_OUT_TO);
    expect(texts(done)).toContainEqual(`scale-out: done: Scaled the App Service plan ${PLAN} of admin-api@Prod out from ${PLAN_CAPACITY} to ${SCALE_OUT_TO} instances (by an earlier attempt of this step; found on reconcile); the plan reports ${SCALE_OUT_TO}.`);
    await close(id);
  }, 90_000);

  it('proposes the access restriction for a 429 alert, applies nothing until a person decides, then adds it once and lists it', async () => {
    const alert = await w.fire429();
    const id = alert.body.incidentId as string;
    const deciding = await w.until(id, (r) => r.runtime.customStatus?.phase === 'deciding', 'the decision');
    expect(deciding.runtime.customStatus).toMatchObject({ proposal: { path: 'traffic-rule' } });
    expect(texts(deciding)).toContainEqual(expect.stringMatching(/^Proposed containment: traffic-rule \(rate-limit anomaly \(429s: abuse or a bug\)/));
    const card = (await w.teams(id)).find((m) => m.kind === 'containment-proposed');
    expect(card?.text).toContain(`Access restriction "deny-abuse": Deny ${ABUSE_CIDR} at priority 100 on the API site`);

    // The decision timebox passes: a P2/P3 reminds people; a rule that denies traffic is never applied by a deadline.
    await w.advance(130 * MINUTE, 10 * MINUTE);
    expect(w.arm.changeRequests()).toEqual([]);
    expect(w.arm.accessRules(SITE)).toEqual([]);

    await confirm(id, 'Apply the traffic rule', 'traffic-rule');
    const applied = await w.until(id, (r) => texts(r).some((t) => t.startsWith('traffic-rule: ')), 'the rule');
    expect(w.arm.changeRequests().map((r) => r.method)).toEqual(['PATCH']);
    expect(w.arm.accessRules(SITE)).toEqual([{ name: 'deny-abuse', action: 'Deny', ipAddress: ABUSE_CIDR, tag: 'Default', priority: 100, description: 'RB-03 section 7: traffic shaping for the 429 row' }]);
    expect(texts(applied)).toContainEqual(`traffic-rule: done: Added the access restriction "deny-abuse" (Deny ${ABUSE_CIDR}, priority 100) on ${SITE} (admin-api@Prod); the site lists it.`);
    await close(id);
  }, 90_000);

  it('plans a restart in a drill and sends nothing that changes the site', async () => {
    w.breakProduction();
    const drill = await w.post<{ incidentId: string; drill: boolean }>('/api/incidents', { service: 'admin-api', environment: 'Prod', summary: 'game day: restart', severity: 'P1', dryRun: true });
    const id = drill.body.incidentId;
    await w.until(id, (r) => r.runtime.customStatus?.phase === 'deciding', 'the decision');
    expect((await w.post(`/api/incidents/${id}/decision`, { choice: 'restart' }, who)).status).toBe(202);
    const planned = await w.until(id, (r) => texts(r).some((t) => t.startsWith('restart: ')), 'the planned restart');
    expect(texts(planned)).toContainEqual(expect.stringMatching(new RegExp(`^restart: planned: Plan: restart the App Service ${SITE} \\(admin-api@Prod\\) through ARM and wait up to 120 s for http://127\\.0\\.0\\.1:\\d+/healthz to answer 200\\.$`)));
    expect(w.arm.changeRequests()).toEqual([]);
    expect(w.arm.restarts(SITE)).toBe(0);
    await close(id);
  }, 90_000);
});
