/**
 * What people outside the incident thread are told, derived from the one incident record (pure):
 *
 *   - the stakeholders' summary: where it stands, what is affected since when, what was done, when
 *     the next summary comes (README "Communications");
 *   - the status page: a public status (investigating, identified, monitoring, resolved) and a
 *     short message without internal details (no alert text, hosts, releases or people), redacted
 *     all the same, since what goes out cannot be taken back;
 *   - the customer message draft for the evidence pack: a person reviews and sends it.
 *
 * Nothing is invented: an impact still going on has no end time, a window not known is said to be
 * unknown, and "resolved" is only said once the record says so.
 */
import { plainStep } from './action-table.js';
import { momentsOf, releaseOf, type Incident } from './incident-record.js';
import type { MessageKind, StakeholderSummaryMessage } from './messages/types.js';
import { clip } from './failures.js';
import { redactText } from './redact.js';
import { iso, hhmm } from './time-format.js';

/** Affected areas in words a person outside engineering understands. */
const PLAIN_IMPACT: Record<string, string> = { api: 'the API', web: 'the website', jobs: 'background jobs', sse: 'live updates', db: 'stored data' };

export function plainImpact(s: Incident): string[] {
  const areas = s.impact.length ? s.impact : ['api'];
  return [...new Set(areas.map((a) => PLAIN_IMPACT[a] ?? a))].slice(0, 10);
}

/** When the impact started (detection when believed, else the declaration) and ended (recovery, else the resolution; null while it lasts). */
export function impactWindow(s: Incident): { since: number; until: number | null } {
  const m = momentsOf(s);
  return { since: m.detected !== null && m.detected <= m.declared ? m.detected : m.declared, until: m.recovered ?? m.resolved };
}

/** Where the incident stands, in plain words. */
export function plainStatus(s: Incident): string {
  switch (s.phase) {
    case 'declared':
    case 'deciding':
      return 'Investigating';
    case 'containing':
      return 'A fix is being applied';
    case 'verifying':
      return 'A fix was applied; checking that the service has recovered';
    case 'monitoring':
      return 'Recovered; being watched before the incident is closed';
    default:
      return 'Resolved';
  }
}

/** What was done, one line each: the containment steps that went through, and the deploy freeze. */
export function doneSoFar(s: Incident): string[] {
  const out: string[] = [];
  if (s.actions.some((a) => a.action === 'freeze' && a.outcome.kind === 'done')) out.push(`Paused deployments to ${s.environment}${s.frozen ? '' : ' (resumed since)'}`);
  for (const c of s.containments) for (const st of c.steps) if (st.outcome === 'done') out.push(plainStep(st.action, releaseOf(s).lkg));
  if (s.drill) out.push('Drill: nothing was changed');
  return [...new Set(out)].slice(0, 20);
}

/** The stakeholders' summary of `sequence`, as of `now`; `everyMs` is the cadence at the incident's severity (null: none). */
export function stakeholderSummaryOf(s: Incident, o: { sequence: number; final: boolean; now: number; everyMs: number | null }): Omit<StakeholderSummaryMessage, 'statusUrl'> {
  const w = impactWindow(s);
  return {
    kind: 'stakeholder-summary',
    incidentId: s.id,
    environment: s.environment,
    service: clip(s.service, 120),
    severity: s.severity,
    at: iso(o.now),
    sequence: Math.max(1, o.sequence),
    final: o.final,
    status: clip(plainStatus(s), 200),
    impact: plainImpact(s).map((x) => clip(x, 80)),
    impactSince: iso(w.since),
    ...(w.until !== null ? { impactUntil: iso(w.until) } : {}),
    done: doneSoFar(s).map((x) => clip(x, 300)),
    ...(!o.final && o.everyMs !== null ? { nextUpdateAt: iso(o.now + o.everyMs) } : {}),
  };
}

// ---- Status page ---------------------------------------------------------------------------------

export const STATUS_PAGE_STATUSES = ['investigating', 'identified', 'monitoring', 'resolved'] as const;
export type StatusPageStatus = (typeof STATUS_PAGE_STATUSES)[number];

/** The status page status a thread message announces; null: the status page is not told about it. */
export function statusPageStatusOf(kind: MessageKind): StatusPageStatus | null {
  switch (kind) {
    case 'declared':
      return 'investigating';
    case 'rollback-started':
      return 'identified';
    case 'stabilized':
      return 'monitoring';
    case 'resolved':
      return 'resolved';
    default:
      return null;
  }
}

/** What the status page webhook carries (README "Status page webhook"). */
export interface StatusPageUpdate {
  component: string;
  status: StatusPageStatus;
  message: string;
  incidentId: string;
  /** Increases with every update of an incident (the record's event count when it was made): a receiver keeps the highest. */
  sequence: number;
  updatedAt: string;
}

/** The public message of a status: no internal detail (alert text, hosts, releases, people), and redacted all the same. */
export function statusPageMessage(s: Incident, component: string, status: StatusPageStatus): string {
  const areas = plainImpact(s).join(', ');
  const w = impactWindow(s);
  const text = (() => {
    switch (status) {
      case 'investigating':
        return `We are investigating a problem affecting ${areas} of ${component} since ${hhmm(w.since)} UTC.`;
      case 'identified':
        return `We have identified the cause of the problem affecting ${areas} of ${component} and are rolling back a recent change.`;
      case 'monitoring':
        return `A fix has been applied and ${component} has recovered; we are monitoring it.`;
      case 'resolved':
        return w.until !== null
          ? `This incident has been resolved. ${component} (${areas}) was affected from ${hhmm(w.since)} to ${hhmm(w.until)} UTC.`
          : `This incident has been resolved. ${component} (${areas}) was affected from ${hhmm(w.since)} UTC.`;
    }
  })();
  return clip(redactText(text), 1000);
}

export function statusPageUpdateOf(s: Incident, component: string, status: StatusPageStatus, now: number): StatusPageUpdate {
  return { component, status, message: statusPageMessage(s, component, status), incidentId: s.id, sequence: s.length, updatedAt: iso(now) };
}

// ---- Customer message draft -------------------------------------------------------------------------

const utc = (ms: number): string => `${iso(ms).slice(0, 16).replace('T', ' ')} UTC`;

/**
 * The customer message draft of the evidence pack (Markdown): for a person to review and send; the
 * automation never sends it. Its status and impact window are the record's, as of its writing.
 */
export function customerDraft(s: Incident): string {
  const w = impactWindow(s);
  const resolved = s.resolution !== null;
  const areas = plainImpact(s).join(', ');
  const window = w.until !== null ? `from ${utc(w.since)} to ${utc(w.until)}` : `since ${utc(w.since)} (ongoing when this draft was written)`;
  const done = doneSoFar(s);
  const lines = [
    `<!-- DRAFT for a person to review and send. Incident ${s.id}. Not sent by the automation. -->`,
    '',
    ...(s.drill ? ['> DRILL: this incident was a drill; nothing was disrupted and nothing is to be sent.', ''] : []),
    `# ${resolved ? 'Resolved' : 'Ongoing'}: service disruption affecting ${s.service}`,
    '',
    `**Status:** ${resolved ? 'Resolved' : plainStatus(s)}`,
    '',
    `**Impact:** ${areas} of ${s.service} (${s.environment}) ${w.until !== null ? 'were' : 'are'} affected ${window}.`,
    '',
    '**What we did:**',
    '',
    ...(done.length ? done.map((d) => `- ${d}`) : ['- The team investigated; no change was needed to restore the service.']),
    '',
    resolved
      ? 'We are reviewing the cause and will share what we change to prevent it from happening again.'
      : 'We are still working on it and will update you when the situation changes.',
    '',
    `_Reference: incident ${s.id}._`,
    '',
  ];
  return redactText(lines.join('\n'));
}
