/**
 * Teams over Microsoft Graph: channel messages and threaded replies (delegated identity), and
 * activity-feed notifications (app-only, TeamsActivity.Send). Every request goes through the
 * DeliveryQueue (per-channel order, Graph's rate limits, Retry-After, the caller's deadline) and
 * has a timeout. Responses are validated before use.
 */
import type { Client } from '@microsoft/microsoft-graph-client';
import { z } from 'zod';
import { CARD_CONTENT_TYPE } from '../domain/messages/adaptive-card.js';
import { channelDeepLink, type ActivitySettings } from '../config/teams.js';
import {
  DeadlineExceededError,
  type DeliveryQueue,
  DeliveryRejectedError,
  type Classified,
  type RunResult,
} from './graph-delivery.js';
import { parseRetryAfter } from './http-bounded.js';
import { graphFailure } from './graph-client.js';
import {
  TeamsDeliveryError,
  type ChannelDestination,
  type Delivered,
  type DeliveryOptions,
  type FindResult,
  type NotifyOptions,
  type OutgoingMessage,
  type TeamsPort,
} from '../ports/teams.js';
import type { PagerPort } from '../ports/pager.js';
import { errorText } from '../domain/errors.js';

/** Errors a credential throws when it cannot produce a token at all (not worth retrying). */
const AUTH_ERROR_NAMES = new Set(['DelegatedAuthError', 'AuthenticationError', 'CredentialUnavailableError', 'AggregateAuthenticationError']);

export function classifyGraphError(err: unknown, now: number): Classified {
  const f = graphFailure(err);
  if (f.code && AUTH_ERROR_NAMES.has(f.code)) return { retry: false, status: undefined };
  if (f.status === 429) return { retry: 'throttled', afterMs: parseRetryAfter(f.retryAfter, now), status: 429 };
  if (f.status === 502 || f.status === 503 || f.status === 504) return { retry: 'transient', afterMs: parseRetryAfter(f.retryAfter, now), status: f.status };
  if (f.status !== undefined) return { retry: false, status: f.status };
  // The token endpoint was unreachable: nothing was sent to Graph.
  if (f.code === 'DelegatedTokenUnavailable') return { retry: 'transient', afterMs: undefined, status: undefined };
  // Timeout or dropped connection: the request may have been processed.
  return { retry: 'ambiguous', status: undefined };
}

const ChatMessage = z.object({
  id: z.string().min(1),
  replyToId: z.string().nullish(),
  webUrl: z.string().nullish(),
  body: z.object({ content: z.string().nullish() }).nullish(),
  attachments: z.array(z.object({ id: z.string().nullish() })).nullish(),
});
type ChatMessage = z.infer<typeof ChatMessage>;
const ChatMessageList = z.object({ value: z.array(ChatMessage).max(100) });

function toDeliveryError(err: unknown, what: string): TeamsDeliveryError {
  if (err instanceof TeamsDeliveryError) return err;
  if (err instanceof DeadlineExceededError) {
    return new TeamsDeliveryError('deadline', `${what}: ${err.message}`, { attempts: err.attempts, throttled: err.throttled, status: err.lastStatus });
  }
  if (err instanceof DeliveryRejectedError) {
    const f = graphFailure(err.reason);
    const auth = f.status === 401 || (f.code !== undefined && AUTH_ERROR_NAMES.has(f.code));
    const detail = f.status ? `Graph answered ${f.status}${f.code ? ` ${f.code}` : ''}: ${f.message}` : `${f.code ?? 'error'}: ${f.message}`;
    return new TeamsDeliveryError(auth ? 'auth' : 'rejected', `${what}: ${detail}${f.requestId ? ` (request-id ${f.requestId})` : ''}`, {
      status: f.status,
      code: f.code,
      attempts: err.attempts,
      throttled: err.throttled,
    });
  }
  return new TeamsDeliveryError('rejected', `${what}: ${errorText(err)}`);
}

/** The Graph request body of a channel message carrying an Adaptive Card. */
export function chatMessageBody(message: OutgoingMessage): Record<string, unknown> {
  return {
    importance: message.importance,
    body: { contentType: 'html', content: `<attachment id="${message.reference}"></attachment>` },
    attachments: [
      {
        id: message.reference,
        contentType: CARD_CONTENT_TYPE,
        contentUrl: null,
        content: JSON.stringify(message.card),
        name: null,
        thumbnailUrl: null,
      },
    ],
  };
}

function carries(m: ChatMessage, reference: string): boolean {
  return (m.attachments ?? []).some((a) => a.id === reference) || (m.body?.content ?? '').includes(`id="${reference}"`);
}

export interface GraphTeamsDeps {
  client: Client;
  queue: DeliveryQueue;
  /** Upper bound of one Graph request. */
  timeoutMs: number;
  now?: () => number;
}

export class GraphChannelTeams implements TeamsPort {
  readonly mode = 'channel' as const;
  private readonly now: () => number;

  constructor(
    private readonly deps: GraphTeamsDeps,
    /** The app's configured channel: where a message without a destination goes. */
    private readonly target: ChannelDestination,
    /** Activity-feed notifier for `notify`, when app-only settings are present too. */
    private readonly notifier?: PagerPort,
  ) {
    this.now = deps.now ?? Date.now;
  }

  get canNotify(): boolean {
    return this.notifier !== undefined;
  }

  /** The channel a call addresses: its Graph path, and its delivery lane (one FIFO per real channel). */
  private channel(destination: ChannelDestination | undefined): { target: ChannelDestination; path: string; lane: string } {
    const target = destination ?? this.target;
    return {
      target,
      path: `/teams/${encodeURIComponent(target.teamId)}/channels/${encodeURIComponent(target.channelId)}`,
      lane: `channel:${target.teamId}/${target.channelId}`,
    };
  }

  post(message: OutgoingMessage, options: DeliveryOptions): Promise<Delivered> {
    return this.send(message, options, undefined);
  }

  reply(threadId: string, message: OutgoingMessage, options: DeliveryOptions): Promise<Delivered> {
    return this.send(message, options, threadId);
  }

  notify(message: OutgoingMessage, options: NotifyOptions): Promise<Delivered> {
    if (!this.notifier) {
      return Promise.reject(new TeamsDeliveryError('not-configured', 'Activity-feed notifications are not configured (TEAMS_APP_CLIENT_ID).'));
    }
    return this.notifier.notify(message, options);
  }

  private async send(message: OutgoingMessage, options: DeliveryOptions, threadId: string | undefined): Promise<Delivered> {
    const what = threadId ? `Reply in thread ${threadId}` : 'Channel message';
    const ch = this.channel(options.destination);
    const path = threadId ? `${ch.path}/messages/${encodeURIComponent(threadId)}/replies` : `${ch.path}/messages`;
    let result: RunResult<ChatMessage>;
    try {
      result = await this.deps.queue.run(
        ch.lane,
        async ({ signal }) => ChatMessage.parse(await this.deps.client.api(path).option('signal', signal).post(chatMessageBody(message))),
        {
          deadline: options.deadline,
          timeoutMs: this.deps.timeoutMs,
          tenantGate: true,
          classify: (err) => classifyGraphError(err, this.now()),
          reconcile: async () => {
            const found = await this.search(message.reference, threadId, ch.target).catch(() => 'unknown' as const);
            return typeof found === 'object' ? found : undefined;
          },
        },
      );
    } catch (err) {
      throw toDeliveryError(err, what);
    }
    const m = result.value;
    return {
      mode: 'channel',
      messageId: m.id,
      threadId: threadId ?? m.replyToId ?? m.id,
      attempts: result.attempts,
      throttled: result.throttled,
      destination: ch.target,
      ...(m.webUrl ? { webUrl: m.webUrl } : {}),
    };
  }

  find(reference: string, threadId?: string, destination?: ChannelDestination): Promise<FindResult> {
    const target = this.channel(destination).target;
    return this.search(reference, threadId, target).then((found) =>
      found === 'unknown'
        ? 'unknown'
        : found
          ? { mode: 'channel' as const, messageId: found.id, threadId: threadId ?? found.id, attempts: 0, throttled: 0, destination: target, ...(found.webUrl ? { webUrl: found.webUrl } : {}) }
          : undefined,
    );
  }

  /** One page of the most recent messages (or replies): bounded, enough right after an attempt. */
  private async search(reference: string, threadId: string | undefined, target: ChannelDestination): Promise<ChatMessage | undefined | 'unknown'> {
    const base = this.channel(target).path;
    const path = threadId ? `${base}/messages/${encodeURIComponent(threadId)}/replies` : `${base}/messages`;
    try {
      const page = ChatMessageList.parse(
        await this.deps.client.api(path).query({ $top: '50' }).option('signal', AbortSignal.timeout(this.deps.timeoutMs)).get(),
      );
      return page.value.find((m) => carries(m, reference));
    } catch (err) {
      const f = graphFailure(err);
      // No ChannelMessage.Read.All consent: the channel cannot be searched.
      if (f.status === 401 || f.status === 403) return 'unknown';
      throw err;
    }
  }
}

export class GraphActivityTeams implements TeamsPort {
  readonly mode = 'activity' as const;
  readonly canNotify = true;
  private readonly now: () => number;

  constructor(
    private readonly deps: GraphTeamsDeps,
    private readonly settings: ActivitySettings,
  ) {
    this.now = deps.now ?? Date.now;
  }

  post(message: OutgoingMessage, options: DeliveryOptions): Promise<Delivered> {
    return this.notify(message, options);
  }

  reply(threadId: string, message: OutgoingMessage, options: DeliveryOptions): Promise<Delivered> {
    return this.notify(message, { ...options, threadId });
  }

  /** Notifications cannot be listed back: after an interrupted attempt a duplicate is possible. */
  find(): Promise<FindResult> {
    return Promise.resolve('unknown');
  }

  private body(message: OutgoingMessage, recipient: Record<string, unknown> | undefined, destination: ChannelDestination | undefined): Record<string, unknown> {
    // What the notification opens: the message's own link (an approval page), else the incident's channel.
    const webUrl = message.link ?? (destination ? channelDeepLink(this.settings.tenantId, destination.teamId, destination.channelId) : this.settings.webUrl);
    return {
      topic: { source: 'text', value: (message.topic ?? `Incident ${message.incidentId}`).slice(0, 100), webUrl },
      activityType: 'systemDefault',
      previewText: { content: message.preview },
      templateParameters: [{ name: 'systemDefaultText', value: message.shortTitle }],
      ...(recipient ? { recipient } : {}),
      ...(this.settings.teamsAppId ? { teamsAppId: this.settings.teamsAppId } : {}),
    };
  }

  /** One call per person (Graph takes an object id or a UPN in the path), or one for a team/channel. */
  private calls(message: OutgoingMessage, options: NotifyOptions): { path: string; body: Record<string, unknown>; user?: string }[] {
    const people = options.recipients ?? (this.settings.recipients.kind === 'users' ? this.settings.recipients.users : undefined);
    if (people) {
      return people.map((user) => ({
        path: `/users/${encodeURIComponent(user)}/teamwork/sendActivityNotification`,
        body: this.body(message, undefined, options.destination),
        user,
      }));
    }
    // The incident's destination replaces the configured team/channel.
    const teamId = options.destination?.teamId ?? this.settings.teamId;
    const channelId = options.destination?.channelId ?? this.settings.channelId;
    const path = `/teams/${encodeURIComponent(teamId ?? '')}/sendActivityNotification`;
    const recipient =
      this.settings.recipients.kind === 'channel'
        ? { '@odata.type': 'microsoft.graph.channelMembersNotificationRecipient', teamId, channelId }
        : { '@odata.type': 'microsoft.graph.teamMembersNotificationRecipient', teamId };
    return [{ path, body: this.body(message, recipient, options.destination) }];
  }

  async notify(message: OutgoingMessage, options: NotifyOptions): Promise<Delivered> {
    const calls = this.calls(message, options);
    let attempts = 0;
    let throttled = 0;
    const notified: string[] = [];
    const unreached: { recipient: string; reason: string }[] = [];
    let firstError: TeamsDeliveryError | undefined;
    for (const [i, call] of calls.entries()) {
      try {
        const r = await this.deps.queue.run(
          'activity',
          async ({ signal }) => {
            await this.deps.client.api(call.path).option('signal', signal).post(call.body);
          },
          { deadline: options.deadline, timeoutMs: this.deps.timeoutMs, tenantGate: false, classify: (err) => classifyGraphError(err, this.now()) },
        );
        attempts += r.attempts;
        throttled += r.throttled;
        notified.push(call.user ?? call.path);
      } catch (err) {
        const e = toDeliveryError(err, `Activity notification (${call.path})`);
        attempts += e.details.attempts ?? 0;
        throttled += e.details.throttled ?? 0;
        firstError ??= e;
        if (call.user) unreached.push({ recipient: call.user, reason: e.details.status ? `HTTP ${e.details.status}${e.details.code ? ` ${e.details.code}` : ''}` : e.failure });
        // Out of time, or the app cannot send at all: the other recipients would fail the same way.
        if (e.failure === 'deadline' || e.failure === 'auth') {
          for (const rest of calls.slice(i + 1)) if (rest.user) unreached.push({ recipient: rest.user, reason: `not tried (${e.failure})` });
          break;
        }
      }
    }
    if (notified.length === 0 && firstError) throw firstError;
    const messageId = `activity:${message.reference}`;
    const named = calls.some((c) => c.user !== undefined);
    return {
      mode: 'activity',
      messageId,
      threadId: options.threadId ?? messageId,
      attempts,
      throttled,
      recipients: notified.length,
      ...(notified.length < calls.length ? { undelivered: calls.length - notified.length } : {}),
      ...(named ? { notified, unreached } : {}),
      ...(options.destination ? { destination: options.destination } : {}),
    };
  }
}
