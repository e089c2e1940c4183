/**
 * `npm run demo`: a whole P1 in the lab, nobody deciding. Asserts what the issue asks of it: the
 * incident ends resolved, the flag revert and the slot swap are both done (not refused), the pack
 * is sealed and verifies, every file is written, and the report's figures agree with the Teams
 * messages. (Duration is not asserted: it is measured in the closing note and by CI.)
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumInstalled, demo, expectFiguresAgree, expectMessagesAccounted, type DemoRun } from '../harness/demo.js';

let run: DemoRun;
beforeAll(async () => {
  run = await demo(false);
}, 300_000);
afterAll(() => undefined);

describe('npm run demo', () => {
  it('ends resolved, with the flag revert and the slot swap both done, and a sealed pack that verifies', () => {
    expect(run.summary).toMatchObject({ status: 'resolved', severity: 'P1', drill: false, environment: 'Lab', evidence: { sealed: true, verified: true, problems: [] } });
    const outcome = (name: string) => run.summary.actions.filter((a) => a.name === name).map((a) => a.outcome);
    expect(outcome('sqlSetFlag')).toEqual(['done']);
    expect(outcome('appService_apiToLkg')).toEqual(['done']);
    expect(run.summary.actions.every((a) => a.outcome === 'done')).toBe(true);
    // Nobody decided: the automation did, at the deadline.
    expect(run.file('postmortem.md')).toContain('(automatic: no answer before the deadline)');
    expect(run.result.approval).toBeNull();
  });

  it('leaves the lab healthy: production back on the last known good release, the flag off', () => {
    expect(run.output).toContain('production now runs LKG r41 (build b41)');
    expect(run.file('teams-messages.md')).toContain('Disabled flag EnableLegacyHttpSse in Lab');
  });

  it("writes every file, and the report's figures agree with the Teams messages", () => {
    for (const f of ['report.html', 'postmortem.md', 'teams-messages.md', 'summary.json', 'host.log']) expect(existsSync(path.join(run.out, f)), f).toBe(true);
    if (chromiumInstalled || process.env.CI === 'true') expect(existsSync(path.join(run.out, 'report.png'))).toBe(true);
    expect(run.summary.teamsMessages).toBeGreaterThanOrEqual(8);
    expect(run.file('teams-messages.md')).toMatch(/🚨 P1 INCIDENT — Lab/);
    expectFiguresAgree(run);
    expectMessagesAccounted(run);
  });
});
