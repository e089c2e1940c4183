/**
 * Teams, as the incident automation needs it: start a thread (the declaration), reply in it,
 * find a message again after an interrupted attempt (the channel port), and page people (the pager
 * port). The message and delivery types here are shared by both ports. Three adapters:
 * channel messages as a delegated identity (Graph allows channel posts only delegated), activity
 * feed notifications as the app (app-only), and a local sink (console + JSON lines) when Graph is
 * not configured.
 */
import type { AdaptiveCard } from '../domain/messages/adaptive-card.js';
import type { ChannelRef } from '../domain/teams-routing.js';
import type { ChannelPort } from './channel.js';
import type { PagerPort } from './pager.js';

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

/**
 * Teams carries both kinds of notification, so its adapters implement both ports: the channel
 * (src/ports/channel.ts) and the pager (src/ports/pager.ts). Code that posts only asks for a
 * ChannelPort, code that pages only for a PagerPort; a new channel is an adapter of one of them.
 */
export type TeamsPort = ChannelPort & PagerPort;

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
