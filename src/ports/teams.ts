/**
 * Teams, as the incident automation needs it: start a thread (the declaration), reply in it,
 * notify people, and find a message again after an interrupted attempt. Three adapters:
 * channel messages as a delegated identity (Graph allows channel posts only delegated), activity
 * feed notifications as the app (app-only), and a local sink (console + JSON lines) when Graph is
 * not configured.
 */
import type { AdaptiveCard } from '../domain/messages/adaptive-card.js';
import type { ChannelRef } from '../domain/teams-routing.js';

/** A Teams channel (team GUID + channel id). */
export type ChannelDestination = ChannelRef;

export type DeliveryMode = 'channel' | 'activity' | 'local';

/** A rendered message, ready to send. */
export interface OutgoingMessage {
  /**
   * Client reference (32 hex characters, derived from incident + step): the card's attachment id
   * and the footer text, so that `find` can tell whether an interrupted attempt went through.
   */
  reference: string;
  kind: string;
  incidentId: string;
  /** A few words: the reason line of a feed notification. */
  shortTitle: string;
  /** One line: the runbook sentence (notification text, channel subject). */
  headline: string;
  /** At most 150 characters (activity-feed preview). */
  preview: string;
  /** The whole message as plain text. */
  text: string;
  card: AdaptiveCard;
  importance: 'normal' | 'high';
  /** What an activity-feed notification opens (e.g. the approval page); a channel link otherwise. */
  link?: string;
  /** The activity-feed topic line; default "Incident <incidentId>". */
  topic?: string;
}

export interface DeliveryOptions {
  /** Epoch ms: give up (throttling, outages) once this passes; the incident's timebox. */
  deadline: number;
  /**
   * The channel of the thread (post, reply): the policy's destination. Absent: the app's
   * configured channel (TEAMS_TEAM_ID / TEAMS_CHANNEL_ID). In activity mode: whose members a
   * team/channel notification reaches.
   */
  destination?: ChannelDestination;
}

export interface NotifyOptions extends DeliveryOptions {
  threadId?: string;
  /** Exactly these people (Entra object ids or UPNs); absent: the configured recipients (TEAMS_ACTIVITY_RECIPIENTS). */
  recipients?: readonly string[];
}

export interface Delivered {
  mode: DeliveryMode;
  /** Graph's message id (channel), or a synthetic id for notifications and the sink. */
  messageId: string;
  /** The thread the message belongs to (replies target it); for a declaration, its own id. */
  threadId: string;
  /** Requests sent, including retries. */
  attempts: number;
  /** 429 answers absorbed on the way. */
  throttled: number;
  webUrl?: string;
  /** Notifications: how many recipient calls were made. */
  recipients?: number;
  /** Notifications: recipient calls Graph refused (the others went through). */
  undelivered?: number;
  /** The channel the message went to (channel mode, and the sink when one was named). */
  destination?: ChannelDestination;
  /** Notifications to named people: who was reached, and who Graph refused (with why). */
  notified?: string[];
  unreached?: { recipient: string; reason: string }[];
}

export type FindResult = Delivered | undefined | 'unknown';

export interface TeamsPort {
  readonly mode: DeliveryMode;
  /** Whether `notify` can reach people (activity feed configured, or the local sink). */
  readonly canNotify: boolean;
  /** Starts a thread (the incident declaration); its message id is the thread id. */
  post(message: OutgoingMessage, options: DeliveryOptions): Promise<Delivered>;
  /** Replies in the thread `post` started; keeps the order of calls per channel. */
  reply(threadId: string, message: OutgoingMessage, options: DeliveryOptions): Promise<Delivered>;
  /** An activity-feed notification to the named people, else the configured people or team. */
  notify(message: OutgoingMessage, options: NotifyOptions): Promise<Delivered>;
  /**
   * Finds a message sent earlier with this reference: in the thread when given, else among the
   * channel's recent root messages (of `destination`, else the configured channel). 'unknown' when
   * the target cannot be searched (no permission to read, or notifications, which cannot be listed).
   */
  find(reference: string, threadId?: string, destination?: ChannelDestination): Promise<FindResult>;
}

export type DeliveryFailure =
  /** The deadline passed (throttling or an outage outlasted the timebox). */
  | 'deadline'
  /** Graph refused the request (4xx other than 429): retrying would not help. */
  | 'rejected'
  /** The identity cannot get a token (expired sign-in, missing consent). */
  | 'auth'
  /** This kind of delivery is not configured. */
  | 'not-configured';

/** A delivery that did not happen; `message` is safe to show (no tokens, no secrets). */
export class TeamsDeliveryError extends Error {
  override name = 'TeamsDeliveryError';
  constructor(
    readonly failure: DeliveryFailure,
    message: string,
    readonly details: { status?: number; code?: string; attempts?: number; throttled?: number } = {},
  ) {
    super(message);
  }
}
