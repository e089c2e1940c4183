/**
 * A pager: reaches named people directly (the P1 on-call, the rota's IC / Deputy / SMEs, an
 * escalation step), as opposed to posting where people read (src/ports/channel.ts). Teams'
 * activity feed and the local sink are its adapters today.
 */
import type { Delivered, DeliveryMode, NotifyOptions, OutgoingMessage } from './teams.js';

export interface PagerPort {
  readonly mode: DeliveryMode;
  /** Whether `notify` can reach people (activity feed configured, or the local sink). */
  readonly canNotify: boolean;
  /** A notification to the named people, else the configured people or team. */
  notify(message: OutgoingMessage, options: NotifyOptions): Promise<Delivered>;
}
