/**
 * The incident record: what happened to an incident, as typed events recorded when they happen,
 * and one pure derivation of everything said about it. Status, phase, severity, key moments
 * (detected, declared, acknowledged, decided, mitigated, recovered, resolved), timebox verdicts,
 * actions with their real outcomes and the MTTD/MTTA/MTTM/MTTR figures are worked out here and
 * nowhere else; Teams messages, the evidence pack (and so the report and the postmortem), the
 * incident API, the evidence summary and the orchestration's custom status all read the result.
 *
 *   events ──applyEvent (a fold)──> Incident ──> timeboxesOf / metricsOf / phasesOf ──> every output
 *
 * The runbook (./runbook.ts) decides on the Incident and answers with new events and commands;
 * the orchestration records the events in order. Times are milliseconds on the orchestration's
 * clock; an alert's own "fired" time is evidence, kept and judged (`detectionOf`), never used
 * blindly as a clock.
 */
import type { Rota, SeverityLevel, Timebox, TriggerKind } from './policy.js';
import type { ActionOutcome, Change } from './actions.js';
import { isContainment, isRollback, type ActionKind } from './action-table.js';
import { actorLabel, isPerson, type Actor } from './actor.js';
import type { ActionItem, CheckArea, ContainmentStep, RecentChange, ReleaseState } from './containment.js';
import type { SmokeRun } from './evidence.js';
import type { ActionItemCategory, DraftedItem } from './follow-up.js';
import type { AlertRecord, EvidenceLinks, IncidentInput } from './incident.js';
import type { ContainmentChoice, ExtendableTimebox, Role } from './incident-events.js';
import { IC_MINUTES } from './roles.js';
import { higher, isHigher } from './severity.js';
import type { ChannelRef } from './teams-routing.js';

const MINUTE = 60_000;

/** An alert fired this long before it reached us is not believed as the detection time (see detectionOf). */
export const STALE_FIRED_MS = 60 * MINUTE;
/** An alert "fired" this long after it reached us comes from a wrong clock. */
export const FUTURE_FIRED_MS = 5 * MINUTE;

export type Phase = 'declared' | 'deciding' | 'containing' | 'verifying' | 'monitoring' | 'resolved' | 'closed';

/** What the runbook's messages are (the Teams templates they become: src/domain/messages). */
export type MessageKind = 'declared' | 'update' | 'proposal' | 'rollback-started' | 'rollback-executed' | 'stabilized' | 'escalation' | 'resolved';

/** One probe's own result: liveness (/healthz) and readiness (/ready) are judged each on its own. */
export type ProbeState = 'green' | 'degraded' | 'red' | 'unknown';

export type { ActionKind };
/** An action's real outcome: what the target answered, or `failed` when it kept failing through the retries. */
export type RecordedOutcome = ActionOutcome | { kind: 'failed'; summary: string; error: string };

export type EscalationReason = 'no-ic' | 'no-ack' | 'no-decision' | 'action-refused' | 'action-failed' | 'not-recovered' | 'regression' | 'no-rollback-target' | 'parity-drift';

/**
 * What the signal readers showed at one moment, as judged (src/domain/signals-judgement.ts): the
 * recovery verdict (checks + fired metric held under threshold + no active alert, or what could
 * not be seen), the flap count, and the triage lines from the logs. The raw series are not kept:
 * the judgement quotes the figures it rests on.
 */
export interface SignalsFacts {
  /** Why they were read: with a smoke round, for the snapshot, before a status update, or before acting at a deadline. */
  purpose: 'snapshot' | 'verify' | 'monitor' | 'update' | 'deadline';
  recovery: {
    recovered: boolean;
    basis: 'signals' | 'checks-and-partial' | 'checks-only';
    summary: string;
    blocking: string[];
    blind: string[];
    /** Rules of the alerts still active. */
    activeAlerts: string[];
    metrics: { label: string; state: string; text: string }[];
  } | null;
  flap: { signal: string; flaps: number; times: string[]; rollBack: boolean; text: string } | null;
  triage: {
    status: 'read' | 'unavailable' | 'not-configured';
    lines: string[];
    topErrorCodes: { code: string; count: number }[];
    requestIds: string[];
    queryLink: string | null;
  } | null;
}

/**
 * The alerts a long incident received before the current execution of its orchestration (it
 * continues as new: orchestrations/incident.ts). Each of them is in the incident store, where the
 * evidence pack reads it (`AlertRef`); what the runbook still decides on is kept here, a few
 * characters an alert rather than the whole facts, so that what an execution carries to the next
 * does not grow with a storm's alerts: whether a delivery was seen (a fingerprint of its dedupe key),
 * when each one came and whether it fired or resolved (the flap rule), and the triggers they matched.
 */
export interface EarlierAlerts {
  count: number;
  /**
   * `alertFingerprint` of each one's dedupe key, sorted, one string (FINGERPRINT_CHARS each): a
   * replay parses one string, not a thousand, and a lookup is a binary search, not a set built anew.
   */
  fingerprints: string;
  /**
   * For the flap rule, in the order received, one string (DELIVERY_CHARS each): the receipt time in
   * base 36 (9 digits) and F (fired) or R (resolved).
   */
  deliveries: string;
  /** The RB-03 triggers they matched, in the order they first appeared. */
  triggers: TriggerKind[];
}

export const FINGERPRINT_CHARS = 14;
export const DELIVERY_CHARS = 10;

/** What the evidence pack keeps of each alert (its payload by reference): stored with the incident. */
export type AlertRef = Pick<AlertFacts, 'dedupeKey' | 'receivedAt' | 'payloadRef'>;

export const noEarlierAlerts = (): EarlierAlerts => ({ count: 0, fingerprints: '', deliveries: '', triggers: [] });

/**
 * A 64-bit fingerprint of an alert's dedupe key (14 characters): pure and the same on every
 * replay. Two of a storm's alerts sharing one is a chance of about 1 in 10^11 at 10,000 alerts.
 */
export function alertFingerprint(key: string): string {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return (h2 >>> 0).toString(36).padStart(7, '0') + (h1 >>> 0).toString(36).padStart(7, '0');
}

/** Whether `earlier` holds this fingerprint (a binary search of the sorted fixed-width string). */
export function hasFingerprint(earlier: EarlierAlerts, fingerprint: string): boolean {
  const f = earlier.fingerprints;
  let lo = 0;
  let hi = f.length / FINGERPRINT_CHARS - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const at = f.slice(mid * FINGERPRINT_CHARS, (mid + 1) * FINGERPRINT_CHARS);
    if (at === fingerprint) return true;
    if (at < fingerprint) lo = mid + 1;
    else hi = mid - 1;
  }
  return false;
}

/** The deliveries of `earlier`, for the flap rule. */
export function earlierDeliveries(earlier: EarlierAlerts): { at: number; condition: 'Fired' | 'Resolved' }[] {
  const out: { at: number; condition: 'Fired' | 'Resolved' }[] = [];
  for (let i = 0; i < earlier.deliveries.length; i += DELIVERY_CHARS) {
    out.push({ at: parseInt(earlier.deliveries.slice(i, i + DELIVERY_CHARS - 1), 36), condition: earlier.deliveries[i + DELIVERY_CHARS - 1] === 'F' ? 'Fired' : 'Resolved' });
  }
  return out;
}

/** The alerts received so far folded into `earlier` (the checkpoint of a long incident: `received` starts empty again). */
export function alertsCarried(a: Incident['alerts']): EarlierAlerts {
  const e = a.earlier;
  const triggers = [...e.triggers];
  for (const x of a.received) for (const k of x.triggers) if (!triggers.includes(k)) triggers.push(k);
  const fingerprints: string[] = [];
  for (let i = 0; i < e.fingerprints.length; i += FINGERPRINT_CHARS) fingerprints.push(e.fingerprints.slice(i, i + FINGERPRINT_CHARS));
  for (const x of a.received) fingerprints.push(alertFingerprint(x.dedupeKey));
  const deliveries = a.received.map((x) => `${x.receivedAt.toString(36).padStart(DELIVERY_CHARS - 1, '0')}${x.condition === 'Fired' ? 'F' : 'R'}`);
  return { count: e.count + a.received.length, fingerprints: fingerprints.sort().join(''), deliveries: e.deliveries + deliveries.join(''), triggers };
}

/** An alert as the incident keeps it: its own times are evidence. */
export interface AlertFacts {
  dedupeKey: string;
  rule: string;
  condition: 'Fired' | 'Resolved';
  /** The alert's firedDateTime as it says (null when unreadable). */
  firedAt: number | null;
  receivedAt: number;
  level: SeverityLevel;
  reasons: string[];
  /** The RB-03 triggers it matched (the decision tree reads them). */
  triggers: TriggerKind[];
  payloadRef: string | null;
}

export interface CheckFacts {
  verdict: 'green' | 'degraded' | 'red';
  reasons: string[];
  failing: CheckArea[];
  liveness: ProbeState;
  readiness: ProbeState;
  /** SSE median first event and largest heartbeat gap, when measured. */
  sse: { ttfbMs: number; heartbeatMs: number | null } | null;
  /** Keys whose config parity drift is critical (absent in records from before RB-02 section 9). */
  drift?: string[];
}

/** RB-02 section 9: the intended config reapplied after containment, and parity checked again. */
export interface ParityLoopView {
  /** The containment it followed (a new containment starts a new loop). */
  containment: number;
  startedAt: number;
  /** The keys reapplied at each attempt. */
  attempts: { at: number; keys: string[] }[];
  ended: { at: number; outcome: ParityLoopEnd; text: string } | null;
}
export type ParityLoopEnd = 'clean' | 'bound' | 'not-reapplyable' | 'plan';

interface Base {
  /** Position in the incident's record (0 = the declaration). */
  seq: number;
  /** When it happened, on the orchestration's clock (ms). */
  at: number;
}

/** Everything that happens to an incident. */
export type IncidentEvent = Base &
  (
    | {
        type: 'declared';
        incidentId: string;
        service: string;
        environment: string;
        summary: string;
        source: 'alert' | 'manual' | 'pipeline';
        by: Actor;
        impact: string[];
        severity: SeverityLevel;
        reasons: string[];
        drill: boolean;
        /** The policy's timeboxes, frozen at declaration (the incident's clocks follow its severity). */
        timeboxes: Record<SeverityLevel, Timebox>;
        postmortemDueBusinessDays: number;
        alert: AlertFacts | null;
        /** The environment's rota and Decision Owner, frozen at declaration (absent in records from before roles). */
        rota?: Rota | null;
        decisionOwner?: string | null;
      }
    | { type: 'alert-received'; alert: AlertFacts }
    /** `by`: the alert rule that raised it, or the person who changed it (`person`, through the severity API). */
    | { type: 'severity-changed'; from: SeverityLevel; to: SeverityLevel; reasons: string[]; by: string; person?: Actor }
    | { type: 'acknowledged'; by: Actor; role: Role | null }
    /** A person took an incident role: by claiming it (an acknowledgement naming it) or as the rota names them. */
    | { type: 'role-assigned'; role: Role; person: Actor; how: 'claimed' | 'rota' }
    /** A note by a person, or a remark by the runbook (`topic`: what it is about, for the timeline). */
    | { type: 'noted'; by: Actor | null; text: string; topic?: 'message' | 'evidence' }
    | { type: 'ignored'; what: string; why: string; by: string | null }
    | { type: 'snapshot-taken'; changes: RecentChange[]; api: ReleaseState | null; web: ReleaseState | null; problems: string[]; lookbackMinutes: number; seen: string[] }
    | { type: 'proposal-issued'; proposalId: string; path: ContainmentChoice; steps: ContainmentStep[]; reasons: string[]; actionItems: ActionItem[]; decisionDueAt: number; why: string | null }
    | { type: 'decided'; by: Actor | null; choice: ContainmentChoice; proposalId: string | null; reason: string | null; why: string }
    | { type: 'rollback-requested'; by: Actor; reason: string }
    | { type: 'timebox-extended'; timebox: ExtendableTimebox; minutes: number; by: Actor; reason: string | null }
    | { type: 'containment-started'; choice: ContainmentChoice; steps: { step: string; action: ContainmentStep }[]; why: string; rollback: boolean; dueAt: number; timebox: 'containment' | 'recovery' }
    /** `subject`: what the step acted on when the kind alone does not say (a flag or config key). */
    | { type: 'action-completed'; step: string; action: ActionKind; activity: string; mode: 'execute' | 'plan'; outcome: RecordedOutcome; subject?: string }
    | ({ type: 'checks-run'; purpose: 'snapshot' | 'verify' | 'monitor'; run: SmokeRun | null } & CheckFacts)
    /** RB-02 section 9: the intended values of the critical drift keys reapplied through the stored procedures. */
    | { type: 'parity-reapplied'; attempt: number; keys: string[] }
    /** The reapply-and-parity loop stopped: 0 critical (clean), the bound reached, nothing it may set, or a plan. */
    | { type: 'parity-loop-ended'; outcome: ParityLoopEnd; attempts: number; text: string }
    | { type: 'monitoring-started'; endsAt: number }
    | { type: 'monitoring-extended'; endsAt: number; why: string; cause?: 'alert-fired' | 'signals' }
    /** The monitoring window ended with the signals not recovered and no extension left: kept open for a person. */
    | { type: 'monitoring-kept-open'; why: string }
    | ({ type: 'signals-read' } & SignalsFacts)
    /** Before an automatic rollback at a deadline, the signals were read again (src/domain/deadline-look.ts). */
    | { type: 'looked-again'; deadline: 'decision' | 'containment'; recovered: boolean; text: string }
    | { type: 'regressed'; reasons: string[] }
    | { type: 'escalated'; reason: EscalationReason; text: string; people: string[] }
    | {
        type: 'message-sent';
        step: string;
        template: string;
        delivered: boolean;
        planned: boolean;
        channel: string;
        text: string;
        messageId: string | null;
        threadId: string | null;
        destination: ChannelRef | null;
        problem: string | null;
      }
    | { type: 'paged'; step: string; who: string; delivered: boolean; summary: string }
    | { type: 'evidence-located'; links: EvidenceLinks | null; problem: string | null }
    | { type: 'resolved'; by: Actor | null; summary: string | null; why: string; postmortemDueAt: number }
    | { type: 'evidence-archived'; sealed: boolean; manifestSha256: string | null; summary: string }
    /** The follow-ups people recorded before the evidence pack was written (the ticket, items they added). */
    | { type: 'follow-ups-read'; ticketUrl: string | null; items: { title: string; owner: string | null; due: string | null; category: ActionItemCategory; links: string[] }[]; problem: string | null }
    /** The postmortem draft's action items as written into the pack (owners from the roles): the follow-ups start from them. */
    | { type: 'postmortem-drafted'; items: DraftedItem[] }
    | { type: 'closed'; problem: string | null }
  );

export type EventType = IncidentEvent['type'];
export type EventOf<T extends EventType> = Extract<IncidentEvent, { type: T }>;
/** An event as the runbook emits it (the record numbers and stamps it). */
export type NewEvent = IncidentEvent extends infer E ? (E extends IncidentEvent ? Omit<E, 'seq' | 'at'> : never) : never;

// ---------------------------------------------------------------------------------------------
// The derived incident

export interface ActionView {
  seq: number;
  step: string;
  action: ActionKind;
  activity: string;
  at: number;
  mode: 'execute' | 'plan';
  outcome: RecordedOutcome;
  subject: string | null;
}

export interface ContainmentView {
  seq: number;
  choice: ContainmentChoice;
  why: string;
  rollback: boolean;
  startedAt: number;
  /** Deadline with the extensions people granted. */
  dueAt: number;
  timebox: 'containment' | 'recovery';
  steps: { step: string; action: ContainmentStep; outcome: RecordedOutcome['kind'] | null }[];
  /** Checks turned green (a monitoring window started) within this containment. */
  recoveredAt: number | null;
  /** A later containment took over before this one recovered. */
  supersededAt: number | null;
}

export interface WindowView {
  startedAt: number;
  endsAt: number;
  /** The regression that ended the window early, if any. */
  regressedAt: number | null;
  /** Extensions because the signals were not recovered at its end (policy `signals.alertAtWindowEnd`). */
  signalExtensions: number;
  /** Kept open for a person: the signals were still not recovered after the extensions. */
  keptOpen: boolean;
}

export interface Incident {
  id: string;
  service: string;
  environment: string;
  summary: string;
  source: 'alert' | 'manual' | 'pipeline';
  declaredBy: Actor;
  impact: string[];
  drill: boolean;
  boxes: Record<SeverityLevel, Timebox>;
  postmortemDueBusinessDays: number;
  severity: SeverityLevel;
  severityReasons: string[];
  phase: Phase;
  /** Phase changes in order (the report's phase band). */
  phases: { phase: Phase; at: number }[];
  declaredAt: number;
  /** The declaring alert (null for a manual declaration). */
  alert: AlertFacts | null;
  /**
   * Every alert received (`fired`, `recoverySignals`): those of this execution of the orchestration
   * in `received` (with their `keys`), those of earlier executions of a long incident in `earlier`.
   */
  alerts: { fired: number; recoverySignals: number; keys: string[]; received: AlertFacts[]; earlier: EarlierAlerts };
  acknowledgements: { by: Actor; role: Role | null; at: number }[];
  rota: Rota | null;
  decisionOwner: string | null;
  /** Who holds each incident role, how they got it and when (the first to take it keeps it). */
  roles: Record<Role, { person: Actor; how: 'claimed' | 'rota'; at: number } | null>;
  /**
   * When someone took command: an IC was assigned, or a person decided the containment or asked
   * for a rollback. The escalation chain stops here, not at a bare acknowledgement.
   */
  commandedAt: number | null;
  /** Every severity change, with who made it (a person, or an alert rule). */
  severityChanges: { at: number; from: SeverityLevel; to: SeverityLevel; reasons: string[]; by: string; person: Actor | null }[];
  /** The first thing a person did to the incident (an acknowledgement, a decision, a rollback request, an extension, the resolution). */
  engagedAt: number | null;
  engagedBy: Actor | null;
  snapshot: { changes: RecentChange[]; api: ReleaseState | null; web: ReleaseState | null; problems: string[] } | null;
  proposal: { id: string; path: ContainmentChoice; steps: ContainmentStep[]; reasons: string[]; actionItems: ActionItem[]; decisionDueAt: number } | null;
  /** The first containment decision (a person's, or the automation's when nobody decided). */
  decision: { choice: ContainmentChoice; by: Actor | null; at: number; automatic: boolean; proposalId: string | null; reason: string | null; why: string } | null;
  /** Every decision and rollback request a person made (the approvals of the evidence pack). */
  approvals: { at: number; by: Actor; decision: string; proposalId: string | null; reason: string | null }[];
  extensions: { timebox: ExtendableTimebox; minutes: number; by: Actor; at: number }[];
  containments: ContainmentView[];
  actions: ActionView[];
  /** Every reapply-and-parity loop (RB-02 section 9), one per containment at most. */
  parityLoops: ParityLoopView[];
  /** Production is back on the last known good release (a rollback done, or found already done). */
  onLkg: boolean;
  /** A rollback to the last known good release was done by this incident. */
  rolledBack: boolean;
  /** Why the first app rollback began (a decision, the timebox, a request). */
  rollbackReason: string | null;
  frozen: boolean;
  /** The release this incident recorded as the new last known good, if it did. */
  lkgRecorded: string | null;
  checks: {
    last: (CheckFacts & { at: number; purpose: string }) | null;
    /**
     * The run of identical results the last one belongs to ("red ×12 since 10:02"): same verdict and
     * findings, within one phase of the runbook (a containment, a recovery or a regression starts a new run).
     */
    streak: { key: string; count: number; since: number; last: number; seq: number; purpose: string } | null;
    runs: SmokeRun[];
  };
  windows: WindowView[];
  /** What the signal readers showed (every reading judged, in order), the latest recovery judgement of a smoke round, the latest triage. */
  signals: {
    reads: (SignalsFacts & { at: number; seq: number })[];
    /** The judgement of the latest verification or monitoring round (null: the signals are not read for this service). */
    round: (SignalsFacts & { at: number }) | null;
    triage: (NonNullable<SignalsFacts['triage']> & { at: number }) | null;
    /** The latest reading says the same as the one before it (the timeline does not repeat it). */
    repeated: boolean;
    looks: { at: number; deadline: 'decision' | 'containment'; recovered: boolean; text: string }[];
  };
  regressions: number;
  escalations: { at: number; reason: EscalationReason; text: string; people: string[] }[];
  messages: EventOf<'message-sent'>[];
  pages: EventOf<'paged'>[];
  thread: { id: string | null; destination: ChannelRef | null };
  evidence: EvidenceLinks | null;
  resolution: { by: Actor | null; automatic: boolean; at: number; summary: string | null; why: string; postmortemDueAt: number } | null;
  archived: EventOf<'evidence-archived'> | null;
  /** What people had recorded as follow-ups when the pack was written. */
  followUps: { ticketUrl: string | null; items: EventOf<'follow-ups-read'>['items'] } | null;
  /** The postmortem draft's action items. */
  postmortemItems: DraftedItem[];
  closedAt: number | null;
  /** The time of the last event: "now" as far as the record knows. */
  updatedAt: number;
  /** Events applied (the next event's seq). */
  length: number;
}

/** The declaration as an event, from the orchestration's input. */
export function declaredEvent(input: IncidentInput): Extract<NewEvent, { type: 'declared' }> & { at: number } {
  return {
    type: 'declared',
    at: Date.parse(input.declaredAt),
    incidentId: input.incidentId,
    service: input.service,
    environment: input.environment,
    summary: input.summary,
    source: input.source,
    by: input.declaredBy,
    impact: input.impact,
    severity: input.severity.level,
    reasons: input.severity.reasons,
    drill: input.mode === 'plan',
    timeboxes: input.policy.timeboxes,
    postmortemDueBusinessDays: input.policy.postmortemDueBusinessDays,
    alert: input.alert ? alertFacts(input.alert) : null,
    rota: input.policy.environment.rota ?? null,
    decisionOwner: input.policy.environment.decisionOwner ?? null,
  };
}

export function alertFacts(a: AlertRecord): AlertFacts {
  const fired = Date.parse(a.signal.firedAt);
  return {
    dedupeKey: a.dedupeKey,
    rule: a.signal.rule ?? a.signal.alertId,
    condition: a.signal.condition,
    firedAt: Number.isNaN(fired) ? null : fired,
    receivedAt: Date.parse(a.receivedAt),
    level: a.severity.level,
    reasons: a.severity.reasons,
    triggers: a.severity.triggers,
    payloadRef: a.payloadRef,
  };
}

function declaredIncident(e: EventOf<'declared'>): Incident {
  return {
    id: e.incidentId,
    service: e.service,
    environment: e.environment,
    summary: e.summary,
    source: e.source,
    declaredBy: e.by,
    impact: e.impact,
    drill: e.drill,
    boxes: e.timeboxes,
    postmortemDueBusinessDays: e.postmortemDueBusinessDays,
    severity: e.severity,
    severityReasons: e.reasons,
    phase: 'declared',
    phases: [{ phase: 'declared', at: e.at }],
    declaredAt: e.at,
    alert: e.alert,
    alerts: { fired: e.alert ? 1 : 0, recoverySignals: 0, keys: e.alert ? [e.alert.dedupeKey] : [], received: e.alert ? [e.alert] : [], earlier: noEarlierAlerts() },
    acknowledgements: [],
    rota: e.rota ?? null,
    decisionOwner: e.decisionOwner ?? null,
    roles: { ic: null, deputy: null, scribe: null, comms: null },
    commandedAt: null,
    severityChanges: [],
    engagedAt: null,
    engagedBy: null,
    snapshot: null,
    proposal: null,
    decision: null,
    approvals: [],
    extensions: [],
    containments: [],
    parityLoops: [],
    actions: [],
    onLkg: false,
    rolledBack: false,
    rollbackReason: null,
    frozen: false,
    lkgRecorded: null,
    checks: { last: null, streak: null, runs: [] },
    windows: [],
    signals: { reads: [], round: null, triage: null, repeated: false, looks: [] },
    regressions: 0,
    escalations: [],
    messages: [],
    pages: [],
    thread: { id: null, destination: null },
    evidence: null,
    resolution: null,
    archived: null,
    followUps: null,
    postmortemItems: [],
    closedAt: null,
    updatedAt: e.at,
    length: 1,
  };
}


/** What identifies a check result for collapsing repeats: the verdict and its findings. */
export const checkKey = (c: Pick<CheckFacts, 'verdict' | 'reasons'>): string => `${c.verdict}|${c.reasons.join('|')}`;

function setPhase(s: Incident, phase: Phase, at: number): void {
  if (s.phase === phase) return;
  s.phase = phase;
  s.phases.push({ phase, at });
}

function engage(s: Incident, by: Actor | null, at: number): void {
  if (s.engagedAt === null && by && isPerson(by)) {
    s.engagedAt = at;
    s.engagedBy = by;
  }
}

/** The current containment, if one is under way. */
const currentContainment = (s: Incident): ContainmentView | undefined => s.containments.at(-1);

/**
 * One event applied to the incident, in place: the only place where any fact about it changes.
 * Deterministic; it changes the incident it is given (a replay applies every event again, so this
 * stays linear in the number of events rather than copying the incident each time).
 */
export function applyEvent(s: Incident | null, e: IncidentEvent): Incident {
  if (e.type === 'declared') return declaredIncident(e);
  if (!s) throw new Error(`internal: the first event of an incident must be its declaration, not "${e.type}"`);
  s.updatedAt = Math.max(s.updatedAt, e.at);
  s.length = e.seq + 1;
  switch (e.type) {
    case 'alert-received': {
      s.alerts.keys.push(e.alert.dedupeKey);
      alertKeySets.get(s)?.add(e.alert.dedupeKey);
      s.alerts.received.push(e.alert);
      if (e.alert.condition === 'Resolved') s.alerts.recoverySignals += 1;
      else s.alerts.fired += 1;
      break;
    }
    case 'severity-changed':
      s.severity = e.to;
      s.severityReasons = e.reasons;
      s.severityChanges.push({ at: e.at, from: e.from, to: e.to, reasons: e.reasons, by: e.by, person: e.person ?? null });
      break;
    case 'role-assigned':
      if (s.roles[e.role]) break;
      s.roles[e.role] = { person: e.person, how: e.how, at: e.at };
      if (e.role === 'ic') s.commandedAt ??= e.at;
      engage(s, e.person, e.at);
      break;
    case 'acknowledged':
      s.acknowledgements.push({ by: e.by, role: e.role, at: e.at });
      engage(s, e.by, e.at);
      break;
    case 'noted':
    case 'ignored':
    case 'paged':
      if (e.type === 'paged') s.pages.push(e);
      break;
    case 'snapshot-taken':
      s.snapshot = { changes: e.changes, api: e.api, web: e.web, problems: e.problems };
      break;
    case 'proposal-issued':
      s.proposal = { id: e.proposalId, path: e.path, steps: e.steps, reasons: e.reasons, actionItems: e.actionItems, decisionDueAt: e.decisionDueAt };
      if (s.phase === 'declared') setPhase(s, 'deciding', e.at);
      break;
    case 'decided':
      s.decision ??= { choice: e.choice, by: e.by, at: e.at, automatic: e.by === null, proposalId: e.proposalId, reason: e.reason, why: e.why };
      if (e.by) s.approvals.push({ at: e.at, by: e.by, decision: e.choice, proposalId: e.proposalId, reason: e.reason });
      if (e.by && isPerson(e.by)) s.commandedAt ??= e.at;
      engage(s, e.by, e.at);
      break;
    case 'rollback-requested':
      s.approvals.push({ at: e.at, by: e.by, decision: 'rollback', proposalId: null, reason: e.reason });
      if (isPerson(e.by)) s.commandedAt ??= e.at;
      engage(s, e.by, e.at);
      break;
    case 'timebox-extended': {
      s.extensions.push({ timebox: e.timebox, minutes: e.minutes, by: e.by, at: e.at });
      engage(s, e.by, e.at);
      const c = currentContainment(s);
      if (e.timebox === 'containment' && c && c.recoveredAt === null) c.dueAt += e.minutes * MINUTE;
      const w = s.windows.at(-1);
      if (e.timebox === 'monitoring' && w && s.phase === 'monitoring') w.endsAt += e.minutes * MINUTE;
      break;
    }
    case 'containment-started': {
      const before = currentContainment(s);
      if (before && before.recoveredAt === null && before.supersededAt === null) before.supersededAt = e.at;
      s.containments.push({
        seq: e.seq,
        choice: e.choice,
        why: e.why,
        rollback: e.rollback,
        startedAt: e.at,
        dueAt: e.dueAt,
        timebox: e.timebox,
        steps: e.steps.map((x) => ({ ...x, outcome: null })),
        recoveredAt: null,
        supersededAt: null,
      });
      s.checks.streak = null;
      if (e.rollback) s.rollbackReason ??= e.why;
      setPhase(s, e.steps.length ? 'containing' : 'verifying', e.at);
      break;
    }
    case 'action-completed': {
      s.actions.push({ seq: e.seq, step: e.step, action: e.action, activity: e.activity, at: e.at, mode: e.mode, outcome: e.outcome, subject: e.subject ?? null });
      const o = e.outcome.kind;
      if (isRollback(e.action) && o === 'done') s.rolledBack = true;
      if (isRollback(e.action) && (o === 'done' || o === 'skipped')) s.onLkg = true;
      // A drill follows the path of its plan: a planned freeze counts as set (it is not planned twice,
      // and its planned lift closes it), as a planned lift counts as lifted.
      const took = o === 'done' || o === 'skipped' || (o === 'planned' && e.mode === 'plan');
      if (e.action === 'freeze' && took) s.frozen = true;
      if (e.action === 'unfreeze' && took) s.frozen = false;
      if (e.action === 'record-lkg' && o === 'done') s.lkgRecorded = recordedRelease(e.outcome) ?? s.snapshot?.api?.current ?? s.snapshot?.web?.current ?? 'the running release';
      const c = currentContainment(s);
      const planned = c?.steps.find((x) => x.step === e.step);
      if (c && planned && isContainment(e.action)) {
        planned.outcome = o;
        if (s.phase === 'containing' && c.steps.every((x) => x.outcome !== null)) setPhase(s, 'verifying', e.at);
      }
      break;
    }
    case 'checks-run': {
      const facts: CheckFacts = { verdict: e.verdict, reasons: e.reasons, failing: e.failing, liveness: e.liveness, readiness: e.readiness, sse: e.sse, ...(e.drift ? { drift: e.drift } : {}) };
      const key = checkKey(facts);
      const st = s.checks.streak;
      s.checks.streak = st?.key === key ? { ...st, count: st.count + 1, last: e.at } : { key, count: 1, since: e.at, last: e.at, seq: e.seq, purpose: e.purpose };
      s.checks.last = { ...facts, at: e.at, purpose: e.purpose };
      if (e.run) s.checks.runs.push(e.run);
      break;
    }
    case 'parity-reapplied': {
      const c = currentContainment(s);
      let loop = s.parityLoops.at(-1);
      if (!loop || loop.containment !== (c?.seq ?? -1)) {
        loop = { containment: c?.seq ?? -1, startedAt: e.at, attempts: [], ended: null };
        s.parityLoops.push(loop);
      }
      loop.attempts.push({ at: e.at, keys: e.keys });
      break;
    }
    case 'parity-loop-ended': {
      const c = currentContainment(s);
      let loop = s.parityLoops.at(-1);
      if (!loop || loop.containment !== (c?.seq ?? -1)) {
        loop = { containment: c?.seq ?? -1, startedAt: e.at, attempts: [], ended: null };
        s.parityLoops.push(loop);
      }
      loop.ended = { at: e.at, outcome: e.outcome, text: e.text };
      break;
    }
    case 'monitoring-started': {
      const c = currentContainment(s);
      if (c && c.recoveredAt === null) c.recoveredAt = e.at;
      s.windows.push({ startedAt: e.at, endsAt: e.endsAt, regressedAt: null, signalExtensions: 0, keptOpen: false });
      s.checks.streak = null;
      setPhase(s, 'monitoring', e.at);
      break;
    }
    case 'monitoring-extended': {
      const w = s.windows.at(-1);
      if (w) w.endsAt = Math.max(w.endsAt, e.endsAt);
      if (w && e.cause === 'signals') w.signalExtensions += 1;
      break;
    }
    case 'monitoring-kept-open': {
      const w = s.windows.at(-1);
      if (w) w.keptOpen = true;
      break;
    }
    case 'signals-read': {
      const { type: _t, seq, at, ...facts } = e;
      const before = s.signals.reads.at(-1);
      s.signals.repeated = !!before && signalsKey(before) === signalsKey(facts);
      s.signals.reads.push({ ...facts, at, seq });
      if (facts.purpose === 'verify' || facts.purpose === 'monitor') s.signals.round = { ...facts, at };
      if (facts.triage) s.signals.triage = { ...facts.triage, at };
      break;
    }
    case 'looked-again':
      s.signals.looks.push({ at: e.at, deadline: e.deadline, recovered: e.recovered, text: e.text });
      break;
    case 'regressed': {
      s.regressions += 1;
      const w = s.windows.at(-1);
      if (w && w.regressedAt === null) w.regressedAt = e.at;
      s.checks.streak = null;
      setPhase(s, 'verifying', e.at);
      break;
    }
    case 'escalated':
      s.escalations.push({ at: e.at, reason: e.reason, text: e.text, people: e.people });
      break;
    case 'message-sent':
      s.messages.push(e);
      if (e.delivered && e.threadId && !s.thread.id) s.thread = { id: e.threadId, destination: e.destination };
      break;
    case 'evidence-located':
      s.evidence = e.links;
      break;
    case 'resolved':
      if (s.resolution) break;
      s.resolution = { by: e.by, automatic: e.by === null, at: e.at, summary: e.summary, why: e.why, postmortemDueAt: e.postmortemDueAt };
      engage(s, e.by, e.at);
      setPhase(s, 'resolved', e.at);
      break;
    case 'evidence-archived':
      s.archived = e;
      break;
    case 'follow-ups-read':
      s.followUps = { ticketUrl: e.ticketUrl, items: e.items };
      break;
    case 'postmortem-drafted':
      s.postmortemItems = e.items;
      break;
    case 'closed':
      s.closedAt = e.at;
      setPhase(s, 'closed', e.at);
      break;
  }
  return s;
}

/** What identifies a reading for collapsing repeats in the timeline: what it says, not when. */
const signalsKey = (f: SignalsFacts): string => JSON.stringify([f.recovery?.summary ?? null, f.flap?.text ?? null, f.triage?.lines ?? null]);

/** The release tag an LKG record wrote (its `lkg:` change). */
function recordedRelease(o: RecordedOutcome): string | undefined {
  const after = changesOf(o).find((c) => c.target.startsWith('lkg:'))?.after;
  return after && typeof after === 'object' && 'releaseTag' in after && typeof after.releaseTag === 'string' ? after.releaseTag : undefined;
}

/**
 * The alert keys of each incident as a set, kept by applyEvent beside `alerts.keys`: a storm's
 * thousand alerts are each checked against the others without scanning the list (a replay checks
 * them all again). An incident built some other way (a copy) is looked up in its list.
 */
const alertKeySets = new WeakMap<Incident, Set<string>>();

function hasAlertKey(s: Incident, key: string): boolean {
  let keys = alertKeySets.get(s);
  if (!keys) alertKeySets.set(s, (keys = new Set(s.alerts.keys)));
  // The alerts of earlier executions (a long incident continued as new) by fingerprint.
  return keys.has(key) || (s.alerts.earlier.count > 0 && hasFingerprint(s.alerts.earlier, alertFingerprint(key)));
}

/**
 * The RB-03 triggers the incident's alerts matched, in the order they first appeared: kept up to
 * date from the alerts received since it was last asked, so a storm's runbook turns and custom
 * statuses do not go through every alert again.
 */
const alertTriggerLists = new WeakMap<Incident, { seen: number; triggers: TriggerKind[]; set: Set<TriggerKind> }>();

export function alertTriggersOf(s: Incident): readonly TriggerKind[] {
  let t = alertTriggerLists.get(s);
  if (!t || t.seen > s.alerts.received.length) alertTriggerLists.set(s, (t = { seen: 0, triggers: [...s.alerts.earlier.triggers], set: new Set(s.alerts.earlier.triggers) }));
  for (; t.seen < s.alerts.received.length; t.seen++) {
    for (const k of s.alerts.received[t.seen]?.triggers ?? []) {
      if (t.set.has(k)) continue;
      t.set.add(k);
      t.triggers.push(k);
    }
  }
  return t.triggers;
}

/** The incident from its events alone. */
export function deriveIncident(events: readonly IncidentEvent[]): Incident {
  let s: Incident | null = null;
  for (const e of events) s = applyEvent(s, e);
  if (!s) throw new Error('internal: an incident has at least its declaration');
  return s;
}

/**
 * A further alert as the incident sees it: a new fired alert may raise the severity (never lower
 * it); the same delivery again is nothing new. Returns the events to record.
 */
export function alertEvents(s: Incident, a: AlertFacts): NewEvent[] {
  if (hasAlertKey(s, a.dedupeKey)) return [];
  const out: NewEvent[] = [{ type: 'alert-received', alert: a }];
  if (a.condition === 'Fired' && isHigher(a.level, s.severity)) {
    out.push({ type: 'severity-changed', from: s.severity, to: higher(s.severity, a.level), reasons: a.reasons, by: a.rule });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Views: key moments, time trust, timeboxes, metrics, phases

export interface Detection {
  /** The declaring alert's own fired time, as it says. */
  firedAt: number | null;
  receivedAt: number | null;
  /** Whether the fired time is believed as the moment of detection. */
  trusted: boolean;
  /** Why not, in words ("fired 16 days before it reached us"). */
  note: string | null;
  /** The detection time used for durations: the fired time when believed, else null. */
  detectedAt: number | null;
}

/** "16 days", "3 h 20 min", "45 min": a coarse span for sentences about time. */
export function spanWords(ms: number): string {
  const minutes = Math.round(Math.abs(ms) / MINUTE);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return minutes % 60 ? `${hours} h ${minutes % 60} min` : `${hours} h`;
  return `${Math.round(hours / 24)} days`;
}

/**
 * Whether the declaring alert's fired time can be believed. Azure Monitor delivers within seconds
 * (its retries end after about 75 s; log alerts add their ingestion and evaluation delay, minutes),
 * so a fired time more than STALE_FIRED_MS before it reached us is a replayed, copied or stuck
 * payload, and one more than FUTURE_FIRED_MS after it comes from a wrong clock: both are kept and
 * shown as they are, with a note, and not used for time to declare or the impact duration.
 */
export function detectionOf(s: Pick<Incident, 'alert' | 'declaredAt'>): Detection {
  const a = s.alert;
  if (!a) return { firedAt: null, receivedAt: null, trusted: false, note: null, detectedAt: null };
  if (a.firedAt === null) return { firedAt: null, receivedAt: a.receivedAt, trusted: false, note: 'the alert gives no readable fired time', detectedAt: null };
  const lag = a.receivedAt - a.firedAt;
  if (lag > STALE_FIRED_MS) return { firedAt: a.firedAt, receivedAt: a.receivedAt, trusted: false, note: `fired ${spanWords(lag)} before it reached us`, detectedAt: null };
  if (-lag > FUTURE_FIRED_MS) {
    return { firedAt: a.firedAt, receivedAt: a.receivedAt, trusted: false, note: `says it fired ${spanWords(lag)} after it reached us (a clock is wrong)`, detectedAt: null };
  }
  return { firedAt: a.firedAt, receivedAt: a.receivedAt, trusted: true, note: null, detectedAt: Math.min(a.firedAt, s.declaredAt) };
}

export interface Moments {
  detected: number | null;
  declared: number;
  acknowledged: number | null;
  decided: number | null;
  /** The first containment change that was applied (an action done): refused, failed, skipped or planned ones never mitigate. */
  mitigated: number | null;
  /** Checks green after containment (a monitoring window began) and no regression since. */
  recovered: number | null;
  resolved: number | null;
}

/**
 * The containment actions that changed something, in order ("set-flag EnableLegacyHttpSse",
 * "api-to-lkg"): what the report and the postmortem name as the containment, from the record.
 * A drill names what it planned.
 */
export function containmentDone(s: Incident): string[] {
  const took = (a: ActionView) => a.outcome.kind === 'done' || (s.drill && a.outcome.kind === 'planned');
  return [...new Set(s.actions.filter((a) => isContainment(a.action) && took(a)).map((a) => (a.subject ? `${a.action} ${a.subject}` : a.action)))];
}

export function momentsOf(s: Incident): Moments {
  const mitigating = s.actions.find((a) => isContainment(a.action) && a.outcome.kind === 'done' && a.mode === 'execute');
  const w = s.windows.at(-1);
  return {
    detected: detectionOf(s).detectedAt,
    declared: s.declaredAt,
    acknowledged: s.engagedAt,
    decided: s.decision?.at ?? null,
    mitigated: mitigating?.at ?? null,
    recovered: w && w.regressedAt === null ? w.startedAt : null,
    resolved: s.resolution?.at ?? null,
  };
}

export type Verdict = 'met' | 'missed' | 'open' | 'not-applicable';
export type TimeboxName = 'ic' | 'ack' | 'decision' | 'containment' | 'recovery' | 'monitoring';

export interface TimeboxView {
  name: TimeboxName;
  startedAt: number;
  deadline: number;
  /** When it was met (or, for one that was missed late, when what it waited for happened). */
  metAt: number | null;
  extendedMinutes: number;
  verdict: Verdict;
  /** Why, in a few words ("nobody decided; the runbook rolled back at the deadline"). */
  note: string | null;
}

/** Minutes people added to a timebox (`extend` requests). */
export const extendedMinutes = (s: Pick<Incident, 'extensions'>, name: ExtendableTimebox): number => s.extensions.filter((x) => x.timebox === name).reduce((sum, x) => sum + x.minutes, 0);

/**
 * The runbook's timeboxes and their verdicts, as of the last event. Met: what it waited for came in
 * time. Missed: it came late, or not at all while the incident went on past the deadline. Open: not
 * yet, and the deadline has not passed. Not applicable: the incident ended (or moved on) before
 * the deadline without needing it.
 */
export function timeboxesOf(s: Incident): TimeboxView[] {
  const now = s.updatedAt;
  const box = s.boxes[s.severity];
  const ended = s.resolution?.at ?? null;
  const judge = (deadline: number, metAt: number | null, endedAt: number | null): Verdict => {
    if (metAt !== null) return metAt <= deadline ? 'met' : 'missed';
    if (endedAt !== null) return endedAt < deadline ? 'not-applicable' : 'missed';
    return now >= deadline ? 'missed' : 'open';
  };
  const out: TimeboxView[] = [];

  const ackExt = extendedMinutes(s, 'ack');
  const ackDeadline = s.declaredAt + (box.ackMinutes + ackExt) * MINUTE;
  out.push({ name: 'ack', startedAt: s.declaredAt, deadline: ackDeadline, metAt: s.engagedAt, extendedMinutes: ackExt, verdict: judge(ackDeadline, s.engagedAt, ended), note: null });

  // RB-03: an IC assigned within 15 min (the acknowledgement extension moves it too: both wait for people).
  const icDeadline = icDueAt(s);
  const icAt = s.roles.ic?.at ?? null;
  out.push({ name: 'ic', startedAt: s.declaredAt, deadline: icDeadline, metAt: icAt, extendedMinutes: ackExt, verdict: judge(icDeadline, icAt, ended), note: icAt === null && ended === null && now >= icDeadline ? 'no Incident Commander assigned' : null });

  const decExt = extendedMinutes(s, 'decision');
  const decDeadline = s.declaredAt + (box.decisionMinutes + decExt) * MINUTE;
  const personDecided = s.approvals[0]?.at ?? null;
  if (s.decision?.automatic && personDecided === null) {
    out.push({ name: 'decision', startedAt: s.declaredAt, deadline: decDeadline, metAt: null, extendedMinutes: decExt, verdict: 'missed', note: 'nobody decided in time; the runbook decided at the deadline' });
  } else {
    const endedAt = ended ?? (s.containments[0]?.startedAt ?? null);
    out.push({ name: 'decision', startedAt: s.declaredAt, deadline: decDeadline, metAt: personDecided, extendedMinutes: decExt, verdict: judge(decDeadline, personDecided, endedAt), note: null });
  }

  const contExt = extendedMinutes(s, 'containment');
  for (const c of s.containments) {
    const endedAt = c.supersededAt ?? ended;
    out.push({ name: c.timebox, startedAt: c.startedAt, deadline: c.dueAt, metAt: c.recoveredAt, extendedMinutes: contExt, verdict: judge(c.dueAt, c.recoveredAt, endedAt), note: c.supersededAt !== null ? 'a later containment took over' : null });
  }

  const monExt = extendedMinutes(s, 'monitoring');
  for (const w of s.windows) {
    if (w.regressedAt !== null) {
      out.push({ name: 'monitoring', startedAt: w.startedAt, deadline: w.endsAt, metAt: null, extendedMinutes: monExt, verdict: 'missed', note: 'a regression re-opened containment' });
      continue;
    }
    // A window without regression is met once it has run its course or the incident ended in it.
    const endedAt = ended !== null ? Math.min(ended, w.endsAt) : now >= w.endsAt ? w.endsAt : null;
    out.push({ name: 'monitoring', startedAt: w.startedAt, deadline: w.endsAt, metAt: endedAt, extendedMinutes: monExt, verdict: endedAt === null ? 'open' : 'met', note: null });
  }
  return out;
}

export interface Duration {
  from: number;
  to: number;
  seconds: number;
}

export interface Metrics {
  timeToDeclare: Duration | null;
  timeToAcknowledge: Duration | null;
  timeToMitigate: Duration | null;
  timeToRecover: Duration | null;
  /** Detection (when believed, else the declaration) to recovery (else the resolution). */
  impact: Duration | null;
  /** Declaration to resolution: how long the incident was open. */
  open: Duration | null;
}

const span = (from: number | null, to: number | null): Duration | null => (from === null || to === null || to < from ? null : { from, to, seconds: (to - from) / 1000 });

/**
 * RB-03 metrics. Time to declare runs from detection (only when the alert's fired time is believed);
 * acknowledge, mitigate and recover from the declaration, the moment the runbook's clocks start.
 */
export function metricsOf(s: Incident): Metrics {
  const m = momentsOf(s);
  return {
    timeToDeclare: span(m.detected, m.declared),
    timeToAcknowledge: span(m.declared, m.acknowledged),
    timeToMitigate: span(m.declared, m.mitigated),
    timeToRecover: span(m.declared, m.recovered),
    impact: span(m.detected ?? m.declared, m.recovered ?? m.resolved),
    open: span(m.declared, m.resolved),
  };
}

export type PhaseName = 'Detect' | 'Triage' | 'Contain' | 'Recover' | 'Monitor';
export interface PhaseSpan {
  name: PhaseName;
  start: number;
  end: number;
}

const PHASE_NAME: Partial<Record<Phase, PhaseName>> = { declared: 'Triage', deciding: 'Triage', containing: 'Contain', verifying: 'Recover', monitoring: 'Monitor' };

/** The runbook's phases as they happened (a regression goes back to Recover), from detection to resolution. */
export function phasesOf(s: Incident): PhaseSpan[] {
  const out: PhaseSpan[] = [];
  const detected = detectionOf(s).detectedAt;
  if (detected !== null && detected < s.declaredAt) out.push({ name: 'Detect', start: detected, end: s.declaredAt });
  const end = s.resolution?.at ?? s.updatedAt;
  s.phases.forEach((p, i) => {
    const name = PHASE_NAME[p.phase];
    if (!name) return;
    const until = Math.min(s.phases[i + 1]?.at ?? end, end);
    if (until < p.at) return;
    const last = out.at(-1);
    if (last && last.name === name && last.end === p.at) last.end = until;
    else out.push({ name, start: p.at, end: until });
  });
  return out;
}

/** Who is in which role (the first to take it), as labels. */
export function rolesOf(s: Incident): Record<Role, string | null> {
  const label = (r: Incident['roles'][Role]): string | null => (r ? actorLabel(r.person) : null);
  return { ic: label(s.roles.ic), deputy: label(s.roles.deputy), scribe: label(s.roles.scribe), comms: label(s.roles.comms) };
}

/** When an Incident Commander is due: the severity's IC timebox (RB-03: 15 min) from the declaration, plus acknowledgement extensions. */
export function icDueAt(s: Pick<Incident, 'boxes' | 'severity' | 'declaredAt' | 'extensions'>): number {
  return s.declaredAt + ((s.boxes[s.severity].icMinutes ?? IC_MINUTES) + extendedMinutes(s, 'ack')) * MINUTE;
}

/**
 * The release picture, from the latest facts: what ran when the incident was declared (the
 * snapshot), the last known good (the snapshot's, or the one a rollback actually restored when it
 * was recorded later), what runs after containment, and the release this incident recorded as LKG.
 */
export function releaseOf(s: Incident): { current: string | null; lkg: string | null; restored: string | null; recorded: string | null } {
  const rel = s.snapshot?.api ?? s.snapshot?.web ?? null;
  const restored = s.actions
    .filter((a) => isRollback(a.action) && a.outcome.kind === 'done')
    .flatMap((a) => changesOf(a.outcome))
    .find((c) => c.field === 'releaseTag' && c.target.startsWith('release:') && typeof c.after === 'string')?.after as string | undefined;
  const lkg = restored ?? rel?.lkg ?? null;
  return { current: rel?.current ?? null, lkg, restored: s.rolledBack ? lkg : null, recorded: s.lkgRecorded };
}

/** A containment or freeze action that did not do what it was for (refused or failed). */
export const didNotWork = (a: ActionView): boolean => a.outcome.kind === 'refused' || a.outcome.kind === 'failed';

export const changesOf = (o: RecordedOutcome): Change[] => (o.kind === 'done' || o.kind === 'planned' ? o.changes : []);
