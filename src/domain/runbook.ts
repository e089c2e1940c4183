/**
 * RB-03 + RB-02 as a pure state machine. The incident orchestration is its interpreter: it feeds
 * the machine what happened (an external event, a deadline reached, the result of a command) and
 * carries out the commands it answers with (post to Teams, take the first-15-minutes snapshot,
 * run smoke checks, execute containment steps, freeze deploys, archive evidence...). Everything
 * here is deterministic: time is passed in, ids are derived, nothing is read from outside. That
 * makes every runbook path testable as plain data (test/domain/runbook.test.ts).
 *
 * The timeline:
 *   declared -> snapshot -> deciding -> containing -> verifying -> monitoring -> resolved -> closed
 * with these clocks (policy timeboxes, from declaration unless said otherwise, extendable):
 *   - acknowledgement: the escalation chain is notified at each step nobody has acknowledged by;
 *   - decision: nobody decides -> P1 rolls back ("if in doubt, roll back"), P2/P3 escalate and remind;
 *   - containment (from its start): not green in time -> roll back to LKG; already rolled back -> escalate;
 *   - monitoring window (after recovery): a regression re-opens containment, a flapping alert extends it;
 *   - status updates on the severity's cadence until resolved (the postmortem reminder, days later,
 *     is not the machine's: src/app/postmortem-reminders.ts sends it from the incident summary).
 */
import type { SeverityLevel, Timebox } from '../config/policy.js';
import type { ActionOutcome } from './actions.js';
import { proposeContainment, type CheckArea, type ContainmentFacts, type ContainmentProposal, type ContainmentStep, type RecentChange, type ReleaseState } from './containment.js';
import type { ContainmentChoice } from './incident-events.js';
import { addBusinessDays, deadline, extensionMinutes, type Extension } from './timeboxes.js';

const MINUTE = 60_000;
/** How often checks run while verifying a containment, and during the monitoring window. */
export const VERIFY_EVERY_MS = 2 * MINUTE;
export const MONITOR_EVERY_MS = 5 * MINUTE;
/** RB-03 section 12: recent flag/config changes are looked up over the last 12 hours. */
export const CHANGE_LOOKBACK_MINUTES = 12 * 60;

export type Phase = 'declared' | 'snapshot' | 'deciding' | 'containing' | 'verifying' | 'monitoring' | 'resolved' | 'closed';

export type MessageKind =
  | 'declared'
  | 'update'
  | 'proposal'
  | 'rollback-started'
  | 'rollback-executed'
  | 'stabilized'
  | 'escalation'
  | 'resolved';
// "postmortem due" is not a runbook message: the incident has ended by then; the reminder sweep
// sends it (src/app/postmortem-reminders.ts, src/domain/postmortem-reminder.ts).

export interface Verdict {
  verdict: 'green' | 'degraded' | 'red';
  reasons: string[];
  failing: CheckArea[];
  /** Figures the messages quote (SSE first event and heartbeat), when measured. */
  sseTtfbMs: number | null;
  heartbeatMs: number | null;
  at: number;
}

export interface Snapshot {
  verdict: Verdict | null;
  changes: RecentChange[];
  api: ReleaseState | null;
  web: ReleaseState | null;
  problems: string[];
}

export type Command =
  | { kind: 'announce'; message: MessageKind; step: string; text: string; data: Record<string, unknown> }
  | { kind: 'snapshot'; step: string; lookbackMinutes: number }
  | { kind: 'smoke'; step: string; purpose: 'verify' | 'monitor' }
  | { kind: 'execute'; step: string; action: ContainmentStep; mode: 'execute' | 'plan' }
  | { kind: 'freeze'; step: string; on: boolean; reason: string }
  | { kind: 'record-lkg'; step: string }
  /** Write the evidence pack (timeline, alerts, checks, actions, messages), the postmortem draft, and seal it. */
  | { kind: 'archive'; step: string }
  | { kind: 'close'; step: string };

export type CommandResult =
  | { kind: 'snapshot'; snapshot: Snapshot }
  | { kind: 'smoke'; verdict: Verdict }
  | { kind: 'action'; outcome: ActionOutcome }
  | { kind: 'done' };

export interface RunbookConfig {
  boxes: Record<SeverityLevel, Timebox>;
  escalation: { afterMinutes: number; notify: string[]; severities: SeverityLevel[] }[];
  webCoupled: boolean;
  flagsInScope: string[];
  configInScope: string[];
  canRollBackApi: boolean;
  canRollBackWeb: boolean;
  postmortemDueBusinessDays: number;
  /** Run actions for real ('execute') or only report them ('plan': drills against real targets). */
  mode: 'execute' | 'plan';
}

export interface StepRecord {
  step: string;
  action: ContainmentStep['kind'] | 'freeze' | 'unfreeze' | 'record-lkg';
  outcome: ActionOutcome['kind'];
  summary: string;
  at: number;
}

export interface RunbookState {
  phase: Phase;
  severity: SeverityLevel;
  declaredAt: number;
  startedAt: number;
  acknowledgedAt: number | null;
  escalationsSent: number[];
  decisionDueAt: number | null;
  decisionReminders: number;
  proposal: (ContainmentProposal & { id: string }) | null;
  choice: ContainmentChoice | null;
  decidedBy: string | null;
  snapshot: Snapshot | null;
  containmentStartedAt: number | null;
  containmentDueAt: number | null;
  pendingSteps: ContainmentStep[];
  executed: StepRecord[];
  rolledBack: boolean;
  /** Why the first app rollback began (a decision, the timebox, a request): the "due to" of "rollback executed". */
  rollbackReason: string | null;
  frozen: boolean;
  lastVerdict: Verdict | null;
  nextCheckAt: number | null;
  monitoringEndsAt: number | null;
  regressions: number;
  mitigatedAt: number | null;
  recoveredAt: number | null;
  resolvedAt: number | null;
  resolvedBy: string | null;
  lastUpdateAt: number;
  updates: number;
  postmortemDueAt: number | null;
  extensions: Extension[];
  /** Increments for step keys that may repeat (updates, smoke runs, reminders). */
  counter: number;
  done: boolean;
}

export interface Transition {
  state: RunbookState;
  commands: Command[];
  /** Lines for the incident timeline. */
  notes: string[];
}

const box = (s: RunbookState, c: RunbookConfig): Timebox => c.boxes[s.severity];

export function startRunbook(c: RunbookConfig, declaredAt: number, startedAt: number, severity: SeverityLevel, summary: string): Transition {
  const state: RunbookState = {
    phase: 'snapshot',
    severity,
    declaredAt,
    startedAt,
    acknowledgedAt: null,
    escalationsSent: [],
    decisionDueAt: null,
    decisionReminders: 0,
    proposal: null,
    choice: null,
    decidedBy: null,
    snapshot: null,
    containmentStartedAt: null,
    containmentDueAt: null,
    pendingSteps: [],
    executed: [],
    rolledBack: false,
    rollbackReason: null,
    frozen: false,
    lastVerdict: null,
    nextCheckAt: null,
    monitoringEndsAt: null,
    regressions: 0,
    mitigatedAt: null,
    recoveredAt: null,
    resolvedAt: null,
    resolvedBy: null,
    lastUpdateAt: declaredAt,
    updates: 0,
    postmortemDueAt: null,
    extensions: [],
    counter: 0,
    done: false,
  };
  const b = c.boxes[severity];
  return {
    state,
    commands: [
      { kind: 'announce', message: 'declared', step: 'announce/declared', text: summary, data: { nextUpdateAt: iso(declaredAt + b.updateEveryMinutes * MINUTE) } },
      { kind: 'snapshot', step: 'snapshot/initial', lookbackMinutes: CHANGE_LOOKBACK_MINUTES },
    ],
    notes: [`Runbook started: first-15-minutes snapshot (health, SSE, recent flag/config changes, releases), decision due in ${b.decisionMinutes} min.`],
  };
}

const iso = (ms: number): string => new Date(ms).toISOString();
const next = (s: RunbookState, prefix: string): string => `${prefix}/${++s.counter}`;

/**
 * The open proposal posted again with the new decision deadline. Approval links expire at the
 * deadline they were minted for, so when it moves later (an extension, a P2/P3 reminder, no rollback
 * target) the buttons already posted would answer "expired" while the decision is still open: the
 * card is reissued with links that last until the new deadline. Its proposal id is the same, so
 * the first decision still wins.
 */
function reissueProposal(s: RunbookState, why: string): Command[] {
  if (s.phase !== 'deciding' || !s.proposal || s.decisionDueAt === null) return [];
  const p = s.proposal;
  return [
    {
      kind: 'announce',
      message: 'proposal',
      step: next(s, `announce/proposal/${p.id}`),
      text: `${why} ${p.reasons.join(' ')}`,
      data: { proposalId: p.id, path: p.path, steps: p.steps, decisionDueAt: iso(s.decisionDueAt), actionItems: p.actionItems },
    },
  ];
}

/** A message waits for Teams (throttling, outages) at least this long... */
export const MESSAGE_WAIT_MIN_MS = MINUTE;
/** ...and at most this long: the runbook carries out one command at a time, so a throttled Teams must not hold a containment step for long. */
export const MESSAGE_WAIT_MAX_MS = 5 * MINUTE;

/** The deadline of the current phase: the decision, containment (or recovery), or the monitoring window; null once resolved. */
export function phaseDeadline(s: RunbookState, c: RunbookConfig): number | null {
  switch (s.phase) {
    case 'declared':
    case 'snapshot':
    case 'deciding':
      return s.decisionDueAt ?? deadline(s.declaredAt, box(s, c), 'decision', s.extensions);
    case 'containing':
    case 'verifying':
      return s.containmentDueAt;
    case 'monitoring':
      return s.monitoringEndsAt;
    default:
      return null;
  }
}

/**
 * Until when a message may be retried (Retry-After, 5xx backoff): the current phase's deadline, so
 * the waits stay inside the incident's timebox, but at least MESSAGE_WAIT_MIN_MS (a message due
 * just before a deadline still gets a chance) and at most MESSAGE_WAIT_MAX_MS.
 */
export function messageDeadline(s: RunbookState, c: RunbookConfig, now: number): number {
  const due = phaseDeadline(s, c) ?? now + MESSAGE_WAIT_MAX_MS;
  return Math.min(now + MESSAGE_WAIT_MAX_MS, Math.max(now + MESSAGE_WAIT_MIN_MS, due));
}

/** When the machine next wants to be woken up if nothing happens (null: only events). */
export function nextWake(s: RunbookState, c: RunbookConfig): number | null {
  if (s.done) return null;
  const times: number[] = [];
  if (s.phase === 'closed') return null;
  if (s.phase !== 'resolved') times.push(s.lastUpdateAt + box(s, c).updateEveryMinutes * MINUTE);
  if (s.acknowledgedAt === null) {
    for (const at of pendingEscalations(s, c)) times.push(at);
  }
  if (s.phase === 'deciding' && s.decisionDueAt !== null) times.push(s.decisionDueAt);
  if ((s.phase === 'verifying' || s.phase === 'monitoring') && s.nextCheckAt !== null) times.push(s.nextCheckAt);
  if (s.phase === 'verifying' && s.containmentDueAt !== null) times.push(s.containmentDueAt);
  if (s.phase === 'monitoring' && s.monitoringEndsAt !== null) times.push(s.monitoringEndsAt);
  return times.length ? Math.min(...times) : null;
}

function pendingEscalations(s: RunbookState, c: RunbookConfig): number[] {
  return c.escalation
    .map((e, i) => ({ e, i }))
    .filter(({ e, i }) => e.severities.includes(s.severity) && !s.escalationsSent.includes(i))
    .map(({ e }) => s.declaredAt + (e.afterMinutes + extensionMinutes(s.extensions, 'ack')) * MINUTE);
}

/** Rollback steps to last known good, for "roll back now" (no decision, a rollback request, a failed containment). */
function rollbackSteps(s: RunbookState, c: RunbookConfig, why: string): ContainmentStep[] {
  const steps: ContainmentStep[] = [];
  const api = s.snapshot?.api ?? null;
  const web = s.snapshot?.web ?? null;
  if (c.canRollBackApi) steps.push({ kind: 'api-to-lkg', from: api?.current ?? null, to: api?.lkg ?? null, reason: why });
  if (c.canRollBackWeb && (c.webCoupled || !c.canRollBackApi || s.lastVerdict?.failing.some((a) => a === 'pages' || a === 'web'))) {
    steps.push({ kind: 'web-to-lkg', from: web?.current ?? null, to: web?.lkg ?? null, reason: why });
  }
  return steps;
}

function facts(s: RunbookState, c: RunbookConfig, triggers: ContainmentFacts['triggers']): ContainmentFacts {
  return {
    severity: s.severity,
    triggers,
    startedAt: iso(s.startedAt),
    changes: s.snapshot?.changes ?? [],
    failing: s.lastVerdict?.failing ?? s.snapshot?.verdict?.failing ?? [],
    api: s.snapshot?.api ?? null,
    web: s.snapshot?.web ?? null,
    webCoupled: c.webCoupled,
    flagsInScope: c.flagsInScope,
    configInScope: c.configInScope,
    lookbackMinutes: CHANGE_LOOKBACK_MINUTES,
  };
}

/** Steps for a decision: the proposal, or the path a person chose instead. */
function stepsFor(choice: ContainmentChoice, s: RunbookState, c: RunbookConfig, who: string): ContainmentStep[] {
  const proposal = s.proposal;
  if (choice === 'accept-proposal' || (proposal && proposal.path === choice)) return proposal?.steps ?? [];
  const why = `chosen by ${who}`;
  switch (choice) {
    case 'monitor-only':
      return [];
    case 'revert-config': {
      const p = proposeContainment({ ...facts(s, c, []), failing: [], triggers: [], api: null, web: null });
      return p.path === 'revert-config' ? p.steps : [];
    }
    case 'web-to-lkg':
      return c.canRollBackWeb ? [{ kind: 'web-to-lkg', from: s.snapshot?.web?.current ?? null, to: s.snapshot?.web?.lkg ?? null, reason: why }] : [];
    case 'api-to-lkg':
    case 'app-to-lkg-forward-fix':
      return rollbackSteps({ ...s, lastVerdict: null }, c, why);
  }
}

function beginContainment(s: RunbookState, c: RunbookConfig, now: number, steps: ContainmentStep[], why: string): Command[] {
  const commands: Command[] = [];
  const appRollback = steps.some((x) => x.kind === 'api-to-lkg' || x.kind === 'web-to-lkg');
  s.phase = steps.length ? 'containing' : 'verifying';
  s.containmentStartedAt = now;
  // Containment must re-stabilise within its timebox; a rollback gets the rollback target.
  s.containmentDueAt = now + (appRollback ? box(s, c).recoveryMinutes : box(s, c).containmentMinutes) * MINUTE + extensionMinutes(s.extensions, 'containment') * MINUTE;
  if (appRollback) {
    s.rollbackReason ??= why;
    if (!s.frozen) commands.push({ kind: 'freeze', step: 'freeze/on', on: true, reason: `Rollback in progress (${why})` });
    commands.push({
      kind: 'announce',
      message: 'rollback-started',
      step: next(s, 'announce/rollback-started'),
      text: why,
      data: { steps: steps.map((x) => x.kind), from: steps.find((x) => x.kind === 'api-to-lkg')?.from ?? null, to: steps.find((x) => x.kind === 'api-to-lkg')?.to ?? null },
    });
  }
  s.pendingSteps = [...steps];
  for (const step of steps) commands.push({ kind: 'execute', step: next(s, `contain/${step.kind}/${'key' in step ? step.key : 'lkg'}`), action: step, mode: c.mode });
  s.nextCheckAt = now;
  return commands;
}

export interface RunbookEvent {
  kind: 'ack' | 'decision' | 'rollback' | 'extend' | 'resolve' | 'alert' | 'severity';
  at: number;
  actor: string;
  choice?: ContainmentChoice;
  proposalId?: string;
  reason?: string;
  timebox?: string;
  minutes?: number;
  condition?: 'Fired' | 'Resolved';
  severity?: SeverityLevel;
}

/** An external event (already validated and applied to the incident's own state). */
export function onEvent(prev: RunbookState, c: RunbookConfig, e: RunbookEvent): Transition {
  const s = structuredClone(prev);
  const commands: Command[] = [];
  const notes: string[] = [];
  if (s.done || s.phase === 'closed') return { state: s, commands, notes };
  switch (e.kind) {
    case 'ack':
      if (s.acknowledgedAt === null) s.acknowledgedAt = e.at;
      break;
    case 'severity':
      if (e.severity) {
        s.severity = e.severity;
        if (s.phase === 'deciding' && s.decisionDueAt !== null) {
          s.decisionDueAt = Math.min(s.decisionDueAt, deadline(s.declaredAt, box(s, c), 'decision', s.extensions));
        }
        notes.push(`Timeboxes now follow ${e.severity}.`);
      }
      break;
    case 'extend': {
      const minutes = e.minutes ?? 0;
      s.extensions.push({ timebox: e.timebox ?? '', minutes });
      if (e.timebox === 'decision' && s.decisionDueAt !== null) {
        s.decisionDueAt += minutes * MINUTE;
        commands.push(...reissueProposal(s, `Decision timebox extended by ${minutes} min by ${e.actor}.`));
      }
      if (e.timebox === 'containment' && s.containmentDueAt !== null) s.containmentDueAt += minutes * MINUTE;
      if (e.timebox === 'monitoring' && s.monitoringEndsAt !== null) s.monitoringEndsAt += minutes * MINUTE;
      break;
    }
    case 'decision': {
      if (s.phase !== 'deciding' && s.phase !== 'snapshot') {
        notes.push(`Decision "${e.choice ?? ''}" by ${e.actor} arrived in phase ${s.phase}; containment is already under way, so it is recorded only.`);
        break;
      }
      if (e.proposalId && s.proposal && e.proposalId !== s.proposal.id) {
        notes.push(`Decision by ${e.actor} answered an older proposal (${e.proposalId}); ignored. The current proposal is ${s.proposal.id}.`);
        break;
      }
      const choice = e.choice ?? 'accept-proposal';
      s.choice = choice;
      s.decidedBy = e.actor;
      const steps = stepsFor(choice, s, c, e.actor);
      if (choice !== 'monitor-only' && steps.length === 0) {
        notes.push(`"${choice}" has nothing to do here (no matching changes or rollback target); the runbook keeps verifying.`);
      }
      commands.push(...beginContainment(s, c, e.at, steps, `decision by ${e.actor}: ${choice}`));
      break;
    }
    case 'rollback': {
      if (s.rolledBack) {
        notes.push(`Rollback requested by ${e.actor}, but production was already rolled back.`);
        break;
      }
      const steps = rollbackSteps(s, c, `requested by ${e.actor}: ${e.reason ?? ''}`);
      if (!steps.length) {
        notes.push(`Rollback requested by ${e.actor}, but this service has no rollback target in the policy.`);
        commands.push(escalate(s, c, `Rollback requested by ${e.actor}, but no rollback target is configured: act by hand.`));
        break;
      }
      s.choice = 'api-to-lkg';
      s.decidedBy = s.decidedBy ?? e.actor;
      commands.push(...beginContainment(s, c, e.at, steps, `rollback requested by ${e.actor}`));
      break;
    }
    case 'alert':
      if (e.condition === 'Fired' && s.phase === 'monitoring' && s.monitoringEndsAt !== null) {
        // A flapping alert extends the window: recovery is not proven while it keeps firing.
        const extended = Math.max(s.monitoringEndsAt, e.at + (box(s, c).monitoringMinutes * MINUTE) / 2);
        if (extended > s.monitoringEndsAt) {
          notes.push(`Alert fired again during monitoring: the window is extended to ${iso(extended)}.`);
          s.monitoringEndsAt = extended;
        }
      }
      break;
    case 'resolve':
      commands.push(...resolve(s, c, e.at, e.actor));
      break;
  }
  return { state: s, commands, notes };
}

function escalate(s: RunbookState, c: RunbookConfig, text: string): Command {
  const people = [...new Set(c.escalation.filter((e) => e.severities.includes(s.severity)).flatMap((e) => e.notify))];
  return { kind: 'announce', message: 'escalation', step: next(s, 'announce/escalation'), text, data: { notify: people } };
}

function resolve(s: RunbookState, c: RunbookConfig, now: number, by: string): Command[] {
  s.phase = 'resolved';
  s.resolvedAt = now;
  s.resolvedBy = by;
  s.recoveredAt = s.recoveredAt ?? (s.lastVerdict?.verdict === 'green' ? s.lastVerdict.at : null);
  s.postmortemDueAt = addBusinessDays(now, c.postmortemDueBusinessDays);
  const commands: Command[] = [];
  if (s.rolledBack) {
    const api = s.executed.find((x) => (x.action === 'api-to-lkg' || x.action === 'web-to-lkg') && (x.outcome === 'done' || x.outcome === 'skipped'));
    commands.push({ kind: 'announce', message: 'rollback-executed', step: 'announce/rollback-executed', text: s.rollbackReason ?? api?.summary ?? 'a rollback to the last known good release', data: {} });
  }
  // Everything the close does comes before the archive, so the sealed pack holds the whole story
  // (RB-03 section 9): the LKG record and the resolution message link to the pack by its address,
  // which is known before it is sealed.
  // The release that ran cleanly through the window becomes the last known good (only when no
  // rollback happened), recorded before the freeze lifts so no deploy can slip in between.
  if (!s.rolledBack && s.lastVerdict?.verdict === 'green' && s.monitoringEndsAt !== null && now >= s.monitoringEndsAt) {
    commands.push({ kind: 'record-lkg', step: 'lkg/record' });
  }
  if (s.frozen) commands.push({ kind: 'freeze', step: 'freeze/off', on: false, reason: `Incident resolved by ${by}` });
  commands.push({ kind: 'announce', message: 'resolved', step: 'announce/resolved', text: `Resolved by ${by}.`, data: { postmortemDueAt: iso(s.postmortemDueAt) } });
  commands.push({ kind: 'archive', step: 'evidence/archive' });
  commands.push({ kind: 'close', step: 'close' });
  return commands;
}

/**
 * A drill (plan mode) changes nothing, so it cannot watch a recovery: it ends once it has shown
 * how the runbook answers its deadline (the containment it would carry out and what the checks see
 * right after, or the escalation when nobody decides), with the same close as a real incident. A
 * drill people decide goes on until its containment timebox passes (or they resolve it).
 */
export const DRILL_RESOLVER = 'incident-bot (drill complete)';

function endDrill(s: RunbookState, c: RunbookConfig, now: number, why: string, notes: string[]): Command[] {
  notes.push(`Drill complete: ${why}`);
  return resolve(s, c, now, DRILL_RESOLVER);
}

/** A wake-up: the machine checks which of its clocks has run out. */
export function onTimer(prev: RunbookState, c: RunbookConfig, now: number): Transition {
  const s = structuredClone(prev);
  const commands: Command[] = [];
  const notes: string[] = [];
  if (s.done) return { state: s, commands, notes };
  if (s.phase === 'closed') return { state: s, commands, notes };

  // Escalation of an unacknowledged incident along the chain.
  if (s.acknowledgedAt === null) {
    c.escalation.forEach((e, i) => {
      const at = s.declaredAt + (e.afterMinutes + extensionMinutes(s.extensions, 'ack')) * MINUTE;
      if (e.severities.includes(s.severity) && !s.escalationsSent.includes(i) && now >= at) {
        s.escalationsSent.push(i);
        // The escalation message goes to the channel and, through the activity feed, to `notify`.
        commands.push({ kind: 'announce', message: 'escalation', step: `announce/escalation/ack/${i}`, text: `Nobody has acknowledged after ${e.afterMinutes} min: escalated to ${e.notify.join(', ')}.`, data: { notify: e.notify } });
      }
    });
  }

  if (s.phase === 'deciding' && s.decisionDueAt !== null && now >= s.decisionDueAt) {
    if (box(s, c).noDecision === 'rollback') {
      const app = rollbackSteps(s, c, `no decision within ${box(s, c).decisionMinutes + extensionMinutes(s.extensions, 'decision')} min (${s.severity}: if in doubt, roll back)`);
      // "If in doubt, roll back" rolls back everything the snapshot suspects: the flag/config changes
      // the proposal would revert come first (a release rollback alone leaves a bad flag on), then the app.
      const reverts = app.length ? (s.proposal?.steps ?? []).filter((x): x is Extract<ContainmentStep, { key: string }> => x.kind === 'set-flag' || x.kind === 'set-config') : [];
      const steps = [...reverts, ...app];
      if (steps.length) {
        s.choice = 'api-to-lkg';
        s.decidedBy = 'incident-bot (timebox)';
        notes.push(
          reverts.length
            ? `Nobody decided in time: reverting ${reverts.map((x) => x.key).join(', ')} and rolling back to the last known good release.`
            : 'Nobody decided in time: rolling back to the last known good release.',
        );
        commands.push(...beginContainment(s, c, now, steps, 'nobody decided within the timebox'));
      } else {
        s.decisionDueAt = now + box(s, c).decisionMinutes * MINUTE;
        commands.push(escalate(s, c, 'Nobody decided in time and this service has no rollback target: decide by hand.'));
        commands.push(...reissueProposal(s, 'Nobody decided in time and there is no rollback target: decide by hand.'));
      }
    } else {
      s.decisionReminders += 1;
      s.decisionDueAt = now + box(s, c).decisionMinutes * MINUTE;
      commands.push(escalate(s, c, `No containment decision yet (reminder ${s.decisionReminders}); the proposal stands: ${s.proposal?.path ?? 'none'}.`));
      commands.push(...reissueProposal(s, `Reminder ${s.decisionReminders}: no containment decision yet.`));
    }
    if (c.mode === 'plan' && s.phase === 'deciding') {
      const every = box(s, c).decisionMinutes;
      commands.push(...endDrill(s, c, now, `nobody decided by the deadline; a real incident would now escalate and ask again every ${every} min until a person decides.`, notes));
    }
  }

  if (s.phase === 'verifying' && s.containmentDueAt !== null && now >= s.containmentDueAt && s.lastVerdict?.verdict !== 'green' && c.mode === 'plan') {
    // A drill's containment was planned: its timebox passing shows nothing new (checks cannot recover from a plan).
    commands.push(...endDrill(s, c, now, 'the containment was planned, not carried out, and its timebox has passed; a real incident would now roll back or escalate.', notes));
  } else if (s.phase === 'verifying' && s.containmentDueAt !== null && now >= s.containmentDueAt && s.lastVerdict?.verdict !== 'green') {
    if (!s.rolledBack) {
      const steps = rollbackSteps(s, c, `containment did not re-stabilise within ${box(s, c).containmentMinutes} min`);
      if (steps.length) {
        notes.push('Containment did not re-stabilise in time: rolling back to the last known good release (RB-03 section 7).');
        commands.push(...beginContainment(s, c, now, steps, 'containment timebox expired'));
      } else {
        s.containmentDueAt = now + box(s, c).containmentMinutes * MINUTE;
        commands.push(escalate(s, c, 'Containment did not re-stabilise and there is no rollback target: act by hand.'));
      }
    } else {
      s.containmentDueAt = now + box(s, c).recoveryMinutes * MINUTE;
      commands.push(escalate(s, c, `Rolled back, but the checks are still ${s.lastVerdict?.verdict ?? 'unknown'}: ${(s.lastVerdict?.reasons ?? []).slice(0, 3).join('; ')}. Needs a person.`));
    }
  }

  if ((s.phase === 'verifying' || s.phase === 'monitoring') && s.nextCheckAt !== null && now >= s.nextCheckAt) {
    s.nextCheckAt = null;
    commands.push({ kind: 'smoke', step: next(s, `smoke/${s.phase}`), purpose: s.phase === 'verifying' ? 'verify' : 'monitor' });
  }

  if (s.phase === 'monitoring' && s.monitoringEndsAt !== null && now >= s.monitoringEndsAt && s.lastVerdict?.verdict === 'green') {
    commands.push(...resolve(s, c, now, 'incident-bot (monitoring window passed)'));
  }

  // (resolve() above may have moved the phase on: read it afresh.)
  if (!isOver(s) && now >= s.lastUpdateAt + box(s, c).updateEveryMinutes * MINUTE) {
    s.lastUpdateAt = now;
    s.updates += 1;
    commands.push({ kind: 'announce', message: 'update', step: `announce/update/${s.updates}`, text: statusLine(s), data: { nextUpdateAt: iso(now + box(s, c).updateEveryMinutes * MINUTE) } });
  }
  return { state: s, commands, notes };
}

export function statusLine(s: RunbookState): string {
  const verdict = s.lastVerdict ? `checks ${s.lastVerdict.verdict}` : 'checks pending';
  const what =
    s.phase === 'deciding'
      ? `waiting for a containment decision (proposal: ${s.proposal?.path ?? 'none'})`
      : s.phase === 'containing'
        ? `containing (${s.choice ?? ''})`
        : s.phase === 'verifying'
          ? `verifying recovery${s.rolledBack ? ' after rollback' : ''}`
          : s.phase === 'monitoring'
            ? `monitoring until ${s.monitoringEndsAt ? iso(s.monitoringEndsAt) : '?'}`
            : s.phase;
  return `${s.severity}: ${what}; ${verdict}.`;
}

/** The result of a command the interpreter carried out. */
export function onResult(prev: RunbookState, c: RunbookConfig, command: Command, result: CommandResult, now: number, triggers: ContainmentFacts['triggers']): Transition {
  const s = structuredClone(prev);
  const commands: Command[] = [];
  const notes: string[] = [];
  if (command.kind === 'snapshot' && result.kind === 'snapshot') {
    s.snapshot = result.snapshot;
    if (result.snapshot.verdict) s.lastVerdict = result.snapshot.verdict;
    const proposal = proposeContainment(facts(s, c, triggers));
    s.proposal = { ...proposal, id: `proposal-${s.counter + 1}` };
    s.counter += 1;
    notes.push(`Proposed containment: ${proposal.path} (${proposal.reasons.join('; ')}).`);
    if (s.phase === 'snapshot') {
      s.phase = 'deciding';
      s.decisionDueAt = deadline(s.declaredAt, box(s, c), 'decision', s.extensions);
      commands.push({
        kind: 'announce',
        message: 'proposal',
        step: `announce/proposal/${s.proposal.id}`,
        text: proposal.reasons.join(' '),
        data: { proposalId: s.proposal.id, path: proposal.path, steps: proposal.steps, decisionDueAt: iso(s.decisionDueAt), actionItems: proposal.actionItems },
      });
    }
    return { state: s, commands, notes };
  }
  if (command.kind === 'execute' && result.kind === 'action') {
    const o = result.outcome;
    s.executed.push({ step: command.step, action: command.action.kind, outcome: o.kind, summary: o.summary, at: now });
    const done = JSON.stringify(command.action);
    s.pendingSteps = s.pendingSteps.filter((x) => JSON.stringify(x) !== done);
    if ((command.action.kind === 'api-to-lkg' || command.action.kind === 'web-to-lkg') && (o.kind === 'done' || o.kind === 'skipped')) s.rolledBack = true;
    notes.push(`${command.action.kind}: ${o.kind}: ${o.summary}`);
    if (o.kind === 'refused') commands.push(escalate(s, c, `Containment step ${command.action.kind} was refused: ${o.summary}`));
    if (s.pendingSteps.length === 0 && s.phase === 'containing') {
      s.phase = 'verifying';
      s.mitigatedAt = s.mitigatedAt ?? now;
      s.nextCheckAt = now;
    }
    return { state: s, commands, notes };
  }
  if (command.kind === 'freeze' && result.kind === 'action') {
    // A drill follows the path of its plan: a planned freeze counts as set (it is not planned twice).
    if (result.outcome.kind === 'done' || result.outcome.kind === 'skipped' || (c.mode === 'plan' && result.outcome.kind === 'planned')) s.frozen = command.on;
    s.executed.push({ step: command.step, action: command.on ? 'freeze' : 'unfreeze', outcome: result.outcome.kind, summary: result.outcome.summary, at: now });
    notes.push(result.outcome.summary);
    return { state: s, commands, notes };
  }
  if (command.kind === 'record-lkg' && result.kind === 'action') {
    s.executed.push({ step: command.step, action: 'record-lkg', outcome: result.outcome.kind, summary: result.outcome.summary, at: now });
    notes.push(result.outcome.summary);
    return { state: s, commands, notes };
  }
  if (command.kind === 'smoke' && result.kind === 'smoke') {
    const v = result.verdict;
    s.lastVerdict = v;
    notes.push(`Smoke checks (${command.purpose}): ${v.verdict}${v.reasons.length ? `: ${v.reasons.slice(0, 3).join('; ')}` : ''}.`);
    if (s.phase === 'verifying' && c.mode === 'plan' && s.decidedBy?.startsWith('incident-bot')) {
      // Nobody is playing this drill (the automation answered its deadline): it has shown all it can.
      // A drill people play goes on (they may ask for a rollback, extend, resolve) until its
      // containment timebox passes.
      const what = `the containment was planned, not carried out, so these checks (${v.verdict}) cannot show its effect; a real incident would now verify until green and watch the monitoring window.`;
      commands.push(...endDrill(s, c, now, what, notes));
    } else if (s.phase === 'verifying') {
      if (v.verdict === 'green') {
        s.recoveredAt = s.recoveredAt ?? now;
        s.mitigatedAt = s.mitigatedAt ?? now;
        s.phase = 'monitoring';
        s.monitoringEndsAt = now + (box(s, c).monitoringMinutes + extensionMinutes(s.extensions, 'monitoring')) * MINUTE;
        s.nextCheckAt = now + MONITOR_EVERY_MS;
        commands.push({
          kind: 'announce',
          message: 'stabilized',
          step: next(s, 'announce/stabilized'),
          text: `Stabilized. Monitoring for ${box(s, c).monitoringMinutes} min.`,
          data: { sseTtfbMs: v.sseTtfbMs, heartbeatMs: v.heartbeatMs, monitoringMinutes: box(s, c).monitoringMinutes },
        });
      } else {
        s.nextCheckAt = now + VERIFY_EVERY_MS;
      }
    } else if (s.phase === 'monitoring') {
      if (v.verdict === 'red') {
        s.regressions += 1;
        notes.push('Regression during the monitoring window: containment re-opens.');
        if (!s.rolledBack) {
          const steps = rollbackSteps(s, c, 'regression during the monitoring window');
          if (steps.length) commands.push(...beginContainment(s, c, now, steps, 'regression during monitoring'));
          else {
            s.phase = 'verifying';
            s.containmentDueAt = now + box(s, c).containmentMinutes * MINUTE;
            s.nextCheckAt = now + VERIFY_EVERY_MS;
            commands.push(escalate(s, c, 'Regression during monitoring and no rollback target: act by hand.'));
          }
        } else {
          s.phase = 'verifying';
          s.containmentDueAt = now + box(s, c).recoveryMinutes * MINUTE;
          s.nextCheckAt = now + VERIFY_EVERY_MS;
          commands.push(escalate(s, c, `Regression after rollback: ${v.reasons.slice(0, 3).join('; ')}. Needs a person.`));
        }
      } else {
        s.nextCheckAt = now + MONITOR_EVERY_MS;
      }
    }
    return { state: s, commands, notes };
  }
  if (command.kind === 'close') {
    // The incident ends here. The postmortem due date is in the resolution message, the status,
    // the incident summary and the evidence pack; the reminder on the due date is sent by the
    // postmortem-reminder sweep (src/app/postmortem-reminders.ts), which reads the summary.
    s.phase = 'closed';
    s.done = true;
    return { state: s, commands, notes };
  }
  return { state: s, commands, notes };
}

/** Metrics for the postmortem (minutes from the first signal). */
export function metrics(s: RunbookState): { timeToDeclare: number; timeToAcknowledge: number | null; timeToMitigate: number | null; timeToRecover: number | null } {
  const m = (at: number | null): number | null => (at === null ? null : Math.round((at - s.startedAt) / MINUTE));
  return { timeToDeclare: Math.round((s.declaredAt - s.startedAt) / MINUTE), timeToAcknowledge: m(s.acknowledgedAt), timeToMitigate: m(s.mitigatedAt), timeToRecover: m(s.recoveredAt) };
}

function isOver(s: RunbookState): boolean {
  return s.phase === 'resolved' || s.phase === 'closed';
}
