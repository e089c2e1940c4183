/**
 * Teams activities: post a message (the declaration starts the incident thread and returns its
 * id), reply in that thread, and notify people through the activity feed. Each is idempotent per
 * incident + step: a repeated call returns the recorded outcome instead of posting again.
 *
 * Delivery problems are data, not exceptions (`refused` with a reason), so the runbook carries on
 * when Teams is throttling or down: the adapter already retried within `deadline`. Only storage
 * trouble with the step ledger is thrown (and retried by Durable).
 */
import { z } from 'zod';
import { ActionMode } from '../domain/actions.js';
import { IncidentMessage } from '../domain/messages/types.js';
import { ChannelRef, Recipient } from '../domain/teams-routing.js';
import { defineActivity } from './define.js';

const at = z.iso.datetime({ offset: true });

export const DeliveryMode = z.enum(['channel', 'activity', 'local']);

const common = {
  incidentId: z.string().min(1).max(100),
  /** Unique within the incident: "teams/declared", "teams/update/3", "teams/proposal/<id>". */
  step: z.string().min(1).max(200),
  message: IncidentMessage,
  /** Give up by then (throttling, outages): the current timebox of the runbook. */
  deadline: at,
  mode: ActionMode.default('execute'),
  /**
   * The channel (the policy's destination for the incident; for replies, the thread's channel).
   * Absent: the app's configured channel (TEAMS_TEAM_ID / TEAMS_CHANNEL_ID).
   */
  destination: ChannelRef.optional(),
};

const Unreached = z.object({ recipient: z.string(), reason: z.string() });

export const TeamsOutcome = z.discriminatedUnion('kind', [
  /** Plan-only: exactly what would be posted; nothing was sent. */
  z.object({
    kind: z.literal('planned'),
    summary: z.string(),
    delivery: DeliveryMode,
    reference: z.string(),
    headline: z.string(),
    text: z.string(),
    card: z.record(z.string(), z.unknown()),
    destination: ChannelRef.optional(),
    /** Notifications: who would be paged (absent: the configured recipients). */
    recipients: z.array(z.string()).optional(),
  }),
  z.object({
    kind: z.literal('done'),
    summary: z.string(),
    delivery: DeliveryMode,
    /** Graph's message id (channel), or a synthetic one (notifications, local sink). */
    messageId: z.string(),
    /** Replies go here: the declaration's message id. */
    threadId: z.string(),
    /** The client reference carried by the message (attachment id, footer). */
    reference: z.string(),
    headline: z.string(),
    /** The message as plain text (for the evidence pack). */
    text: z.string(),
    attempts: z.number().int().nonnegative(),
    throttled: z.number().int().nonnegative(),
    /** Found in the channel after an interrupted attempt instead of being sent again. */
    reconciled: z.boolean(),
    /** An earlier attempt was interrupted and could not be checked: a duplicate is possible. */
    possibleDuplicate: z.boolean(),
    webUrl: z.string().optional(),
    recipients: z.number().int().nonnegative().optional(),
    undelivered: z.number().int().nonnegative().optional(),
    /** The channel it went to (channel mode; the sink when a destination was named). */
    destination: ChannelRef.optional(),
    /** Notifications to named people: who was reached and who was not (with Graph's answer). */
    notified: z.array(z.string()).optional(),
    unreached: z.array(Unreached).optional(),
    /** Approval links were embedded (containment proposals), expiring at this time. */
    approvalLinksExpireAt: at.optional(),
  }),
  z.object({ kind: z.literal('skipped'), summary: z.string(), reason: z.string() }),
  z.object({
    kind: z.literal('refused'),
    summary: z.string(),
    reason: z.enum(['deadline', 'rejected', 'auth', 'not-configured']),
    status: z.number().int().optional(),
    attempts: z.number().int().nonnegative().optional(),
    throttled: z.number().int().nonnegative().optional(),
  }),
]);
export type TeamsOutcome = z.infer<typeof TeamsOutcome>;

/** Starts the incident thread (or posts any message as a new thread). */
export const PostTeamsMessage = defineActivity({
  name: 'teamsPostMessage',
  input: z.object(common),
  output: TeamsOutcome,
  retry: { firstRetryMs: 5_000, maxAttempts: 3, backoff: 2 },
});

/** Replies in the thread of the declaration (threadId = the declaration's `threadId`). */
export const ReplyTeamsMessage = defineActivity({
  name: 'teamsReplyMessage',
  input: z.object({ ...common, threadId: z.string().min(1).max(300) }),
  output: TeamsOutcome,
  retry: { firstRetryMs: 5_000, maxAttempts: 3, backoff: 2 },
});

/** Activity-feed notification (escalations, on-call for a P1, decision requests to approvers). */
export const NotifyTeams = defineActivity({
  name: 'teamsNotify',
  input: z.object({
    ...common,
    threadId: z.string().min(1).max(300).optional(),
    /** Exactly these people (Entra object ids or UPNs); absent: the configured recipients (TEAMS_ACTIVITY_RECIPIENTS). */
    recipients: z.array(Recipient).min(1).max(100).optional(),
  }),
  output: TeamsOutcome,
  retry: { firstRetryMs: 5_000, maxAttempts: 3, backoff: 2 },
});

export type PostTeamsMessageInput = z.input<typeof PostTeamsMessage.input>;
export type ReplyTeamsMessageInput = z.input<typeof ReplyTeamsMessage.input>;
export type NotifyTeamsInput = z.input<typeof NotifyTeams.input>;
