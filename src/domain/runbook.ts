/**
 * RB-03 + RB-02 as a pure state machine. It decides on the incident as recorded (./incident-record.ts)
 * and answers with new events (facts: "decided", "containment started", "escalated"...) and
 * commands for the orchestration to carry out (post to Teams, take the first-15-minutes snapshot,
 * run smoke checks, execute containment steps, freeze deploys, archive evidence...). Its only
 * state of its own is bookkeeping (`Plan`: step counters, when to check next); every fact it
 * reads or states is in the record, so severity and phase exist once. Deterministic: time is
 * passed in, ids are derived, nothing is read from outside, so every runbook path is testable as
 * plain data (test/domain/runbook.test.ts).
 *
 * The timeline:
 *   declared -> deciding -> containing -> verifying -> monitoring -> resolved -> closed
 * with these clocks (policy timeboxes, from declaration unless said otherwise, extendable):
 *   - acknowledgement: the escalation chain is paged at each step nobody has engaged by (an
 *     acknowledgement, or anything else a person does: a decision acknowledges the incident);
 *   - decision: nobody decides -> P1 rolls back ("if in doubt, roll back"), P2/P3 escalate and remind;
 *   - containment (from its start): not green in time -> roll back to LKG; already rolled back -> escalate;
 *   - monitoring window (after recovery): a regression re-opens containment, a flapping alert extends it;
 *   - status updates on the severity's cadence until resolved (the postmortem reminder, days later,
 *     is not the machine's: src/app/postmortem-reminders.ts sends it from the incident summary).
 */
import type { SeverityLevel, Timebox } from './policy.js';
import { isRollback } from './action-table.js';
import { actorName, isPerson, type Actor } from './actor.js';
import { proposeContainment, type ContainmentFacts, type ContainmentStep, type RecentChange, type ReleaseState, type TrafficRule } from './containment.js';
import { describeFailure } from './failures.js';
import type { ContainmentChoice, Inbound, Role } from './incident-events.js';
import type { EvidenceLinks } from './incident.js';
import {
  alertEvents,
  alertFacts,
  alertTriggersOf,
  earlierDeliveries,
  applyEvent,
  didNotWork,
  extendedMinutes,
  icDueAt,
  type AlertFacts,
  type CheckFacts,
  type EscalationReason,
  type EventOf,
  type Incident,
  type IncidentEvent,
  type MessageKind,
  type NewEvent,
  type RecordedOutcome,
  type SignalsFacts,
} from './incident-record.js';
import type { SmokeRun } from './evidence.js';
import type { DraftedItem } from './follow-up.js';
import { EXTENDING_P1_DECISION, mayOverride, names, overrideRefusal, overridesP1Default, ROLE_NAMES, rotaPages, rotaRolesOf, SME_NAMES, smesFor } from './roles.js';
import { canonicalKey } from './parity.js';
import { isHigher } from './severity.js';
import { judgeSignals, lookAgain, type SignalReadings, type SignalsConfig } from './signals-judgement.js';
import { addBusinessDays } from './timeboxes.js';

const MINUTE = 60_000;
/** How often checks run while verifying a containment, and during the monitoring window. */
export const VERIFY_EVERY_MS = 2 * MINUTE;
export const MONITOR_EVERY_MS = 5 * MINUTE;
/** RB-03 section 12: recent flag/config changes are looked up over the last 12 hours. */
export const CHANGE_LOOKBACK_MINUTES = 12 * 60;
const WINDOW_PASSED = 'the monitoring window passed with green checks';
const WINDOW_PASSED_SIGNALS = 'the monitoring window passed with green checks, the fired metric under its threshold and no alert active';
/** How many times the on-call page of a P1 is tried before the escalation chain is left to reach people. */
export const ON_CALL_ATTEMPTS = 3;
/** A message waits for Teams (throttling, outages) at least this long... */
export const MESSAGE_WAIT_MIN_MS = MINUTE;
/** ...and at most this long: the runbook carries out one command at a time, so a throttled Teams must not hold a containment step for long. */
export const MESSAGE_WAIT_MAX_MS = 5 * MINUTE;

export type Command =
  | { kind: 'announce'; step: string; message: Exclude<MessageKind, 'escalation' | 'update' | 'stakeholder-summary'> }
  /** The stakeholders' summary (its own channel and cadence), and the final one at resolution. */
  | { kind: 'announce'; step: string; message: 'stakeholder-summary'; sequence: number; final: boolean }
  /** A status update on the cadence, or out of it when a person changed the severity (`severityChange`). */
  | { kind: 'announce'; step: string; message: 'update'; sequence: number; severityChange?: boolean }
  | { kind: 'announce'; step: string; message: 'escalation'; reason: EscalationReason; text: string; people: string[] }
  /** Page the destination's on-call (a P1) through the activity feed. */
  | { kind: 'page-on-call'; step: string }
  /** Page people the rota names for a role or a triage row (`label`: "IC (rota)", "SME DBA (latency-p95)"), with the declaration. */
  | { kind: 'page'; step: string; label: string; people: string[]; as: string; key: string }
  | { kind: 'snapshot'; step: string; lookbackMinutes: number }
  | { kind: 'smoke'; step: string; purpose: 'verify' | 'monitor' }
  /** Read the Azure Monitor signals: the triage before a status update, or everything before acting at a deadline. */
  | { kind: 'signals'; step: string; purpose: 'update' | 'deadline'; deadline?: 'decision' | 'containment' }
  | { kind: 'execute'; step: string; action: ContainmentStep }
  | { kind: 'freeze'; step: string; on: boolean; reason: string }
  | { kind: 'record-lkg'; step: string }
  /** Where the evidence pack will be (its links are in the resolution message and the LKG record). */
  | { kind: 'locate-evidence'; step: string }
  /** Read what people recorded as follow-ups (the ticket, items they added), for the evidence pack. */
  | { kind: 'read-follow-ups'; step: string }
  /** Write the evidence pack (timeline, alerts, checks, actions, messages), the postmortem draft, and seal it. */
  | { kind: 'archive'; step: string }
  | { kind: 'close'; step: string };

export type AnnounceCommand = Extract<Command, { kind: 'announce' }>;

/** A smoke round as the runbook judges it, and the run for the evidence (null when it could not run). */
export type ChecksOutcome = CheckFacts & { run: SmokeRun | null };

export type CommandResult =
  | { kind: 'snapshot'; checks: ChecksOutcome | null; changes: RecentChange[]; api: ReleaseState | null; web: ReleaseState | null; problems: string[]; seen: string[]; signals?: SignalReadings | null }
  /** A smoke round, and the signals read with it (null: not read, or the read itself failed). */
  | { kind: 'checks'; checks: ChecksOutcome; signals?: SignalReadings | null }
  /** Signals read on request; before acting at a deadline, with a fresh smoke round (`checks`). */
  | { kind: 'signals'; readings: SignalReadings | null; problem: string | null; checks?: ChecksOutcome | null }
  | { kind: 'action'; activity: string; outcome: RecordedOutcome }
  /** Teams deliveries (messages posted, people paged) and what to say about them. */
  | { kind: 'teams'; events: Extract<NewEvent, { type: 'message-sent' | 'paged' | 'noted' }>[] }
  | { kind: 'located'; links: EvidenceLinks | null; problem: string | null }
  | { kind: 'archived'; sealed: boolean; manifestSha256: string | null; summary: string; actionItems: DraftedItem[] }
  | { kind: 'follow-ups'; ticketUrl: string | null; items: EventOf<'follow-ups-read'>['items']; problem: string | null }
  | { kind: 'done'; problem: string | null };

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
  /** Who a P1 pages at once (the destination's on-call: Entra object ids or UPNs). */
  onCall: string[];
  /** What the incident's alerts triggered (RB-03 triggers), for the decision tree. */
  triggers: ContainmentFacts['triggers'];
  /** The Azure Monitor signals read for this service (null: recovery is judged on the smoke checks alone). */
  signals: SignalsConfig | null;
  /** The containment actions the environment allows beyond revert and LKG (absent: none). */
  actions?: { restart: boolean; scaleOutTo: number | null; trafficRule: TrafficRule | null };
  /** RB-02 section 9: reapply the intended config while parity drift is critical (null: not asked for by the policy). */
  reapply?: { attempts: number; timeboxMinutes: number; intended: IntendedValue[] } | null;
  /** The stakeholders' summary cadence per severity, in minutes (null: no stakeholder channel; a severity without one: no summaries at it). */
  stakeholderEvery: Partial<Record<SeverityLevel, number>> | null;
}

/** One intended value the reapply-and-parity loop may set: a flag or a config key, by the name the service lists it under. */
export interface IntendedValue {
  /** The key as the parity check names it. */
  key: string;
  kind: 'flag' | 'config';
  name: string;
  value: string | boolean;
}

/** The runbook's own bookkeeping: never a fact about the incident (those are events). */
export interface Plan {
  /** Increments for step keys that may repeat (containment steps, smoke runs, escalations, reissued proposals). */
  counter: number;
  /** When the next smoke round is due (verifying, monitoring). */
  nextCheckAt: number | null;
  /** After a containment deadline was handled without a new containment: when to judge it again. */
  recheck: { containment: number; at: number } | null;
  lastUpdateAt: number;
  updates: number;
  /** Steps of the escalation chain already paged. */
  escalationsSent: number[];
  decisionReminders: number;
  onCall: { paged: boolean; attempts: number; due: boolean };
  /** The rota's pages: the IC backups once the IC timebox ran out, and the SME kinds paged so far. */
  rota: { icEscalated: boolean; smes: string[]; attempts?: Record<string, number> };
  /** A look at the signals before acting at this deadline is under way (its result decides). */
  looking: 'decision' | 'containment' | null;
  /** The stakeholders' summaries: when the last one went out (the declaration before the first) and how many. */
  stakeholders: { lastAt: number; sent: number };
}

/** One transition: it records events as it decides (so each decision sees the ones before) and collects commands. */
export class Turn {
  readonly commands: Command[] = [];
  readonly events: IncidentEvent[] = [];

  constructor(
    readonly s: Incident,
    readonly p: Plan,
    readonly c: RunbookConfig,
    readonly now: number,
    private readonly record: (e: IncidentEvent) => void,
  ) {}

  emit(e: NewEvent): void {
    const full: IncidentEvent = { ...e, seq: this.s.length, at: this.now };
    applyEvent(this.s, full);
    this.events.push(full);
    this.record(full);
  }

  command(c: Command): void {
    this.commands.push(c);
  }

  next(prefix: string): string {
    return `${prefix}/${++this.p.counter}`;
  }

  get box(): Timebox {
    return this.c.boxes[this.s.severity];
  }
}

const isOver = (s: Incident): boolean => s.phase === 'resolved' || s.phase === 'closed';

/**
 * Recovered as the record says: the latest smoke round green and, when the service's signals are
 * read, that round's recovery verdict too (fired metric held under threshold, no alert active; a
 * blind reader is named in the verdict and does not block).
 */
export function isRecovered(s: Incident): boolean {
  if (s.checks.last?.verdict !== 'green') return false;
  const r = s.signals.round?.recovery;
  return !r || r.recovered;
}

/** The alert deliveries the incident received, for the flap rule. */
const alertDeliveries = (s: Incident): { at: number; condition: 'Fired' | 'Resolved' }[] => [
  ...earlierDeliveries(s.alerts.earlier),
  ...s.alerts.received.map((a) => ({ at: a.receivedAt, condition: a.condition })),
];

export function newPlan(declaredAt: number): Plan {
  return { counter: 0, nextCheckAt: null, recheck: null, lastUpdateAt: declaredAt, updates: 0, escalationsSent: [], decisionReminders: 0, onCall: { paged: false, attempts: 0, due: false }, rota: { icEscalated: false, smes: [] }, looking: null, stakeholders: { lastAt: declaredAt, sent: 0 } };
}

/** The runbook's first moves once the incident is declared: announce it, page a P1's on-call, take the snapshot. */
export function start(t: Turn): void {
  if (t.c.mode === 'plan') t.emit({ type: 'noted', by: null, text: 'Drill (plan-only): every action reports what it would do; nothing is changed and no message is sent.' });
  t.command({ kind: 'announce', step: 'announce/declared', message: 'declared' });
  t.p.onCall.due = t.s.severity === 'P1' && t.c.onCall.length > 0;
  pageOnCall(t);
  pageRota(t);
  // Stakeholders hear of it at once when their severity has a cadence; then on the cadence.
  if (stakeholderEvery(t.s, t.c) !== null) stakeholderSummary(t, false);
  t.command({ kind: 'snapshot', step: 'snapshot/initial', lookbackMinutes: CHANGE_LOOKBACK_MINUTES });
}

/** The stakeholders' cadence at the incident's severity, in ms (null: none). */
export function stakeholderEvery(s: Incident, c: RunbookConfig): number | null {
  const every = c.stakeholderEvery?.[s.severity];
  return every === undefined ? null : every * MINUTE;
}

/** The next stakeholders' summary (or the final one). */
function stakeholderSummary(t: Turn, final: boolean): void {
  const st = t.p.stakeholders;
  st.lastAt = t.now;
  st.sent += 1;
  t.command({ kind: 'announce', step: final ? 'announce/stakeholders/final' : `announce/stakeholders/${st.sent}`, message: 'stakeholder-summary', sequence: st.sent, final });
}

/** A P1 pages the destination's on-call once (at the declaration, or when an alert raises it to P1), retried a few times when it does not go out. */
function pageOnCall(t: Turn): void {
  const o = t.p.onCall;
  if (!o.due || o.paged || o.attempts >= ON_CALL_ATTEMPTS) return;
  o.due = false;
  o.attempts += 1;
  t.command({ kind: 'page-on-call', step: 'teams/notify/on-call' });
}

/**
 * The rota pages the first IC and the first Deputy it names (RB-02: "IC: @RM, Deputy: @SRE"), and
 * the subject-matter experts the incident's triage rows need (RB-03 section 6), each once. A raised
 * severity or a further alert's new trigger pages what it adds.
 */
function pageRota(t: Turn): void {
  const { s, p } = t;
  const rota = s.rota;
  if (!rotaPages(rota, s.severity) || isOver(s)) return;
  for (const role of ['ic', 'deputy'] as const) {
    const first = rota[role][0];
    if (!first || s.roles[role] || p.rota.smes.includes(role) || !tryRotaPage(p, role)) continue;
    t.command({ kind: 'page', step: `teams/notify/rota/${role}`, label: `${ROLE_NAMES[role]} (rota)`, people: [first], as: ROLE_NAMES[role], key: role });
  }
  for (const { kind, because } of smesFor(triggersOf(s, t.c))) {
    const people = rota.sme[kind] ?? [];
    if (!people.length || p.rota.smes.includes(kind) || !tryRotaPage(p, kind)) continue;
    t.command({ kind: 'page', step: `teams/notify/rota/sme/${kind}`, label: `SME ${SME_NAMES[kind]} (${because})`, people, as: SME_NAMES[kind], key: kind });
  }
}

/** A rota page is sent once, and like the on-call page tried again at the next turns when it did not go out, at most ON_CALL_ATTEMPTS times. */
function tryRotaPage(p: Plan, key: string): boolean {
  const attempts = (p.rota.attempts ??= {});
  const n = attempts[key] ?? 0;
  if (n >= ON_CALL_ATTEMPTS) return false;
  attempts[key] = n + 1;
  p.rota.smes.push(key);
  return true;
}

/** Every RB-03 trigger the incident's alerts matched. */
const triggersOf = (s: Incident, c: RunbookConfig): ContainmentFacts['triggers'] => [...new Set([...c.triggers, ...alertTriggersOf(s)])];

/** The current decision deadline: the open proposal's, else the decision timebox from the declaration. */
export function decisionDueAt(s: Incident, c: RunbookConfig): number {
  return s.proposal?.decisionDueAt ?? s.declaredAt + (c.boxes[s.severity].decisionMinutes + extendedMinutes(s, 'decision')) * MINUTE;
}

/** When the current containment is judged: its deadline, or a later look after the deadline was handled. */
function containmentJudgedAt(s: Incident, p: Plan): number | null {
  const c = s.containments.at(-1);
  if (!c) return null;
  if (p.recheck && p.recheck.containment === c.seq) return Math.max(p.recheck.at, c.dueAt);
  return c.dueAt;
}

/** The deadline of the current phase: the decision, containment (or recovery), or the monitoring window; null once resolved. */
export function phaseDeadline(s: Incident, p: Plan, c: RunbookConfig): number | null {
  switch (s.phase) {
    case 'declared':
    case 'deciding':
      return decisionDueAt(s, c);
    case 'containing':
    case 'verifying':
      return containmentJudgedAt(s, p);
    case 'monitoring':
      return s.windows.at(-1)?.endsAt ?? null;
    default:
      return null;
  }
}

/**
 * Until when a message may be retried (Retry-After, 5xx backoff): the current phase's deadline, so
 * the waits stay inside the incident's timebox, but at least MESSAGE_WAIT_MIN_MS (a message due
 * just before a deadline still gets a chance) and at most MESSAGE_WAIT_MAX_MS.
 */
export function messageDeadline(s: Incident, p: Plan, c: RunbookConfig, now: number): number {
  const due = phaseDeadline(s, p, c) ?? now + MESSAGE_WAIT_MAX_MS;
  return Math.min(now + MESSAGE_WAIT_MAX_MS, Math.max(now + MESSAGE_WAIT_MIN_MS, due));
}

function pendingEscalations(s: Incident, p: Plan, c: RunbookConfig): { i: number; at: number; step: RunbookConfig['escalation'][number] }[] {
  // The chain stops when someone takes command (an IC, or a person's decision), not at any acknowledgement.
  if (s.commandedAt !== null || isOver(s)) return [];
  return c.escalation
    .map((step, i) => ({ i, step, at: s.declaredAt + (step.afterMinutes + extendedMinutes(s, 'ack')) * MINUTE }))
    .filter(({ i, step }) => step.severities.includes(s.severity) && !p.escalationsSent.includes(i));
}

/** When the machine next wants to be woken up if nothing happens (null: only events). */
export function nextWake(s: Incident, p: Plan, c: RunbookConfig): number | null {
  if (s.phase === 'closed') return null;
  const times: number[] = [];
  if (!isOver(s)) times.push(p.lastUpdateAt + c.boxes[s.severity].updateEveryMinutes * MINUTE);
  const every = stakeholderEvery(s, c);
  if (!isOver(s) && every !== null) times.push(p.stakeholders.lastAt + every);
  for (const e of pendingEscalations(s, p, c)) times.push(e.at);
  if (icEscalationDue(s, p)) times.push(icDueAt(s));
  if (s.phase === 'deciding') times.push(decisionDueAt(s, c));
  if ((s.phase === 'verifying' || s.phase === 'monitoring') && p.nextCheckAt !== null) times.push(p.nextCheckAt);
  const judged = containmentJudgedAt(s, p);
  if (s.phase === 'verifying' && judged !== null) times.push(judged);
  const w = s.windows.at(-1);
  // Once a round has judged the window's end (extended, kept open), the rounds go on and decide;
  // waking at an end already past would wake again at once, for ever.
  if (s.phase === 'monitoring' && w && !w.keptOpen && (s.checks.last === null || s.checks.last.at < w.endsAt)) times.push(w.endsAt);
  return times.length ? Math.min(...times) : null;
}

// ---------------------------------------------------------------------------------------------
// Containment

/** Rollback steps to last known good, for "roll back now" (no decision, a rollback request, a failed containment). */
function rollbackSteps(s: Incident, c: RunbookConfig, why: string): ContainmentStep[] {
  const steps: ContainmentStep[] = [];
  const api = s.snapshot?.api ?? null;
  const web = s.snapshot?.web ?? null;
  if (c.canRollBackApi) steps.push({ kind: 'api-to-lkg', from: api?.current ?? null, to: api?.lkg ?? null, reason: why });
  if (c.canRollBackWeb && (c.webCoupled || !c.canRollBackApi || s.checks.last?.failing.some((a) => a === 'pages' || a === 'web'))) {
    steps.push({ kind: 'web-to-lkg', from: web?.current ?? null, to: web?.lkg ?? null, reason: why });
  }
  return steps;
}

function facts(s: Incident, c: RunbookConfig): ContainmentFacts {
  return {
    severity: s.severity,
    triggers: triggersOf(s, c),
    startedAt: new Date(s.declaredAt).toISOString(),
    changes: s.snapshot?.changes ?? [],
    failing: s.checks.last?.failing ?? [],
    api: s.snapshot?.api ?? null,
    web: s.snapshot?.web ?? null,
    webCoupled: c.webCoupled,
    flagsInScope: c.flagsInScope,
    configInScope: c.configInScope,
    lookbackMinutes: CHANGE_LOOKBACK_MINUTES,
    trafficRule: c.actions?.trafficRule ?? null,
  };
}

/** Steps for a decision: the proposal, or the path a person chose instead. */
function stepsFor(choice: ContainmentChoice, s: Incident, c: RunbookConfig, who: string): ContainmentStep[] {
  const proposal = s.proposal;
  if (choice === 'accept-proposal' || (proposal && proposal.path === choice)) return proposal?.steps ?? [];
  const why = `chosen by ${who}`;
  switch (choice) {
    case 'monitor-only':
      return [];
    case 'revert-config': {
      const p = proposeContainment({ ...facts(s, c), failing: [], triggers: [], api: null, web: null });
      return p.path === 'revert-config' ? p.steps : [];
    }
    // Asked for where the policy does not allow it: the step is refused when carried out (said in the thread).
    case 'restart':
      return [{ kind: 'restart', reason: why }];
    case 'scale-out':
      return [{ kind: 'scale-out', to: c.actions?.scaleOutTo ?? 0, reason: why }];
    case 'traffic-rule':
      return c.actions?.trafficRule ? [{ kind: 'traffic-rule', rule: c.actions.trafficRule, reason: why }] : [];
    case 'web-to-lkg':
      return c.canRollBackWeb ? [{ kind: 'web-to-lkg', from: s.snapshot?.web?.current ?? null, to: s.snapshot?.web?.lkg ?? null, reason: why }] : [];
    case 'api-to-lkg':
    case 'app-to-lkg-forward-fix':
      return rollbackSteps({ ...s, checks: { ...s.checks, last: null } }, c, why);
  }
}

function beginContainment(t: Turn, choice: ContainmentChoice, steps: ContainmentStep[], why: string): void {
  const { s, c, now } = t;
  const rollback = steps.some((x) => isRollback(x.kind));
  // Containment must re-stabilise within its timebox; a rollback gets the rollback target (RB-02).
  const minutes = (rollback ? t.box.recoveryMinutes : t.box.containmentMinutes) + extendedMinutes(s, 'containment');
  const keyed = steps.map((action) => ({ step: t.next(`contain/${action.kind}/${'key' in action ? action.key : 'lkg'}`), action }));
  t.emit({ type: 'containment-started', choice, steps: keyed, why, rollback, dueAt: now + minutes * MINUTE, timebox: rollback ? 'recovery' : 'containment' });
  if (rollback) {
    if (!s.frozen) t.command({ kind: 'freeze', step: 'freeze/on', on: true, reason: `Rollback in progress (${why})` });
    t.command({ kind: 'announce', step: t.next('announce/rollback-started'), message: 'rollback-started' });
  }
  for (const k of keyed) t.command({ kind: 'execute', step: k.step, action: k.action });
  t.p.nextCheckAt = now;
  t.p.recheck = null;
  t.p.looking = null;
  void c;
}

/**
 * Whether the runbook may roll back on its own: not when production already runs the last known
 * good release, and not again after a rollback was refused or failed (the cause rarely goes away by
 * itself; a person can ask for it again with a rollback request).
 */
export function mayRollBack(s: Incident): boolean {
  return !s.onLkg && !s.actions.some((a) => isRollback(a.action) && didNotWork(a));
}

/** Why the incident is not recovered, in words: the checks, or the signals when the checks are green. */
function notRecoveredText(s: Incident): string {
  const last = s.checks.last;
  if (last?.verdict === 'green' && s.signals.round?.recovery && !s.signals.round.recovery.recovered) return `the checks are green but the signals are not: ${s.signals.round.recovery.blocking.slice(0, 3).join('; ')}`;
  return `the checks are still ${last?.verdict ?? 'unknown'}${last?.reasons.length ? `: ${last.reasons.slice(0, 3).join('; ')}` : ''}`;
}

function escalate(t: Turn, reason: EscalationReason, text: string, people?: string[]): void {
  const who = people ?? [...new Set(t.c.escalation.filter((e) => e.severities.includes(t.s.severity)).flatMap((e) => e.notify))];
  t.emit({ type: 'escalated', reason, text, people: who });
  t.command({ kind: 'announce', step: t.next('announce/escalation'), message: 'escalation', reason, text, people: who });
}

/**
 * The open proposal posted again with the new decision deadline. Approval links expire at the
 * deadline they were minted for, so when it moves (an extension, a P2/P3 reminder, a raised
 * severity) the buttons already posted would answer wrongly while the decision is still open: the
 * card is reissued with links that last until the new deadline. Its proposal id is the same, so
 * the first decision still wins.
 */
function reissueProposal(t: Turn, dueAt: number, why: string): void {
  const p = t.s.proposal;
  if (t.s.phase !== 'deciding' || !p) return;
  t.emit({ type: 'proposal-issued', proposalId: p.id, path: p.path, steps: p.steps, reasons: p.reasons, actionItems: p.actionItems, decisionDueAt: dueAt, why });
  t.command({ kind: 'announce', step: t.next(`announce/proposal/${p.id}`), message: 'proposal' });
}

// ---------------------------------------------------------------------------------------------
// Transitions

/**
 * A further alert, as the facts the record keeps of it: raised as an event (`onInbound`), or folded
 * by the intake and taken by the orchestration's recordProgress as facts already.
 */
export function onAlert(t: Turn, a: AlertFacts): void {
  const { s, c } = t;
  if (s.phase === 'closed') return;
  const before = s.severity;
  for (const x of alertEvents(s, a)) t.emit(x);
  if (s.severity !== before) {
    // Raised: the clocks follow the new severity; a P1 pages its on-call now.
    const due = s.declaredAt + (t.box.decisionMinutes + extendedMinutes(s, 'decision')) * MINUTE;
    if (s.proposal && due < s.proposal.decisionDueAt) reissueProposal(t, due, `Severity raised to ${s.severity}: decision due earlier.`);
    if (s.severity === 'P1' && c.onCall.length) t.p.onCall.due = true;
  }
  const w = s.windows.at(-1);
  if (a.condition === 'Fired' && s.phase === 'monitoring' && w) {
    // A flapping alert extends the window: recovery is not proven while it keeps firing.
    const until = t.now + (t.box.monitoringMinutes * MINUTE) / 2;
    if (until > w.endsAt) t.emit({ type: 'monitoring-extended', endsAt: until, why: `alert "${a.rule}" fired again during monitoring`, cause: 'alert-fired' });
  }
}

/** An event raised into the incident (already validated: `parseInbound`). */
export function onInbound(t: Turn, e: Inbound | { name: string; invalid: string }): void {
  const { s, c } = t;
  if (s.phase === 'closed') return;
  if ('invalid' in e) {
    t.emit({ type: 'ignored', what: `a "${e.name}" event`, why: e.invalid, by: null });
    return;
  }
  switch (e.name) {
    case 'alert':
      onAlert(t, alertFacts(e.payload));
      break;
    case 'ack':
      acknowledge(t, e.payload.actor, e.payload.role ?? null);
      break;
    case 'note':
      t.emit({ type: 'noted', by: e.payload.actor, text: e.payload.text });
      break;
    case 'decision': {
      const d = e.payload;
      const who = actorName(d.actor);
      if (s.phase !== 'deciding' && s.phase !== 'declared') {
        t.emit({ type: 'decided', by: d.actor, choice: d.choice, proposalId: d.proposalId ?? null, reason: d.reason ?? null, why: `recorded only: it arrived while ${s.phase === 'resolved' ? 'the incident was being closed' : 'containment was already under way'}` });
        break;
      }
      if (d.proposalId && s.proposal && d.proposalId !== s.proposal.id) {
        t.emit({ type: 'ignored', what: `the decision by ${who}`, why: `it answered an older proposal (${d.proposalId}); the current one is ${s.proposal.id}`, by: who });
        break;
      }
      if (overridesP1Default(s.severity, s.proposal?.path ?? null, d.choice) && s.decisionOwner && !mayOverride(s.decisionOwner, d.actor)) {
        t.emit({ type: 'ignored', what: `the decision by ${who} (${d.choice})`, why: overrideRefusal(s.decisionOwner, s.environment, `"${d.choice}"`, who), by: who });
        break;
      }
      const steps = stepsFor(d.choice, s, c, who);
      t.emit({ type: 'decided', by: d.actor, choice: d.choice, proposalId: d.proposalId ?? null, reason: d.reason ?? null, why: `decision by ${who}` });
      beginContainment(t, d.choice, steps, `decision by ${who}: ${d.choice}`);
      break;
    }
    case 'rollback': {
      const r = e.payload;
      const who = actorName(r.actor);
      if (isOver(s)) {
        t.emit({ type: 'ignored', what: `the rollback request by ${who}`, why: 'the incident is being closed', by: who });
        break;
      }
      if (s.onLkg) {
        t.emit({ type: 'ignored', what: `the rollback request by ${who}`, why: 'production already runs the last known good release', by: who });
        break;
      }
      const steps = rollbackSteps(s, c, `requested by ${who}: ${r.reason}`);
      t.emit({ type: 'rollback-requested', by: r.actor, reason: r.reason });
      if (!steps.length) {
        escalate(t, 'no-rollback-target', `Rollback requested by ${who}, but no rollback target is configured for ${s.service}: roll back by hand.`);
        break;
      }
      beginContainment(t, 'api-to-lkg', steps, `rollback requested by ${who}`);
      break;
    }
    case 'extend': {
      const x = e.payload;
      if (x.timebox === 'decision' && s.severity === 'P1' && s.decisionOwner && !mayOverride(s.decisionOwner, x.actor)) {
        const who = actorName(x.actor);
        t.emit({ type: 'ignored', what: `the decision timebox extension by ${who} (${x.minutes} min)`, why: overrideRefusal(s.decisionOwner, s.environment, EXTENDING_P1_DECISION, who), by: who });
        break;
      }
      t.emit({ type: 'timebox-extended', timebox: x.timebox, minutes: x.minutes, by: x.actor, reason: x.reason ?? null });
      if (x.timebox === 'decision' && s.phase === 'deciding' && s.proposal) {
        reissueProposal(t, s.proposal.decisionDueAt + x.minutes * MINUTE, `Decision timebox extended by ${x.minutes} min by ${actorName(x.actor)}.`);
      }
      break;
    }
    case 'resolve':
      resolve(t, e.payload.actor, e.payload.summary ?? null, `resolved by ${actorName(e.payload.actor)}`);
      break;
    case 'severity':
      setSeverity(t, e.payload.actor, e.payload.level, e.payload.reason);
      break;
  }
  pageOnCall(t);
  pageRota(t);
}

/**
 * An acknowledgement, and the role it gives: the one the person claims, else the one the rota names
 * them for. A role already held stays with its holder (the claim is recorded as ignored, with who has it).
 */
function acknowledge(t: Turn, by: Actor, claimed: Role | null): void {
  const { s } = t;
  t.emit({ type: 'acknowledged', by, role: claimed });
  if (!isPerson(by)) return;
  if (claimed) {
    const holder = s.roles[claimed];
    if (holder && !names(holder.person.id, by)) {
      t.emit({ type: 'ignored', what: `${actorName(by)}'s claim of the ${ROLE_NAMES[claimed]} role`, why: `${actorName(holder.person)} already holds it`, by: actorName(by) });
      return;
    }
    if (!holder) t.emit({ type: 'role-assigned', role: claimed, person: by, how: 'claimed' });
    return;
  }
  // Someone the rota names, acknowledging without naming a role, takes the first free one it gives them.
  if (Object.values<Incident['roles'][Role]>(s.roles).some((r) => r && names(r.person.id, by))) return;
  const role = rotaRolesOf(s.rota, by, t.now >= icDueAt(s)).find((r) => !s.roles[r]);
  if (role) t.emit({ type: 'role-assigned', role, person: by, how: 'rota' });
}

/**
 * A person sets the severity, up or down (RB-03: "default to higher if in doubt; downgrade later").
 * Everything that follows the severity is derived from it (the update cadence, the IC, ack and
 * decision timeboxes, what happens when nobody decides); what the runbook keeps itself moves with
 * it: the open proposal is posted again with the new decision deadline, a P1 pages its on-call,
 * and an update goes out at once, announcing the change and when the next one is due on the new
 * cadence. A containment under way keeps the deadline it started with. Downgrading a P1 gives up
 * its "if in doubt, roll back": only the Decision Owner may, when the policy names one.
 */
function setSeverity(t: Turn, by: Actor, level: SeverityLevel, reason: string): void {
  const { s, p, c, now } = t;
  const who = actorName(by);
  if (isOver(s)) {
    t.emit({ type: 'ignored', what: `the severity change by ${who}`, why: 'the incident is being closed', by: who });
    return;
  }
  if (level === s.severity) {
    t.emit({ type: 'ignored', what: `the severity change by ${who}`, why: `the incident is already ${level}`, by: who });
    return;
  }
  if (s.severity === 'P1' && s.decisionOwner && !mayOverride(s.decisionOwner, by)) {
    t.emit({ type: 'ignored', what: `the severity change by ${who} (P1 to ${level})`, why: overrideRefusal(s.decisionOwner, s.environment, 'Downgrading a P1', who), by: who });
    return;
  }
  t.emit({ type: 'severity-changed', from: s.severity, to: level, reasons: [reason], by: who, person: by });
  const due = s.declaredAt + (t.box.decisionMinutes + extendedMinutes(s, 'decision')) * MINUTE;
  if (s.proposal && due !== s.proposal.decisionDueAt) reissueProposal(t, Math.max(due, now), `Severity set to ${level} by ${who}: decision due ${due < s.proposal.decisionDueAt ? 'earlier' : 'later'}.`);
  if (level === 'P1' && c.onCall.length) p.onCall.due = true;
  p.lastUpdateAt = now;
  p.updates += 1;
  t.command({ kind: 'announce', step: `announce/update/${p.updates}`, message: 'update', sequence: p.updates, severityChange: true });
}

/** The IC timebox ran out with no IC, and its escalation has not gone out. */
const icEscalationDue = (s: Incident, p: Plan): boolean => !isOver(s) && s.commandedAt === null && !p.rota.icEscalated && (s.severity === 'P1' || rotaPages(s.rota, s.severity));

function resolve(t: Turn, by: Actor | null, summary: string | null, why: string): void {
  const { s, now } = t;
  if (isOver(s)) return;
  const lastGreen = isRecovered(s);
  const windowDone = (() => {
    const w = s.windows.at(-1);
    return !!w && w.regressedAt === null && now >= w.endsAt;
  })();
  t.emit({ type: 'resolved', by, summary, why, postmortemDueAt: addBusinessDays(now, t.c.postmortemDueBusinessDays) });
  // Everything the close does comes before the archive, so the sealed pack holds the whole story
  // (RB-03 section 9): the LKG record and the resolution message link to the pack by its address,
  // which is known before it is sealed.
  t.command({ kind: 'locate-evidence', step: 'evidence/locate' });
  if (s.rolledBack) t.command({ kind: 'announce', step: 'announce/rollback-executed', message: 'rollback-executed' });
  // The release that ran cleanly through the window becomes the last known good (only when no
  // rollback happened), recorded before the freeze lifts so no deploy can slip in between.
  if (!s.onLkg && lastGreen && windowDone) t.command({ kind: 'record-lkg', step: 'lkg/record' });
  if (s.frozen) t.command({ kind: 'freeze', step: 'freeze/off', on: false, reason: `Incident resolved (${why})` });
  t.command({ kind: 'announce', step: 'announce/resolved', message: 'resolved' });
  // Stakeholders who heard of it hear that it is over.
  if (t.p.stakeholders.sent > 0) stakeholderSummary(t, true);
  t.command({ kind: 'read-follow-ups', step: 'evidence/follow-ups' });
  t.command({ kind: 'archive', step: 'evidence/archive' });
  t.command({ kind: 'close', step: 'close' });
}

/**
 * A drill (plan mode) changes nothing, so it cannot watch a recovery: it ends once it has shown how
 * the runbook answers its deadline (the containment it would carry out and what the checks see
 * right after, or the escalation when nobody decides), with the same close as a real incident. A
 * drill people decide goes on until its containment timebox passes (or they resolve it).
 */
export const DRILL_COMPLETE = 'Drill complete';

function endDrill(t: Turn, what: string): void {
  t.emit({ type: 'noted', by: null, text: `${DRILL_COMPLETE}: ${what}` });
  resolve(t, null, null, `${DRILL_COMPLETE.toLowerCase()}: ${what.split(';')[0]}`);
}

/** A wake-up: the machine checks which of its clocks has run out. */
export function onTimer(t: Turn): void {
  const { s, p, c, now } = t;
  if (s.phase === 'closed') return;

  // The IC timebox (RB-03: an IC within 15 min) and the escalation chain, while nobody has taken
  // command (an IC assigned, or a person's decision): an acknowledgement alone does not stop them.
  // Steps due at the same moment go out as one escalation.
  const due = pendingEscalations(s, p, c).filter((e) => now >= e.at);
  const icLate = icEscalationDue(s, p) && now >= icDueAt(s);
  if (icLate || due.length) {
    for (const e of due) p.escalationsSent.push(e.i);
    if (icLate) p.rota.icEscalated = true;
    const backups = icLate && rotaPages(s.rota, s.severity) ? s.rota.ic.slice(1) : [];
    const people = [...new Set([...backups, ...due.flatMap((e) => e.step.notify)])];
    const minutes = Math.round((now - s.declaredAt) / MINUTE);
    const acked = s.acknowledgements.length ? ` (acknowledged by ${[...new Set(s.acknowledgements.map((a) => actorName(a.by)))].join(', ')}, but nobody took the IC role)` : '';
    const text = people.length
      ? `No Incident Commander ${minutes} min after the declaration${acked}: escalated to ${people.join(', ')}. Take the IC role: acknowledge with role "ic".`
      : `No Incident Commander ${minutes} min after the declaration${acked}, and neither the rota nor the escalation chain names anyone else: take the IC role (acknowledge with role "ic").`;
    t.emit({ type: 'escalated', reason: 'no-ic', text, people });
    if (people.length) t.command({ kind: 'announce', step: `announce/escalation/ic/${due.map((e) => e.i).join('-') || 'timebox'}`, message: 'escalation', reason: 'no-ic', text, people });
  }

  if (s.phase === 'deciding' && now >= decisionDueAt(s, c) && p.looking === null) {
    if (t.box.noDecision === 'rollback' && c.signals?.lookAgainBeforeDeadline && rollbackSteps(s, c, '').length) {
      // Look again before rolling back on the timebox alone: the result decides (onResult).
      p.looking = 'decision';
      t.command({ kind: 'signals', step: t.next('signals/deadline/decision'), purpose: 'deadline', deadline: 'decision' });
    } else decisionDeadline(t);
  }

  const judged = containmentJudgedAt(s, p);
  const cur = s.containments.at(-1);
  if (s.phase === 'verifying' && cur && judged !== null && now >= judged && !isRecovered(s) && p.looking === null) {
    if (mayRollBack(s) && c.signals?.lookAgainBeforeDeadline && rollbackSteps(s, c, '').length) {
      p.looking = 'containment';
      t.command({ kind: 'signals', step: t.next('signals/deadline/containment'), purpose: 'deadline', deadline: 'containment' });
    } else containmentDeadline(t);
  }
  afterDeadlines(t);
}

/** Nobody decided in time: P1 rolls back ("if in doubt, roll back"), P2/P3 escalate and remind. */
function decisionDeadline(t: Turn): void {
  const { s, p, c, now } = t;
  {
    const minutes = t.box.decisionMinutes + extendedMinutes(s, 'decision');
    if (t.box.noDecision === 'rollback') {
      const app = rollbackSteps(s, c, `no decision within ${minutes} min (${s.severity}: if in doubt, roll back)`);
      // "If in doubt, roll back" rolls back everything the snapshot suspects: an app rollback leaves
      // a flag or config value in SQL as it is, so the changes the proposal would revert come first
      // (RB-02 section 5: config/flag revert via the stored procedures), then the app to LKG.
      const reverts = app.length ? (s.proposal?.steps ?? []).filter((x): x is Extract<ContainmentStep, { key: string }> => x.kind === 'set-flag' || x.kind === 'set-config') : [];
      if (app.length) {
        const what = reverts.length ? `: reverting ${reverts.map((x) => x.key).join(', ')} and rolling back to the last known good release` : '';
        t.emit({ type: 'decided', by: null, choice: 'api-to-lkg', proposalId: s.proposal?.id ?? null, reason: null, why: `nobody decided within ${minutes} min (${s.severity}: if in doubt, roll back)${what}` });
        beginContainment(t, 'api-to-lkg', [...reverts, ...app], 'nobody decided within the timebox');
      } else {
        escalate(t, 'no-rollback-target', 'Nobody decided in time and this service has no rollback target: decide by hand.');
        reissueProposal(t, now + t.box.decisionMinutes * MINUTE, 'Nobody decided in time and there is no rollback target: decide by hand.');
      }
    } else {
      p.decisionReminders += 1;
      escalate(t, 'no-decision', `No containment decision after ${minutes + (p.decisionReminders - 1) * t.box.decisionMinutes} min (reminder ${p.decisionReminders}); the proposal stands: ${s.proposal?.path ?? 'none'}.`);
      reissueProposal(t, now + t.box.decisionMinutes * MINUTE, `Reminder ${p.decisionReminders}: no containment decision yet.`);
    }
    if (c.mode === 'plan' && s.phase === 'deciding') {
      endDrill(t, `nobody decided by the deadline; a real incident would now escalate and ask again every ${t.box.decisionMinutes} min until a person decides.`);
      return;
    }
  }
}

/** The containment did not re-stabilise in time: roll back to LKG, or escalate when that is not possible. */
function containmentDeadline(t: Turn): void {
  const { s, p, c, now } = t;
  const cur = s.containments.at(-1);
  if (cur && c.mode === 'plan') {
    // A drill's containment was planned: checks cannot recover from a plan, so its deadline shows nothing new.
    endDrill(t, 'the containment was planned, not carried out, and its timebox has passed; a real incident would now roll back or escalate.');
    return;
  }
  if (cur) {
    if (mayRollBack(s)) {
      const steps = rollbackSteps(s, c, `containment did not re-stabilise within ${t.box.containmentMinutes} min`);
      if (steps.length) {
        beginContainment(t, 'api-to-lkg', steps, `containment did not re-stabilise within ${Math.round((cur.dueAt - cur.startedAt) / MINUTE)} min`);
      } else {
        p.recheck = { containment: cur.seq, at: now + t.box.containmentMinutes * MINUTE };
        escalate(t, 'not-recovered', 'Containment did not re-stabilise and there is no rollback target: act by hand.');
      }
    } else {
      p.recheck = { containment: cur.seq, at: now + t.box.recoveryMinutes * MINUTE };
      const still = notRecoveredText(s);
      escalate(t, 'not-recovered', s.onLkg ? `Rolled back, but ${still}. Needs a person.` : `The rollback did not go through and ${still}. Needs a person.`);
    }
  }
}

/** The rest of a wake-up: smoke rounds, the end of the window, status updates. */
function afterDeadlines(t: Turn): void {
  const { s, p, now } = t;
  let checking = false;
  if ((s.phase === 'verifying' || s.phase === 'monitoring') && p.nextCheckAt !== null && now >= p.nextCheckAt) {
    p.nextCheckAt = null;
    checking = true;
    t.command({ kind: 'smoke', step: t.next(`smoke/${s.phase}`), purpose: s.phase === 'verifying' ? 'verify' : 'monitor' });
  }

  // The window has run its course: resolved on green checks. When a round is due at the same
  // moment, its result decides (onChecks), not the round before it.
  const w = s.windows.at(-1);
  if (!checking && s.phase === 'monitoring' && w && now >= w.endsAt && isRecovered(s)) {
    resolve(t, null, null, WINDOW_PASSED);
  }

  // (resolve() above may have moved the phase on: read it afresh.) The updates due with a smoke
  // round (the thread's and the stakeholders') wait for the round's answer (onResult), which may
  // resolve the incident or move its phase: queued now, they would be told after the resolution.
  if (!checking) periodicMessages(t);
  pageRota(t);
  pageOnCall(t);
}

/** The periodic messages that are due: the thread's status update and the stakeholders' summary. */
function periodicMessages(t: Turn): void {
  statusUpdate(t);
  const every = stakeholderEvery(t.s, t.c);
  if (!isOver(t.s) && every !== null && t.now >= t.p.stakeholders.lastAt + every) stakeholderSummary(t, false);
}

/** The periodic status update, when one is due and the incident is not over. */
function statusUpdate(t: Turn): void {
  const { s, p, c, now } = t;
  if (isOver(s) || now < p.lastUpdateAt + t.box.updateEveryMinutes * MINUTE) return;
  p.lastUpdateAt = now;
  p.updates += 1;
  // The update carries the triage from the logs, read just before it (the message reads the record).
  if (c.signals?.plan.logs) t.command({ kind: 'signals', step: `signals/update/${p.updates}`, purpose: 'update' });
  t.command({ kind: 'announce', step: `announce/update/${p.updates}`, message: 'update', sequence: p.updates });
}

/** The result of a command the interpreter carried out. */
export function onResult(t: Turn, cmd: Command, result: CommandResult): void {
  const { s, p, c, now } = t;
  switch (result.kind) {
    case 'snapshot': {
      if (result.checks) t.emit({ type: 'checks-run', purpose: 'snapshot', ...result.checks });
      if (c.signals && result.signals) t.emit({ type: 'signals-read', ...judgeSignals('snapshot', result.signals, c.signals, result.checks, alertDeliveries(s), now) });
      t.emit({ type: 'snapshot-taken', changes: result.changes, api: result.api, web: result.web, problems: result.problems, lookbackMinutes: CHANGE_LOOKBACK_MINUTES, seen: result.seen });
      const proposal = proposeContainment(facts(s, c));
      const id = `proposal-${++p.counter}`;
      const deciding = s.phase === 'declared';
      t.emit({ type: 'proposal-issued', proposalId: id, path: proposal.path, steps: proposal.steps, reasons: proposal.reasons, actionItems: proposal.actionItems, decisionDueAt: decisionDueAt({ ...s, proposal: null }, c), why: null });
      if (deciding) t.command({ kind: 'announce', step: `announce/proposal/${id}`, message: 'proposal' });
      return;
    }
    case 'checks':
      onChecks(t, cmd, result.checks, result.signals ?? null);
      // The periodic messages that came due with this round go out now, told from what it found.
      if (cmd.kind === 'smoke') periodicMessages(t);
      return;
    case 'signals':
      onSignals(t, cmd, result.readings, result.problem, result.checks ?? null);
      return;
    case 'action': {
      if (cmd.kind !== 'execute' && cmd.kind !== 'freeze' && cmd.kind !== 'record-lkg') return;
      const action = cmd.kind === 'execute' ? cmd.action.kind : cmd.kind === 'freeze' ? (cmd.on ? 'freeze' : 'unfreeze') : 'record-lkg';
      const wasContaining = s.phase === 'containing';
      const subject = cmd.kind === 'execute' && 'key' in cmd.action ? { subject: cmd.action.key } : {};
      t.emit({ type: 'action-completed', step: cmd.step, action, activity: result.activity, mode: c.mode, outcome: result.outcome, ...subject });
      const o = result.outcome;
      if (cmd.kind === 'execute' && (o.kind === 'refused' || o.kind === 'failed')) {
        const f = describeFailure(action, o.kind, o.summary, o.kind === 'refused' ? o.reason : null, { incidentId: s.id, environment: s.environment });
        escalate(t, o.kind === 'refused' ? 'action-refused' : 'action-failed', `${f.cause} Next step: ${f.next}`);
      }
      if (wasContaining && s.phase === 'verifying') p.nextCheckAt = now;
      return;
    }
    case 'teams':
      for (const e of result.events) t.emit(e);
      if (cmd.kind === 'page-on-call') {
        const paged = result.events.some((e) => e.type === 'paged' && e.delivered);
        p.onCall.paged = paged;
        // Not delivered (Graph down, throttled past its deadline): tried again at the next turns.
        if (!paged) p.onCall.due = true;
      }
      // A rota page that did not go out is let go, so the next turn's pageRota sends it again (within its attempts).
      // (Nobody addressable, no page tried: noted once, not repeated.)
      if (cmd.kind === 'page' && result.events.some((e) => e.type === 'paged') && !result.events.some((e) => e.type === 'paged' && e.delivered)) p.rota.smes = p.rota.smes.filter((k) => k !== cmd.key);
      return;
    case 'located':
      t.emit({ type: 'evidence-located', links: result.links, problem: result.problem });
      return;
    case 'archived':
      t.emit({ type: 'evidence-archived', sealed: result.sealed, manifestSha256: result.manifestSha256, summary: result.summary });
      if (result.actionItems.length) t.emit({ type: 'postmortem-drafted', items: result.actionItems });
      return;
    case 'follow-ups':
      t.emit({ type: 'follow-ups-read', ticketUrl: result.ticketUrl, items: result.items, problem: result.problem });
      return;
    case 'done':
      if (cmd.kind === 'close') t.emit({ type: 'closed', problem: result.problem });
      else if (result.problem) t.emit({ type: 'noted', by: null, text: result.problem });
      return;
  }
}

/** The signals read with a smoke round, judged and recorded; the judgement (null: not read) for the round's decisions. */
function judgeRound(t: Turn, purpose: 'verify' | 'monitor', checks: ChecksOutcome, readings: SignalReadings | null): SignalsFacts | null {
  const { s, c, now } = t;
  if (!c.signals) return null;
  if (!readings) {
    // The read itself failed (the activity, not a reader): said, and the checks decide.
    const facts: SignalsFacts = {
      purpose,
      recovery: { recovered: checks.verdict === 'green', basis: 'checks-only', summary: `${checks.verdict === 'green' ? 'Recovered' : 'Not recovered'} on the smoke checks alone. Could not see: the signal readers did not answer.`, blocking: [], blind: ['the signal readers did not answer'], activeAlerts: [], metrics: [] },
      flap: null,
      triage: null,
    };
    t.emit({ type: 'signals-read', ...facts });
    return facts;
  }
  const facts = judgeSignals(purpose, readings, c.signals, checks, alertDeliveries(s), now);
  t.emit({ type: 'signals-read', ...facts });
  return facts;
}

function onChecks(t: Turn, cmd: Command, checks: ChecksOutcome, readings: SignalReadings | null): void {
  const { s, p, c, now } = t;
  const purpose = cmd.kind === 'smoke' ? cmd.purpose : 'verify';
  t.emit({ type: 'checks-run', purpose, ...checks });
  const judged = s.phase === 'verifying' || s.phase === 'monitoring' ? judgeRound(t, purpose, checks, readings) : null;
  if (s.phase === 'verifying' && c.mode === 'plan' && s.decision?.automatic && s.approvals.length === 0) {
    // Nobody is playing this drill (the automation answered its deadline): it has shown all it can.
    // A drill people play goes on (they may ask for a rollback, extend, resolve) until its
    // containment timebox passes.
    endDrill(t, `the containment was planned, not carried out, so these checks (${checks.verdict}) cannot show its effect; a real incident would now verify until green and watch the monitoring window.`);
    return;
  }

  // RB-02 section 3: a signal flapping the policy's number of times within its window rolls back.
  if (judged?.flap?.rollBack && mayRollBack(s)) {
    const steps = rollbackSteps(s, c, judged.flap.text);
    if (steps.length) {
      beginContainment(t, 'api-to-lkg', steps, judged.flap.text);
      return;
    }
  }

  if (s.phase === 'verifying') {
    if (parityLoop(t)) return;
    if (isRecovered(s)) {
      const minutes = t.box.monitoringMinutes + extendedMinutes(s, 'monitoring');
      t.emit({ type: 'monitoring-started', endsAt: now + minutes * MINUTE });
      p.nextCheckAt = now + MONITOR_EVERY_MS;
      t.command({ kind: 'announce', step: t.next('announce/stabilized'), message: 'stabilized' });
    } else {
      // Checks green but a signal not back (the fired metric over its threshold or not held long
      // enough, an alert still active): not recovered, containment goes on to its deadline.
      p.nextCheckAt = now + VERIFY_EVERY_MS;
    }
    return;
  }
  if (s.phase !== 'monitoring') return;
  if (checks.verdict !== 'red') {
    p.nextCheckAt = now + MONITOR_EVERY_MS;
    const w = s.windows.at(-1);
    if (checks.verdict === 'green' && w && now >= w.endsAt) windowEnd(t);
    return;
  }
  t.emit({ type: 'regressed', reasons: checks.reasons });
  p.nextCheckAt = now + VERIFY_EVERY_MS;
  const cur = s.containments.at(-1);
  if (!mayRollBack(s)) {
    if (cur) p.recheck = { containment: cur.seq, at: now + t.box.recoveryMinutes * MINUTE };
    escalate(t, 'regression', `${s.onLkg ? 'Regression after the rollback' : 'Regression, and the rollback did not go through earlier'}: ${checks.reasons.slice(0, 3).join('; ')}. Needs a person.`);
    return;
  }
  const steps = rollbackSteps(s, c, 'regression during the monitoring window');
  if (steps.length) {
    beginContainment(t, 'api-to-lkg', steps, 'regression during the monitoring window');
    return;
  }
  if (cur) p.recheck = { containment: cur.seq, at: now + t.box.containmentMinutes * MINUTE };
  escalate(t, 'regression', 'Regression during monitoring and no rollback target: act by hand.');
}

/**
 * RB-02 section 9, after containment: while the parity check finds critical drift, reapply the
 * intended values of the drifting keys through the stored procedures (the same set-flag /
 * set-config steps as a revert, each attempt its own steps) and run the checks again, until no
 * critical drift remains or the policy's bound (attempts, timebox from the first reapply) is
 * reached; each stop is said with why. True when it issued commands (the next round decides).
 */
function parityLoop(t: Turn): boolean {
  const { s, c, now } = t;
  const r = c.reapply;
  const cur = s.containments.at(-1);
  if (!r || !cur) return false;
  const loop = s.parityLoops.at(-1)?.containment === cur.seq ? s.parityLoops.at(-1) : undefined;
  if (loop?.ended) return false;
  const drift = s.checks.last?.drift ?? [];
  const tries = loop?.attempts.length ?? 0;
  const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;
  if (!drift.length) {
    if (tries) t.emit({ type: 'parity-loop-ended', outcome: 'clean', attempts: tries, text: `Config parity: 0 critical keys differ after ${plural(tries, 'reapply', 'reapplies')} of the intended config (RB-02 section 9).` });
    return false;
  }
  const byKey = new Map(r.intended.map((v) => [canonicalKey(v.key), v]));
  const settable = drift.flatMap((k) => byKey.get(canonicalKey(k)) ?? []);
  const names = (keys: string[]) => keys.slice(0, 5).join(', ') + (keys.length > 5 ? ` and ${keys.length - 5} more` : '');
  const stop = (outcome: 'bound' | 'not-reapplyable', text: string) => {
    t.emit({ type: 'parity-loop-ended', outcome, attempts: tries, text });
    escalate(t, 'parity-drift', `${text} Next step: find what overrides the database value (an app setting, a slot setting, a cached value) and set it by hand, or roll back.`);
  };
  if (!settable.length) {
    stop('not-reapplyable', `Config parity: ${plural(drift.length, 'critical key differs', 'critical keys differ')} (${names(drift)}) and none is a flag or config key this service lets the automation set (policy flags/configKeys): nothing reapplied (RB-02 section 9).`);
    return false;
  }
  const timedOut = !!loop && now - loop.startedAt >= r.timeboxMinutes * MINUTE;
  if (tries >= r.attempts || timedOut) {
    const bound = tries >= r.attempts ? `after ${plural(tries, 'reapply', 'reapplies')}` : `${r.timeboxMinutes} min after the first reapply (${plural(tries, 'reapply', 'reapplies')})`;
    stop('bound', `Config parity: ${plural(drift.length, 'critical key still differs', 'critical keys still differ')} ${bound}: ${names(drift)}.`);
    return false;
  }
  const attempt = tries + 1;
  t.emit({ type: 'parity-reapplied', attempt, keys: settable.map((v) => v.name) });
  for (const v of settable) {
    const why = `RB-02 section 9: reapply the intended value (parity attempt ${attempt} of ${r.attempts})`;
    const action: ContainmentStep =
      v.kind === 'flag' ? { kind: 'set-flag', key: v.name, to: v.value === true, from: null, reason: why } : { kind: 'set-config', key: v.name, to: String(v.value), from: null, reason: why };
    t.command({ kind: 'execute', step: `parity/reapply/${attempt}/${v.name}`, action });
  }
  if (c.mode === 'plan') {
    // A drill says what the loop would do; nothing was set, so parity cannot be checked again.
    t.emit({ type: 'parity-loop-ended', outcome: 'plan', attempts: attempt, text: `Config parity (plan-only): would reapply ${names(settable.map((v) => v.name))} through the stored procedures and re-run parity, up to ${plural(r.attempts, 'time', 'times')} within ${r.timeboxMinutes} min, until 0 critical keys differ.` });
    return false;
  }
  t.command({ kind: 'smoke', step: t.next('smoke/parity'), purpose: 'verify' });
  t.p.nextCheckAt = null;
  return true;
}

/**
 * The monitoring window has run its course with green checks: resolved when the signals agree;
 * otherwise (an alert still active, the metric not back) the policy's `signals.alertAtWindowEnd`
 * says: extend the window (at most `maxExtensions` times), or keep the incident open for a person.
 */
function windowEnd(t: Turn): void {
  const { s, c, now } = t;
  const w = s.windows.at(-1);
  if (!w) return;
  if (isRecovered(s)) {
    resolve(t, null, null, c.signals ? WINDOW_PASSED_SIGNALS : WINDOW_PASSED);
    return;
  }
  const sig = c.signals;
  const blocking = s.signals.round?.recovery?.blocking.slice(0, 3).join('; ') ?? 'the signals are not recovered';
  if (!sig) return;
  if (sig.alertAtWindowEnd === 'extend' && w.signalExtensions < sig.maxExtensions) {
    t.emit({ type: 'monitoring-extended', endsAt: now + sig.extendMinutes * MINUTE, why: `not recovered at the end of the window (${blocking}); extension ${w.signalExtensions + 1} of ${sig.maxExtensions}`, cause: 'signals' });
    return;
  }
  if (w.keptOpen) return;
  const why = `not recovered at the end of the window${w.signalExtensions ? ` and after ${w.signalExtensions} extension(s)` : ''}: ${blocking}`;
  t.emit({ type: 'monitoring-kept-open', why });
  escalate(t, 'not-recovered', `Checks green, but the incident stays open: ${why}. It resolves by itself once the signals recover, or resolve it by hand.`);
}

/** A signals read the runbook asked for: before a status update, or before acting at a deadline. */
function onSignals(t: Turn, cmd: Command, readings: SignalReadings | null, problem: string | null, checks: ChecksOutcome | null): void {
  const { s, p, c, now } = t;
  if (cmd.kind !== 'signals' || !c.signals) return;
  if (cmd.purpose === 'update') {
    if (readings) t.emit({ type: 'signals-read', ...judgeSignals('update', readings, c.signals, null, alertDeliveries(s), now) });
    else if (problem) t.emit({ type: 'noted', by: null, text: `Triage for the status update not read: ${problem}` });
    return;
  }
  const deadline = cmd.deadline ?? p.looking;
  p.looking = null;
  // The fresh round taken with the look (the snapshot's, minutes old, would judge the past).
  if (checks) t.emit({ type: 'checks-run', purpose: 'verify', ...checks });
  const name = deadline === 'decision' ? 'The decision timebox' : 'The containment timebox';
  const last = s.checks.last;
  const look = readings
    ? lookAgain(name, readings, c.signals, last ? { verdict: last.verdict, reasons: last.reasons } : null, now)
    : { kind: 'roll-back' as const, verdict: null, text: `${name} ran out and the signals could not be read again (${problem ?? 'no answer'}): rolling back (RB-03: if in doubt, roll back).` };
  // Still the deadline's situation? (An event may have moved the incident on meanwhile.)
  const stillDeciding = deadline === 'decision' && s.phase === 'deciding';
  const stillVerifying = deadline === 'containment' && s.phase === 'verifying' && !isRecovered(s);
  if (!stillDeciding && !stillVerifying) return;
  t.emit({ type: 'looked-again', deadline: deadline ?? 'decision', recovered: look.kind === 'recovered-before-deadline', text: look.text });
  if (look.kind === 'recovered-before-deadline') {
    if (stillDeciding) {
      // No blind rollback: keep watching, verified like any containment (the rounds decide).
      t.emit({ type: 'decided', by: null, choice: 'monitor-only', proposalId: s.proposal?.id ?? null, reason: null, why: 'recovered before the decision deadline' });
      beginContainment(t, 'monitor-only', [], 'recovered before the decision deadline');
    } else {
      const cur = s.containments.at(-1);
      if (cur) p.recheck = { containment: cur.seq, at: now + c.signals.plan.holdMinutes * MINUTE };
      p.nextCheckAt = now;
    }
    return;
  }
  if (stillDeciding) decisionDeadline(t);
  else containmentDeadline(t);
}

// ---------------------------------------------------------------------------------------------
// Alerts that change nothing (the intake folds them instead of waking the orchestration)

/**
 * What the intake needs to know about a running incident to tell whether a further alert would
 * change it now; the orchestration publishes it in its custom status (`intake`).
 */
export interface AlertView {
  severity: SeverityLevel;
  phase: string;
  /** Every trigger the containment facts hold (at most FOLD_TRIGGERS: past that, nothing is folded). */
  triggers: string[];
}

const FOLD_TRIGGERS = 32;
/** Phases in which a further fired alert only adds to the record (see onInbound's alert case). */
const FOLDABLE_PHASES = new Set(['declared', 'deciding', 'containing', 'verifying']);

export function alertViewOf(s: Incident, c: RunbookConfig): AlertView | null {
  const triggers = [...new Set([...c.triggers, ...alertTriggersOf(s)])];
  if (triggers.length > FOLD_TRIGGERS || !FOLDABLE_PHASES.has(s.phase) || s.resolution) return null;
  return { severity: s.severity, phase: s.phase, triggers };
}

/**
 * Whether a further alert (not seen before) would change the incident beyond being recorded, by
 * the rules of onInbound's alert case: a recovery signal always does; a fired alert does when it
 * raises the severity, fires during monitoring (it extends the window), or brings a trigger the
 * containment facts lack. Without a view (none published yet, a phase where alerts matter, a
 * resolved incident) it does. An alert that changes nothing still reaches the record, later: the
 * orchestration takes the folded alerts at its next step or sweep and receives them as any other.
 */
export function alertChangesIncident(view: AlertView | null | undefined, a: { condition: string; level: SeverityLevel; triggers: readonly string[] }): boolean {
  if (!view || a.condition !== 'Fired' || !FOLDABLE_PHASES.has(view.phase)) return true;
  if (isHigher(a.level, view.severity)) return true;
  return a.triggers.some((t) => !view.triggers.includes(t));
}
