/**
 * A channel: where incident messages are posted for people to read (the incident thread, the
 * release channel, the stakeholder channel). Post a message (a new thread), reply in a thread, and
 * find a message again by its client reference after an interrupted attempt, so that every post
 * is made once per step. Teams channel messages, the activity feed standing in for a channel, and
 * the local sink are its adapters today (src/adapters/graph-teams.ts, teams-sink.ts).
 */
import type { ChannelDestination, Delivered, DeliveryMode, DeliveryOptions, FindResult, OutgoingMessage } from './teams.js';

export interface ChannelPort {
  readonly mode: DeliveryMode;
  /** Starts a thread (the incident declaration); its message id is the thread id. */
  post(message: OutgoingMessage, options: DeliveryOptions): Promise<Delivered>;
  /** Replies in the thread `post` started; keeps the order of calls per channel. */
  reply(threadId: string, message: OutgoingMessage, options: DeliveryOptions): Promise<Delivered>;
  /**
   * Finds a message sent earlier with this reference: in the thread when given, else among the
   * channel's recent root messages (of `destination`, else the configured channel). 'unknown' when
   * the target cannot be searched (no permission to read, or notifications, which cannot be listed).
   */
  find(reference: string, threadId?: string, destination?: ChannelDestination): Promise<FindResult>;
}
