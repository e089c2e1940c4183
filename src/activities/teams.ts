/**
 * Handlers of the Teams activities (contracts in teams.contracts.ts). Each renders the message,
 * embeds signed approval links in containment proposals, and delivers it once per incident + step
 * through the step ledger. After an interrupted attempt the target is searched for the message's
 * reference (channel mode with ChannelMessage.Read.All, and the local sink); where it cannot be
 * searched (activity feed, no read permission) the message is sent again and the outcome says a
 * duplicate is possible.
 */
import { createHash } from 'node:crypto';
import type { z } from 'zod';
import type { ApprovalSettings } from '../config/teams.js';
import { renderMessage, type RenderContext, type RenderedMessage } from '../domain/messages/render.js';
import type { IncidentMessage } from '../domain/messages/types.js';
import { mintApprovalLinks, proposalNonce, type ApprovalLinks } from './approval-token.js';
import type { StepLedger } from '../ports/ledger.js';
import type { ChannelPort } from '../ports/channel.js';
import type { PagerPort } from '../ports/pager.js';
import { TeamsDeliveryError, type Delivered, type DeliveryMode, type OutgoingMessage } from '../ports/teams.js';
import { once } from './once.js';
import type { NotifyTeams, PostTeamsMessage, ReplyTeamsMessage, TeamsOutcome } from './teams.contracts.js';
import { errorText } from '../domain/errors.js';

export interface TeamsActivityPorts {
  ledger: () => StepLedger;
  /** Where posts and replies go. May throw (invalid settings): reported as `refused: not-configured`. */
  channel: () => ChannelPort;
  /** Who notifications page. May throw, like `channel`. */
  pager: () => PagerPort;
  /** Undefined when approval links are not configured (cards then say how else to decide). */
  approvals: () => ApprovalSettings | undefined;
  now: () => Date;
  warn?: (message: string) => void;
}

type PostInput = z.output<typeof PostTeamsMessage.input>;
type ReplyInput = z.output<typeof ReplyTeamsMessage.input>;
type NotifyInput = z.output<typeof NotifyTeams.input>;
type Op = 'post' | 'reply' | 'notify';

/** The client reference of a step's message: stable across retries, 32 hex characters. */
export function messageReference(incidentId: string, step: string): string {
  return createHash('sha256').update(`${incidentId}\n${step}`, 'utf8').digest('hex').slice(0, 32);
}

function approvalLinksFor(message: IncidentMessage, incidentId: string, settings: ApprovalSettings | undefined): ApprovalLinks | undefined {
  if (message.kind !== 'containment-proposed' || !settings) return undefined;
  const key = settings.keys[0];
  if (!key) return undefined;
  return mintApprovalLinks(
    {
      incidentId,
      proposalId: message.proposalId,
      choices: message.options.map((o) => o.choice),
      expiresAt: message.decisionDeadline,
      title: message.title,
      environment: message.environment,
      severity: message.severity,
    },
    settings,
    proposalNonce(key, incidentId, message.proposalId),
  );
}

export interface PreparedMessage {
  reference: string;
  rendered: RenderedMessage;
  outgoing: OutgoingMessage;
  links: ApprovalLinks | undefined;
}

/** A rendered message (an incident template or a freeze announcement) as the Teams port sends it. */
export function outgoingOf(rendered: Omit<RenderedMessage, 'kind'> & { kind: string }, reference: string, incidentId: string): OutgoingMessage {
  return {
    reference,
    kind: rendered.kind,
    incidentId,
    shortTitle: rendered.shortTitle,
    headline: rendered.headline,
    preview: rendered.preview,
    text: rendered.text,
    card: rendered.card,
    importance: rendered.importance,
  };
}

/** Renders a step's message with its reference and, for proposals, signed approval links. */
export function prepareMessage(message: IncidentMessage, incidentId: string, step: string, approvals: ApprovalSettings | undefined): PreparedMessage {
  const reference = messageReference(incidentId, step);
  const links = approvalLinksFor(message, incidentId, approvals);
  const ctx: RenderContext = { reference, ...(links ? { approvalLinks: links.perChoice } : {}) };
  const rendered = renderMessage(message, ctx);
  const outgoing: OutgoingMessage = { ...outgoingOf(rendered, reference, incidentId), ...(links ? { link: links.all } : {}) };
  return { reference, rendered, outgoing, links };
}

const WHAT: Record<Op, string> = { post: 'Posted', reply: 'Replied', notify: 'Notified' };

function people(d: Delivered): string {
  if (!d.notified) return '';
  const missed = d.unreached?.length ? `; not reached: ${d.unreached.map((u) => `${u.recipient} (${u.reason})`).join(', ')}` : '';
  return ` to ${d.notified.length ? d.notified.join(', ') : 'nobody'}${missed}`;
}

function where(d: Delivered, op: Op): string {
  const channel = d.destination ? `channel ${d.destination.channelId}` : 'the configured channel';
  if (d.mode === 'local') return `to the local sink (Graph is not configured)${op === 'notify' ? (d.notified ? people(d) : ' to the configured recipients') : `, for ${channel}`}`;
  if (d.mode === 'activity') {
    return d.notified ? `through the activity feed${people(d)}` : `through the activity feed (${d.recipients ?? 0} recipient call(s)${d.undelivered ? `, ${d.undelivered} refused` : ''})`;
  }
  return op === 'reply' ? `in the incident thread ${d.threadId} of the Teams ${channel}` : `to the Teams ${channel}`;
}

function safe<T>(get: () => T): T | undefined {
  try {
    return get();
  } catch {
    return undefined;
  }
}

export function createTeamsActivities(ports: TeamsActivityPorts) {
  async function deliver(op: Op, input: PostInput | ReplyInput | NotifyInput): Promise<TeamsOutcome> {
    const now = ports.now();
    const deadline = Date.parse(input.deadline);
    if (input.message.incidentId !== input.incidentId) {
      return { kind: 'refused', reason: 'rejected', summary: `The message is for incident ${input.message.incidentId}, not ${input.incidentId}; nothing was posted.` };
    }
    let channel: ChannelPort | undefined;
    let pager: PagerPort | undefined;
    try {
      if (op === 'notify') pager = ports.pager();
      else channel = ports.channel();
    } catch (err) {
      return { kind: 'refused', reason: 'not-configured', summary: `Teams is not usable: ${errorText(err)}` };
    }
    let approvals: ApprovalSettings | undefined;
    try {
      approvals = ports.approvals();
    } catch {
      approvals = undefined;
    }
    const mode: DeliveryMode = (pager ?? channel)?.mode ?? 'local';
    const { reference, rendered, outgoing, links } = prepareMessage(input.message, input.incidentId, input.step, approvals);
    const threadId = 'threadId' in input ? input.threadId : undefined;
    const destination = input.destination;
    const recipients = op === 'notify' && 'recipients' in input ? input.recipients : undefined;

    if (input.mode === 'plan') {
      return {
        kind: 'planned',
        delivery: mode,
        reference,
        headline: rendered.headline,
        text: rendered.text,
        card: rendered.card as unknown as Record<string, unknown>,
        ...(destination ? { destination } : {}),
        ...(recipients ? { recipients } : {}),
        summary:
          `Would ${op === 'reply' ? 'reply in the incident thread' : op === 'notify' ? `notify ${recipients ? recipients.join(', ') : 'the configured recipients'}` : 'post'}` +
          `${op !== 'notify' && destination ? ` in channel ${destination.channelId}` : ''} (${mode}): ${rendered.headline}`,
      };
    }
    if (pager && !pager.canNotify) {
      const who = recipients ? `${recipients.join(', ')} not paged` : 'nobody paged';
      return { kind: 'skipped', reason: 'not-configured', summary: `No activity-feed notifier is configured (TEAMS_APP_CLIENT_ID): ${who}; the channel messages carry the information.` };
    }
    if (now.getTime() >= deadline) {
      return { kind: 'refused', reason: 'deadline', summary: `Not sent: the deadline ${input.deadline} had passed when the step ran.`, attempts: 0, throttled: 0 };
    }

    let possibleDuplicate = false;
    // The deadline is in application time (the orchestration's clock); the adapter's retry loop
    // runs on the real clock, so it gets the remaining budget on that clock (equal in Azure).
    const budget = deadline - now.getTime();
    const send = (): Promise<Delivered> => {
      const options = { deadline: Date.now() + budget, ...(destination ? { destination } : {}) };
      if (pager) return pager.notify(outgoing, { ...options, ...(threadId ? { threadId } : {}), ...(recipients ? { recipients } : {}) });
      if (!channel) throw new Error('unreachable: a post or reply has a channel port');
      return op === 'post' ? channel.post(outgoing, options) : channel.reply(threadId ?? '', outgoing, options);
    };
    const done = (d: Delivered, reconciled: boolean): Extract<TeamsOutcome, { kind: 'done' }> => ({
      kind: 'done',
      delivery: d.mode,
      messageId: d.messageId,
      threadId: d.threadId,
      reference,
      headline: rendered.headline,
      text: rendered.text,
      attempts: d.attempts,
      throttled: d.throttled,
      reconciled,
      possibleDuplicate,
      ...(d.webUrl ? { webUrl: d.webUrl } : {}),
      ...(d.recipients !== undefined ? { recipients: d.recipients } : {}),
      ...(d.undelivered !== undefined ? { undelivered: d.undelivered } : {}),
      ...(d.destination ? { destination: d.destination } : {}),
      ...(d.notified ? { notified: d.notified, unreached: d.unreached ?? [] } : {}),
      ...(links ? { approvalLinksExpireAt: links.expiresAt } : {}),
      summary: reconciled
        ? `Found the ${rendered.kind} message ${d.messageId} from an interrupted attempt ${where(d, op)}; not posted again.`
        : `${WHAT[op]} "${rendered.shortTitle}" ${where(d, op)}` +
          (d.throttled ? `; ${d.throttled} throttled answer(s) waited out` : '') +
          (possibleDuplicate ? '; an earlier attempt was interrupted and could not be checked, so this may be a duplicate' : '') +
          '.',
    });

    try {
      const result = await once<Extract<TeamsOutcome, { kind: 'done' }>>({
        ledger: ports.ledger(),
        key: { incidentId: input.incidentId, step: input.step },
        now: now.toISOString(),
        act: async () => done(await send(), false),
        reconcile: async () => {
          // Searched where this attempt would post: the destination's channel (per destination, so
          // a message of another incident's channel is never taken for this one).
          // Activity-feed notifications cannot be listed back (in channel mode they are not in the
          // channel either): only the local sink can tell whether one went out.
          // (A pager that is the local sink is also its channel: the sink keeps both in one file.)
          const searchable = channel ?? (mode === 'local' ? safe(() => ports.channel()) : undefined);
          const found = !searchable
            ? ('unknown' as const)
            : await searchable.find(reference, op === 'reply' ? threadId : undefined, destination).catch((err: unknown) => {
                ports.warn?.(`Could not search Teams for ${reference}: ${errorText(err)}`);
                return 'unknown' as const;
              });
          if (found === 'unknown') {
            possibleDuplicate = true;
            return undefined;
          }
          return found ? done(found, true) : undefined;
        },
      });
      return result.outcome;
    } catch (err) {
      if (!(err instanceof TeamsDeliveryError)) throw err;
      // Not recorded as the step's outcome: a later attempt of the same step reconciles and retries.
      return {
        kind: 'refused',
        reason: err.failure,
        summary: `Not delivered: ${err.message}`,
        ...(err.details.status !== undefined ? { status: err.details.status } : {}),
        ...(err.details.attempts !== undefined ? { attempts: err.details.attempts } : {}),
        ...(err.details.throttled !== undefined ? { throttled: err.details.throttled } : {}),
      };
    }
  }

  return {
    post: (input: PostInput) => deliver('post', input),
    reply: (input: ReplyInput) => deliver('reply', input),
    notify: (input: NotifyInput) => deliver('notify', input),
  };
}
