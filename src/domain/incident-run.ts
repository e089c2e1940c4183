/**
 * One running incident, as the orchestration drives it: the events recorded so far, the incident
 * derived from them, the runbook's bookkeeping and the commands waiting to be carried out. The
 * orchestration (orchestrations/incident.ts) is a loop around this object: it takes the next
 * command, carries it out with an activity, and hands the result back; it raises external events
 * and timer wake-ups in; it stores what `progress()` says changed. Everything here is
 * deterministic, so a replay rebuilds exactly the same run, and the whole runbook can be driven
 * without Durable (test/domain/runbook.test.ts, test/domain/incident-truth.test.ts).
 */
import type { Thresholds } from './policy.js';
import type { ArtifactInputIn, PackRef } from './evidence.js';
import type { IncidentInput, IncidentSummary, TimelineEntry } from './incident.js';
import type { Inbound } from './incident-events.js';
import { alertsCarried, applyEvent, declaredEvent, type AlertFacts, type AlertRef, type Incident, type IncidentEvent } from './incident-record.js';
import { customStatusOf, summaryOf } from './incident-status.js';
import { TimelineBuilder } from './incident-timeline.js';
import type { IncidentMessageInput } from './messages/types.js';
import { messageDeadline, newPlan, nextWake, onAlert, onInbound, onResult, onTimer, start, Turn, type AnnounceCommand, type Command, type CommandResult, type Plan, type RunbookConfig } from './runbook.js';
import { runbookConfigOf } from './runbook-config.js';
import { evidenceArtifacts, packRefOf } from './runbook-evidence.js';
import { buildMessage } from './runbook-messages.js';
import { channelOf, recipientsOf } from './teams-routing.js';

/**
 * The real engine splits timers longer than 6 days and their cancellation can drift, so the run
 * never asks for one further ahead than this: it wakes, finds nothing due, and waits again.
 */
export const MAX_TIMER_MS = 5 * 24 * 60 * 60_000;

/**
 * What a long incident's next execution starts from (orchestrations/incident.ts continues as new
 * to keep its history bounded): the incident as derived so far, the runbook's bookkeeping and the
 * timeline entries not stored yet. Plain JSON. Taken between turns, with no command waiting, so
 * nothing is half done; the deadlines are the record's and the plan's, so the timers come back by
 * themselves. Its size does not grow with the incident's alerts (a replay reads it on every
 * episode): the alerts received so far go as a few characters each (`alerts.earlier`), their
 * references and the stored timeline stay in the incident store (recordProgress wrote them), and
 * the evidence pack reads them back from there (`artifacts`).
 */
export interface RunCheckpoint {
  /** The format; a later one must read this one or refuse it. */
  v: 2;
  /** `alerts.received` empty: every alert so far is in `alerts.earlier`. */
  incident: Incident;
  plan: Plan;
  /** The entries not stored yet, and the line a repeated check may still rewrite. */
  timeline: { entries: TimelineEntry[]; unstored: number[] };
  /** Alerts whose reference is not stored yet (raised into the incident since the last recordProgress). */
  unstoredAlerts: AlertRef[];
  /** How many executions came before the one this starts (the first execution: 0). */
  executions: number;
}

/** What the incident store holds of a long incident's record (incident_readRecord), for its evidence pack. */
export interface StoredRecord {
  timeline: TimelineEntry[];
  alerts: AlertRef[];
}

const refOf = (a: AlertFacts): AlertRef => ({ dedupeKey: a.dedupeKey, receivedAt: a.receivedAt, payloadRef: a.payloadRef });

export class IncidentRun {
  /** The events recorded by this execution (a resumed run starts from its checkpoint: the earlier ones are in the incident). */
  readonly events: IncidentEvent[] = [];
  readonly incident: Incident;
  readonly plan: Plan;
  readonly config: RunbookConfig;
  readonly bot: string;
  /** Executions before this one (0 until the incident first continued as new). */
  readonly executions: number;
  private readonly thresholds: Thresholds;
  private readonly timeline: TimelineBuilder;
  private readonly queue: Command[] = [];
  /** References of alerts in the record and not yet in the incident store (folded ones are stored as they are taken). */
  private unstoredAlerts: AlertRef[];

  constructor(input: IncidentInput, now: number, resume?: RunCheckpoint) {
    this.config = runbookConfigOf(input);
    this.bot = input.policy.bot.actor;
    this.thresholds = input.policy.environment.thresholds;
    if (resume) {
      // Trusted: written by the previous execution of this instance, not re-derived or re-validated.
      if (resume.v !== 2 || resume.incident.id !== input.incidentId) throw new Error(`Incident ${input.incidentId}: unreadable checkpoint (format ${String(resume.v)}, incident ${resume.incident.id}).`);
      this.incident = resume.incident;
      this.plan = resume.plan;
      this.timeline = TimelineBuilder.restore(this.bot, resume.timeline);
      this.unstoredAlerts = resume.unstoredAlerts;
      this.executions = resume.executions;
      return;
    }
    this.executions = 0;
    this.timeline = new TimelineBuilder(this.bot);
    const declared = { ...declaredEvent(input), seq: 0 };
    this.incident = applyEvent(null, declared);
    this.unstoredAlerts = this.incident.alerts.received.map(refOf);
    this.events.push(declared);
    this.timeline.add(declared, this.incident);
    this.plan = newPlan(this.incident.declaredAt);
    this.turn(Math.max(now, this.incident.declaredAt), (t) => {
      // What the policy snapshot could not give the incident is said once, at the start.
      const route = channelOf(input.policy.teams, `The Teams destination of ${input.service}@${input.environment}`);
      if (route.problem) t.emit({ type: 'noted', by: null, topic: 'message', text: `${route.problem}: messages go to the app's configured Teams channel (TEAMS_TEAM_ID / TEAMS_CHANNEL_ID).` });
      const invalid = recipientsOf(input.policy.teams.notify).invalid;
      if (invalid.length) t.emit({ type: 'noted', by: null, topic: 'message', text: `Not paged (neither an Entra object id nor a UPN): ${invalid.join(', ')}.` });
      start(t);
    });
  }

  /** What the next execution starts from; only between turns (no command waiting). */
  checkpoint(): RunCheckpoint {
    if (this.busy) throw new Error('A checkpoint is taken between turns, with no command waiting.');
    const alerts = { ...this.incident.alerts, keys: [], received: [], earlier: alertsCarried(this.incident.alerts) };
    return {
      v: 2,
      incident: { ...this.incident, alerts },
      plan: this.plan,
      timeline: this.timeline.checkpoint(this.incident.checks.streak?.seq ?? null),
      unstoredAlerts: this.unstoredAlerts,
      executions: this.executions + 1,
    };
  }

  private turn(now: number, act: (t: Turn) => void): void {
    const t = new Turn(this.incident, this.plan, this.config, now, (e) => {
      this.events.push(e);
      this.timeline.add(e, this.incident);
    });
    act(t);
    this.queue.push(...t.commands);
  }

  /** An event raised into the incident (validated once, by `parseInbound`). */
  receive(e: Inbound | { name: string; invalid: string }, now: number): void {
    const before = this.incident.alerts.received.length;
    this.turn(now, (t) => onInbound(t, e));
    // A raised alert the record took: its reference goes to the store with the next recordProgress.
    for (const a of this.incident.alerts.received.slice(before)) this.unstoredAlerts.push(refOf(a));
  }

  /** A further alert the intake folded, as the facts the record keeps (recordProgress returns those). */
  receiveAlert(a: AlertFacts, now: number): void {
    this.turn(now, (t) => onAlert(t, a));
  }

  /** A timer went off. */
  wake(now: number): void {
    this.turn(now, (t) => onTimer(t));
  }

  /** Whether commands are waiting to be carried out. */
  get busy(): boolean {
    return this.queue.length > 0;
  }

  /** The next command to carry out, if any. */
  next(): Command | undefined {
    return this.queue.shift();
  }

  /** The result of a command: recorded as events, and the runbook's answer queued. */
  complete(cmd: Command, result: CommandResult, now: number): void {
    this.turn(now, (t) => onResult(t, cmd, result));
  }

  get closed(): boolean {
    return this.incident.phase === 'closed';
  }

  /** When to wake up if nothing happens: the runbook's next deadline, at most MAX_TIMER_MS ahead (null: only events). */
  timerAt(now: number): number | null {
    const wake = nextWake(this.incident, this.plan, this.config);
    return wake === null ? null : Math.min(Math.max(wake, now), now + MAX_TIMER_MS);
  }

  /** Until when Teams may be retried for a message sent now. */
  messageDeadline(now: number): number {
    return messageDeadline(this.incident, this.plan, this.config, now);
  }

  /** The Teams message for an announcement, from the incident as it is now. */
  message(cmd: AnnounceCommand, now: number): IncidentMessageInput {
    return buildMessage(cmd, { incident: this.incident, plan: this.plan, cfg: this.config, thresholds: this.thresholds, now });
  }

  /** A page: the declaration, sent to people's activity feeds, saying which role they are paged as. */
  onCallMessage(now: number, pagedAs?: string): IncidentMessageInput {
    const m = this.message({ kind: 'announce', step: 'announce/declared', message: 'declared' }, now);
    return pagedAs && m.kind === 'declared' ? { ...m, pagedAs } : m;
  }

  summary(): IncidentSummary {
    return summaryOf(this.incident);
  }

  customStatus(): Record<string, unknown> {
    return customStatusOf(this.incident, this.plan, this.config, this.bot);
  }

  /** References of the alerts the record took and the incident store does not hold yet. */
  pendingAlerts(): AlertRef[] {
    return [...this.unstoredAlerts];
  }

  alertsStored(refs: readonly AlertRef[]): void {
    const stored = new Set(refs);
    this.unstoredAlerts = this.unstoredAlerts.filter((a) => !stored.has(a));
  }

  /** Timeline entries new or changed since they were last stored. */
  pendingTimeline(): TimelineEntry[] {
    return this.timeline.pending();
  }

  timelineStored(entries: readonly TimelineEntry[]): void {
    this.timeline.stored(entries);
  }

  packRef(): PackRef {
    return packRefOf(this.incident);
  }

  /**
   * Everything the evidence pack holds, from the record. A run that continued as new holds only
   * what came since: `stored` is what the incident store holds of the rest (incident_readRecord).
   * References the run still carries because storing them failed (an earlier execution's last
   * progress call) are in neither: they are added here (evidenceArtifacts keeps one per alert).
   */
  artifacts(stored: StoredRecord = { timeline: [], alerts: [] }): ArtifactInputIn[] {
    return evidenceArtifacts(this.incident, this.timeline.all(stored.timeline), this.bot, [...stored.alerts, ...this.unstoredAlerts]);
  }
}
