/** The postmortem reminder's rules, from an incident summary: when, who claims it, what it says, what it records. */
import { describe, expect, it } from 'vitest';
import { IncidentSummary, type TimelineEntry } from '../../src/domain/incident.js';
import { IncidentMessage } from '../../src/domain/messages/types.js';
import { renderMessage } from '../../src/domain/messages/render.js';
import {
  nextReminderDay,
  reminderStep,
  claimReminder,
  postmortemOverdue,
  recordReminder,
  reminderCheckAt,
  reminderEntry,
  reminderFrom,
  reminderMessage,
  REMINDER_LEASE_MS,
  REMINDER_MAX_ATTEMPTS,
  REMINDER_RETRY_MS,
} from '../../src/domain/postmortem-reminder.js';
import { RESOLVED_DUE, resolvedSummary } from '../harness/summaries.js';

const MIN = 60_000;
// Resolved Friday 2026-11-20 10:00 UTC -> due Wednesday 2026-11-25 (3 business days).
const DUE = RESOLVED_DUE;

const summary = (over: Partial<IncidentSummary> = {}): IncidentSummary => resolvedSummary('inc-prod-admin-api-1', over);

describe('when a reminder is due', () => {
  it('from 00:00 UTC of the due date, for resolved real incidents with a due date only', () => {
    expect(reminderFrom(DUE)).toBe('2026-11-25T00:00:00.000Z');
    expect(reminderCheckAt(summary())).toBe('2026-11-25T00:00:00.000Z');
    expect(reminderCheckAt(summary({ drill: true }))).toBeNull();
    expect(reminderCheckAt(summary({ status: 'open', resolvedAt: null }))).toBeNull();
    expect(reminderCheckAt(summary({ postmortem: null }))).toBeNull();
    // An old summary without the new fields still parses, and needs nothing.
    const { teamsThreadId: _t, evidence: _e, postmortem: _p, ...old } = summary();
    expect(reminderCheckAt(IncidentSummary.parse(old))).toBeNull();
  });

  it('is claimed once: a second claim is refused until the lease of a dead sweep runs out', () => {
    const at = Date.parse('2026-11-25T00:15:00Z');
    expect(claimReminder(summary(), Date.parse('2026-11-24T23:59:59Z'))).toBeUndefined();
    const claimed = claimReminder(summary(), at);
    expect(claimed?.postmortem?.reminder).toMatchObject({ state: 'sending', attempts: 1, at: '2026-11-25T00:15:00.000Z' });
    expect(claimReminder(claimed as IncidentSummary, at + 5 * MIN)).toBeUndefined();
    expect(claimReminder(claimed as IncidentSummary, at + REMINDER_LEASE_MS)?.postmortem?.reminder).toMatchObject({ state: 'sending', attempts: 2 });
  });

  it('gives up on a reminder whose sweeps keep dying before they record anything (claims count as attempts)', () => {
    let s = summary();
    let at = Date.parse('2026-11-25T00:00:00Z');
    for (let i = 1; i <= REMINDER_MAX_ATTEMPTS; i++) {
      s = claimReminder(s, at) as IncidentSummary;
      expect(s.postmortem?.reminder).toMatchObject({ state: 'sending', attempts: i });
      at += REMINDER_LEASE_MS; // the sweep died: its lease runs out
    }
    const last = claimReminder(s, at);
    expect(last?.postmortem?.reminder).toMatchObject({ state: 'failed', attempts: REMINDER_MAX_ATTEMPTS });
    // Given up for that day: tried afresh the next business day (the postmortem is still not done).
    expect(reminderCheckAt(last as IncidentSummary)).toBe('2026-11-26T00:00:00.000Z');
  });

  it('once sent, is repeated each business day until the postmortem is marked done; a refusal is retried hourly, then given up for the day', () => {
    const at = Date.parse('2026-11-25T00:15:00Z'); // a Wednesday
    const sent = recordReminder(claimReminder(summary(), at) as IncidentSummary, { kind: 'sent', messageId: 'm-1', summary: 'Replied.' }, at);
    expect(sent.postmortem?.reminder).toMatchObject({ state: 'sent', messageId: 'm-1', attempts: 1, round: 1 });
    expect(reminderStep(sent.postmortem?.reminder)).toBe('teams/postmortem-due');
    expect(reminderCheckAt(sent)).toBe('2026-11-26T00:00:00.000Z');
    expect(claimReminder(sent, Date.parse('2026-11-25T23:59:59Z'))).toBeUndefined();
    const second = recordReminder(claimReminder(sent, Date.parse('2026-11-26T00:05:00Z')) as IncidentSummary, { kind: 'sent', messageId: 'm-2', summary: 'Replied.' }, Date.parse('2026-11-26T00:05:00Z'));
    expect(second.postmortem?.reminder).toMatchObject({ state: 'sent', messageId: 'm-2', attempts: 1, round: 2 });
    expect(reminderStep(second.postmortem?.reminder)).toBe('teams/postmortem-due/2');
    // Thursday's reminder is followed by Friday's; Friday's by Monday's (business days only).
    expect(reminderCheckAt(second)).toBe('2026-11-27T00:00:00.000Z');
    expect(nextReminderDay('2026-11-27T00:05:00.000Z')).toBe('2026-11-30T00:00:00.000Z');
    const done: IncidentSummary = { ...second, postmortem: second.postmortem ? { ...second.postmortem, doneAt: '2026-11-26T10:00:00.000Z' } : null };
    expect(reminderCheckAt(done)).toBeNull();
    expect(claimReminder(done, at + 30 * 24 * 60 * MIN)).toBeUndefined();

    let s = summary();
    let now = at;
    for (let i = 1; i < REMINDER_MAX_ATTEMPTS; i++) {
      s = recordReminder(claimReminder(s, now) as IncidentSummary, { kind: 'refused', summary: 'Not delivered: Graph answered 503' }, now);
      expect(s.postmortem?.reminder).toMatchObject({ state: 'retry', attempts: i });
      expect(claimReminder(s, now + REMINDER_RETRY_MS - 1)).toBeUndefined();
      now += REMINDER_RETRY_MS;
    }
    s = recordReminder(claimReminder(s, now) as IncidentSummary, { kind: 'refused', summary: 'Not delivered: Graph answered 503' }, now);
    expect(s.postmortem?.reminder).toMatchObject({ state: 'failed', attempts: REMINDER_MAX_ATTEMPTS });
    expect(reminderCheckAt(s)).toBe(nextReminderDay(s.postmortem?.reminder?.at ?? ''));
  });
});

describe('the reminder message', () => {
  it('is a valid "postmortem due" card with the draft link; overdue only once the due date has passed', () => {
    const onTheDay = IncidentMessage.parse(reminderMessage(summary(), Date.parse('2026-11-25T23:59:00Z')));
    expect(onTheDay).toMatchObject({ kind: 'postmortem-due', dueAt: DUE, overdue: false, draftUrl: summary().evidence?.postmortemUrl });
    const text = renderMessage(onTheDay, { reference: 'ref' }).text;
    expect(text).toContain('📝 Postmortem due 2026-11-25 (Wed) — P1 Prod — admin-api');
    expect(text).toContain(`Open draft: ${summary().evidence?.postmortemUrl ?? ''}`);
    const late = IncidentMessage.parse(reminderMessage(summary(), Date.parse('2026-11-26T00:00:00Z')));
    expect(late.kind === 'postmortem-due' && late.overdue).toBe(true);
    expect(renderMessage(late, { reference: 'ref' }).headline).toContain('Postmortem OVERDUE (was due 2026-11-25 (Wed))');
    expect(postmortemOverdue(DUE, Date.parse('2026-11-25T10:00:01Z'))).toBe(false);
  });

  it('leaves the link out when the pack has no address people can open', () => {
    const s = summary({ evidence: null });
    expect(IncidentMessage.parse(reminderMessage(s, Date.parse('2026-11-25T01:00:00Z')))).not.toHaveProperty('draftUrl');
  });
});

describe('the timeline line', () => {
  const at = Date.parse('2026-11-25T00:15:00Z');
  const timeline: TimelineEntry[] = [
    { seq: 0, at: '2026-11-20T08:00:00.000Z', kind: 'declared', actor: 'azure-monitor', text: 'declared' },
    { seq: 7, at: '2026-11-20T10:00:00.000Z', kind: 'resolved', actor: 'riley', text: 'resolved' },
  ];

  it('says what happened, after the last entry, once per outcome', () => {
    const sent = recordReminder(claimReminder(summary(), at) as IncidentSummary, { kind: 'sent', messageId: 'm-1', summary: 'Replied in the incident thread.' }, at);
    const line = reminderEntry(sent, timeline, at, 'incident-bot');
    expect(line).toMatchObject({ seq: 8, kind: 'postmortem-reminder', actor: 'incident-bot', data: { state: 'sent', messageId: 'm-1' } });
    expect(line?.text).toContain('Postmortem due 2026-11-25: reminder posted');
    expect(line?.text).toContain('postmortem.md');
    expect(reminderEntry(sent, [...timeline, line as TimelineEntry], at, 'incident-bot')).toBeNull();
  });

  it('notes the first refusal and giving up, not every retry in between', () => {
    const first = recordReminder(claimReminder(summary(), at) as IncidentSummary, { kind: 'refused', summary: 'Teams is not usable' }, at);
    const line = reminderEntry(first, timeline, at, 'incident-bot') as TimelineEntry;
    expect(line.text).toContain('not delivered (Teams is not usable); trying again every 60 min');
    const second = recordReminder(claimReminder(first, at + REMINDER_RETRY_MS) as IncidentSummary, { kind: 'refused', summary: 'Teams is not usable' }, at + REMINDER_RETRY_MS);
    expect(reminderEntry(second, [...timeline, line], at, 'incident-bot')).toBeNull();
    const failed = { ...second, postmortem: { ...second.postmortem!, reminder: { ...second.postmortem!.reminder!, state: 'failed' as const } } };
    expect(reminderEntry(failed, [...timeline, line], at, 'incident-bot')?.text).toContain('gave up on the reminder');
  });
});
