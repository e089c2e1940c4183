/**
 * The runbook state machine, driven the way the orchestration drives it: a small interpreter
 * answers each command (from a scripted world), and time moves to the next wake-up. Every fact
 * the tests read is the incident record's (the machine's only state of its own is bookkeeping).
 */
import { describe, expect, it } from 'vitest';
import { Rota, Thresholds, type SeverityLevel, type Timebox } from '../../src/config/policy.js';
import type { ActionOutcome } from '../../src/domain/actions.js';
import type { Actor } from '../../src/domain/actor.js';
import type { RecentChange, ReleaseState } from '../../src/domain/containment.js';
import type { Inbound } from '../../src/domain/incident-events.js';
import type { ActiveAlert, WatchedMetric } from '../../src/domain/monitor-signals.js';
import type { SignalReadings, SignalsConfig } from '../../src/domain/signals-judgement.js';
import { applyEvent, deriveIncident, timeboxesOf, type CheckFacts, type Incident, type IncidentEvent } from '../../src/domain/incident-record.js';
import {
  decisionDueAt,
  MESSAGE_WAIT_MAX_MS,
  MESSAGE_WAIT_MIN_MS,
  messageDeadline,
  newPlan,
  nextWake,
  onInbound,
  onResult,
  onTimer,
  start,
  Turn,
  type Command,
  type CommandResult,
  type Plan,
  type RunbookConfig,
} from '../../src/domain/runbook.js';
import { buildMessage, type MessageContext } from '../../src/domain/runbook-messages.js';
import { timelineOf } from '../../src/domain/incident-timeline.js';
import { containmentActions } from '../../src/domain/postmortem.js';
import { incidentRecordOf } from '../../src/domain/runbook-evidence.js';

const MIN = 60_000;
const T0 = Date.UTC(2026, 10, 20, 10, 0); // Friday 20 Nov 2026, 10:00 UTC
const boxes: Record<SeverityLevel, Timebox> = {
  P1: { ackMinutes: 15, decisionMinutes: 10, noDecision: 'rollback', containmentMinutes: 15, recoveryMinutes: 30, monitoringMinutes: 60, updateEveryMinutes: 15 },
  P2: { ackMinutes: 30, decisionMinutes: 20, noDecision: 'escalate', containmentMinutes: 30, recoveryMinutes: 30, monitoringMinutes: 30, updateEveryMinutes: 30 },
  P3: { ackMinutes: 120, decisionMinutes: 120, noDecision: 'escalate', containmentMinutes: 240, recoveryMinutes: 60, monitoringMinutes: 30, updateEveryMinutes: 120 },
};
const config: RunbookConfig = {
  boxes,
  escalation: [{ afterMinutes: 15, notify: ['deputy@contoso.example'], severities: ['P1'] }],
  webCoupled: false,
  flagsInScope: ['EnableLegacyHttpSse'],
  configInScope: ['Network:SseKeepAliveSeconds'],
  canRollBackApi: true,
  canRollBackWeb: false,
  postmortemDueBusinessDays: 3,
  mode: 'execute',
  onCall: [],
  triggers: ['error-rate'],
  signals: null,
  stakeholderEvery: null,
};

const checks = (v: CheckFacts['verdict']): CheckFacts => ({
  verdict: v,
  reasons: v === 'green' ? [] : ['SSE first event 450 ms > 200 ms'],
  failing: v === 'green' ? [] : ['sse'],
  liveness: 'green',
  readiness: 'green',
  sse: { ttfbMs: v === 'green' ? 120 : 450, heartbeatMs: 10_000 },
});

interface World {
  snapshot: { checks: CheckFacts; changes: RecentChange[]; api: ReleaseState | null };
  /** Verdict of the nth smoke run (the last one repeats). */
  smoke: CheckFacts['verdict'][];
  outcome: (c: Extract<Command, { kind: 'execute' }>) => ActionOutcome;
  /** What the signal readers answer at a time (absent: never asked, the config has no signals). */
  signals?: (now: number) => SignalReadings;
  /** Critical parity drift keys of the nth smoke run (the last one repeats; absent: none). */
  drift?: string[][];
  /** Pages that do not go out: how many attempts of a page step fail (absent: all go out). */
  pageFailures?: Record<string, number>;
}

const person = (id: string): Actor => ({ id, via: 'api' });
const at = (ms: number): string => new Date(ms).toISOString();

class Driver {
  readonly events: IncidentEvent[] = [];
  readonly s: Incident;
  readonly p: Plan;
  now = T0;
  log: Command[] = [];
  /** Each status update carried out: its sequence, and whether the incident was resolved by then. */
  updates: { sequence: number; afterResolution: boolean }[] = [];
  private smokeRuns = 0;

  constructor(
    private readonly world: World,
    severity: SeverityLevel = 'P1',
    private readonly c: RunbookConfig = config,
    people: { rota?: Rota; decisionOwner?: string } = {},
  ) {
    const declared: IncidentEvent = {
      type: 'declared',
      seq: 0,
      at: T0,
      incidentId: 'inc-1',
      service: 'admin-api',
      environment: 'Prod',
      summary: '5xx after release',
      source: 'alert',
      by: { id: 'prod-api-5xx', via: 'alert' },
      impact: ['api'],
      severity,
      reasons: [],
      drill: false,
      timeboxes: boxes,
      postmortemDueBusinessDays: 3,
      alert: null,
      rota: people.rota ?? null,
      decisionOwner: people.decisionOwner ?? null,
    };
    this.s = applyEvent(null, declared);
    this.events.push(declared);
    this.p = newPlan(T0);
    this.turn((t) => start(t));
  }

  private turn(act: (t: Turn) => void): void {
    const t = new Turn(this.s, this.p, this.c, this.now, (e) => this.events.push(e));
    act(t);
    const queue = [...t.commands];
    while (queue.length) {
      const cmd = queue.shift() as Command;
      this.log.push(cmd);
      if (cmd.kind === 'announce' && cmd.message === 'update') this.updates.push({ sequence: cmd.sequence ?? 0, afterResolution: this.s.resolution !== null });
      const r = new Turn(this.s, this.p, this.c, this.now, (e) => this.events.push(e));
      onResult(r, cmd, this.answer(cmd));
      queue.push(...r.commands);
    }
  }

  private answer(cmd: Command): CommandResult {
    switch (cmd.kind) {
      case 'snapshot':
        return { kind: 'snapshot', checks: { ...this.world.snapshot.checks, run: null }, changes: this.world.snapshot.changes, api: this.world.snapshot.api, web: null, problems: [], seen: [] };
      case 'smoke': {
        const n = this.smokeRuns++;
        const v = this.world.smoke[Math.min(n, this.world.smoke.length - 1)] ?? 'green';
        const drift = this.world.drift?.[Math.min(n, this.world.drift.length - 1)] ?? [];
        return { kind: 'checks', checks: { ...checks(v), run: null, ...(drift.length ? { drift } : {}) }, signals: this.world.signals?.(this.now) ?? null };
      }
      // A drill's actions report what they would do, as the activities do in plan mode.
      case 'execute':
        return { kind: 'action', activity: `activity-${cmd.action.kind}`, outcome: this.c.mode === 'plan' ? { kind: 'planned', summary: `Plan: ${cmd.action.kind}`, changes: [] } : this.world.outcome(cmd) };
      case 'freeze':
      case 'record-lkg':
        return { kind: 'action', activity: cmd.kind, outcome: this.c.mode === 'plan' ? { kind: 'planned', summary: `Plan: ${cmd.kind}`, changes: [] } : { kind: 'done', summary: `${cmd.kind} ok`, changes: [] } };
      case 'announce':
      case 'page-on-call':
        return { kind: 'teams', events: [] };
      case 'page': {
        const left = this.world.pageFailures?.[cmd.step] ?? 0;
        if (left > 0 && this.world.pageFailures) this.world.pageFailures[cmd.step] = left - 1;
        return { kind: 'teams', events: [{ type: 'paged', step: cmd.step, who: cmd.label, delivered: left === 0, summary: left ? 'Graph answered 503' : `paged ${cmd.people.join(', ')}` }] };
      }
      case 'locate-evidence':
        return { kind: 'located', links: null, problem: null };
      case 'archive':
        return { kind: 'archived', sealed: true, manifestSha256: null, summary: 'sealed', actionItems: [] };
      case 'read-follow-ups':
        return { kind: 'follow-ups', ticketUrl: null, items: [], problem: null };
      case 'close':
        return { kind: 'done', problem: null };
      case 'signals':
        if (!this.world.signals) return { kind: 'signals', readings: null, problem: 'no signals in this world' };
        if (cmd.purpose === 'update') return { kind: 'signals', readings: this.world.signals(this.now), problem: null };
        return { kind: 'signals', readings: this.world.signals(this.now), problem: null, checks: { ...checks(this.world.smoke[Math.min(this.smokeRuns++, this.world.smoke.length - 1)] ?? 'green'), run: null } };
    }
  }

  /** Lets time pass until `until`, waking the machine at each of its deadlines. */
  advanceTo(until: number): void {
    for (;;) {
      const wake = nextWake(this.s, this.p, this.c);
      if (wake === null || wake > until) break;
      this.now = Math.max(this.now, wake);
      this.turn((t) => onTimer(t));
    }
    this.now = Math.max(this.now, until);
  }

  event(e: Inbound): void {
    this.turn((t) => onInbound(t, e));
  }

  decide(by: string, choice: Extract<Inbound, { name: 'decision' }>['payload']['choice'], proposalId?: string): void {
    this.event({ name: 'decision', payload: { actor: person(by), at: at(this.now), choice, ...(proposalId ? { proposalId } : {}) } });
  }

  messages(): string[] {
    return this.log.filter((c): c is Extract<Command, { kind: 'announce' }> => c.kind === 'announce').map((c) => c.message);
  }

  executed(): string[] {
    return this.log.filter((c): c is Extract<Command, { kind: 'execute' }> => c.kind === 'execute').map((c) => c.action.kind);
  }

  timeline(): string[] {
    return this.events.map((e) => ('why' in e && typeof e.why === 'string' ? `${e.type}: ${e.why}` : e.type));
  }
}

const release: ReleaseState = { current: 'api-2026.11.3', lkg: 'api-2026.11.2', deployedAt: new Date(T0 - 60 * MIN).toISOString(), migrations: [] };
const done = (c: Extract<Command, { kind: 'execute' }>): ActionOutcome => ({ kind: 'done', summary: `${c.action.kind} done`, changes: [] });
const apiWorld = (smoke: CheckFacts['verdict'][]): World => ({ snapshot: { checks: checks('red'), changes: [], api: release }, smoke, outcome: done });
const flagWorld = (smoke: CheckFacts['verdict'][]): World => ({
  snapshot: { checks: checks('red'), changes: [{ kind: 'flag', key: 'EnableLegacyHttpSse', at: new Date(T0 - 20 * MIN).toISOString(), before: false, after: true, actor: 'sam' }], api: release },
  smoke,
  outcome: done,
});

describe('runbook', () => {
  it('declares, snapshots and proposes within the first minutes', () => {
    const d = new Driver(apiWorld(['green']));
    expect(d.messages()).toEqual(['declared', 'proposal']);
    expect(d.s.phase).toBe('deciding');
    expect(d.s.proposal?.path).toBe('api-to-lkg');
    expect(decisionDueAt(d.s, config)).toBe(T0 + 10 * MIN);
  });

  it('P1: nobody decides in 10 minutes -> freezes deploys and rolls back to LKG, then verifies, monitors 60 min and resolves', () => {
    const d = new Driver(apiWorld(['green']));
    d.advanceTo(T0 + 10 * MIN - 1);
    expect(d.executed()).toEqual([]);
    d.advanceTo(T0 + 10 * MIN);
    expect(d.log.map((c) => c.kind)).toContain('freeze');
    expect(d.executed()).toEqual(['api-to-lkg']);
    expect(d.s.decision).toMatchObject({ choice: 'api-to-lkg', by: null, automatic: true });
    expect(d.s.rolledBack).toBe(true);
    expect(d.messages()).toEqual(['declared', 'proposal', 'rollback-started', 'stabilized']);
    expect(d.s.phase).toBe('monitoring');
    expect(d.s.windows.at(-1)?.endsAt).toBe(T0 + 10 * MIN + 60 * MIN);
    d.advanceTo(T0 + 71 * MIN);
    expect(d.s.phase).toBe('closed');
    expect(d.s.resolution).toMatchObject({ automatic: true, at: T0 + 70 * MIN });
    expect(d.messages().slice(-2)).toEqual(['rollback-executed', 'resolved']);
    // Freeze lifted; no new LKG recorded after a rollback.
    expect(d.log.filter((c) => c.kind === 'freeze').map((c) => (c as { on: boolean }).on)).toEqual([true, false]);
    expect(d.log.some((c) => c.kind === 'record-lkg')).toBe(false);
    expect(d.messages().filter((m) => m === 'update').length).toBeGreaterThanOrEqual(4);
  });

  it('reissues the proposal with links for the new deadline when a person extends the decision timebox', () => {
    const d = new Driver(apiWorld(['green']));
    d.advanceTo(T0 + 8 * MIN);
    d.event({ name: 'extend', payload: { actor: person('riley'), at: at(d.now), timebox: 'decision', minutes: 5 } });
    expect(decisionDueAt(d.s, config)).toBe(T0 + 15 * MIN);
    const proposals = d.events.filter((e): e is Extract<IncidentEvent, { type: 'proposal-issued' }> => e.type === 'proposal-issued');
    expect(proposals.map((e) => e.decisionDueAt)).toEqual([T0 + 10 * MIN, T0 + 15 * MIN]);
    expect(proposals.map((e) => e.proposalId)).toEqual(['proposal-1', 'proposal-1']);
    const cards = d.log.filter((c) => c.kind === 'announce' && c.message === 'proposal');
    expect(new Set(cards.map((c) => c.step)).size).toBe(2);
    expect(proposals[1]?.why).toBe('Decision timebox extended by 5 min by riley.');
    // The old deadline no longer rolls back; the new one does.
    d.advanceTo(T0 + 14 * MIN);
    expect(d.executed()).toEqual([]);
    d.advanceTo(T0 + 15 * MIN);
    expect(d.executed()).toEqual(['api-to-lkg']);
  });

  it('P2 reminder: escalates and reissues the proposal with links for the next deadline', () => {
    const d = new Driver(apiWorld(['green']), 'P2');
    const due = decisionDueAt(d.s, config);
    d.advanceTo(due);
    expect(d.executed()).toEqual([]);
    expect(d.messages().slice(-2)).toEqual(['escalation', 'proposal']);
    expect(d.s.escalations.at(-1)?.reason).toBe('no-decision');
    expect(decisionDueAt(d.s, config)).toBeGreaterThan(due);
    expect(d.s.proposal?.decisionDueAt).toBe(due + 20 * MIN);
  });

  it('sets the postmortem due date 3 business days after the resolution (skipping the weekend) and ends', () => {
    const d = new Driver(apiWorld(['green']));
    d.event({ name: 'resolve', payload: { actor: person('riley'), at: at(d.now) } });
    expect(d.s.phase).toBe('closed');
    // Resolved Friday 20 Nov -> due Wednesday 25 Nov.
    expect(at(d.s.resolution?.postmortemDueAt ?? 0)).toBe('2026-11-25T10:00:00.000Z');
    expect(d.s.resolution).toMatchObject({ automatic: false, by: { id: 'riley' } });
    expect(nextWake(d.s, d.p, config)).toBeNull();
  });

  it('closes so that the sealed pack holds the whole story: rollback executed, freeze lifted, resolved, then the archive', () => {
    const d = new Driver(apiWorld(['green']));
    d.event({ name: 'rollback', payload: { actor: person('riley'), at: at(d.now), reason: 'customers failing' } });
    d.advanceTo(d.now);
    expect(d.s.phase).toBe('monitoring');
    const before = d.log.length;
    d.event({ name: 'resolve', payload: { actor: person('riley'), at: at(d.now) } });
    const close = d.log.slice(before).map((c) => (c.kind === 'announce' ? `announce:${c.message}` : c.kind === 'freeze' ? `freeze:${c.on ? 'on' : 'off'}` : c.kind));
    expect(close).toEqual(['locate-evidence', 'announce:rollback-executed', 'freeze:off', 'announce:resolved', 'read-follow-ups', 'archive', 'close']);
  });

  it('config revert that re-stabilises: no app rollback, and the release becomes the new LKG after the window', () => {
    const d = new Driver(flagWorld(['green']));
    expect(d.s.proposal?.path).toBe('revert-config');
    d.advanceTo(T0 + 4 * MIN);
    d.decide('riley', 'accept-proposal', d.s.proposal?.id);
    expect(d.executed()).toEqual(['set-flag']);
    expect(d.log.some((c) => c.kind === 'freeze')).toBe(false);
    expect(d.s.phase).toBe('verifying');
    d.advanceTo(d.now);
    expect(d.s.phase).toBe('monitoring');
    d.advanceTo(T0 + 4 * MIN + 61 * MIN);
    expect(d.s.phase).toBe('closed');
    expect(d.log.some((c) => c.kind === 'record-lkg')).toBe(true);
    expect(d.messages()).not.toContain('rollback-executed');
    // The LKG record and the resolution come before the archive, so both are in the sealed pack.
    const tail = d.log.slice(d.log.findIndex((c) => c.kind === 'record-lkg')).map((c) => (c.kind === 'announce' ? `announce:${c.message}` : c.kind));
    expect(tail).toEqual(['record-lkg', 'announce:resolved', 'read-follow-ups', 'archive', 'close']);
  });

  it("gives a message until the current phase's deadline to get through, between 1 and 5 minutes", () => {
    const d = new Driver(apiWorld(['green']));
    // Deciding: the decision is due at T0 + 10 min.
    expect(messageDeadline(d.s, d.p, config, T0)).toBe(T0 + MESSAGE_WAIT_MAX_MS);
    expect(messageDeadline(d.s, d.p, config, T0 + 7 * MIN)).toBe(T0 + 10 * MIN);
    expect(messageDeadline(d.s, d.p, config, T0 + 9.9 * MIN)).toBe(T0 + 9.9 * MIN + MESSAGE_WAIT_MIN_MS);
    // Containing a rollback (recovery timebox 30 min): bounded by the maximum.
    d.event({ name: 'rollback', payload: { actor: person('riley'), at: at(d.now), reason: 'customers failing' } });
    expect(messageDeadline(d.s, d.p, config, d.now)).toBe(d.now + MESSAGE_WAIT_MAX_MS);
    // Resolved: no timebox left, the maximum.
    d.event({ name: 'resolve', payload: { actor: person('riley'), at: at(d.now) } });
    expect(messageDeadline(d.s, d.p, config, d.now)).toBe(d.now + MESSAGE_WAIT_MAX_MS);
  });

  it('rolls back when a config revert does not re-stabilise within 15 minutes', () => {
    const world: World = { ...flagWorld(['red', 'red', 'red', 'red', 'red', 'red', 'red', 'red', 'red', 'green']), snapshot: { ...flagWorld([]).snapshot, changes: [{ kind: 'config', key: 'Network:SseKeepAliveSeconds', at: new Date(T0 - 20 * MIN).toISOString(), before: '10', after: '60', actor: 'alex' }] } };
    const d = new Driver(world);
    d.decide('riley', 'revert-config');
    expect(d.executed()).toEqual(['set-config']);
    d.advanceTo(T0 + 15 * MIN - 1);
    expect(d.executed()).toEqual(['set-config']);
    d.advanceTo(T0 + 15 * MIN);
    expect(d.executed()).toEqual(['set-config', 'api-to-lkg']);
    expect(d.timeline()).toContain('containment-started: containment did not re-stabilise within 15 min');
    // The first containment missed its timebox; the rollback has its own (the RB-02 rollback target).
    expect(d.s.containments.map((c) => [c.timebox, c.supersededAt])).toEqual([
      ['containment', T0 + 15 * MIN],
      ['recovery', null],
    ]);
  });

  it('re-opens containment on a regression during monitoring (rolls back if not done yet)', () => {
    const d = new Driver(flagWorld(['green', 'green', 'red', 'green']));
    d.decide('riley', 'accept-proposal');
    d.advanceTo(T0 + 12 * MIN);
    expect(d.s.regressions).toBe(1);
    expect(d.executed()).toEqual(['set-flag', 'api-to-lkg']);
  });

  it('P2: nobody decides -> escalates and reminds instead of rolling back; a later decision still counts', () => {
    const d = new Driver(apiWorld(['green']), 'P2');
    d.advanceTo(T0 + 20 * MIN);
    expect(d.executed()).toEqual([]);
    expect(d.messages()).toContain('escalation');
    expect(d.p.decisionReminders).toBe(1);
    d.advanceTo(T0 + 25 * MIN);
    d.decide('sam', 'api-to-lkg');
    expect(d.executed()).toEqual(['api-to-lkg']);
  });

  it('escalates a P1 without an IC along the chain once; an IC claiming the role stops it, and so does a decision by a person, but not a bare acknowledgement', () => {
    const icEscalations = (dr: Driver) => dr.log.filter((c) => c.kind === 'announce' && c.message === 'escalation' && c.step.startsWith('announce/escalation/ic/'));
    const d = new Driver(apiWorld(['green']));
    d.advanceTo(T0 + 15 * MIN);
    expect(icEscalations(d)).toEqual([expect.objectContaining({ reason: 'no-ic', people: ['deputy@contoso.example'] })]);
    d.advanceTo(T0 + 40 * MIN);
    expect(icEscalations(d)).toHaveLength(1);

    const acked = new Driver(apiWorld(['green']));
    acked.event({ name: 'ack', payload: { actor: person('riley'), at: at(acked.now) } });
    acked.advanceTo(T0 + 20 * MIN);
    expect(icEscalations(acked)).toHaveLength(1);
    const escalated = acked.events.find((e) => e.type === 'escalated');
    expect(escalated?.type === 'escalated' && escalated.text).toContain('acknowledged by riley, but nobody took the IC role');

    const ic = new Driver(apiWorld(['green']));
    ic.event({ name: 'ack', payload: { actor: person('riley'), at: at(ic.now), role: 'ic' } });
    ic.advanceTo(T0 + 20 * MIN);
    expect(icEscalations(ic)).toHaveLength(0);
    expect(ic.s.roles.ic).toMatchObject({ person: { id: 'riley' }, how: 'claimed', at: T0 });

    // A person's decision is an acknowledgement: someone is on it.
    const decided = new Driver(apiWorld(['green']));
    decided.advanceTo(T0 + 2 * MIN);
    decided.decide('riley', 'monitor-only');
    decided.advanceTo(T0 + 40 * MIN);
    expect(icEscalations(decided)).toHaveLength(0);
    expect(decided.s.engagedAt).toBe(T0 + 2 * MIN);
  });

  it('posts status updates on the severity cadence until resolved', () => {
    const d = new Driver(apiWorld(['red']), 'P2');
    d.decide('riley', 'monitor-only');
    d.advanceTo(T0 + 95 * MIN);
    const updates = d.log.filter((c) => c.kind === 'announce' && c.message === 'update');
    expect(updates.length).toBe(3);
    d.event({ name: 'resolve', payload: { actor: person('riley'), at: at(d.now) } });
    d.advanceTo(T0 + 200 * MIN);
    expect(d.log.filter((c) => c.kind === 'announce' && c.message === 'update')).toHaveLength(3);
  });

  it('sends no status update after the resolution: an update due with the round that ends the window waits for its result', () => {
    // P1: the window (60 min) ends, a monitoring round (every 5 min) and update #4 (every 15 min)
    // all come due at T0 + 60 min. The round resolves the incident: no "update" follows it.
    const d = new Driver(apiWorld(['green']));
    d.decide('riley', 'accept-proposal');
    d.advanceTo(T0 + 120 * MIN);
    expect(d.s.resolution?.at).toBe(T0 + 60 * MIN);
    expect(d.updates.map((u) => u.sequence)).toEqual([1, 2, 3]);
    expect(d.updates.filter((u) => u.afterResolution)).toEqual([]);
    expect(d.messages().slice(-1)).toEqual(['resolved']);
  });

  it('still posts an update due with a round that does not resolve the incident, right after the round', () => {
    // Monitoring: a round every 5 min, update #1 at T0 + 15 min, with the third round.
    const d = new Driver(apiWorld(['green']));
    d.decide('riley', 'accept-proposal');
    d.advanceTo(T0 + 16 * MIN);
    expect(d.updates).toEqual([{ sequence: 1, afterResolution: false }]);
    const log = d.log.map((c) => (c.kind === 'announce' ? `announce:${c.message}` : c.kind));
    expect(log.filter((c) => c === 'smoke')).toHaveLength(4);
    expect(log.at(-1)).toBe('announce:update');
  });

  it('ignores a decision that answers an older proposal, and a second rollback request', () => {
    const d = new Driver(apiWorld(['green']));
    d.decide('sam', 'api-to-lkg', 'proposal-old');
    expect(d.executed()).toEqual([]);
    expect(d.events.at(-1)).toMatchObject({ type: 'ignored', why: 'it answered an older proposal (proposal-old); the current one is proposal-1' });
    d.event({ name: 'rollback', payload: { actor: person('riley'), at: at(d.now), reason: 'customers failing' } });
    d.event({ name: 'rollback', payload: { actor: person('sam'), at: at(d.now), reason: 'again' } });
    expect(d.executed()).toEqual(['api-to-lkg']);
    expect(d.events.at(-1)).toMatchObject({ type: 'ignored', why: 'production already runs the last known good release' });
  });

  it('extends the monitoring window when the alert fires again, and on request', () => {
    const d = new Driver(apiWorld(['green']));
    d.decide('riley', 'accept-proposal');
    const ends = d.s.windows.at(-1)?.endsAt ?? 0;
    d.advanceTo(T0 + 50 * MIN);
    const alert = { dedupeKey: 'a2|Fired', receivedAt: at(d.now), payloadRef: null, severity: { level: 'P1' as const, reasons: [], triggers: [] } };
    const signal = { alertId: 'a2', rule: 'prod-5xx', azureSeverity: null, signalType: null, condition: 'Fired' as const, monitoringService: null, kind: 'metric', firedAt: at(d.now), resolvedAt: null, description: null, targets: [], configurationItems: [], metrics: [], query: null, activity: null, properties: {}, contextProblems: [] };
    d.event({ name: 'alert', payload: { ...alert, signal } });
    expect(d.s.windows.at(-1)?.endsAt).toBe(T0 + 50 * MIN + 30 * MIN);
    d.event({ name: 'extend', payload: { actor: person('riley'), at: at(d.now), timebox: 'monitoring', minutes: 10 } });
    expect(d.s.windows.at(-1)?.endsAt).toBe(T0 + 90 * MIN);
    expect(ends).toBeLessThan(d.s.windows.at(-1)?.endsAt ?? 0);
  });

  it('escalates when a rollback is refused (no LKG recorded), by that reason, and never counts it as a rollback', () => {
    const world = { ...apiWorld(['red']), outcome: (): ActionOutcome => ({ kind: 'refused', summary: 'No LKG is recorded for Prod/api', reason: 'no-lkg' }) };
    const d = new Driver(world);
    d.advanceTo(T0 + 10 * MIN);
    expect(d.s.rolledBack).toBe(false);
    expect(d.s.escalations.map((e) => e.reason)).toContain('action-refused');
    // The refused rollback is not tried again on its own at the recovery deadline: people are asked.
    d.advanceTo(T0 + 41 * MIN);
    expect(d.executed()).toEqual(['api-to-lkg']);
    expect(d.s.escalations.map((e) => e.reason)).toContain('not-recovered');
  });

  it('the machine keeps no fact of its own: the record rebuilt from the events is the one it decided on', () => {
    const d = new Driver(flagWorld(['red', 'green', 'green', 'red', 'green']));
    d.decide('riley', 'accept-proposal');
    d.advanceTo(T0 + 90 * MIN);
    expect(deriveIncident(d.events)).toEqual(d.s);
    expect(d.events.map((e) => e.seq)).toEqual(d.events.map((_, i) => i));
  });
});

describe("the stakeholders' summary", () => {
  const stakeholders = (d: Driver) => d.log.filter((c): c is Extract<Command, { message: 'stakeholder-summary' }> => c.kind === 'announce' && c.message === 'stakeholder-summary');

  it('goes out at the declaration and on its own cadence per severity, stops at a severity without one, and ends with a final one at resolution', () => {
    const d = new Driver(apiWorld(['red']), 'P1', { ...config, stakeholderEvery: { P1: 20, P2: 60 } });
    d.advanceTo(T0 + 45 * MIN);
    expect(stakeholders(d).map((c) => [c.step, c.sequence, c.final])).toEqual([
      ['announce/stakeholders/1', 1, false],
      ['announce/stakeholders/2', 2, false],
      ['announce/stakeholders/3', 3, false],
    ]);
    expect(d.p.stakeholders.lastAt).toBe(T0 + 40 * MIN);
    d.event({ name: 'severity', payload: { actor: person('riley'), at: at(d.now), level: 'P3', reason: 'internal only' } });
    d.advanceTo(T0 + 300 * MIN);
    expect(stakeholders(d)).toHaveLength(3);
    d.event({ name: 'resolve', payload: { actor: person('riley'), at: at(d.now) } });
    expect(stakeholders(d).at(-1)).toMatchObject({ step: 'announce/stakeholders/final', sequence: 4, final: true });
  });

  it('none without a stakeholder channel, and no final one when none was sent', () => {
    const d = new Driver(apiWorld(['green']), 'P3', { ...config, stakeholderEvery: { P1: 20 } });
    d.advanceTo(T0 + 120 * MIN);
    d.event({ name: 'resolve', payload: { actor: person('riley'), at: at(d.now) } });
    expect(stakeholders(d)).toEqual([]);
    expect(stakeholders(new Driver(apiWorld(['green'])))).toEqual([]);
  });
});

describe('roles (RB-03 section 4, RB-02 section 4)', () => {
  const rota = Rota.parse({
    ic: ['rm@contoso.example', 'sre-backup@contoso.example'],
    deputy: ['sre@contoso.example'],
    sme: { devLead: ['devlead@contoso.example'], dba: ['dba@contoso.example'], security: ['sec@contoso.example'] },
  });
  const pages = (dr: Driver) => dr.log.filter((c): c is Extract<Command, { kind: 'page' }> => c.kind === 'page').map((c) => `${c.label}: ${c.people.join(', ')}`);
  const withTriggers = (triggers: RunbookConfig['triggers']): RunbookConfig => ({ ...config, triggers });

  it('the rota pages the first IC and Deputy, and the SMEs of the triage row that matched, once each', () => {
    const d = new Driver(apiWorld(['green']), 'P1', withTriggers(['error-rate']), { rota });
    expect(pages(d)).toEqual(['Incident Commander (rota): rm@contoso.example', 'Deputy (rota): sre@contoso.example', 'SME Dev Lead (error-rate): devlead@contoso.example']);
    const latency = new Driver(apiWorld(['green']), 'P1', withTriggers(['latency-p95', 'auth-failures']), { rota });
    expect(pages(latency).slice(2)).toEqual(['SME DBA (latency-p95): dba@contoso.example', 'SME Security (auth-failures): sec@contoso.example']);
    // A P3 pages nobody (the rota's severities: P1 and P2).
    expect(pages(new Driver(apiWorld(['green']), 'P3', config, { rota }))).toEqual([]);
  });

  it('no IC within the IC timebox (15 min) pages the IC backups with the chain, once; the rota IC acknowledging takes the role', () => {
    const d = new Driver(apiWorld(['green']), 'P1', config, { rota });
    d.event({ name: 'ack', payload: { actor: person('sre@contoso.example'), at: at(d.now) } });
    expect(d.s.roles.deputy).toMatchObject({ person: { id: 'sre@contoso.example' }, how: 'rota' });
    expect(d.s.roles.ic).toBeNull();
    d.advanceTo(T0 + 15 * MIN - 1);
    expect(d.events.filter((e) => e.type === 'escalated')).toEqual([]);
    d.advanceTo(T0 + 15 * MIN);
    expect(d.events.filter((e) => e.type === 'escalated')).toEqual([expect.objectContaining({ reason: 'no-ic', people: ['sre-backup@contoso.example', 'deputy@contoso.example'] })]);
    expect(timeboxesOf(d.s).find((t) => t.name === 'ic')).toMatchObject({ verdict: 'missed', note: 'no Incident Commander assigned' });

    const ok = new Driver(apiWorld(['green']), 'P1', config, { rota });
    ok.now = T0 + 4 * MIN;
    ok.event({ name: 'ack', payload: { actor: person('rm@contoso.example'), at: at(ok.now) } });
    ok.advanceTo(T0 + 30 * MIN);
    expect(ok.s.roles.ic).toMatchObject({ how: 'rota', at: T0 + 4 * MIN });
    expect(ok.events.filter((e) => e.type === 'escalated' && e.reason === 'no-ic')).toEqual([]);
    expect(timeboxesOf(ok.s).find((t) => t.name === 'ic')).toMatchObject({ verdict: 'met', metAt: T0 + 4 * MIN });
  });

  it('a rota page that did not go out is tried again at the next turns, like the on-call page, at most 3 times; each says the role', () => {
    const world = { ...apiWorld(['green']), pageFailures: { 'teams/notify/rota/ic': 5 } };
    const d = new Driver(world, 'P1', config, { rota });
    const ic = () => d.log.filter((c) => c.kind === 'page' && c.step === 'teams/notify/rota/ic');
    expect(ic()).toHaveLength(1);
    expect(ic()[0]).toMatchObject({ as: 'Incident Commander', people: ['rm@contoso.example'] });
    d.advanceTo(T0 + 60 * MIN);
    expect(ic()).toHaveLength(3);
    // The Deputy's page went out the first time: sent once.
    expect(d.log.filter((c) => c.kind === 'page' && c.step === 'teams/notify/rota/deputy')).toHaveLength(1);

    const later = new Driver({ ...apiWorld(['green']), pageFailures: { 'teams/notify/rota/ic': 1 } }, 'P1', config, { rota });
    later.advanceTo(T0 + 60 * MIN);
    expect(later.log.filter((c) => c.kind === 'page' && c.step === 'teams/notify/rota/ic')).toHaveLength(2);
  });

  it('a role stays with the first to take it; a second claim is recorded as ignored', () => {
    const d = new Driver(apiWorld(['green']));
    d.event({ name: 'ack', payload: { actor: person('riley'), at: at(d.now), role: 'ic' } });
    d.event({ name: 'ack', payload: { actor: person('sam'), at: at(d.now), role: 'ic' } });
    expect(d.s.roles.ic?.person.id).toBe('riley');
    expect(d.events.at(-1)).toMatchObject({ type: 'ignored', why: 'riley already holds it' });
  });

  it('only the Decision Owner, signed in, may override a P1 default; the proposal and a rollback are anyone\'s to take', () => {
    const owner = 'director@contoso.example';
    const verified = (id: string): Actor => ({ id: `oid-${id}`, name: id, via: 'api', verified: true, auth: 'easy-auth' });
    const d = new Driver(apiWorld(['green']), 'P1', config, { decisionOwner: owner });
    d.event({ name: 'decision', payload: { actor: verified('riley@contoso.example'), at: at(d.now), choice: 'monitor-only' } });
    expect(d.s.decision).toBeNull();
    const refused = d.events.at(-1);
    expect(refused?.type === 'ignored' && refused.why).toContain('only the Decision Owner (director@contoso.example), signed in, may do that');
    // A key holder claiming to be the owner is not believed.
    d.event({ name: 'decision', payload: { actor: { id: owner, via: 'api', verified: false, auth: 'function-key' }, at: at(d.now), choice: 'monitor-only' } });
    expect(d.s.decision).toBeNull();
    d.event({ name: 'decision', payload: { actor: verified(owner), at: at(d.now), choice: 'monitor-only' } });
    expect(d.s.decision).toMatchObject({ choice: 'monitor-only', by: { name: owner } });

    const rb = new Driver(apiWorld(['green']), 'P1', config, { decisionOwner: owner });
    rb.event({ name: 'decision', payload: { actor: verified('riley@contoso.example'), at: at(rb.now), choice: 'accept-proposal' } });
    expect(rb.s.decision).toMatchObject({ choice: 'accept-proposal' });
  });

  it('a person lowers the severity: recorded with who and why, announced at once, and the cadence, timeboxes and no-decision rule follow the new severity', () => {
    const d = new Driver(apiWorld(['green']));
    d.advanceTo(T0 + 5 * MIN);
    d.event({ name: 'severity', payload: { actor: person('riley'), at: at(d.now), level: 'P2', reason: 'one tenant affected' } });
    expect(d.s.severity).toBe('P2');
    expect(d.s.severityChanges).toEqual([{ at: T0 + 5 * MIN, from: 'P1', to: 'P2', reasons: ['one tenant affected'], by: 'riley', person: person('riley') }]);
    expect(d.log.filter((c) => c.kind === 'announce' && c.message === 'update')).toEqual([expect.objectContaining({ sequence: 1, severityChange: true })]);
    // The decision is due on the P2 timebox (20 min), and nobody deciding escalates instead of rolling back.
    expect(d.s.proposal?.decisionDueAt).toBe(T0 + 20 * MIN);
    d.advanceTo(T0 + 21 * MIN);
    expect(d.executed()).toEqual([]);
    expect(d.events.filter((e) => e.type === 'escalated').map((e) => e.type === 'escalated' && e.reason)).toContain('no-decision');
    // The next update comes 30 min (P2) after the announcement, not 15 (P1).
    expect(nextWake(d.s, d.p, config)).toBeGreaterThan(T0 + 21 * MIN);
    d.advanceTo(T0 + 35 * MIN - 1);
    expect(d.log.filter((c) => c.kind === 'announce' && c.message === 'update')).toHaveLength(1);
    d.advanceTo(T0 + 35 * MIN);
    expect(d.log.filter((c) => c.kind === 'announce' && c.message === 'update')).toHaveLength(2);
    // The same severity again changes nothing.
    d.event({ name: 'severity', payload: { actor: person('sam'), at: at(d.now), level: 'P2', reason: 'again' } });
    expect(d.events.at(-1)).toMatchObject({ type: 'ignored', why: 'the incident is already P2' });
  });

  it('downgrading a P1 is the Decision Owner\'s call when the policy names one', () => {
    const d = new Driver(apiWorld(['green']), 'P1', config, { decisionOwner: 'director@contoso.example' });
    d.event({ name: 'severity', payload: { actor: person('riley'), at: at(d.now), level: 'P3', reason: 'cosmetic' } });
    expect(d.s.severity).toBe('P1');
    const refused = d.events.at(-1);
    expect(refused?.type === 'ignored' && refused.why).toContain('Downgrading a P1 overrides the P1 default in Prod');
    // Raising is anyone's.
    const p2 = new Driver(apiWorld(['green']), 'P2', config, { decisionOwner: 'director@contoso.example' });
    p2.event({ name: 'severity', payload: { actor: person('riley'), at: at(p2.now), level: 'P1', reason: 'all tenants now' } });
    expect(p2.s.severity).toBe('P1');
  });
});

describe('runbook: nobody decides a flag revert, and drills', () => {
  /** A bad release in production and, after it, a person turned a flag on: the proposal reverts the flag. */
  const flagAndRelease = (smoke: CheckFacts['verdict'][]): World => ({
    snapshot: {
      checks: checks('red'),
      changes: [{ kind: 'flag', key: 'EnableLegacyHttpSse', at: new Date(T0 - 2 * MIN).toISOString(), before: false, after: true, actor: 'dana' }],
      api: { ...release, deployedAt: null },
    },
    smoke,
    outcome: done,
  });
  const drill: RunbookConfig = { ...config, mode: 'plan' };
  const drillNotes = (d: Driver): string[] => d.events.flatMap((e) => (e.type === 'noted' && e.text.startsWith('Drill complete') ? [e.text] : []));

  it('P1 with no decision: reverts the flag the proposal named, then rolls the API back to LKG (one containment, one freeze)', () => {
    const d = new Driver(flagAndRelease(['green']));
    expect(d.s.proposal?.path).toBe('revert-config');
    d.advanceTo(T0 + 10 * MIN);
    expect(d.executed()).toEqual(['set-flag', 'api-to-lkg']);
    expect(d.s.decision).toMatchObject({ automatic: true, choice: 'api-to-lkg', why: 'nobody decided within 10 min (P1: if in doubt, roll back): reverting EnableLegacyHttpSse and rolling back to the last known good release' });
    expect(d.s.containments).toHaveLength(1);
    expect(d.s.containments[0]?.steps.map((x) => x.action.kind)).toEqual(['set-flag', 'api-to-lkg']);
    expect(d.log.filter((c) => c.kind === 'freeze')).toHaveLength(1);
    expect(d.s).toMatchObject({ rolledBack: true, phase: 'monitoring' });
    // The timeline says both, as the rollback message does ("Rolling back: Flags/config, API").
    expect(timelineOf(d.events, 'incident-bot').map((e) => e.text)).toContainEqual(expect.stringMatching(/^Reverting EnableLegacyHttpSse and rolling back to the last known good release \(nobody decided within the timebox\)/));
  });

  it('the proposal card says so: without an answer the automation reverts the flag, then rolls back to LKG', () => {
    const d = new Driver(flagAndRelease(['green']));
    const card = d.log.find((c): c is Extract<Command, { kind: 'announce' }> => c.kind === 'announce' && c.message === 'proposal');
    const thresholds: MessageContext['thresholds'] = Thresholds.parse({});
    const m = buildMessage(card as Extract<Command, { kind: 'announce' }>, { incident: d.s, plan: d.p, cfg: config, thresholds, now: d.now });
    expect(m).toMatchObject({ proposed: 'revert-config', ifNoAnswer: 'rollback', ifNoAnswerDetail: 'the automation reverts EnableLegacyHttpSse, then rolls back to LKG api-2026.11.2 ("if in doubt, roll back")' });
    const noLkg = new Driver({ ...flagAndRelease(['green']), snapshot: { ...flagAndRelease([]).snapshot, api: { ...release, lkg: null } } });
    const m2 = buildMessage(card as Extract<Command, { kind: 'announce' }>, { incident: noLkg.s, plan: noLkg.p, cfg: config, thresholds, now: noLkg.now });
    expect('ifNoAnswerDetail' in m2 ? m2.ifNoAnswerDetail : undefined).toMatch(/^the automation reverts EnableLegacyHttpSse, then tries to roll back, but no last known good release is recorded/);
  });

  it('P1 with no decision on a release alone: only the rollback (nothing to revert)', () => {
    const d = new Driver(apiWorld(['green']));
    d.advanceTo(T0 + 10 * MIN);
    expect(d.executed()).toEqual(['api-to-lkg']);
    expect(d.s.decision?.why).toBe('nobody decided within 10 min (P1: if in doubt, roll back)');
  });

  it('P1 with no decision and no rollback target: the flag is not reverted on its own; a person is asked', () => {
    const d = new Driver(flagAndRelease(['green']), 'P1', { ...config, canRollBackApi: false });
    d.advanceTo(T0 + 10 * MIN);
    expect(d.executed()).toEqual([]);
    expect(d.messages().slice(-2)).toEqual(['escalation', 'proposal']);
  });

  it('a person who decides the revert gets only the revert (the rollback of the timebox is not added)', () => {
    const d = new Driver(flagAndRelease(['green']));
    d.decide('riley', 'accept-proposal');
    expect(d.executed()).toEqual(['set-flag']);
  });

  it('a P1 drill plans the revert and the rollback at the deadline, checks once, and ends resolved with the usual close', () => {
    const d = new Driver(flagAndRelease(['red']), 'P1', drill);
    d.advanceTo(T0 + 10 * MIN);
    expect(d.executed()).toEqual(['set-flag', 'api-to-lkg']);
    expect(d.s.actions.filter((a) => a.action === 'set-flag' || a.action === 'api-to-lkg').every((a) => a.mode === 'plan' && a.outcome.kind === 'planned')).toBe(true);
    expect(d.log.filter((c) => c.kind === 'smoke')).toHaveLength(1);
    expect(d.s.phase).toBe('closed');
    expect(d.s.resolution).toMatchObject({ automatic: true });
    expect(drillNotes(d)).toEqual([expect.stringMatching(/^Drill complete: the containment was planned, not carried out, so these checks \(red\) cannot show its effect/)]);
    // The planned freeze is lifted in the plan too, and the close is a real incident's.
    expect(d.log.filter((c) => c.kind === 'freeze').map((c) => (c as { on: boolean }).on)).toEqual([true, false]);
    expect(d.log.slice(-2).map((c) => c.kind)).toEqual(['archive', 'close']);
    expect(nextWake(d.s, d.p, drill)).toBeNull();
  });

  it('a P2 drill that nobody decides ends at the deadline, after the escalation it would send', () => {
    const d = new Driver(flagAndRelease(['red']), 'P2', drill);
    d.advanceTo(T0 + 20 * MIN);
    expect(d.executed()).toEqual([]);
    expect(d.messages().slice(-3)).toEqual(['escalation', 'proposal', 'resolved']);
    expect(d.s.phase).toBe('closed');
    expect(drillNotes(d)).toEqual(['Drill complete: nobody decided by the deadline; a real incident would now escalate and ask again every 20 min until a person decides.']);
  });

  it('a drill people play goes on after their decision (they may still roll back) and ends when its containment timebox passes', () => {
    const d = new Driver(flagAndRelease(['red']), 'P1', drill);
    d.decide('riley', 'accept-proposal');
    expect(d.executed()).toEqual(['set-flag']);
    expect(d.s.phase).toBe('verifying');
    d.event({ name: 'rollback', payload: { actor: person('riley'), at: at(d.now), reason: 'game day: the revert is not enough' } });
    expect(d.executed()).toEqual(['set-flag', 'api-to-lkg']);
    expect(d.s.phase).toBe('verifying');
    d.advanceTo(d.now + 29 * MIN);
    expect(d.s.phase).toBe('verifying');
    d.advanceTo(d.now + 2 * MIN);
    expect(d.s.phase).toBe('closed');
    expect(drillNotes(d)).toEqual([expect.stringMatching(/^Drill complete: the containment was planned, not carried out, and its timebox has passed/)]);
    expect(d.log.filter((c) => c.kind === 'freeze').map((c) => (c as { on: boolean }).on)).toEqual([true, false]);
  });

  it('the same incident for real is not ended by these rules (execute mode verifies and monitors)', () => {
    const d = new Driver(flagAndRelease(['red']));
    d.advanceTo(T0 + 10 * MIN);
    expect(d.s.phase).toBe('verifying');
    expect(drillNotes(d)).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------
// Signals (issue 16): the look-again rule at a deadline, and an alert still active when the window ends.

const SITE = '/subscriptions/s/resourceGroups/rg/providers/Microsoft.Web/sites/api';
const fired: WatchedMetric = { key: 'alert|5xx', label: '5xx rate', source: 'alert', resourceIds: [SITE], namespace: 'Microsoft.Web/sites', metric: 'Http5xx', per: 'Requests', aggregation: 'Total', operator: 'GreaterThan', threshold: 1, unit: '%' };
const signalsConfig = (over: Partial<SignalsConfig> = {}): SignalsConfig => ({
  plan: { metrics: [fired], region: 'westeurope', logs: null, alertScopes: [SITE], lookbackMinutes: 30, holdMinutes: 5, timeoutMs: 10_000, missing: { metrics: null, logs: null, alerts: null }, unwatchable: [] },
  lookAgainBeforeDeadline: true,
  alertAtWindowEnd: 'extend',
  extendMinutes: 15,
  maxExtensions: 2,
  flap: { flapCount: 3, flapWindowMinutes: 10 },
  p95JsonMs: 600,
  ...over,
});
const activeAlert: ActiveAlert = { id: 'a1', rule: 'prod-api-5xx', severity: 'Sev2', monitorCondition: 'Fired', alertState: 'New', targetResource: SITE, firedAt: at(T0), monitorService: 'Platform' };
/** The 5xx rate minute by minute (`rate(t)`) over the last 30 minutes, and the alert while `alerting(t)`. */
const readings = (rate: (t: number) => number, alerting: (t: number) => boolean) => (now: number): SignalReadings => {
  const end = Math.floor(now / MIN) * MIN;
  const points = Array.from({ length: 30 }, (_, i) => end - (30 - i) * MIN).map((t) => ({ at: at(t), value: rate(t) }));
  return { at: at(now), metrics: [{ metric: fired, reading: { status: 'read', at: at(now), value: [{ resourceId: SITE, points }] } }], alerts: { status: 'read', at: at(now), value: alerting(now) ? [activeAlert] : [] }, triage: null };
};

describe('runbook with the Azure Monitor signals', () => {
  it('looks again at the decision deadline: the alert resolved and the 5xx rate held under -> no blind rollback, recorded with the figures', () => {
    // 30 % until 10:03, then 0; the alert resolved: by the 10:10 deadline it has held 7 min.
    const d = new Driver({ ...apiWorld(['green']), signals: readings((t) => (t < T0 + 3 * MIN ? 30 : 0), () => false) }, 'P1', { ...config, signals: signalsConfig() });
    d.advanceTo(T0 + 10 * MIN);
    expect(d.executed()).toEqual([]);
    expect(d.s.signals.looks).toEqual([expect.objectContaining({ deadline: 'decision', recovered: true })]);
    expect(d.s.signals.looks[0]?.text).toMatch(/^Recovered before the deadline: The decision timebox ran out, but the alert has resolved and 5xx rate <= 1 % for 5 min or more \(latest 0 %\)/);
    expect(d.s.decision).toMatchObject({ choice: 'monitor-only', automatic: true, why: 'recovered before the decision deadline' });
    expect(d.s.phase).toBe('monitoring');
  });

  it('looks again at the decision deadline: an alert still active -> "if in doubt, roll back" holds', () => {
    const d = new Driver({ ...apiWorld(['green']), signals: readings(() => 0, () => true) }, 'P1', { ...config, signals: signalsConfig() });
    d.advanceTo(T0 + 10 * MIN);
    expect(d.executed()).toEqual(['api-to-lkg']);
    expect(d.s.signals.looks[0]).toMatchObject({ recovered: false });
    expect(d.s.signals.looks[0]?.text).toMatch(/^The decision timebox ran out and recovery is not proven \(1 alert\(s\) still active: prod-api-5xx .*\): rolling back \(RB-03: if in doubt, roll back\)/);
  });

  it('does not look again when the policy says so: rolls back at the deadline', () => {
    const d = new Driver({ ...apiWorld(['green']), signals: readings(() => 0, () => false) }, 'P1', { ...config, signals: signalsConfig({ lookAgainBeforeDeadline: false }) });
    d.advanceTo(T0 + 10 * MIN);
    expect(d.executed()).toEqual(['api-to-lkg']);
    expect(d.s.signals.looks).toEqual([]);
  });

  it('an alert still active at the end of the window keeps the incident open (policy keep-open), escalated once, and resolves when it clears', () => {
    const clearsAt = T0 + 120 * MIN;
    const d = new Driver({ ...apiWorld(['green']), signals: readings(() => 0, (t) => t >= T0 + 30 * MIN && t < clearsAt) }, 'P1', { ...config, signals: signalsConfig({ alertAtWindowEnd: 'keep-open' }) });
    d.decide('riley', 'api-to-lkg');
    // Recovered at the first round (rolled back, the rate was never over): a window of 60 min (P1 here).
    d.advanceTo(T0 + 100 * MIN);
    expect(d.s.windows).toHaveLength(1);
    expect(d.s.resolution).toBeNull();
    expect(d.s.windows.at(-1)?.keptOpen).toBe(true);
    expect(d.s.escalations.filter((e) => e.reason === 'not-recovered')).toHaveLength(1);
    expect(d.s.escalations[0]?.text).toMatch(/^Checks green, but the incident stays open: not recovered at the end of the window: 1 alert\(s\) still active: prod-api-5xx/);
    d.advanceTo(clearsAt + 10 * MIN);
    expect(d.s.resolution).toMatchObject({ automatic: true });
  });

  it('extends the window at most maxExtensions times, then keeps it open', () => {
    const d = new Driver({ ...apiWorld(['green']), signals: readings(() => 0, (t) => t >= T0 + 30 * MIN) }, 'P1', { ...config, signals: signalsConfig({ alertAtWindowEnd: 'extend', maxExtensions: 2 }) });
    d.decide('riley', 'api-to-lkg');
    d.advanceTo(T0 + 180 * MIN);
    expect(d.s.windows.at(-1)).toMatchObject({ signalExtensions: 2, keptOpen: true });
    expect(d.s.resolution).toBeNull();
    expect(deriveIncident(d.events)).toEqual(d.s);
  });
});

describe('RB-02 section 9: reapply the intended config and re-run parity', () => {
  const KEY = 'Network:SseKeepAliveSeconds';
  const reapply = { attempts: 3, timeboxMinutes: 15, intended: [{ key: KEY, kind: 'config' as const, name: KEY, value: '10' }] };
  const parityWorld = (smoke: CheckFacts['verdict'][], drift: string[][]): World => ({ ...apiWorld(smoke), drift });
  const texts = (d: Driver): string[] => d.events.flatMap((e) => (e.type === 'parity-loop-ended' ? [e.text] : []));

  it('reapplies through set-config steps of their own after the containment, one round each, until 0 critical', () => {
    const d = new Driver(parityWorld(['red', 'green'], [[KEY], []]), 'P1', { ...config, reapply });
    d.decide('rm@contoso.example', 'api-to-lkg');
    d.advanceTo(T0 + MIN);
    expect(d.executed()).toEqual(['api-to-lkg', 'set-config']);
    const step = d.log.find((c) => c.kind === 'execute' && c.action.kind === 'set-config');
    expect(step).toMatchObject({ step: `parity/reapply/1/${KEY}`, action: { key: KEY, to: '10', from: null } });
    expect(texts(d)).toEqual(['Config parity: 0 critical keys differ after 1 reapply of the intended config (RB-02 section 9).']);
    expect(d.s.phase).toBe('monitoring');
  });

  it('stops at the bound with the keys still differing, escalates once and reapplies no more', () => {
    const d = new Driver(parityWorld(['red'], [[KEY]]), 'P1', { ...config, reapply });
    d.decide('rm@contoso.example', 'api-to-lkg');
    d.advanceTo(T0 + 20 * MIN);
    expect(d.executed().filter((k) => k === 'set-config')).toHaveLength(3);
    expect(texts(d)).toEqual([`Config parity: 1 critical key still differs after 3 reapplies: ${KEY}.`]);
    expect(d.events.filter((e) => e.type === 'escalated' && e.text.includes('still differs')).map((e) => (e.type === 'escalated' ? e.reason : null))).toEqual(['parity-drift']);
  });

  it('says when no drifting key is one the automation may set, and does nothing', () => {
    const d = new Driver(parityWorld(['red'], [['Cors:AllowedOrigins']]), 'P1', { ...config, reapply });
    d.decide('rm@contoso.example', 'api-to-lkg');
    d.advanceTo(T0 + MIN);
    expect(d.executed()).toEqual(['api-to-lkg']);
    expect(texts(d)[0]).toMatch(/^Config parity: 1 critical key differs \(Cors:AllowedOrigins\) and none is a flag or config key/);
  });

  it('plan mode says what it would reapply and stops (nothing set, so parity cannot be checked again)', () => {
    const d = new Driver(parityWorld(['red'], [[KEY]]), 'P1', { ...config, reapply, mode: 'plan' });
    d.decide('rm@contoso.example', 'api-to-lkg');
    d.advanceTo(T0 + MIN);
    expect(d.executed()).toEqual(['api-to-lkg', 'set-config']);
    expect(d.events.filter((e) => e.type === 'action-completed' && e.action === 'set-config').map((e) => e.type === 'action-completed' && e.outcome.kind)).toEqual(['planned']);
    expect(texts(d)).toEqual([`Config parity (plan-only): would reapply ${KEY} through the stored procedures and re-run parity, up to 3 times within 15 min, until 0 critical keys differ.`]);
  });

  it('without parityReapply in the policy, drift is only reported', () => {
    const d = new Driver(parityWorld(['red'], [[KEY]]), 'P1', config);
    d.decide('rm@contoso.example', 'api-to-lkg');
    d.advanceTo(T0 + 20 * MIN);
    expect(d.executed().filter((k) => k === 'set-config')).toEqual([]);
    expect(texts(d)).toEqual([]);
  });
});

describe('further containment actions (RB-03 section 7)', () => {
  const actions = { restart: true, scaleOutTo: 4, trafficRule: null };

  it('a person choosing a restart or a scale-out gets that step, with the policy\'s instance count', () => {
    const d = new Driver(apiWorld(['green']), 'P1', { ...config, actions });
    d.decide('rm@contoso.example', 'scale-out');
    expect(d.log.filter((c) => c.kind === 'execute').map((c) => c.kind === 'execute' && c.action)).toEqual([{ kind: 'scale-out', to: 4, reason: 'chosen by rm@contoso.example' }]);
    const r = new Driver(apiWorld(['green']), 'P1', { ...config, actions });
    r.decide('rm@contoso.example', 'restart');
    expect(r.executed()).toEqual(['restart']);
  });

  it('a refused restart (not allowed here) escalates with the by-hand step, and is never counted as containment done', () => {
    const d = new Driver({ ...apiWorld(['red']), outcome: () => ({ kind: 'refused', reason: 'not-allowed', summary: 'Restarting the App Service is not allowed in Prod by the policy.' }) }, 'P1', config);
    d.decide('rm@contoso.example', 'restart');
    const esc = d.events.find((e) => e.type === 'escalated' && e.reason === 'action-refused');
    expect(esc?.type === 'escalated' && esc.text).toMatch(/^The restart of the App Service was refused: Restarting the App Service is not allowed in Prod by the policy\. Next step: Restart the app by hand/);
    expect(d.s.actions.filter((a) => a.outcome.kind === 'done')).toEqual([]);
  });
});

describe('the Containment row names every containment action done, from the record', () => {
  it('after a no-answer P1 that reverted a flag and rolled back: both, in order', () => {
    const d = new Driver(flagWorld(['green']));
    d.advanceTo(T0 + 10 * MIN);
    expect(d.executed()).toEqual(['set-flag', 'api-to-lkg']);
    const record = incidentRecordOf(d.s);
    expect(record.containment).toMatchObject({ choice: 'api-to-lkg', automatic: true, actions: ['set-flag EnableLegacyHttpSse', 'api-to-lkg'] });
    expect(containmentActions({ containment: { actions: record.containment?.actions ?? [] } })).toBe('done: set-flag EnableLegacyHttpSse, api-to-lkg');
  });
});
