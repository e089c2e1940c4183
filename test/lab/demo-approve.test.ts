/**
 * `npm run demo -- --approve`: a person approves the proposal (revert the flag) through its signed
 * link; the revert alone does not stabilise production (the bad release is still in it), so the
 * containment timebox rolls the release back. Both actions are done, the incident resolves.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { demo, expectFiguresAgree, expectMessagesAccounted, type DemoRun } from '../harness/demo.js';

let run: DemoRun;
beforeAll(async () => {
  run = await demo(true);
}, 300_000);

describe('npm run demo -- --approve', () => {
  it('the approver decides by the signed link; the flag revert, then the timebox rollback, both done; resolved', () => {
    expect(run.result.approval).toEqual({ choice: 'revert-config', status: 200 });
    expect(run.summary).toMatchObject({ status: 'resolved', severity: 'P1', evidence: { sealed: true, verified: true } });
    const done = run.summary.actions.filter((a) => a.outcome === 'done').map((a) => a.name);
    expect(done).toEqual(expect.arrayContaining(['sqlSetFlag', 'appService_apiToLkg']));
    expect(run.summary.actions.every((a) => a.outcome === 'done')).toBe(true);
    // The decision is the approver's (the link's holder: locally nobody vouches for a signed-in person), not the automation's.
    expect(run.file('postmortem.md')).toMatch(/\| teams \(approval-link\) \| revert-config \| approval-link \|/);
    expect(run.output).toContain('Rolling back to the last known good release (containment did not re-stabilise within 15 min)');
    expectFiguresAgree(run);
    expectMessagesAccounted(run);
  });
});
