/**
 * End to end: an incident that was running when the app was upgraded. Its orchestration input is
 * version 1 (what the earlier release wrote); this release cannot replay that release's history,
 * so the orchestration starts over on the new code (continue-as-new) knowing only that it was
 * running: it says so in the thread, takes the snapshot and proposes again, and decides and rolls
 * back nothing on its own; a person's rollback request is carried out.
 *
 * The instance is started here with a version-1 input and no history (a real in-flight instance
 * also has the old release's history, which the hand-over never reads: it schedules nothing before
 * continuing as new).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MINUTE, ProductWorld } from '../harness/product.js';
import { approver } from '../harness/truth.js';

let w: ProductWorld;

beforeAll(async () => {
  w = await ProductWorld.start();
  expect((await w.recordLkg()).status).toBe(201);
});
afterAll(async () => {
  await w?.stop();
});

describe('an incident in flight during an upgrade', () => {
  it('is handed over to the new code: said in the thread, no automatic decision or rollback, a person can still roll back', async () => {
    w.breakProduction();
    // The input an earlier release would have started it with: take a current one, mark it version 1.
    const alert = await w.fireAlert();
    const current = alert.body.incidentId as string;
    const status = await w.host.json<{ input: Record<string, unknown> }>(`/runtime/webhooks/durabletask/instances/${current}?showInput=true`);
    expect((await w.post(`/api/incidents/${current}/resolve`, {}, approver())).status).toBe(202);
    await w.resolved(current);
    const id = `${current}-old`;
    await w.host.start('incident', { ...status.body.input, incidentId: id, version: 1 }, id);

    const deciding = await w.until(id, (r) => r.runtime.customStatus?.phase === 'deciding', 'the proposal');
    expect(deciding.timeline.map((t) => t.text)).toContainEqual(expect.stringMatching(/^Escalated \(resumed after an upgrade\)/));
    // It writes after whatever timeline the earlier run stored, never over it.
    expect(Math.min(...deciding.timeline.map((t) => t.seq))).toBe(1_000_000);
    const thread = await w.teams(id);
    const escalation = thread.find((m) => m.kind === 'escalation' && m.op === 'reply');
    expect(escalation?.headline).toMatch(/^📣 ESCALATION: AUTOMATION RESTARTED AFTER AN UPGRADE — P1 Prod/);
    expect(thread.find((m) => m.kind === 'containment-proposed')?.text).toContain('if nobody answers, the automation escalates: it was restarted by an upgrade');

    // Past the decision deadline: nothing automatic.
    await w.advance(15 * MINUTE, MINUTE);
    expect((await w.incident(id)).runtime.customStatus).toMatchObject({ phase: 'deciding', decision: null, rolledBack: false });
    expect(w.swaps()).toBe(0);

    // A person asks for the rollback: it is done, once.
    expect((await w.post(`/api/incidents/${id}/rollback`, { reason: 'customers failing' }, approver())).status).toBe(202);
    await w.until(id, (r) => r.runtime.customStatus?.phase === 'monitoring', 'monitoring after the rollback');
    expect(w.swaps()).toBe(1);
    expect((await w.post(`/api/incidents/${id}/resolve`, {}, approver())).status).toBe(202);
    await w.resolved(id);
  }, 60_000);
});
