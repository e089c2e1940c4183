/**
 * Shared wording for the postmortem draft and the incident report: UTC times, durations, escaping
 * for Markdown and HTML, and the draft's derived content (due date, action items, what worked).
 * Pure.
 */
import { addBusinessDays } from './timeboxes.js';
import type { ActionItem, EvidenceBundle, IncidentMetrics, IncidentRecord, TimeboxName } from './evidence.js';
import { smokeVerdict } from './evidence.js';

/** "2026-01-14 09:12:03 UTC". */
export function utc(at: string | null | undefined): string {
  if (!at) return '-';
  const d = new Date(at);
  if (Number.isNaN(d.getTime())) return '-';
  return `${d.toISOString().slice(0, 10)} ${d.toISOString().slice(11, 19)} UTC`;
}

/** "09:12:03" (UTC). */
export function clock(at: string | null | undefined): string {
  if (!at) return '-';
  const d = new Date(at);
  return Number.isNaN(d.getTime()) ? '-' : d.toISOString().slice(11, 19);
}

/** "2026-01-16 (Fri)". */
export function day(ms: number): string {
  const d = new Date(ms);
  const names = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
  return `${d.toISOString().slice(0, 10)} (${names[d.getUTCDay()]})`;
}

/** Durations read the same in the report, the postmortem and Teams (one formatter: ./time-format.ts). */
export { humanDuration } from './time-format.js';

/** Text for HTML element content and attribute values. */
export function escapeHtml(text: string | number | null | undefined): string {
  return String(text ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);
}

/** Text inside Markdown (and table cells): no markup, links, HTML or table breaks sneak through. */
export function escapeMd(text: string | number | null | undefined): string {
  return String(text ?? '')
    .replace(/\r?\n/g, ' ')
    .replace(/([\\`*_[\]<>|#!~])/g, '\\$1');
}

/** Only http(s) URLs become links (never javascript:, data: ...). */
export function safeUrl(url: string | null | undefined): string | null {
  if (!url) return null;
  try {
    const u = new URL(url);
    if (u.protocol !== 'https:' && u.protocol !== 'http:') return null;
    return u.toString();
  } catch {
    return null;
  }
}

/** A Markdown link, or the escaped text when the URL is not http(s). */
export function mdLink(label: string, url: string | null | undefined): string {
  const u = safeUrl(url);
  if (!u) return escapeMd(label);
  return `[${escapeMd(label)}](${u.replace(/[()<> ]/g, (c) => encodeURIComponent(c))})`;
}

/**
 * When the postmortem is due: the date the incident record set at the resolution; for a pack of an
 * incident not resolved yet, `days` business days after it recovered (else was declared).
 */
export function postmortemDue(record: Pick<IncidentRecord, 'milestones' | 'summary'>, days: number): { base: string; due: number } {
  const m = record.milestones;
  const set = record.summary.postmortem?.dueAt;
  if (set && m.resolvedAt) return { base: m.resolvedAt, due: Date.parse(set) };
  const base = m.resolvedAt ?? m.recoveredAt ?? m.declaredAt;
  return { base, due: addBusinessDays(Date.parse(base), days) };
}

const TIMEBOX_LABEL: Record<TimeboxName, string> = {
  ic: 'Incident Commander assigned',
  ack: 'Acknowledge',
  decision: 'Containment decision',
  containment: 'Containment',
  recovery: 'Recovery (rollback target)',
  monitoring: 'Monitoring window',
};

export function timeboxLabel(name: TimeboxName): string {
  return TIMEBOX_LABEL[name];
}

export interface DraftItem extends ActionItem {
  due: string;
}

/**
 * Action items for the draft: forward fixes first (a DB migration kept in place is fixed
 * forward), then what the evidence shows went wrong (refused actions, missed timeboxes), then the
 * runbook's standard items (RB-03 section 11), then the ones people added during the incident.
 * Every item has an owner (the role to assign it when nobody is named) and a due date.
 */
export function draftActionItems(bundle: EvidenceBundle, dueMs: number): DraftItem[] {
  const r = bundle.incident;
  const due = new Date(dueMs).toISOString().slice(0, 10);
  const ic = r?.roles.ic ?? 'IC (to assign)';
  const devLead = r?.roles.deputy ?? 'Dev Lead (to assign)';
  const items: DraftItem[] = [];
  for (const f of r?.forwardFixes ?? []) {
    items.push({ title: `Forward fix: ${f.title}${f.detail ? ` (${f.detail})` : ''}`, owner: f.owner ?? devLead, due, category: 'forward-fix' });
  }
  if (r?.containment?.choice === 'app-to-lkg-forward-fix' && !(r.forwardFixes.length > 0)) {
    items.push({
      title: 'Forward fix for the database migration that stayed in place (no destructive DDL): ship the fix through the normal pipeline and re-verify the SP signature snapshot',
      owner: devLead,
      due,
      category: 'forward-fix',
    });
  }
  for (const a of bundle.rollback) {
    if (a.outcome.kind === 'refused' || a.outcome.kind === 'failed') {
      items.push({ title: `Find out why ${a.action} (${a.step}) ${a.outcome.kind === 'failed' ? 'failed' : 'was refused'}: ${a.cause ?? (a.outcome.kind === 'refused' ? a.outcome.reason : a.outcome.summary)}`, owner: ic, due, category: 'runbook' });
    }
  }
  for (const t of r?.timeboxes ?? []) {
    if (t.verdict === 'missed') {
      items.push({ title: `Review why the ${timeboxLabel(t.name).toLowerCase()} timebox was missed and adjust the runbook or the policy`, owner: ic, due, category: 'runbook' });
    }
  }
  items.push(
    { title: 'Tests to add or update so this is caught before release (E2E / contract / perf / a11y)', owner: devLead, due, category: 'tests' },
    { title: 'Monitoring and alert improvements (detect earlier, fewer flaps)', owner: r?.roles.deputy ?? 'SRE on-call (to assign)', due, category: 'monitoring' },
    { title: 'Runbook and documentation updates (FR/NFR, CI/CD, monitoring)', owner: r?.roles.scribe ?? ic, due, category: 'runbook' },
    { title: 'ADR or policy changes if needed (rate limits, CORS workflow, flags)', owner: ic, due, category: 'adr-policy' },
  );
  for (const a of r?.actionItems ?? []) items.push({ ...a, owner: a.owner ?? ic, due: a.due ?? due });
  return items;
}

/** What the evidence says went well and what did not (facts only; people add the rest). */
export function workedAndNot(bundle: EvidenceBundle, metrics: IncidentMetrics): { worked: string[]; didNot: string[] } {
  const worked: string[] = [];
  const didNot: string[] = [];
  for (const t of metrics.timeboxes) {
    const label = timeboxLabel(t.name);
    if (t.verdict === 'met') worked.push(`${label} timebox met (${clock(t.metAt)} UTC, deadline ${clock(t.deadline)} UTC).`);
    if (t.verdict === 'missed') didNot.push(`${label} timebox missed (deadline ${clock(t.deadline)} UTC${t.metAt ? `, met only at ${clock(t.metAt)} UTC` : ''}).`);
  }
  for (const a of bundle.rollback) {
    const id = a.outcome.kind === 'done' && a.outcome.executionId ? ` (execution ${a.outcome.executionId})` : '';
    if (a.outcome.kind === 'done') worked.push(`${a.outcome.summary}${id}`);
    if (a.outcome.kind === 'refused' || a.outcome.kind === 'failed') didNot.push(a.cause ?? `${a.action}: ${a.outcome.summary}`);
  }
  const last = bundle.smoke.at(-1);
  if (last) {
    const v = smokeVerdict(last.results);
    const text = `Last smoke run (${last.phase}, ${clock(last.at)} UTC): ${v} (${last.results.filter((x) => x.status === 'pass').length}/${last.results.length} passing).`;
    if (v === 'green') worked.push(text);
    else didNot.push(text);
  }
  const undelivered = bundle.messages.filter((m) => !m.delivered);
  if (undelivered.length) didNot.push(`${undelivered.length} message(s) could not be delivered (${undelivered.map((m) => m.template).join(', ')}).`);
  if (bundle.incident?.containment?.automatic) didNot.push('Nobody decided on containment in time; the runbook rolled back on its own ("if in doubt, roll back").');
  return { worked, didNot };
}
