/**
 * The incident's evidence pack, from its record: incident.json (the derived facts: summary,
 * impact, releases, roles, key moments, timebox verdicts, phases, the MTTx figures), the timeline,
 * alert payloads (by reference), every smoke run, audit diffs, actions with their real outcomes
 * (the raw error of a failure kept), messages sent and approvals. The report and the postmortem are
 * rendered from this pack, so they read the same derivation as Teams and the API. Pure.
 */
import { ACTIONS } from './action-table.js';
import type { ArtifactInputIn, IncidentMetrics, IncidentRecordInput, PackRef, TimeboxRecord } from './evidence.js';
import { describeFailure } from './failures.js';
import type { TimelineEntry } from './incident.js';
import { containmentDone, detectionOf, metricsOf, momentsOf, phasesOf, releaseOf, rolesOf, timeboxesOf, type AlertRef, type Duration, type Incident } from './incident-record.js';
import { summaryOf } from './incident-status.js';
import { customerDraft } from './communications.js';
import { iso } from './time-format.js';

/** Artifact keys are file names: letters, digits, ".", "_" and "-". */
export const artifactKey = (text: string): string => text.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[^A-Za-z0-9]+/, '').slice(0, 100) || 'item';

const at = (ms: number | null): string | null => (ms === null ? null : iso(ms));

export function packRefOf(s: Incident): PackRef {
  const r = releaseOf(s);
  return { incidentId: s.id, environment: s.environment, service: s.service, severity: s.severity, release: r.current, declaredAt: iso(s.declaredAt) };
}

const duration = (d: Duration | null) => (d ? { from: iso(d.from), to: iso(d.to), seconds: d.seconds } : null);

export function metricsRecordOf(s: Incident): IncidentMetrics {
  const m = metricsOf(s);
  return {
    timeToDeclare: duration(m.timeToDeclare),
    timeToAcknowledge: duration(m.timeToAcknowledge),
    timeToMitigate: duration(m.timeToMitigate),
    timeToRecover: duration(m.timeToRecover),
    impactDuration: duration(m.impact),
    openDuration: duration(m.open),
    timeboxes: timeboxesOf(s).map((t) => ({ name: t.name, deadline: iso(t.deadline), metAt: at(t.metAt), verdict: t.verdict })),
  };
}

/** incident.json: a projection of the incident record (nothing here is worked out anew). */
export function incidentRecordOf(s: Incident): IncidentRecordInput {
  const m = momentsOf(s);
  const d = detectionOf(s);
  const timeboxes: TimeboxRecord[] = timeboxesOf(s).map((t) => ({ name: t.name, startedAt: iso(t.startedAt), deadline: iso(t.deadline), metAt: at(t.metAt), extendedMinutes: t.extendedMinutes, verdict: t.verdict, note: t.note }));
  const rel = releaseOf(s);
  const dec = s.decision;
  return {
    summary: summaryOf(s),
    // Who and what was affected, in words, is the team's to write (the summary is in `summary`).
    impact: { affected: s.impact, users: null, description: null },
    release: { current: rel.current, lkg: rel.lkg, restored: rel.restored, recorded: rel.recorded },
    roles: rolesOf(s),
    milestones: { detectedAt: at(m.detected), declaredAt: iso(m.declared), acknowledgedAt: at(m.acknowledged), decidedAt: at(m.decided), mitigatedAt: at(m.mitigated), recoveredAt: at(m.recovered), resolvedAt: at(m.resolved) },
    timeboxes,
    phases: phasesOf(s).map((p) => ({ name: p.name, start: iso(p.start), end: iso(p.end) })),
    detection: s.alert ? { firedAt: at(d.firedAt), receivedAt: at(d.receivedAt), trusted: d.trusted, note: d.note } : null,
    metrics: metricsRecordOf(s),
    containment: dec
      ? {
          choice: dec.choice,
          decidedBy: dec.by ? (dec.by.name ?? dec.by.id) : 'incident-bot',
          at: iso(dec.at),
          automatic: dec.automatic,
          reason: (dec.automatic ? dec.why : (dec.reason ?? s.proposal?.reasons.join(' ') ?? null))?.slice(0, 2000) ?? null,
          actions: containmentDone(s).slice(0, 100),
        }
      : null,
    parity: s.parityLoops.slice(0, 50).map((l) => ({
      attempts: l.attempts.length,
      keys: [...new Set(l.attempts.flatMap((a) => a.keys))].slice(0, 200),
      outcome: l.ended?.outcome ?? 'running',
      text: (l.ended?.text ?? `Reapplying the intended config (attempt ${l.attempts.length}).`).slice(0, 2000),
    })),
    forwardFixes: (s.proposal?.actionItems ?? []).filter((a) => a.kind === 'forward-fix').map((a) => ({ title: a.title, detail: null, owner: null })),
    // Items people added before the pack was written (the draft adds the runbook's own, owners from the roles).
    actionItems: (s.followUps?.items ?? []).map((i) => ({ title: i.links.length ? `${i.title} (${i.links.join(', ')})` : i.title, owner: i.owner, due: i.due, category: i.category })),
    links: linksOf(s),
  };
}

/** RB-03 section 9: the incident ticket and the evidence pack, where they are known. */
function linksOf(s: Incident): { label: string; url: string }[] {
  const out: { label: string; url: string }[] = [];
  if (s.followUps?.ticketUrl) out.push({ label: 'Incident ticket', url: s.followUps.ticketUrl });
  // The pack's address (its documents are listed one by one after the links): what a copy of the draft in the ticket links back to.
  if (s.evidence) out.push({ label: `Evidence pack (${s.evidence.location})`, url: s.evidence.manifestUrl });
  return out;
}

/**
 * `earlierAlerts`: the alerts of a long incident's earlier executions, as the incident store holds
 * them (the record keeps only a few characters of each: `Incident['alerts']['earlier']`).
 */
export function evidenceArtifacts(s: Incident, timeline: readonly TimelineEntry[], bot: string, earlierAlerts: readonly AlertRef[] = []): ArtifactInputIn[] {
  const out: ArtifactInputIn[] = [
    { kind: 'incident', content: incidentRecordOf(s) },
    { kind: 'timeline', content: timeline.slice(0, 5000) },
    // For a person to send (README "Communications"): status and impact window as the record has them.
    { kind: 'customer-draft', content: customerDraft(s) },
  ];
  const alerts = new Map<string, AlertRef>();
  for (const a of [...earlierAlerts, ...s.alerts.received]) if (!alerts.has(a.dedupeKey)) alerts.set(a.dedupeKey, a);
  for (const a of alerts.values()) {
    if (a.payloadRef) out.push({ kind: 'alert-payload', key: artifactKey(a.dedupeKey.split('/').pop() ?? a.dedupeKey), content: { dedupeKey: a.dedupeKey, receivedAt: iso(a.receivedAt), ref: a.payloadRef } });
  }
  for (const run of s.checks.runs) out.push({ kind: 'smoke', content: run });
  for (const a of s.actions) {
    const o = a.outcome;
    const cause =
      o.kind === 'refused' || o.kind === 'failed'
        ? (() => {
            const f = describeFailure(a.action, o.kind, o.summary, o.kind === 'refused' ? o.reason : null, { incidentId: s.id, environment: s.environment });
            return `${f.cause} Next step: ${f.next}`;
          })()
        : null;
    out.push({ kind: 'rollback', key: artifactKey(a.step), content: { step: a.step, action: a.activity, at: iso(a.at), mode: a.mode, outcome: o, cause } });
    if (o.kind === 'done' && (ACTIONS[a.action].audited || o.changes.some((ch) => ch.target.startsWith('flag:') || ch.target.startsWith('config:')))) {
      out.push({
        kind: 'audit',
        key: artifactKey(a.step),
        content: { at: iso(a.at), actor: a.mode === 'plan' ? 'plan-only' : bot, requestId: o.executionId ?? null, summary: o.summary, changes: o.changes },
      });
    }
  }
  for (const m of s.messages) {
    out.push({ kind: 'message', key: artifactKey(m.step), content: { at: iso(m.at), template: m.template, channel: m.channel, text: m.text, messageId: m.messageId, delivered: m.delivered } });
  }
  // Every signals reading as judged: the recovery verdicts, flaps and triage (top codes, requestIds, p95, query link).
  s.signals.reads.forEach((r) => {
    const { at, seq, ...facts } = r;
    out.push({ kind: 'signals', key: artifactKey(`${String(seq).padStart(4, '0')}-${r.purpose}`), content: { at: iso(at), ...facts } });
  });
  s.approvals.forEach((a, i) =>
    out.push({ kind: 'approval', key: `decision-${i + 1}`, content: { at: iso(a.at), approver: a.by, decision: a.decision, proposalId: a.proposalId, reason: a.reason } }),
  );
  return out;
}
