/**
 * End to end: the dev host goes away in the middle of an incident and comes back on the same
 * storage (Durable history, step ledger, approval uses in Azurite). The real `incident`
 * orchestration (dist/) carries on where it was: a decision taken after the restart is applied,
 * a swap whose answer was lost before a second restart is reconciled rather than sent again, and
 * no Teams message is posted twice.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APPROVER, LKG, MINUTE, ProductWorld, SITE, principal } from '../harness/product.js';
import { expectRollbackThread } from '../harness/product-thread.js';

let w: ProductWorld;

beforeAll(async () => {
  w = await ProductWorld.start();
  expect((await w.recordLkg()).status).toBe(201);
});
afterAll(async () => {
  await w?.stop();
});

describe('restart mid-incident', () => {
  it('continues after a restart while waiting for the decision and another mid-swap: one swap, no duplicate message', async () => {
    w.breakProduction();
    const id = (await w.fireAlert()).body.incidentId as string;
    await w.until(id, (r) => r.runtime.customStatus?.phase === 'deciding', 'the decision');
    const link = await w.approvalPath(id, 'Roll back API to last known good');
    expect((await w.teams(id)).map((m) => m.kind)).toEqual(['declared', 'containment-proposed']);

    // 1. The host stops while the incident waits for a person.
    await w.restart();
    const waiting = await w.incident(id);
    expect(waiting.runtime).toMatchObject({ runtimeStatus: 'Running', customStatus: { phase: 'deciding', decision: null } });
    await w.host.settle();
    expect((await w.teams(id)).map((m) => m.kind)).toEqual(['declared', 'containment-proposed']);
    expect(w.swaps()).toBe(0);

    // 2. The approval reaches the new host; ARM accepts the swap but its answer is lost.
    w.arm.dropNext('POST', /slotsswap$/);
    const confirm = await w.host.fetch(link, { method: 'POST', headers: { accept: 'application/json', 'content-type': 'application/json', ...principal(APPROVER.upn, APPROVER.oid) }, body: JSON.stringify({ choice: 'api-to-lkg' }) });
    expect(confirm.status).toBe(200);
    await w.until(id, (r) => r.runtime.customStatus?.phase === 'containing' && w.swaps() === 1, 'the swap request');
    // While the step waits for its retry, the incident already shows the decision and the freeze.
    const containing = await w.incident(id);
    expect(containing.summary.phase).toBe('containing');
    expect(containing.runtime.customStatus).toMatchObject({ phase: 'containing', decision: { choice: 'api-to-lkg', by: APPROVER.upn }, rolledBack: false, frozen: true });
    expect(containing.timeline.filter((t) => t.kind === 'decision').map((t) => t.actor)).toEqual([`${APPROVER.upn} (${APPROVER.oid})`]);
    expect(await w.freeze()).toMatchObject({ frozen: true, incidentId: id });

    // 3. The host stops while the step waits for its retry; meanwhile Azure completes the swap.
    await w.restart();
    await w.arm.settle();
    expect(w.target.build('production')).toEqual(LKG);
    await w.advance(MINUTE, 30_000);
    const monitoring = await w.until(id, (r) => r.runtime.customStatus?.phase === 'monitoring', 'monitoring');
    expect(monitoring.runtime.customStatus).toMatchObject({ decision: { choice: 'api-to-lkg', by: APPROVER.upn }, rolledBack: true, lastChecks: { verdict: 'green' } });
    expect(monitoring.timeline.map((t) => t.text)).toContainEqual(expect.stringMatching(/^api-to-lkg: done: .*an earlier, interrupted attempt of this step completed the swap \(found on reconcile\)/));
    expect(monitoring.timeline.filter((t) => t.kind === 'decision')).toHaveLength(1);
    expect(w.swaps()).toBe(1);

    await w.advance(30 * MINUTE);
    await w.resolved(id);
    expect(w.swaps()).toBe(1);
    expect(w.arm.buildOf(SITE, 'production')).toBe(LKG.buildId);
    expect(await w.freeze()).toMatchObject({ frozen: false });

    // Every timeline entry and every message once; the messages in one thread.
    const timeline = (await w.incident(id)).timeline;
    expect(new Set(timeline.map((t) => t.seq)).size).toBe(timeline.length);
    expect(timeline.filter((t) => t.text.startsWith('api-to-lkg: done:'))).toHaveLength(1);
    const thread = await w.teams(id);
    expect(new Set(thread.map((m) => m.reference)).size).toBe(thread.length);
    const once = thread.map((m) => m.kind).filter((k) => k !== 'update' && k !== 'escalation');
    expectRollbackThread(once);
    expect(thread.slice(1).filter((m) => m.op !== 'notify' && !m.kind.startsWith('deploy-')).every((m) => m.threadId === thread[0]?.messageId)).toBe(true);
  }, 60_000);
});
