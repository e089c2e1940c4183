/**
 * The incident record's derivation, case by case: when an alert's fired time is believed, what
 * counts as acknowledgement and mitigation, timebox verdicts at their edges, the release picture
 * from the latest facts, the timeline's collapsed check lines, and the bounded custom status.
 * (test/domain/incident-truth.test.ts checks that every output reads the same derivation.)
 */
import { describe, expect, it } from 'vitest';
import type { Actor } from '../../src/domain/actor.js';
import { applyEvent, detectionOf, metricsOf, momentsOf, releaseOf, timeboxesOf, type AlertFacts, type CheckFacts, type Incident, type IncidentEvent, type NewEvent } from '../../src/domain/incident-record.js';
import { MAX_STATUS_CHARS, customStatusOf } from '../../src/domain/incident-status.js';
import { timelineOf } from '../../src/domain/incident-timeline.js';
import { newPlan, type RunbookConfig } from '../../src/domain/runbook.js';

const MIN = 60_000;
const T0 = Date.UTC(2026, 10, 20, 10, 0);
const boxes = {
  P1: { ackMinutes: 15, decisionMinutes: 10, noDecision: 'rollback', containmentMinutes: 15, recoveryMinutes: 30, monitoringMinutes: 60, updateEveryMinutes: 15 },
  P2: { ackMinutes: 30, decisionMinutes: 20, noDecision: 'escalate', containmentMinutes: 30, recoveryMinutes: 30, monitoringMinutes: 30, updateEveryMinutes: 30 },
  P3: { ackMinutes: 120, decisionMinutes: 120, noDecision: 'escalate', containmentMinutes: 240, recoveryMinutes: 60, monitoringMinutes: 30, updateEveryMinutes: 120 },
} as const;
const person: Actor = { id: 'riley@contoso.example', via: 'api' };
const pipeline: Actor = { id: 'release-pipeline', via: 'pipeline' };

function alert(firedAt: number | null, receivedAt = T0): AlertFacts {
  return { dedupeKey: 'a|Fired', rule: 'prod-5xx', condition: 'Fired', firedAt, receivedAt, level: 'P1', reasons: [], triggers: [], payloadRef: null };
}

/** An incident from events given as [minutes after T0, event]. */
function incident(first: AlertFacts | null, ...rest: [number, NewEvent][]): { s: Incident; events: IncidentEvent[] } {
  const events: IncidentEvent[] = [
    { type: 'declared', seq: 0, at: T0, incidentId: 'inc-1', service: 'api', environment: 'Prod', summary: '5xx', source: first ? 'alert' : 'manual', by: person, impact: ['api'], severity: 'P1', reasons: [], drill: false, timeboxes: boxes, postmortemDueBusinessDays: 3, alert: first },
    ...rest.map(([m, e], i): IncidentEvent => ({ ...e, seq: i + 1, at: T0 + m * MIN })),
  ];
  let s: Incident | null = null;
  for (const e of events) s = applyEvent(s, e);
  return { s: s as Incident, events };
}

const green: CheckFacts = { verdict: 'green', reasons: ['all checks passed'], failing: [], liveness: 'green', readiness: 'green', sse: null };
const red: CheckFacts = { verdict: 'red', reasons: ['/ready answered 503'], failing: ['ready'], liveness: 'green', readiness: 'red', sse: null };
const rollback = { kind: 'api-to-lkg' as const, from: 'r42', to: 'r41', reason: 'x' };
const contain: NewEvent = { type: 'containment-started', choice: 'api-to-lkg', steps: [{ step: 'contain/api/1', action: rollback }], why: 'test', rollback: true, dueAt: T0 + 40 * MIN, timebox: 'recovery' };
const swap = (kind: 'done' | 'refused' | 'skipped'): NewEvent => ({
  type: 'action-completed',
  step: 'contain/api/1',
  action: 'api-to-lkg',
  activity: 'appService_apiToLkg',
  mode: 'execute',
  outcome:
    kind === 'done'
      ? { kind: 'done', summary: 'swapped', changes: [{ target: 'release:Prod/api', field: 'releaseTag', before: 'r42', after: 'r41' }] }
      : kind === 'skipped'
        ? { kind: 'skipped', summary: 'already on LKG', reason: 'already-lkg' }
        : { kind: 'refused', summary: 'no LKG', reason: 'no-lkg' },
});

describe('time trust', () => {
  it('believes a fired time up to an hour before receipt and up to 5 minutes after; flags and ignores the rest', () => {
    const at = (firedAt: number) => detectionOf({ alert: alert(firedAt), declaredAt: T0 });
    expect(at(T0 - 60 * MIN)).toMatchObject({ trusted: true, detectedAt: T0 - 60 * MIN });
    expect(at(T0 - 61 * MIN)).toMatchObject({ trusted: false, detectedAt: null, note: 'fired 1 h 1 min before it reached us' });
    expect(at(T0 - 16 * 24 * 60 * MIN).note).toBe('fired 16 days before it reached us');
    // A little after receipt (clocks drift): believed, and detection is not after the declaration.
    expect(at(T0 + 3 * MIN)).toMatchObject({ trusted: true, detectedAt: T0 });
    expect(at(T0 + 2 * 60 * MIN)).toMatchObject({ trusted: false, note: 'says it fired 2 h after it reached us (a clock is wrong)' });
    expect(detectionOf({ alert: alert(null), declaredAt: T0 })).toMatchObject({ trusted: false, note: 'the alert gives no readable fired time' });
    expect(detectionOf({ alert: null, declaredAt: T0 })).toMatchObject({ trusted: false, note: null, detectedAt: null });
  });

  it('does not measure time to declare or the impact from a fired time it does not believe', () => {
    const { s } = incident(alert(T0 - 16 * 24 * 60 * MIN), [30, { type: 'resolved', by: person, summary: null, why: 'x', postmortemDueAt: T0 }]);
    expect(metricsOf(s)).toMatchObject({ timeToDeclare: null, impact: { from: T0, to: T0 + 30 * MIN } });
    const believed = incident(alert(T0 - 2 * MIN), [30, { type: 'resolved', by: person, summary: null, why: 'x', postmortemDueAt: T0 }]).s;
    expect(metricsOf(believed).timeToDeclare?.seconds).toBe(120);
  });
});

describe('key moments', () => {
  it('counts anything a person does as acknowledgement, not what a pipeline or the runbook does', () => {
    expect(momentsOf(incident(null, [3, { type: 'decided', by: person, choice: 'monitor-only', proposalId: null, reason: null, why: 'x' }]).s).acknowledged).toBe(T0 + 3 * MIN);
    expect(momentsOf(incident(null, [4, { type: 'rollback-requested', by: person, reason: 'x' }]).s).acknowledged).toBe(T0 + 4 * MIN);
    expect(momentsOf(incident(null, [5, { type: 'decided', by: null, choice: 'api-to-lkg', proposalId: null, reason: null, why: 'timebox' }]).s).acknowledged).toBeNull();
    expect(momentsOf(incident(null, [6, { type: 'acknowledged', by: pipeline, role: null }]).s).acknowledged).toBeNull();
  });

  it('mitigates only with a change that was applied: refused and skipped actions do not count', () => {
    expect(momentsOf(incident(null, [10, contain], [11, swap('refused')]).s).mitigated).toBeNull();
    expect(momentsOf(incident(null, [10, contain], [11, swap('skipped')]).s).mitigated).toBeNull();
    expect(momentsOf(incident(null, [10, contain], [11, swap('done')]).s).mitigated).toBe(T0 + 11 * MIN);
  });

  it('recovers when a monitoring window starts, and not any more after a regression', () => {
    const { s } = incident(null, [10, contain], [11, swap('done')], [12, { type: 'monitoring-started', endsAt: T0 + 72 * MIN }]);
    expect(momentsOf(s).recovered).toBe(T0 + 12 * MIN);
    applyEvent(s, { type: 'regressed', seq: s.length, at: T0 + 20 * MIN, reasons: ['red'] });
    expect(momentsOf(s).recovered).toBeNull();
  });
});

describe('timebox verdicts', () => {
  it('a decision the runbook took because nobody answered is a missed decision timebox', () => {
    const { s } = incident(null, [10, { type: 'decided', by: null, choice: 'api-to-lkg', proposalId: null, reason: null, why: 'timebox' }], [10, contain]);
    expect(timeboxesOf(s).find((t) => t.name === 'decision')).toMatchObject({ verdict: 'missed', metAt: null });
  });

  it('not applicable when the incident ended first; missed when it went on past the deadline; open until then', () => {
    const early = incident(null, [5, { type: 'resolved', by: person, summary: null, why: 'x', postmortemDueAt: T0 }]).s;
    expect(timeboxesOf(early).map((t) => [t.name, t.verdict])).toEqual([
      ['ack', 'met'],
      ['ic', 'not-applicable'],
      ['decision', 'not-applicable'],
    ]);
    const waiting = incident(null, [9, { type: 'noted', by: null, text: 'x' }]).s;
    expect(timeboxesOf(waiting).map((t) => t.verdict)).toEqual(['open', 'open', 'open']);
    const late = incident(null, [20, { type: 'noted', by: null, text: 'x' }]).s;
    expect(timeboxesOf(late).map((t) => t.verdict)).toEqual(['missed', 'missed', 'missed']);
  });

  it('a monitoring window without regression is met when it ends or the incident does; with one, missed', () => {
    const base: [number, NewEvent][] = [
      [1, { type: 'decided', by: person, choice: 'api-to-lkg', proposalId: null, reason: null, why: 'x' }],
      [1, contain],
      [2, swap('done')],
      [3, { type: 'monitoring-started', endsAt: T0 + 63 * MIN }],
    ];
    // Resolved a second after the window ended (a timer a little late): still met, at the window's end.
    const late = incident(null, ...base, [63.02, { type: 'resolved', by: null, summary: null, why: 'window', postmortemDueAt: T0 }]).s;
    expect(timeboxesOf(late).find((t) => t.name === 'monitoring')).toMatchObject({ verdict: 'met', metAt: T0 + 63 * MIN });
    const regressed = incident(null, ...base, [30, { type: 'regressed', reasons: ['red'] }]).s;
    expect(timeboxesOf(regressed).find((t) => t.name === 'monitoring')?.verdict).toBe('missed');
  });
});

describe('the release picture', () => {
  it('names the LKG a rollback restored even when the snapshot knew none', () => {
    const { s } = incident(null, [1, { type: 'snapshot-taken', changes: [], api: { current: 'r42', lkg: null, deployedAt: null, migrations: [] }, web: null, problems: [], lookbackMinutes: 720, seen: [] }], [10, contain], [11, swap('done')]);
    expect(releaseOf(s)).toEqual({ current: 'r42', lkg: 'r41', restored: 'r41', recorded: null });
  });
});

describe('the timeline', () => {
  it('tells repeated identical check results in one line that counts them, until something changes', () => {
    const round = (c: CheckFacts): NewEvent => ({ type: 'checks-run', purpose: 'verify', run: null, ...c });
    const { events } = incident(null, [2, round(red)], [4, round(red)], [6, round(red)], [8, round(green)], [10, round(red)]);
    const lines = timelineOf(events, 'incident-bot').filter((e) => e.kind === 'checks');
    expect(lines.map((l) => [l.seq, l.text])).toEqual([
      [1, 'Smoke checks (verify): red ×3 since 10:02, last 10:06 UTC: /ready answered 503.'],
      [4, 'Smoke checks (verify): green: all checks passed.'],
      [5, 'Smoke checks (verify): red: /ready answered 503.'],
    ]);
  });
});

describe('the custom status', () => {
  it('stays under the engine limit however long the findings and however many timeboxes', () => {
    const config: RunbookConfig = { boxes, escalation: [], webCoupled: false, flagsInScope: [], configInScope: [], canRollBackApi: true, canRollBackWeb: false, postmortemDueBusinessDays: 3, mode: 'execute', onCall: [], triggers: [], signals: null, stakeholderEvery: null };
    const long: CheckFacts = { ...red, reasons: Array.from({ length: 50 }, (_, i) => `finding ${i} ${'x'.repeat(900)}`) };
    const flapping: [number, NewEvent][] = [[1, contain], [2, swap('done')]];
    for (let i = 0; i < 200; i++) flapping.push([3 + i * 2, { type: 'monitoring-started', endsAt: T0 + 500 * MIN }], [4 + i * 2, { type: 'regressed', reasons: ['red'] }]);
    const { s } = incident(null, ...flapping, [500, { type: 'checks-run', purpose: 'verify', run: null, ...long }]);
    const status = customStatusOf(s, newPlan(T0), config, 'incident-bot');
    expect(JSON.stringify(status).length).toBeLessThanOrEqual(MAX_STATUS_CHARS);
    expect(status).toMatchObject({ phase: 'verifying', lastChecks: { verdict: 'red', health: 'green', ready: 'red' } });
  });
});
