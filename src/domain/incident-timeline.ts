/**
 * The incident's timeline (the API's, the evidence pack's timeline.json, the postmortem's): each
 * recorded event told in one line, in order. Repeated identical smoke results are one line that
 * counts them ("Smoke checks (verify): red ×12 since 10:02, last 10:24: ..."), rewritten as the run
 * grows: entries are keyed by the sequence number of the event that opened them, so the store
 * (upsert by sequence) and a replay agree. Pure.
 */
import { actorLabel, type Actor } from './actor.js';
import { describeFailure, firstLine } from './failures.js';
import type { TimelineEntry } from './incident.js';
import { applyEvent, detectionOf, FUTURE_FIRED_MS, spanWords, STALE_FIRED_MS, type AlertFacts, type Incident, type IncidentEvent } from './incident-record.js';
import { ROLE_NAMES } from './roles.js';
import { isHigher } from './severity.js';
import { escalationTitle } from './messages/types.js';
import { hhmm, humanDuration, iso } from './time-format.js';


type Line = Omit<TimelineEntry, 'seq' | 'at'>;

/** A further alert whose fired time is far from its receipt says so (kept as evidence, used for nothing). */
function firedNote(a: AlertFacts): string {
  if (a.firedAt === null) return '';
  const lag = a.receivedAt - a.firedAt;
  if (lag > STALE_FIRED_MS) return ` It fired ${spanWords(lag)} before it reached us.`;
  if (-lag > FUTURE_FIRED_MS) return ` It says it fired ${spanWords(lag)} after it reached us.`;
  return '';
}

/** The line for one event (null: nothing worth a line), told with the incident as it was right after it. */
export function lineOf(e: IncidentEvent, s: Incident, bot: string): Line | null {
  const who = (a: Actor | null): string => (a ? actorLabel(a) : bot);
  switch (e.type) {
    case 'declared': {
      const d = detectionOf(s);
      const flag = d.note ? ` The alert ${d.note}: its time is kept as evidence, not used for time to declare.` : '';
      return {
        kind: 'declared',
        actor: who(e.by),
        text: `${e.drill ? 'Drill: ' : ''}${e.severity} incident declared for ${e.service} in ${e.environment}: ${e.summary}${flag ? `.${flag}` : ''}`,
        data: { severity: e.severity, reasons: e.reasons, source: e.source, ...(e.alert ? { alert: { rule: e.alert.rule, firedAt: e.alert.firedAt === null ? null : iso(e.alert.firedAt), receivedAt: iso(e.alert.receivedAt), trusted: d.trusted } } : {}) },
      };
    }
    case 'alert-received':
      return e.alert.condition === 'Resolved'
        ? { kind: 'recovery-signal', actor: 'azure-monitor', text: `Alert "${e.alert.rule}" resolved (a recovery signal, not proof of recovery).` }
        : { kind: 'alert', actor: 'azure-monitor', text: `Further alert "${e.alert.rule}" (${e.alert.level})${isHigher(e.alert.level, s.severity) ? '' : `; the incident stays ${s.severity}`}.${firedNote(e.alert)}` };
    case 'severity-changed': {
      const verb = isHigher(e.to, e.from) ? 'raised' : 'lowered';
      if (e.person) return { kind: 'severity', actor: who(e.person), text: `Severity ${verb} from ${e.from} to ${e.to} by ${who(e.person)}: ${e.reasons[0] ?? ''}`, data: { from: e.from, to: e.to, reasons: e.reasons } };
      return { kind: 'severity', actor: 'azure-monitor', text: `Severity ${verb} from ${e.from} to ${e.to} by alert "${e.by}": ${e.reasons[0] ?? ''}`, data: { from: e.from, to: e.to, reasons: e.reasons } };
    }
    case 'role-assigned':
      return { kind: 'role', actor: who(e.person), text: `${who(e.person)} is ${ROLE_NAMES[e.role]}${e.how === 'rota' ? ' (as the rota names them)' : ''}.`, data: { role: e.role, how: e.how } };
    case 'acknowledged':
      return { kind: 'ack', actor: who(e.by), text: `Acknowledged by ${who(e.by)}${e.role ? ` as ${e.role.toUpperCase()}` : ''}.` };
    case 'noted':
      return { kind: e.by ? 'note' : (e.topic ?? 'runbook'), actor: who(e.by), text: e.text };
    case 'ignored':
      return { kind: 'ignored', actor: e.by ?? bot, text: `Ignored ${e.what}: ${e.why}.` };
    case 'snapshot-taken': {
      const seen = e.seen.length ? `Snapshot: ${e.seen.join('; ')}.` : 'Snapshot: nothing could be read.';
      return { kind: 'runbook', actor: bot, text: `${seen}${e.problems.length ? ` Incomplete: ${e.problems.join('; ')}.` : ''}` };
    }
    case 'proposal-issued':
      return e.why
        ? { kind: 'runbook', actor: bot, text: `${e.why} Proposal ${e.proposalId} (${e.path}) posted again; decision due ${hhmm(e.decisionDueAt)} UTC.` }
        : { kind: 'runbook', actor: bot, text: `Proposed containment: ${e.path} (${e.reasons.join('; ')}).` };
    case 'decided':
      if (!e.by) return { kind: 'runbook', actor: bot, text: e.choice === 'api-to-lkg' ? 'Nobody decided in time: rolling back to the last known good release.' : `Nobody decided in time: ${e.choice}.` };
      return {
        kind: 'decision',
        actor: who(e.by),
        text: `Containment decision: ${e.choice}${e.reason ? ` (${e.reason})` : ''}.${e.why.startsWith('decision by') ? '' : ` ${e.why[0]?.toUpperCase() ?? ''}${e.why.slice(1)}.`}`,
      };
    case 'rollback-requested':
      return { kind: 'rollback-requested', actor: who(e.by), text: `Rollback requested: ${e.reason}` };
    case 'timebox-extended':
      return { kind: 'extend', actor: who(e.by), text: `The ${e.timebox} timebox was extended by ${e.minutes} min${e.reason ? `: ${e.reason}` : '.'}` };
    case 'containment-started': {
      // A rollback may revert flags/config first (nobody decided a P1 whose proposal named them): say so.
      const reverts = e.steps.flatMap((x) => (x.action.kind === 'set-flag' || x.action.kind === 'set-config' ? [x.action.key] : []));
      const verb = reverts.length ? `Reverting ${reverts.join(', ')} and rolling back` : 'Rolling back';
      return e.rollback
        ? { kind: 'runbook', actor: bot, text: `${verb} to the last known good release (${e.why}); recovery due by ${hhmm(e.dueAt)} UTC.` }
        : e.steps.length || e.choice === 'monitor-only'
          ? { kind: 'runbook', actor: bot, text: `Containment ${e.choice}: ${e.steps.length ? `${e.steps.length} step(s)` : 'no change, keep watching'}; checks must be green by ${hhmm(e.dueAt)} UTC.` }
          : { kind: 'runbook', actor: bot, text: `"${e.choice}" has nothing to do here (no matching change or rollback target): the runbook keeps verifying; checks must be green by ${hhmm(e.dueAt)} UTC.` };
    }
    case 'action-completed': {
      const o = e.outcome;
      if (o.kind === 'refused' || o.kind === 'failed') {
        const f = describeFailure(e.action, o.kind, o.summary, o.kind === 'refused' ? o.reason : null, { incidentId: s.id, environment: s.environment });
        return { kind: 'runbook', actor: bot, text: `${e.action}: ${o.kind}: ${f.cause} Next step: ${f.next}` };
      }
      // The target's own id for the operation (ARM operation, audit request), unless the summary names it already.
      const id = o.kind === 'done' && o.executionId && !o.summary.includes(o.executionId) ? ` [execution ${o.executionId}]` : '';
      // Freezes and the LKG record say what they did in their own words.
      if (e.action === 'freeze' || e.action === 'unfreeze' || e.action === 'record-lkg') return { kind: 'runbook', actor: bot, text: `${o.summary}${id}` };
      return { kind: 'runbook', actor: bot, text: `${e.action}: ${o.kind}: ${o.summary}${id}` };
    }
    case 'checks-run': {
      // The snapshot's round is told by the snapshot line.
      if (e.purpose === 'snapshot') return null;
      const st = s.checks.streak;
      const reasons = e.reasons.length ? `: ${e.reasons.slice(0, 3).join('; ')}` : '';
      if (st && st.count > 1) return { kind: 'checks', actor: bot, text: `Smoke checks (${st.purpose}): ${e.verdict} ×${st.count} since ${hhmm(st.since)}, last ${hhmm(st.last)} UTC${reasons}.` };
      return { kind: 'checks', actor: bot, text: `Smoke checks (${e.purpose}): ${e.verdict}${reasons}.` };
    }
    case 'parity-reapplied':
      return { kind: 'runbook', actor: bot, text: `Config parity: critical drift after containment; reapplying the intended value of ${e.keys.join(', ')} through the stored procedures, then checking parity again (attempt ${e.attempt}, RB-02 section 9).`, data: { attempt: e.attempt, keys: e.keys } };
    case 'parity-loop-ended':
      return { kind: 'runbook', actor: bot, text: e.text, data: { outcome: e.outcome, attempts: e.attempts } };
    case 'monitoring-started':
      return { kind: 'runbook', actor: bot, text: `Checks green: monitoring until ${hhmm(e.endsAt)} UTC (${humanDuration((e.endsAt - e.at) / 1000)}); a regression re-opens containment.` };
    case 'monitoring-extended':
      return { kind: 'runbook', actor: bot, text: `Monitoring window extended to ${hhmm(e.endsAt)} UTC: ${e.why}.` };
    case 'monitoring-kept-open':
      return { kind: 'runbook', actor: bot, text: `Monitoring window over, incident kept open: ${e.why}.` };
    case 'signals-read': {
      // A reading that says what the one before said adds no line (the evidence pack keeps each).
      if (s.signals.repeated) return null;
      const parts: string[] = [];
      if (e.recovery) parts.push(e.recovery.summary);
      if (e.flap) parts.push(`Flaps: ${e.flap.text}.`);
      if (e.triage) parts.push(...e.triage.lines.map((l) => (/[.:]$/.test(l) ? l : `${l}.`)));
      if (!parts.length) return null;
      const label = { snapshot: 'at the snapshot', verify: 'verification', monitor: 'monitoring', update: 'for the status update', deadline: 'at the deadline' }[e.purpose];
      return { kind: 'signals', actor: bot, text: `Signals (${label}): ${parts.join(' ')}`.slice(0, 4000), data: { purpose: e.purpose, ...(e.triage ? { requestIds: e.triage.requestIds, topErrorCodes: e.triage.topErrorCodes } : {}) } };
    }
    case 'looked-again':
      return { kind: 'signals', actor: bot, text: e.text };
    case 'regressed':
      return { kind: 'runbook', actor: bot, text: `Regression during the monitoring window (${e.reasons.slice(0, 3).join('; ')}): containment re-opens.` };
    case 'escalated':
      return { kind: 'escalation', actor: bot, text: `Escalated (${escalationTitle(e.reason)}) to ${e.people.join(', ') || 'the chain'}: ${e.text}` };
    case 'message-sent':
      if (!e.delivered && !e.planned) return { kind: 'message', actor: bot, text: `${e.channel === 'status-page' ? 'Status page update' : 'Teams message'} "${e.template}" not delivered: ${firstLine(e.problem ?? 'no reason given')}` };
      return null;
    case 'paged':
      return { kind: 'message', actor: bot, text: `${e.who}: ${e.delivered ? '' : 'not delivered: '}${firstLine(e.summary)}` };
    case 'evidence-located':
      return e.problem ? { kind: 'evidence', actor: bot, text: e.problem } : null;
    case 'resolved':
      return { kind: 'resolved', actor: who(e.by), text: e.by ? `Resolved by ${who(e.by)}${e.summary ? `: ${e.summary}` : '.'}` : `Resolved by the runbook: ${e.why}.` };
    case 'evidence-archived':
      return { kind: 'evidence', actor: bot, text: e.summary };
    case 'follow-ups-read':
      if (e.problem) return { kind: 'evidence', actor: bot, text: e.problem };
      if (!e.ticketUrl && !e.items.length) return null;
      return { kind: 'evidence', actor: bot, text: `Follow-ups for the evidence pack: ${[e.ticketUrl ? `ticket ${e.ticketUrl}` : '', e.items.length ? `${e.items.length} action item(s) people added` : ''].filter(Boolean).join('; ')}.` };
    case 'postmortem-drafted': {
      const owners = [...new Set(e.items.map((i) => i.owner).filter((o): o is string => !!o))];
      return { kind: 'evidence', actor: bot, text: `Postmortem draft: ${e.items.length} action item(s)${owners.length ? `, owners ${owners.join(', ')}` : ''}; track them with POST /api/incidents/${s.id}/actions.` };
    }
    case 'closed':
      return e.problem ? { kind: 'runbook', actor: bot, text: e.problem } : null;
  }
}

/**
 * Builds the timeline as events are recorded, and knows which entries changed since they were
 * last stored (new ones, and a repeated check's line that now counts one more).
 */
export class TimelineBuilder {
  private readonly entries = new Map<number, TimelineEntry>();
  private readonly changed = new Set<number>();

  constructor(private readonly bot: string) {}

  add(e: IncidentEvent, s: Incident): void {
    const line = lineOf(e, s, this.bot);
    if (!line) return;
    const st = s.checks.streak;
    // A repeated check result rewrites the line its run started with (same sequence number, same time).
    const own = e.seq;
    const first = st ? st.seq : -1;
    const seq = e.type === 'checks-run' && st && st.count > 1 && this.entries.has(first) ? first : own;
    const at = seq === own ? e.at : Date.parse(this.entries.get(seq)?.at ?? iso(e.at));
    this.entries.set(seq, { seq, at: iso(at), ...line, text: line.text.slice(0, 4000) });
    this.changed.add(seq);
  }

  /**
   * Every entry, in order. A resumed run holds only the entries since its checkpoint (and those it
   * may still rewrite): the earlier ones are in the incident store, and `earlier` brings them in
   * (an entry held here is the newer).
   */
  all(earlier: readonly TimelineEntry[] = []): TimelineEntry[] {
    const merged = new Map<number, TimelineEntry>();
    for (const e of earlier) merged.set(e.seq, e);
    for (const [seq, e] of this.entries) merged.set(seq, e);
    return [...merged.values()].sort((a, b) => a.seq - b.seq);
  }

  /** Entries new or changed since `stored` was last called. */
  pending(): TimelineEntry[] {
    return [...this.changed].sort((a, b) => a - b).flatMap((seq) => this.entries.get(seq) ?? []);
  }

  stored(entries: readonly TimelineEntry[]): void {
    for (const e of entries) if (this.entries.get(e.seq) === e) this.changed.delete(e.seq);
  }

  /**
   * What the next execution of a long incident needs (see `restore`): the entries not stored yet,
   * and the line a repeated check result may still rewrite (`rewritable`: the streak's first
   * sequence number). The stored ones stay in the incident store, where the API and the evidence
   * pack read them: carrying them would make every replay of a long storm read every alert's line.
   */
  checkpoint(rewritable: number | null): { entries: TimelineEntry[]; unstored: number[] } {
    const kept = [...this.entries.values()].filter((e) => this.changed.has(e.seq) || e.seq === rewritable).sort((a, b) => a.seq - b.seq);
    return { entries: kept, unstored: [...this.changed] };
  }

  /** The builder as `checkpoint` left it (entries not re-derived: they were told from the events when they happened). */
  static restore(bot: string, saved: { entries: readonly TimelineEntry[]; unstored: readonly number[] }): TimelineBuilder {
    const b = new TimelineBuilder(bot);
    for (const e of saved.entries) b.entries.set(e.seq, e);
    for (const seq of saved.unstored) b.changed.add(seq);
    return b;
  }
}

/** The whole timeline from the events alone. */
export function timelineOf(events: readonly IncidentEvent[], bot: string): TimelineEntry[] {
  const b = new TimelineBuilder(bot);
  let s: Incident | null = null;
  for (const e of events) {
    s = applyEvent(s, e);
    b.add(e, s);
  }
  return b.all();
}
