/**
 * The postmortem reminder sweep (functions/postmortem-reminders.ts runs it every 15 minutes): for
 * each resolved incident whose postmortem is due (src/domain/postmortem-reminder.ts decides from
 * the summary the orchestration left behind), it claims the reminder on the summary (optimistic
 * concurrency: of two sweeps, one wins), replies "postmortem due" in the incident's Teams thread
 * through the Teams activity handler (step ledger: a message that went out is never sent again,
 * even after a crash between sending and recording), then writes the timeline line and records
 * the outcome on the summary. A refused delivery is tried again hourly, up to a day.
 */
import type { z } from 'zod';
import type { PostTeamsMessage, ReplyTeamsMessage, TeamsOutcome } from '../activities/teams.contracts.js';
import { IncidentMessage } from '../domain/messages/types.js';
import type { IncidentSummary } from '../domain/incident.js';
import { claimReminder, recordReminder, reminderEntry, reminderMessage, reminderStep, type ReminderDelivery } from '../domain/postmortem-reminder.js';
import type { IncidentStore } from '../ports/incident-store.js';
import { errorLine } from '../domain/errors.js';

export interface ReminderDeps {
  store: IncidentStore;
  /** The Teams activities' handlers (src/activities/teams.ts). */
  teams: {
    post(input: z.output<typeof PostTeamsMessage.input>): Promise<TeamsOutcome>;
    reply(input: z.output<typeof ReplyTeamsMessage.input>): Promise<TeamsOutcome>;
  };
  /** The app clock (due dates are compared with it). */
  now: () => Date;
  /** Who the timeline says acted (the policy's bot actor). */
  actor: string;
  /** Reminders per sweep at most (the rest wait for the next one). */
  limit?: number;
}

/** How long one reminder may wait for Teams (Retry-After, 5xx backoff); well inside the claim's lease. */
export const REMINDER_SEND_MS = 2 * 60_000;
/** A sweep stops claiming new reminders after this much real time, so it ends well before the function timeout. */
export const SWEEP_BUDGET_MS = 5 * 60_000;

export interface SweepReport {
  /** Summaries the query returned. */
  due: number;
  sent: string[];
  refused: string[];
  /** Claimed by another sweep, or no longer due. */
  skipped: string[];
  /** One line per incident handled, for the function's log. */
  lines: string[];
}

export async function sweepPostmortemReminders(d: ReminderDeps): Promise<SweepReport> {
  const started = Date.now();
  const due = await d.store.listRemindersDue(d.now().toISOString(), d.limit ?? 50);
  const report: SweepReport = { due: due.length, sent: [], refused: [], skipped: [], lines: [] };
  for (const s of due) {
    if (Date.now() - started > SWEEP_BUDGET_MS) {
      report.lines.push(`Sweep budget spent: ${s.incidentId} and later ones wait for the next sweep.`);
      break;
    }
    try {
      const r = await remind(d, s.incidentId);
      report[r.result].push(s.incidentId);
      report.lines.push(`${s.incidentId}: ${r.line}`);
    } catch (err) {
      // Storage trouble with one incident must not stop the others; its claim expires and the next sweep retries.
      report.lines.push(`${s.incidentId}: the reminder could not be handled: ${errorLine(err)}`);
    }
  }
  return report;
}

async function remind(d: ReminderDeps, incidentId: string): Promise<{ result: 'sent' | 'refused' | 'skipped'; line: string }> {
  const claimedAt = d.now().getTime();
  const claimed = await d.store.updateSummary(incidentId, (s) => claimReminder(s, claimedAt));
  if (!claimed) return { result: 'skipped', line: 'not due, or another sweep has it.' };
  const claim = claimed.postmortem?.reminder;
  if (claim?.state === 'failed') {
    // Earlier sweeps kept failing before they could record an outcome: given up, said once.
    const entry = reminderEntry(claimed, await d.store.getTimeline(incidentId), d.now().getTime(), d.actor);
    if (entry) await d.store.appendTimeline(incidentId, [entry]);
    return { result: 'refused', line: claim.summary };
  }

  const message = IncidentMessage.parse(reminderMessage(claimed, claimedAt));
  const input = { incidentId, step: reminderStep(claim), message, deadline: new Date(claimedAt + REMINDER_SEND_MS).toISOString(), mode: 'execute' as const };
  // The reply goes to the channel the incident's thread is in (the policy's destination, if any).
  const where = claimed.teamsDestination ? { destination: claimed.teamsDestination } : {};
  const out = claimed.teamsThreadId ? await d.teams.reply({ ...input, ...where, threadId: claimed.teamsThreadId }) : await d.teams.post({ ...input, ...where });
  const delivery: ReminderDelivery = out.kind === 'done' ? { kind: 'sent', messageId: out.messageId, summary: out.summary } : { kind: 'refused', summary: out.summary };

  // The timeline first: if recording the outcome then fails, the next sweep finds the message in
  // the ledger and the line on the timeline, and only records.
  const at = d.now().getTime();
  const next = recordReminder(claimed, delivery, at);
  const entry = reminderEntry(next, await d.store.getTimeline(incidentId), at, d.actor);
  if (entry) await d.store.appendTimeline(incidentId, [entry]);
  const stillOurs = (s: IncidentSummary) => s.postmortem?.reminder?.state === 'sending' && s.postmortem.reminder.at === claim?.at;
  await d.store.updateSummary(incidentId, (s) => (stillOurs(s) ? recordReminder(s, delivery, at) : undefined));
  return { result: delivery.kind, line: delivery.summary };
}
