/**
 * The runbook state machine, driven the way the orchestration drives it: a small interpreter
 * answers each command (from a scripted world), and time moves to the next wake-up.
 */
import { describe, expect, it } from 'vitest';
import type { SeverityLevel, Timebox } from '../../src/config/policy.js';
import type { ActionOutcome } from '../../src/domain/actions.js';
import {
  MESSAGE_WAIT_MAX_MS,
  MESSAGE_WAIT_MIN_MS,
  messageDeadline,
  nextWake,
  onEvent,
  onResult,
  onTimer,
  startRunbook,
  type Command,
  type CommandResult,
  type RunbookConfig,
  type RunbookEvent,
  type RunbookState,
  type Snapshot,
  type Verdict,
} from '../../src/domain/runbook.js';

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
};

const verdict = (v: Verdict['verdict'], at: number, failing: Verdict['failing'] = []): Verdict => ({
  verdict: v,
  reasons: v === 'green' ? [] : ['SSE first event 450 ms > 200 ms'],
  failing,
  sseTtfbMs: v === 'green' ? 120 : 450,
  heartbeatMs: 10_000,
  at,
});

interface World {
  snapshot: Snapshot;
  /** Verdict of the nth smoke run (last one repeats). */
  smoke: Verdict['verdict'][];
  outcome: (c: Extract<Command, { kind: 'execute' }>) => ActionOutcome;
}

class Driver {
  state: RunbookState;
  now = T0;
  log: Command[] = [];
  notes: string[] = [];
  private smokeRuns = 0;

  constructor(
    private readonly world: World,
    severity: SeverityLevel = 'P1',
    private readonly c: RunbookConfig = config,
  ) {
    const t = startRunbook(c, T0, T0 - 3 * MIN, severity, '5xx after release');
    this.state = t.state;
    this.run(t.commands, t.notes);
  }

  private answer(cmd: Command): CommandResult {
    switch (cmd.kind) {
      case 'snapshot':
        return { kind: 'snapshot', snapshot: this.world.snapshot };
      case 'smoke': {
        const v = this.world.smoke[Math.min(this.smokeRuns++, this.world.smoke.length - 1)] ?? 'green';
        return { kind: 'smoke', verdict: verdict(v, this.now, v === 'green' ? [] : ['sse']) };
      }
      case 'execute':
        return { kind: 'action', outcome: this.world.outcome(cmd) };
      case 'freeze':
      case 'record-lkg':
        return { kind: 'action', outcome: { kind: 'done', summary: `${cmd.kind} ok`, changes: [] } };
      default:
        return { kind: 'done' };
    }
  }

  private run(commands: Command[], notes: string[]): void {
    this.notes.push(...notes);
    const queue = [...commands];
    while (queue.length) {
      const cmd = queue.shift() as Command;
      this.log.push(cmd);
      const t = onResult(this.state, this.c, cmd, this.answer(cmd), this.now, ['error-rate']);
      this.state = t.state;
      this.notes.push(...t.notes);
      queue.push(...t.commands);
    }
  }

  /** Lets time pass until `until`, waking the machine at each of its deadlines. */
  advanceTo(until: number): void {
    for (;;) {
      const wake = nextWake(this.state, this.c);
      if (wake === null || wake > until) break;
      this.now = Math.max(this.now, wake);
      const t = onTimer(this.state, this.c, this.now);
      this.state = t.state;
      this.run(t.commands, t.notes);
    }
    this.now = Math.max(this.now, until);
  }

  event(e: Omit<RunbookEvent, 'at'>): void {
    const t = onEvent(this.state, this.c, { ...e, at: this.now });
    this.state = t.state;
    this.run(t.commands, t.notes);
  }

  messages(): string[] {
    return this.log.filter((c): c is Extract<Command, { kind: 'announce' }> => c.kind === 'announce').map((c) => c.message);
  }
  executed(): string[] {
    return this.log.filter((c): c is Extract<Command, { kind: 'execute' }> => c.kind === 'execute').map((c) => c.action.kind);
  }
}

const release = { current: 'api-2026.11.3', lkg: 'api-2026.11.2', deployedAt: new Date(T0 - 60 * MIN).toISOString(), migrations: [] };
const done = (c: Extract<Command, { kind: 'execute' }>): ActionOutcome => ({ kind: 'done', summary: `${c.action.kind} done`, changes: [] });
const apiWorld = (smoke: Verdict['verdict'][]): World => ({
  snapshot: { verdict: verdict('red', T0, ['sse']), changes: [], api: release, web: null, problems: [] },
  smoke,
  outcome: done,
});

describe('runbook', () => {
  it('declares, snapshots and proposes within the first minutes', () => {
    const d = new Driver(apiWorld(['green']));
    expect(d.messages()).toEqual(['declared', 'proposal']);
    expect(d.state.phase).toBe('deciding');
    expect(d.state.proposal?.path).toBe('api-to-lkg');
    expect(d.state.decisionDueAt).toBe(T0 + 10 * MIN);
  });

  it('P1: nobody decides in 10 minutes -> freezes deploys and rolls back to LKG, then verifies, monitors 60 min and resolves', () => {
    const d = new Driver(apiWorld(['green']));
    d.advanceTo(T0 + 10 * MIN - 1);
    expect(d.executed()).toEqual([]);
    d.advanceTo(T0 + 10 * MIN);
    expect(d.log.map((c) => c.kind)).toContain('freeze');
    expect(d.executed()).toEqual(['api-to-lkg']);
    expect(d.state).toMatchObject({ choice: 'api-to-lkg', decidedBy: 'incident-bot (timebox)', rolledBack: true });
    expect(d.messages()).toEqual(['declared', 'proposal', 'rollback-started', 'stabilized']);
    expect(d.state.phase).toBe('monitoring');
    expect(d.state.monitoringEndsAt).toBe(T0 + 10 * MIN + 60 * MIN);
    d.advanceTo(T0 + 71 * MIN);
    expect(d.state.phase).toBe('closed');
    expect(d.messages().slice(-2)).toEqual(['rollback-executed', 'resolved']);
    // Freeze lifted; no new LKG recorded after a rollback.
    expect(d.log.filter((c) => c.kind === 'freeze').map((c) => (c as { on: boolean }).on)).toEqual([true, false]);
    expect(d.log.some((c) => c.kind === 'record-lkg')).toBe(false);
    expect(d.messages().filter((m) => m === 'update').length).toBeGreaterThanOrEqual(4);
  });

  it('reissues the proposal with links for the new deadline when a person extends the decision timebox', () => {
    const d = new Driver(apiWorld(['green']));
    d.advanceTo(T0 + 8 * MIN);
    d.event({ kind: 'extend', actor: 'riley', timebox: 'decision', minutes: 5 });
    expect(d.state.decisionDueAt).toBe(T0 + 15 * MIN);
    const proposals = d.log.filter((c): c is Extract<Command, { kind: 'announce' }> => c.kind === 'announce' && c.message === 'proposal');
    expect(proposals.map((c) => c.data.decisionDueAt)).toEqual([new Date(T0 + 10 * MIN).toISOString(), new Date(T0 + 15 * MIN).toISOString()]);
    expect(proposals.map((c) => c.data.proposalId)).toEqual(['proposal-1', 'proposal-1']);
    expect(new Set(proposals.map((c) => c.step)).size).toBe(2);
    expect(proposals[1]?.text).toMatch(/^Decision timebox extended by 5 min by riley\./);
    // The old deadline no longer rolls back; the new one does.
    d.advanceTo(T0 + 14 * MIN);
    expect(d.executed()).toEqual([]);
    d.advanceTo(T0 + 15 * MIN);
    expect(d.executed()).toEqual(['api-to-lkg']);
  });

  it('P2 reminder: escalates and reissues the proposal with links for the next deadline', () => {
    const d = new Driver(apiWorld(['green']), 'P2');
    const due = d.state.decisionDueAt ?? 0;
    d.advanceTo(due);
    expect(d.executed()).toEqual([]);
    expect(d.messages().slice(-2)).toEqual(['escalation', 'proposal']);
    const last = d.log.filter((c): c is Extract<Command, { kind: 'announce' }> => c.kind === 'announce' && c.message === 'proposal').at(-1);
    expect(last?.data.decisionDueAt).toBe(new Date(d.state.decisionDueAt ?? 0).toISOString());
    expect(d.state.decisionDueAt).toBeGreaterThan(due);
  });

  it('sets the postmortem due date 3 business days after the resolution (skipping the weekend) and ends', () => {
    const d = new Driver(apiWorld(['green']));
    d.event({ kind: 'resolve', actor: 'riley' });
    expect(d.state.phase).toBe('closed');
    // Resolved Friday 20 Nov -> due Wednesday 25 Nov.
    expect(new Date(d.state.postmortemDueAt ?? 0).toISOString().slice(0, 10)).toBe('2026-11-25');
    expect(d.log.find((c) => c.kind === 'announce' && c.message === 'resolved')).toMatchObject({ data: { postmortemDueAt: '2026-11-25T10:00:00.000Z' } });
    expect(d.state.done).toBe(true);
    expect(nextWake(d.state, config)).toBeNull();
  });

  it('closes so that the sealed pack holds the whole story: rollback executed, freeze lifted, resolved, then the archive', () => {
    const d = new Driver(apiWorld(['green']));
    d.event({ kind: 'rollback', actor: 'riley', reason: 'customers failing' });
    d.advanceTo(d.now);
    expect(d.state.phase).toBe('monitoring');
    const before = d.log.length;
    d.event({ kind: 'resolve', actor: 'riley' });
    const close = d.log.slice(before).map((c) => (c.kind === 'announce' ? `announce:${c.message}` : c.kind === 'freeze' ? `freeze:${c.on ? 'on' : 'off'}` : c.kind));
    expect(close).toEqual(['announce:rollback-executed', 'freeze:off', 'announce:resolved', 'archive', 'close']);
  });

  it('config revert that re-stabilises: no app rollback, and the release becomes the new LKG after the window', () => {
    const world: World = {
      snapshot: {
        verdict: verdict('red', T0, ['sse']),
        changes: [{ kind: 'flag', key: 'EnableLegacyHttpSse', at: new Date(T0 - 20 * MIN).toISOString(), before: false, after: true, actor: 'sam' }],
        api: release,
        web: null,
        problems: [],
      },
      smoke: ['green'],
      outcome: done,
    };
    const d = new Driver(world);
    expect(d.state.proposal?.path).toBe('revert-config');
    d.advanceTo(T0 + 4 * MIN);
    d.event({ kind: 'decision', actor: 'riley', choice: 'accept-proposal', proposalId: d.state.proposal?.id ?? '' });
    expect(d.executed()).toEqual(['set-flag']);
    expect(d.log.some((c) => c.kind === 'freeze')).toBe(false);
    expect(d.state.phase).toBe('verifying');
    d.advanceTo(d.now);
    expect(d.state.phase).toBe('monitoring');
    d.advanceTo(T0 + 4 * MIN + 61 * MIN);
    expect(d.state.phase).toBe('closed');
    expect(d.log.some((c) => c.kind === 'record-lkg')).toBe(true);
    expect(d.messages()).not.toContain('rollback-executed');
    // The LKG record and the resolution come before the archive, so both are in the sealed pack.
    const tail = d.log.slice(d.log.findIndex((c) => c.kind === 'record-lkg')).map((c) => (c.kind === 'announce' ? `announce:${c.message}` : c.kind));
    expect(tail).toEqual(['record-lkg', 'announce:resolved', 'archive', 'close']);
  });

  it("gives a message until the current phase's deadline to get through, between 1 and 5 minutes", () => {
    const d = new Driver(apiWorld(['green']));
    // Deciding: the decision is due at T0 + 10 min.
    expect(messageDeadline(d.state, config, T0)).toBe(T0 + MESSAGE_WAIT_MAX_MS);
    expect(messageDeadline(d.state, config, T0 + 7 * MIN)).toBe(T0 + 10 * MIN);
    expect(messageDeadline(d.state, config, T0 + 9.9 * MIN)).toBe(T0 + 9.9 * MIN + MESSAGE_WAIT_MIN_MS);
    // Containing a rollback (recovery timebox 30 min): bounded by the maximum.
    d.event({ kind: 'rollback', actor: 'riley', reason: 'customers failing' });
    expect(messageDeadline(d.state, config, d.now)).toBe(d.now + MESSAGE_WAIT_MAX_MS);
    // Resolved: no timebox left, the maximum.
    d.event({ kind: 'resolve', actor: 'riley' });
    expect(messageDeadline(d.state, config, d.now)).toBe(d.now + MESSAGE_WAIT_MAX_MS);
  });

  it('rolls back when a config revert does not re-stabilise within 15 minutes', () => {
    const world: World = {
      snapshot: {
        verdict: verdict('red', T0, ['sse']),
        changes: [{ kind: 'config', key: 'Network:SseKeepAliveSeconds', at: new Date(T0 - 20 * MIN).toISOString(), before: '10', after: '60', actor: 'alex' }],
        api: release,
        web: null,
        problems: [],
      },
      smoke: ['red', 'red', 'red', 'red', 'red', 'red', 'red', 'red', 'red', 'green'],
      outcome: done,
    };
    const d = new Driver(world);
    d.event({ kind: 'decision', actor: 'riley', choice: 'revert-config' });
    expect(d.executed()).toEqual(['set-config']);
    d.advanceTo(T0 + 15 * MIN - 1);
    expect(d.executed()).toEqual(['set-config']);
    d.advanceTo(T0 + 15 * MIN);
    expect(d.executed()).toEqual(['set-config', 'api-to-lkg']);
    expect(d.notes.join('\n')).toContain('Containment did not re-stabilise in time');
  });

  it('re-opens containment on a regression during monitoring (rolls back if not done yet)', () => {
    const world: World = {
      snapshot: {
        verdict: verdict('red', T0, ['sse']),
        changes: [{ kind: 'flag', key: 'EnableLegacyHttpSse', at: new Date(T0 - 20 * MIN).toISOString(), before: false, after: true, actor: 'sam' }],
        api: release,
        web: null,
        problems: [],
      },
      smoke: ['green', 'green', 'red', 'green'],
      outcome: done,
    };
    const d = new Driver(world);
    d.event({ kind: 'decision', actor: 'riley', choice: 'accept-proposal' });
    d.advanceTo(T0 + 12 * MIN);
    expect(d.state.regressions).toBe(1);
    expect(d.executed()).toEqual(['set-flag', 'api-to-lkg']);
  });

  it('P2: nobody decides -> escalates and reminds instead of rolling back; a later decision still counts', () => {
    const d = new Driver(apiWorld(['green']), 'P2');
    d.advanceTo(T0 + 20 * MIN);
    expect(d.executed()).toEqual([]);
    expect(d.messages()).toContain('escalation');
    expect(d.state.decisionReminders).toBe(1);
    d.advanceTo(T0 + 25 * MIN);
    d.event({ kind: 'decision', actor: 'sam', choice: 'api-to-lkg' });
    expect(d.executed()).toEqual(['api-to-lkg']);
  });

  it('escalates an unacknowledged P1 along the chain once; an ack stops it', () => {
    const d = new Driver(apiWorld(['green']));
    d.event({ kind: 'decision', actor: 'riley', choice: 'monitor-only' });
    const escalations = (dr: Driver) => dr.log.filter((c) => c.kind === 'announce' && c.message === 'escalation' && c.step.startsWith('announce/escalation/ack/'));
    d.advanceTo(T0 + 15 * MIN);
    expect(escalations(d)).toEqual([expect.objectContaining({ data: { notify: ['deputy@contoso.example'] } })]);
    d.advanceTo(T0 + 40 * MIN);
    expect(escalations(d)).toHaveLength(1);
    const acked = new Driver(apiWorld(['green']));
    acked.event({ kind: 'ack', actor: 'riley' });
    acked.advanceTo(T0 + 20 * MIN);
    expect(escalations(acked)).toHaveLength(0);
  });

  it('posts status updates on the severity cadence until resolved', () => {
    const d = new Driver(apiWorld(['red']), 'P2');
    d.event({ kind: 'decision', actor: 'riley', choice: 'monitor-only' });
    d.advanceTo(T0 + 95 * MIN);
    const updates = d.log.filter((c) => c.kind === 'announce' && c.message === 'update');
    expect(updates.length).toBe(3);
    d.event({ kind: 'resolve', actor: 'riley' });
    d.advanceTo(T0 + 200 * MIN);
    expect(d.log.filter((c) => c.kind === 'announce' && c.message === 'update')).toHaveLength(3);
  });

  it('ignores a decision that answers an older proposal, and a second rollback request', () => {
    const d = new Driver(apiWorld(['green']));
    d.event({ kind: 'decision', actor: 'sam', choice: 'api-to-lkg', proposalId: 'proposal-old' });
    expect(d.executed()).toEqual([]);
    expect(d.notes.join('\n')).toContain('answered an older proposal');
    d.event({ kind: 'rollback', actor: 'riley', reason: 'customers failing' });
    d.event({ kind: 'rollback', actor: 'sam', reason: 'again' });
    expect(d.executed()).toEqual(['api-to-lkg']);
    expect(d.notes.join('\n')).toContain('already rolled back');
  });

  it('extends the monitoring window when the alert fires again, and on request', () => {
    const d = new Driver(apiWorld(['green']));
    d.event({ kind: 'decision', actor: 'riley', choice: 'accept-proposal' });
    const ends = d.state.monitoringEndsAt ?? 0;
    d.advanceTo(T0 + 50 * MIN);
    d.event({ kind: 'alert', actor: 'azure-monitor', condition: 'Fired' });
    expect(d.state.monitoringEndsAt).toBe(T0 + 50 * MIN + 30 * MIN);
    d.event({ kind: 'extend', actor: 'riley', timebox: 'monitoring', minutes: 10 });
    expect(d.state.monitoringEndsAt).toBe(T0 + 90 * MIN);
    expect(ends).toBeLessThan(d.state.monitoringEndsAt ?? 0);
  });

  it('escalates when a rollback is refused (no LKG recorded) instead of pretending', () => {
    const world = { ...apiWorld(['red']), outcome: (): ActionOutcome => ({ kind: 'refused', summary: 'No LKG is recorded for Prod/api', reason: 'no-lkg' }) };
    const d = new Driver(world);
    d.advanceTo(T0 + 10 * MIN);
    expect(d.state.rolledBack).toBe(false);
    expect(d.messages()).toContain('escalation');
  });
});

describe('runbook: nobody decides a flag revert, and drills', () => {
  /** A bad release in production and, after it, a person turned a flag on: the proposal reverts the flag. */
  const flagAndRelease = (smoke: Verdict['verdict'][]): World => ({
    snapshot: {
      verdict: verdict('red', T0, ['parity', 'ready']),
      changes: [{ kind: 'flag', key: 'EnableLegacyHttpSse', at: new Date(T0 - 2 * MIN).toISOString(), before: false, after: true, actor: 'dana' }],
      api: { ...release, deployedAt: null },
      web: null,
      problems: [],
    },
    smoke,
    outcome: done,
  });

  it('P1 with no decision: reverts the flag the proposal named, then rolls the API back to LKG', () => {
    const d = new Driver(flagAndRelease(['green']));
    expect(d.state.proposal?.path).toBe('revert-config');
    d.advanceTo(T0 + 10 * MIN);
    expect(d.executed()).toEqual(['set-flag', 'api-to-lkg']);
    expect(d.notes).toContain('Nobody decided in time: reverting EnableLegacyHttpSse and rolling back to the last known good release.');
    expect(d.state).toMatchObject({ rolledBack: true, phase: 'monitoring', decidedBy: 'incident-bot (timebox)' });
  });

  it('P1 with no decision and no rollback target: the flag is not reverted on its own; a person is asked', () => {
    const d = new Driver(flagAndRelease(['green']), 'P1', { ...config, canRollBackApi: false });
    d.advanceTo(T0 + 10 * MIN);
    expect(d.executed()).toEqual([]);
    expect(d.messages().slice(-2)).toEqual(['escalation', 'proposal']);
  });

  it('a P1 drill plans the containment at the deadline, checks once, and ends resolved with the usual close', () => {
    const d = new Driver(flagAndRelease(['red']), 'P1', { ...config, mode: 'plan' });
    d.advanceTo(T0 + 10 * MIN);
    expect(d.executed()).toEqual(['set-flag', 'api-to-lkg']);
    expect(d.log.filter((c) => c.kind === 'execute').every((c) => c.mode === 'plan')).toBe(true);
    expect(d.log.filter((c) => c.kind === 'smoke')).toHaveLength(1);
    expect(d.state).toMatchObject({ phase: 'closed', done: true, resolvedBy: 'incident-bot (drill complete)' });
    expect(d.notes).toContainEqual(expect.stringMatching(/^Drill complete: the containment was planned, not carried out, so these checks \(red\) cannot show its effect/));
    expect(d.log.slice(-2).map((c) => c.kind)).toEqual(['archive', 'close']);
  });

  it('a P2 drill that nobody decides ends at the deadline, after the escalation it would send', () => {
    const d = new Driver(flagAndRelease(['red']), 'P2', { ...config, mode: 'plan' });
    d.advanceTo(T0 + 20 * MIN);
    expect(d.executed()).toEqual([]);
    expect(d.messages().slice(-3)).toEqual(['escalation', 'proposal', 'resolved']);
    expect(d.state).toMatchObject({ phase: 'closed', done: true });
    expect(d.notes).toContain('Drill complete: nobody decided by the deadline; a real incident would now escalate and ask again every 20 min until a person decides.');
  });

  it('a drill people play goes on after their decision (they may still roll back) and ends when its containment timebox passes', () => {
    const d = new Driver(flagAndRelease(['red']), 'P1', { ...config, mode: 'plan' });
    d.event({ kind: 'decision', actor: 'riley', choice: 'accept-proposal', proposalId: d.state.proposal?.id ?? '' });
    d.advanceTo(d.now);
    expect(d.executed()).toEqual(['set-flag']);
    expect(d.state.phase).toBe('verifying');
    d.event({ kind: 'rollback', actor: 'riley', reason: 'game day: the revert is not enough' });
    d.advanceTo(d.now);
    expect(d.executed()).toEqual(['set-flag', 'api-to-lkg']);
    expect(d.state.phase).toBe('verifying');
    d.advanceTo(d.now + 31 * MIN);
    expect(d.state.phase).toBe('closed');
    expect(d.notes).toContainEqual(expect.stringMatching(/^Drill complete: the containment was planned, not carried out, and its timebox has passed/));
  });
});

describe('runbook: a drill whose checks answer late', () => {
  it('plans the freeze once and ends when the containment timebox passes before the verification check answers', () => {
    // The first check of the verification never arrives before the timebox: the drill still ends, with one freeze planned.
    const planned = (c: Extract<Command, { kind: 'execute' }>): ActionOutcome => ({ kind: 'planned', summary: `Plan: ${c.action.kind}`, changes: [] });
    const d = new Driver({ ...apiWorld(['red']), outcome: planned }, 'P1', { ...config, mode: 'plan' });
    const s = d.state;
    // Drive by hand: the deadline passes, the containment is planned, but no smoke result comes back.
    const t = onTimer(s, { ...config, mode: 'plan' }, T0 + 10 * MIN);
    let state = t.state;
    for (const cmd of t.commands) {
      if (cmd.kind === 'smoke') continue;
      const result: CommandResult = cmd.kind === 'execute' ? { kind: 'action', outcome: planned(cmd) } : cmd.kind === 'freeze' ? { kind: 'action', outcome: { kind: 'planned', summary: 'Plan: freeze', changes: [] } } : { kind: 'done' };
      state = onResult(state, { ...config, mode: 'plan' }, cmd, result, T0 + 10 * MIN, ['error-rate']).state;
    }
    expect(state).toMatchObject({ phase: 'verifying', frozen: true });
    const late = onTimer(state, { ...config, mode: 'plan' }, (state.containmentDueAt ?? 0) + 1);
    expect(late.commands.filter((c) => c.kind === 'freeze').map((c) => (c as { on: boolean }).on)).toEqual([false]);
    expect(late.commands.some((c) => c.kind === 'execute')).toBe(false);
    expect(late.state.phase).toBe('resolved');
    expect(late.notes).toContainEqual(expect.stringMatching(/^Drill complete: the containment was planned, not carried out, and its timebox has passed/));
  });
});
