/**
 * What people outside the incident thread are told, from the incident record: the status page
 * payload (public words, redacted, an increasing sequence), the stakeholders' summary and the
 * customer message draft (status and impact window as the record has them, nothing invented).
 */
import { describe, expect, it } from 'vitest';
import type { Actor } from '../../src/domain/actor.js';
import { customerDraft, statusPageStatusOf, statusPageUpdateOf, stakeholderSummaryOf } from '../../src/domain/communications.js';
import { applyEvent, type Incident, type IncidentEvent, type NewEvent } from '../../src/domain/incident-record.js';
import { StatusPageUpdate } from '../../src/activities/status-page.contracts.js';

const MIN = 60_000;
const T0 = Date.UTC(2026, 10, 20, 10, 0);
const box = { ackMinutes: 15, decisionMinutes: 10, noDecision: 'rollback', containmentMinutes: 15, recoveryMinutes: 30, monitoringMinutes: 30, updateEveryMinutes: 15 } as const;
const person: Actor = { id: 'riley@contoso.example', via: 'api' };

function incident(summary: string, ...rest: [number, NewEvent][]): Incident {
  const events: IncidentEvent[] = [
    { type: 'declared', seq: 0, at: T0, incidentId: 'inc-1', service: 'admin-api', environment: 'Prod', summary, source: 'manual', by: person, impact: ['api', 'sse'], severity: 'P1', reasons: [], drill: false, timeboxes: { P1: box, P2: box, P3: box }, postmortemDueBusinessDays: 3, alert: null },
    ...rest.map(([m, e], i): IncidentEvent => ({ ...e, seq: i + 1, at: T0 + m * MIN })),
  ];
  let s: Incident | null = null;
  for (const e of events) s = applyEvent(s, e);
  return s as Incident;
}

const rollback = { kind: 'api-to-lkg' as const, from: 'r42', to: 'r41', reason: 'x' };
const contain: NewEvent = { type: 'containment-started', choice: 'api-to-lkg', steps: [{ step: 'contain/api/1', action: rollback }], why: 'decided', rollback: true, dueAt: T0 + 40 * MIN, timebox: 'recovery' };
const swapped: NewEvent = { type: 'action-completed', step: 'contain/api/1', action: 'api-to-lkg', activity: 'appService_apiToLkg', mode: 'execute', outcome: { kind: 'done', summary: 'swapped', changes: [{ target: 'release:Prod/api', field: 'releaseTag', before: 'r42', after: 'r41' }] } };
const SECRETISH = 'api 5xx on https://admin-api-prod.azurewebsites.net/api/jobs?code=abcdefghijklmnopqrstuvwxyz0123456789ABCD== for dana@contoso.example';

describe('status page', () => {
  it('maps the thread moments to the four public statuses, and nothing else', () => {
    expect(['declared', 'rollback-started', 'stabilized', 'resolved', 'update', 'containment-proposed', 'escalation'].map((k) => statusPageStatusOf(k as never))).toEqual(['investigating', 'identified', 'monitoring', 'resolved', null, null, null]);
  });

  it('says what a status page service takes, in public words: no alert text, hosts, keys or people; the sequence grows with the record', () => {
    const open = incident(SECRETISH);
    const first = statusPageUpdateOf(open, 'Admin API', 'investigating', T0 + MIN);
    expect(StatusPageUpdate.parse(first)).toEqual(first);
    expect(first).toEqual({ component: 'Admin API', status: 'investigating', message: 'We are investigating a problem affecting the API, live updates of Admin API since 10:00 UTC.', incidentId: 'inc-1', sequence: 1, updatedAt: '2026-11-20T10:01:00.000Z' });
    const done = incident(SECRETISH, [1, contain], [2, swapped], [3, { type: 'monitoring-started', endsAt: T0 + 33 * MIN }], [40, { type: 'resolved', by: null, summary: null, why: 'window passed', postmortemDueAt: T0 }]);
    const last = statusPageUpdateOf(done, 'Admin API', 'resolved', T0 + 40 * MIN);
    expect(last.sequence).toBeGreaterThan(first.sequence);
    expect(last.message).toBe('This incident has been resolved. Admin API (the API, live updates) was affected from 10:00 to 10:03 UTC.');
    for (const u of [first, last]) expect(JSON.stringify(u)).not.toMatch(/5xx|azurewebsites|code=|contoso|r4[12]/);
  });

  it('redacts what the policy itself might carry into the message (a key in the component name)', () => {
    const u = statusPageUpdateOf(incident('x'), 'Admin API?code=abcdefghijklmnopqrstuvwxyz0123456789ABCD==', 'monitoring', T0);
    expect(u.message).not.toContain('abcdefghijklmnopqrstuvwxyz0123456789ABCD');
    expect(u.message).toContain('[REDACTED:');
  });
});

describe("stakeholders' summary", () => {
  it('while it lasts: plain status, impact since when, nothing done yet, the next summary on the cadence', () => {
    const m = stakeholderSummaryOf(incident('x'), { sequence: 1, final: false, now: T0 + MIN, everyMs: 30 * MIN });
    expect(m).toMatchObject({ status: 'Investigating', impact: ['the API', 'live updates'], impactSince: '2026-11-20T10:00:00.000Z', done: [], nextUpdateAt: '2026-11-20T10:31:00.000Z', final: false });
    expect(m).not.toHaveProperty('impactUntil');
  });

  it('the final one: resolved, the impact window closed at recovery, what was done, no next summary', () => {
    const s = incident('x', [1, contain], [2, swapped], [3, { type: 'monitoring-started', endsAt: T0 + 33 * MIN }], [40, { type: 'resolved', by: null, summary: null, why: 'window passed', postmortemDueAt: T0 }]);
    const m = stakeholderSummaryOf(s, { sequence: 3, final: true, now: T0 + 40 * MIN, everyMs: 30 * MIN });
    expect(m).toMatchObject({ status: 'Resolved', impactUntil: '2026-11-20T10:03:00.000Z', done: ['Rolled the API back to the last known good release (r41)'], final: true });
    expect(m).not.toHaveProperty('nextUpdateAt');
  });

  it('names a restart and a scale-out in plain words, from the same action table as the thread', () => {
    const steps = [
      { step: 'contain/restart/1', action: { kind: 'restart' as const, reason: 'x' } },
      { step: 'contain/scale/1', action: { kind: 'scale-out' as const, to: 4, reason: 'x' } },
    ];
    const started: NewEvent = { type: 'containment-started', choice: 'restart', steps, why: 'decided', rollback: false, dueAt: T0 + 40 * MIN, timebox: 'containment' };
    const done = (step: string, action: 'restart' | 'scale-out'): NewEvent => ({ type: 'action-completed', step, action, activity: 'x', mode: 'execute', outcome: { kind: 'done', summary: 'ok', changes: [] } });
    const s = incident('x', [1, started], [2, done('contain/restart/1', 'restart')], [3, done('contain/scale/1', 'scale-out')]);
    expect(stakeholderSummaryOf(s, { sequence: 2, final: false, now: T0 + 4 * MIN, everyMs: 30 * MIN }).done).toEqual(['Restarted the service', 'Added capacity (4 instances)']);
  });
});

describe('customer message draft', () => {
  it('ongoing: says so, with no end time', () => {
    const d = customerDraft(incident(SECRETISH));
    expect(d).toContain('# Ongoing: service disruption affecting admin-api');
    expect(d).toContain('are affected since 2026-11-20 10:00 UTC (ongoing when this draft was written).');
    expect(d).not.toMatch(/azurewebsites|code=/);
  });

  it('resolved: the impact window from the record and what was done', () => {
    const d = customerDraft(incident('x', [1, contain], [2, swapped], [3, { type: 'monitoring-started', endsAt: T0 + 33 * MIN }], [40, { type: 'resolved', by: null, summary: null, why: 'w', postmortemDueAt: T0 }]));
    expect(d).toContain('**Status:** Resolved');
    expect(d).toContain('were affected from 2026-11-20 10:00 UTC to 2026-11-20 10:03 UTC.');
    expect(d).toContain('- Rolled the API back to the last known good release (r41)');
    expect(d).toMatch(/^<!-- DRAFT for a person to review and send\. Incident inc-1\. Not sent by the automation\. -->/);
    expect(d).not.toContain('DRILL');
  });

  it('a drill says so at the top', () => {
    const s = incident('x');
    expect(customerDraft({ ...s, drill: true })).toContain('> DRILL: this incident was a drill; nothing was disrupted and nothing is to be sent.');
  });
});
