/**
 * The postmortem reminder (DESIGN section 3 step 9, RB-03 section 11): on the day the postmortem is
 * due, the incident's Teams thread gets a "postmortem due" reply linking to the draft in the
 * evidence pack. The incident orchestration has closed days before, so the reminder works from
 * the incident summary it left behind (due date, thread, evidence links): this module decides
 * whether a summary needs a reminder, claims it for one sweep, builds the message and records the
 * outcome. Pure: time is passed in.
 *
 * The due date is a date (the draft and the resolution message say "due 2026-01-21 (Wed)"), so the
 * reminder goes out from 00:00 UTC of that day, and "overdue" means that day has passed (a sweep
 * that ran late, after an outage of the app). It is repeated from 00:00 UTC of each following
 * business day (Monday to Friday) until the postmortem is marked done through the incident API
 * (`postmortem-done`, which sets `postmortem.doneAt`). Drills never remind.
 */
import type { IncidentSummary, ReminderRecord, TimelineEntry } from './incident.js';
import type { IncidentMessageInput } from './messages/types.js';
import { addBusinessDays } from './timeboxes.js';

/** The step (ledger key, message reference) of the reminder: one per incident. */
export const REMINDER_STEP = 'teams/postmortem-due';
/** A claim this old is from a sweep that died: the next sweep takes over (the step ledger then finds a message already sent). */
export const REMINDER_LEASE_MS = 10 * 60_000;
/** After a refused delivery (Teams throttling, an expired sign-in), the next attempt comes this much later... */
export const REMINDER_RETRY_MS = 60 * 60_000;
/** ...at most this many attempts in all (a day of hourly tries), then the timeline says it gave up. */
export const REMINDER_MAX_ATTEMPTS = 24;
/** The timeline entry kind of reminder events. */
export const REMINDER_ENTRY = 'postmortem-reminder';

const iso = (ms: number): string => new Date(ms).toISOString();
const dayOf = (ms: number): string => iso(ms).slice(0, 10);

/** 00:00 UTC of the due date: when the reminder goes out. */
export function reminderFrom(dueAt: string): string {
  return `${dayOf(Date.parse(dueAt))}T00:00:00.000Z`;
}

/** The due date (UTC) is over. */
export function postmortemOverdue(dueAt: string, now: number): boolean {
  return dayOf(now) > dayOf(Date.parse(dueAt));
}

/** 00:00 UTC of the business day after `at`: when a reminder that went out (or was given up on) is repeated. */
export function nextReminderDay(at: string): string {
  return `${dayOf(addBusinessDays(Date.parse(at), 1))}T00:00:00.000Z`;
}

/** When a sweep should next look at this incident; null: never (open, a drill, no due date, or the postmortem is done). */
export function reminderCheckAt(s: IncidentSummary): string | null {
  const p = s.postmortem;
  if (s.drill || s.status !== 'resolved' || !p || p.doneAt) return null;
  const r = p.reminder;
  if (!r) return reminderFrom(p.dueAt);
  if (r.state === 'sending') return iso(Date.parse(r.at) + REMINDER_LEASE_MS);
  if (r.state === 'retry') return r.nextAttemptAt;
  // Sent, or given up on for the day: again the next business day, until the postmortem is done.
  return nextReminderDay(r.at);
}

/** The Teams step of a reminder (ledger key, message reference): the first keeps the original key, each repeat its own. */
export function reminderStep(r: Pick<ReminderRecord, 'round'> | null | undefined): string {
  const round = r?.round ?? 1;
  return round <= 1 ? REMINDER_STEP : `${REMINDER_STEP}/${round}`;
}

/** The summary with this sweep's claim on the reminder, or undefined when it is not (or no longer) due. */
export function claimReminder(s: IncidentSummary, now: number): IncidentSummary | undefined {
  const at = reminderCheckAt(s);
  if (at === null || Date.parse(at) > now || !s.postmortem) return undefined;
  const prev = s.postmortem.reminder;
  // A new business day after one went out (or was given up on): the next reminder, counted afresh.
  const fresh = !prev || prev.state === 'sent' || prev.state === 'failed';
  const round = prev ? (fresh ? prev.round + 1 : prev.round) : 1;
  const attempts = (fresh ? 0 : prev.attempts) + 1;
  // A claim whose sweep threw (storage, a message that would not build) is claimed again after the
  // lease: that counts as an attempt too, so it gives up like a refusal does, not never.
  if (attempts > REMINDER_MAX_ATTEMPTS) {
    const failed: ReminderRecord = { state: 'failed', at: iso(now), attempts: attempts - 1, messageId: null, summary: `Gave up after ${attempts - 1} attempts that did not finish.`, nextAttemptAt: null, round };
    return { ...s, postmortem: { ...s.postmortem, reminder: failed } };
  }
  const reminder: ReminderRecord = { state: 'sending', at: iso(now), attempts, messageId: null, summary: `Sending the postmortem reminder${round > 1 ? ` #${round}` : ''} (attempt ${attempts}).`, nextAttemptAt: null, round };
  return { ...s, postmortem: { ...s.postmortem, reminder } };
}

export type ReminderDelivery = { kind: 'sent'; messageId: string; summary: string } | { kind: 'refused'; summary: string };

/** The summary with the outcome of this sweep's attempt. */
export function recordReminder(s: IncidentSummary, d: ReminderDelivery, now: number): IncidentSummary {
  if (!s.postmortem) return s;
  const attempts = s.postmortem.reminder?.attempts ?? 1;
  const round = s.postmortem.reminder?.round ?? 1;
  const summary = d.summary.slice(0, 1000);
  const reminder: ReminderRecord =
    d.kind === 'sent'
      ? { state: 'sent', at: iso(now), attempts, messageId: d.messageId, summary, nextAttemptAt: null, round }
      : attempts >= REMINDER_MAX_ATTEMPTS
        ? { state: 'failed', at: iso(now), attempts, messageId: null, summary, nextAttemptAt: null, round }
        : { state: 'retry', at: iso(now), attempts, messageId: null, summary, nextAttemptAt: iso(now + REMINDER_RETRY_MS), round };
  return { ...s, postmortem: { ...s.postmortem, reminder } };
}

/** The "postmortem due" message for a summary (due date, draft link, overdue when the day has passed). */
export function reminderMessage(s: IncidentSummary, now: number): IncidentMessageInput {
  const dueAt = s.postmortem?.dueAt ?? s.resolvedAt ?? s.updatedAt;
  const draftUrl = s.evidence?.postmortemUrl;
  return {
    kind: 'postmortem-due',
    incidentId: s.incidentId,
    environment: s.environment,
    service: s.service,
    severity: s.severity,
    resolvedAt: s.resolvedAt ?? s.updatedAt,
    dueAt,
    ...(draftUrl && /^https?:\/\//.test(draftUrl) ? { draftUrl } : {}),
    overdue: postmortemOverdue(dueAt, now),
  };
}

/**
 * The timeline line for what an attempt did, or null when nothing new is worth a line (refusals
 * after the first: the summary counts the attempts). `existing` is the incident's timeline: a
 * line already there (written by a sweep that died before recording its outcome) is not repeated.
 */
export function reminderEntry(s: IncidentSummary, existing: readonly TimelineEntry[], now: number, actor: string): TimelineEntry | null {
  const r = s.postmortem?.reminder;
  if (!s.postmortem || !r || r.state === 'sending') return null;
  // One line per state and reminder: the first refusal, the reminder sent, giving up.
  if (existing.some((e) => e.kind === REMINDER_ENTRY && e.data?.state === r.state && (e.data.round ?? 1) === r.round)) return null;
  const due = dayOf(Date.parse(s.postmortem.dueAt));
  const draft = s.evidence?.postmortemUrl ? ` Draft: ${s.evidence.postmortemUrl}` : '';
  const again = r.round > 1 ? ` (reminder #${r.round}: not marked done yet; again each business day until it is)` : '';
  const text =
    r.state === 'sent'
      ? `Postmortem due ${due}: reminder posted in the incident's Teams thread${again}. ${r.summary}${draft}`
      : r.state === 'retry'
        ? `Postmortem due ${due}: the reminder was not delivered (${r.summary}); trying again every ${REMINDER_RETRY_MS / 60_000} min, at most ${REMINDER_MAX_ATTEMPTS} times.`
        : `Postmortem due ${due}: gave up on the reminder after ${r.attempts} attempts (${r.summary}). Remind the owner by hand.${draft}`;
  const seq = existing.reduce((max, e) => Math.max(max, e.seq), -1) + 1;
  return { seq, at: iso(now), kind: REMINDER_ENTRY, actor, text: text.slice(0, 4000), data: { state: r.state, attempts: r.attempts, messageId: r.messageId, round: r.round } };
}
