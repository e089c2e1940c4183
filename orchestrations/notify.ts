/**
 * Notifications as the incident orchestration asks for them: a message to the incident's channel
 * (its thread), or a page to the people of a role (the P1 on-call, an escalation step). This is
 * the only orchestrator code that names the notification activities; which system carries them
 * (Teams channel posts, activity-feed pages, the local sink, a future channel) is the adapters'
 * business behind the Teams port (src/ports/teams.ts), chosen by the composition root.
 *
 * Thread mechanics live here: the first message delivered starts the incident's thread, later ones
 * reply in it, and an undelivered declaration is tried again before the next channel message so
 * the incident keeps one thread. Deterministic (replayed): no clock, no I/O.
 */
import type * as df from 'durable-functions';
import { callActivity } from '../src/activities/define.js';
import { NotifyTeams, PostTeamsMessage, ReplyTeamsMessage, type NotifyTeamsInput, type TeamsOutcome } from '../src/activities/teams.contracts.js';
import { failureSummary } from '../src/durable/failure-text.js';
import type { IncidentInput } from '../src/domain/incident.js';
import type { Incident, NewEvent } from '../src/domain/incident-record.js';
import type { IncidentMessage } from '../src/domain/messages/types.js';
import type { RoleAudience } from '../src/domain/notification.js';
import { channelOf, recipientsOf, type ChannelRef } from '../src/domain/teams-routing.js';

export type NotifyEvent = Extract<NewEvent, { type: 'message-sent' | 'paged' | 'noted' }>;
type Step<T> = Generator<df.Task, T, unknown>;

export class Notifications {
  private readonly route;
  private readonly mode: 'execute' | 'plan';
  /** The incident's thread: the first message delivered starts it (normally the declaration). */
  private thread: { id: string | undefined; destination: ChannelRef | undefined };
  /** The declaration while it has not been delivered: each later message tries it again first, so the incident keeps one thread. */
  private undelivered: { message: IncidentMessage; attempts: number } | undefined;

  constructor(
    private readonly context: df.OrchestrationContext,
    private readonly input: IncidentInput,
  ) {
    // The policy's Teams destination for this incident (else the app's configured channel); the
    // thread's replies follow the channel the thread was actually started in.
    this.route = channelOf(input.policy.teams, `The Teams destination of ${input.service}@${input.environment}`);
    this.thread = { id: undefined, destination: this.route.destination };
    this.mode = input.mode ?? 'execute';
  }

  /**
   * A later execution of a long incident (continue-as-new) starts from its record: the thread the
   * record holds, and, while no message has started one, the declaration to try again first (its
   * attempts counted from the record, so the retry's step key is a new one).
   */
  resumeFrom(record: Pick<Incident, 'thread' | 'messages'>, declaration: () => IncidentMessage | null): void {
    if (record.thread.id) {
      this.thread = { id: record.thread.id, destination: record.thread.destination ?? this.route.destination };
      return;
    }
    const attempts = record.messages.filter((m) => m.step === 'announce/declared' || m.step.startsWith('announce/declared/attempt-')).length;
    const message = this.mode === 'execute' && attempts > 0 ? declaration() : null;
    if (message) this.undelivered = { message, attempts };
  }

  /** An undelivered declaration goes first (once a thread exists, nothing is retried). */
  *retryDeclaration(before: IncidentMessage, deadline: string, out: NotifyEvent[]): Step<void> {
    if (this.undelivered && !this.thread.id && before.kind !== 'declared') {
      this.undelivered.attempts += 1;
      if (yield* this.send('announce/declared', `announce/declared/attempt-${this.undelivered.attempts}`, this.undelivered.message, deadline, out)) this.undelivered = undefined;
    }
  }

  /** A message to the incident's channel: a new post for the declaration (or while there is no thread), else a reply in the thread. */
  *toChannel(step: string, message: IncidentMessage, deadline: string, out: NotifyEvent[]): Step<boolean> {
    const delivered = yield* this.send(step, step, message, deadline, out);
    if (message.kind === 'declared' && this.mode === 'execute' && !delivered) this.undelivered = { message, attempts: 1 };
    return delivered;
  }

  /** Pages the people of a role directly (activity feed: another API than channel posts); people who cannot be addressed are noted, not paged. */
  *toRole(audience: RoleAudience, message: IncidentMessage, deadline: string, out: NotifyEvent[]): Step<void> {
    const people = recipientsOf(audience.people);
    if (people.invalid.length) out.push({ type: 'noted', by: null, topic: 'message', text: `${audience.label}: not paged (neither an Entra object id nor a UPN): ${people.invalid.join(', ')}.` });
    if (!people.valid.length) return;
    const request: NotifyTeamsInput = { incidentId: this.input.incidentId, step: audience.step, message, deadline, mode: this.mode, recipients: people.valid, ...this.where() };
    try {
      const o = yield* callActivity(this.context, NotifyTeams, request);
      out.push({ type: 'paged', step: request.step, who: audience.who ?? audience.label, delivered: o.kind !== 'refused', summary: o.summary });
    } catch (err) {
      out.push({ type: 'paged', step: request.step, who: audience.who ?? audience.label, delivered: false, summary: failureSummary(err) });
    }
  }

  /**
   * A message to a channel of its own (the release channel, the stakeholders' channel): a new post
   * there, once per step, never part of the incident's thread. `record` names it in the evidence.
   */
  *toOtherChannel(destination: ChannelRef, record: string, message: IncidentMessage, deadline: string, out: NotifyEvent[]): Step<boolean> {
    let o: TeamsOutcome;
    try {
      o = yield* callActivity(this.context, PostTeamsMessage, { incidentId: this.input.incidentId, step: `teams/${record}`, message, deadline, mode: this.mode, destination });
    } catch (err) {
      out.push({ type: 'noted', by: null, topic: 'message', text: `Teams message "${message.kind}" not posted to channel ${destination.channelId}: ${failureSummary(err)}` });
      return false;
    }
    out.push(sentEvent(record, message, o, { threadId: null, destination }));
    return o.kind === 'done';
  }

  /**
   * Sends one message: a reply in the incident's thread once there is one, else a new post. `record`
   * names the message in the evidence pack (a repeated declaration gets its own name; its Teams
   * step, and so its ledger entry, stays the same, so a post that did go through is found, not repeated).
   */
  private *send(step: string, record: string, message: IncidentMessage, deadline: string, out: NotifyEvent[]): Step<boolean> {
    const common = { incidentId: this.input.incidentId, step: `teams/${step}`, message, deadline, mode: this.mode };
    let o: TeamsOutcome;
    try {
      o =
        message.kind === 'declared' || !this.thread.id
          ? yield* callActivity(this.context, PostTeamsMessage, { ...common, ...(this.route.destination ? { destination: this.route.destination } : {}) })
          : yield* callActivity(this.context, ReplyTeamsMessage, { ...common, threadId: this.thread.id, ...(this.thread.destination ? { destination: this.thread.destination } : {}) });
    } catch (err) {
      // The Teams activity reports delivery problems as data; this is its storage failing for good.
      out.push({ type: 'noted', by: null, topic: 'message', text: `Teams message "${message.kind}" not posted: ${failureSummary(err)}` });
      return false;
    }
    const delivered = o.kind === 'done';
    const started = o.kind === 'done' && !this.thread.id;
    if (o.kind === 'done' && started) this.thread = { id: o.threadId, destination: o.destination ?? this.route.destination };
    out.push(sentEvent(record, message, o, started ? { threadId: this.thread.id ?? null, destination: this.thread.destination ?? null } : { threadId: null, destination: null }));
    if (started && message.kind !== 'declared') out.push({ type: 'noted', by: null, topic: 'message', text: `The declaration could not be posted; this "${message.kind}" message starts the incident's Teams thread instead.` });
    return delivered;
  }

  private where(): { destination?: ChannelRef; threadId?: string } {
    return { ...(this.thread.destination ? { destination: this.thread.destination } : {}), ...(this.thread.id ? { threadId: this.thread.id } : {}) };
  }
}

/** The record of one message as the Teams activity answered it; `where` is the thread it started, or the channel it went to outside the thread. */
function sentEvent(record: string, message: IncidentMessage, o: TeamsOutcome, where: { threadId: string | null; destination: ChannelRef | null }): NotifyEvent {
  const delivered = o.kind === 'done';
  return {
    type: 'message-sent',
    step: record,
    template: message.kind,
    delivered,
    planned: o.kind === 'planned',
    channel: o.kind === 'done' || o.kind === 'planned' ? o.delivery : 'none',
    text: o.kind === 'done' || o.kind === 'planned' ? o.text : o.summary,
    messageId: o.kind === 'done' ? o.messageId : null,
    ...where,
    problem: delivered || o.kind === 'planned' ? null : o.summary,
  };
}
