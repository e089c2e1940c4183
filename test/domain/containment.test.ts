/** The RB-02 decision tree, branch by branch. */
import { describe, expect, it } from 'vitest';
import { proposeContainment, type ContainmentFacts } from '../../src/domain/containment.js';

const base: ContainmentFacts = {
  severity: 'P1',
  triggers: [],
  startedAt: '2026-11-20T10:00:00.000Z',
  changes: [],
  failing: [],
  api: { current: 'api-2026.11.3', lkg: 'api-2026.11.2', deployedAt: '2026-11-20T08:00:00.000Z', migrations: [] },
  web: { current: 'web-2026.11.3', lkg: 'web-2026.11.2', deployedAt: '2026-11-20T08:00:00.000Z', migrations: [] },
  webCoupled: false,
  flagsInScope: ['EnableLegacyHttpSse'],
  configInScope: ['Network:SseKeepAliveSeconds'],
  lookbackMinutes: 12 * 60,
};
const facts = (over: Partial<ContainmentFacts>): ContainmentFacts => ({ ...base, ...over });

describe('proposeContainment', () => {
  it('1. reverts a flag and a config key changed before the incident (and after the release)', () => {
    const p = proposeContainment(
      facts({
        failing: ['sse'],
        changes: [
          { kind: 'flag', key: 'EnableLegacyHttpSse', at: '2026-11-20T09:40:00.000Z', before: false, after: true, actor: 'sam' },
          { kind: 'config', key: 'Network:SseKeepAliveSeconds', at: '2026-11-20T09:30:00.000Z', before: '10', after: '45', actor: 'alex' },
          { kind: 'config', key: 'Network:SseKeepAliveSeconds', at: '2026-11-20T09:35:00.000Z', before: '45', after: '60', actor: 'alex' },
        ],
      }),
    );
    expect(p.path).toBe('revert-config');
    expect(p.steps).toEqual([
      { kind: 'set-flag', key: 'EnableLegacyHttpSse', to: false, from: true, reason: 'changed by sam at 2026-11-20T09:40:00.000Z; back to false' },
      { kind: 'set-config', key: 'Network:SseKeepAliveSeconds', to: '10', from: '60', reason: 'changed by alex at 2026-11-20T09:35:00.000Z; back to "10"' },
    ]);
    expect(p.reasons[0]).toContain('3 flag/config change(s)');
  });

  it('ignores changes outside the lookback window and keys the automation may not touch', () => {
    const p = proposeContainment(
      facts({
        failing: ['contract'],
        changes: [
          { kind: 'flag', key: 'EnableLegacyHttpSse', at: '2026-11-19T08:00:00.000Z', before: false, after: true, actor: null },
          { kind: 'flag', key: 'SomeoneElsesFlag', at: '2026-11-20T09:59:00.000Z', before: false, after: true, actor: null },
        ],
      }),
    );
    expect(p.path).toBe('api-to-lkg');
  });

  it('suspects the release first when it is newer than the config change', () => {
    const p = proposeContainment(
      facts({
        failing: ['sse'],
        api: { ...base.api!, deployedAt: '2026-11-20T09:50:00.000Z' },
        changes: [{ kind: 'flag', key: 'EnableLegacyHttpSse', at: '2026-11-20T09:40:00.000Z', before: false, after: true, actor: null }],
      }),
    );
    expect(p.path).toBe('api-to-lkg');
    expect(p.reasons[0]).toContain('the release api-2026.11.3 is more recent');
  });

  it('2. rolls back only the web when only web checks fail', () => {
    const p = proposeContainment(facts({ failing: ['pages'] }));
    expect(p.path).toBe('web-to-lkg');
    expect(p.steps).toEqual([{ kind: 'web-to-lkg', from: 'web-2026.11.3', to: 'web-2026.11.2', reason: 'web-only regression' }]);
  });

  it('3. rolls back the API for API, contract or SSE failures, and the web too when coupled', () => {
    const p = proposeContainment(facts({ failing: ['contract', 'sse'], triggers: ['sse-ttfb'] }));
    expect(p.path).toBe('api-to-lkg');
    expect(p.steps.map((s) => s.kind)).toEqual(['api-to-lkg']);
    expect(p.reasons[0]).toContain('API symptoms (contract, sse, sse-ttfb) since release api-2026.11.3: roll the API back to api-2026.11.2');
    const coupled = proposeContainment(facts({ failing: ['ready'], webCoupled: true }));
    expect(coupled.steps.map((s) => s.kind)).toEqual(['api-to-lkg', 'web-to-lkg']);
  });

  it('4. rolls the app back when the release shipped a migration, with a forward-fix item and no DDL step', () => {
    const p = proposeContainment(facts({ failing: ['ready'], api: { ...base.api!, migrations: ['20261120_add_job_state'] } }));
    expect(p.path).toBe('app-to-lkg-forward-fix');
    expect(p.steps.map((s) => s.kind)).toEqual(['api-to-lkg']);
    expect(p.actionItems).toEqual([{ kind: 'forward-fix', title: expect.stringContaining('20261120_add_job_state (add-only; no DROP)') as string }]);
  });

  it('rolls back a P1 when nothing points anywhere, and only monitors a P2', () => {
    expect(proposeContainment(facts({})).path).toBe('api-to-lkg');
    expect(proposeContainment(facts({})).reasons[0]).toContain('if in doubt, roll back first');
    const p2 = proposeContainment(facts({ severity: 'P2' }));
    expect(p2).toMatchObject({ path: 'monitor-only', steps: [] });
  });
});

describe('the traffic rule for the 429 row (RB-03 section 7)', () => {
  const rule = { name: 'deny-abuse', action: 'Deny' as const, ipAddress: '203.0.113.0/24', tag: 'Default' as const, priority: 100, description: null };

  it("proposes the policy's access restriction for a rate-limit anomaly while the API holds", () => {
    const p = proposeContainment(facts({ severity: 'P2', triggers: ['rate-limit'], trafficRule: rule }));
    expect(p.path).toBe('traffic-rule');
    expect(p.steps).toEqual([{ kind: 'traffic-rule', rule, reason: 'rate-limit anomaly' }]);
    expect(p.reasons[0]).toMatch(/a person decides/);
  });

  it('does not propose it when the API is failing (a rollback first), nor without a rule the environment allows', () => {
    expect(proposeContainment(facts({ triggers: ['rate-limit', 'error-rate'], trafficRule: rule })).path).toBe('api-to-lkg');
    expect(proposeContainment(facts({ severity: 'P2', triggers: ['rate-limit'], trafficRule: null })).path).toBe('monitor-only');
  });
});
