/**
 * Turns what the runbook wants to say (an `announce` command) into the Teams message contract
 * (src/domain/messages), reading the incident record only: every figure, status and time comes
 * from the one derivation (./incident-record.ts), so a message cannot disagree with the report,
 * the postmortem or the API. Nothing is invented: an unknown release says "unknown", an unmeasured
 * SSE stream is left out, a probe that was not measured says so.
 */
import type { Thresholds } from './policy.js';
import { describeStep, isContainment, isRollback } from './action-table.js';
import { actorLabel, actorName, type Actor } from './actor.js';
import type { ContainmentStep } from './containment.js';
import { clip, describeFailure } from './failures.js';
import type { ContainmentChoice } from './incident-events.js';
import { detectionOf, didNotWork, metricsOf, releaseOf, type CheckFacts, type Incident } from './incident-record.js';
import type { HealthFigures, IncidentMessageInput } from './messages/types.js';
import { decisionDueAt, isRecovered, mayRollBack, phaseDeadline, type AnnounceCommand, type Plan, type RunbookConfig } from './runbook.js';
import { hhmm, iso } from './time-format.js';

export interface MessageContext {
  incident: Incident;
  plan: Plan;
  cfg: RunbookConfig;
  thresholds: Thresholds;
  /** The orchestration's clock. */
  now: number;
}

const at = (ms: number): string => `${hhmm(ms)} UTC`;

const IMPACT: Record<string, string> = { api: 'API', web: 'Web', jobs: 'Jobs', sse: 'SSE streams', db: 'Database' };

function header(s: Incident): { incidentId: string; environment: string; service: string; severity: 'P1' | 'P2' | 'P3' } {
  return { incidentId: s.id, environment: s.environment, service: s.service, severity: s.severity };
}

/** Who holds each role, by the short name people use in the channel ("IC: @dana@contoso.example"), not the object id. */
function roles(s: Incident): { ic?: { name: string }; deputy?: { name: string }; scribe?: { name: string }; comms?: { name: string } } {
  const out: Record<string, { name: string }> = {};
  for (const [role, held] of Object.entries(s.roles)) if (held) out[role] = { name: clip(actorName(held.person), 120) };
  return out;
}

function releases(s: Incident): { current: string; previous: string } {
  const r = releaseOf(s);
  return { current: clip(r.current ?? 'unknown', 100), previous: clip(r.lkg ?? 'unknown', 100) };
}

/** Liveness and readiness each from its own result, and the SSE figures when measured. */
export function healthFigures(last: CheckFacts | null, t: Thresholds): HealthFigures {
  const figures: HealthFigures = { healthz: last?.liveness ?? 'unknown', ready: last?.readiness ?? 'unknown' };
  if (!last?.sse) return figures;
  return {
    ...figures,
    sse: {
      ttfbMs: Math.round(last.sse.ttfbMs),
      heartbeatS: Math.round(((last.sse.heartbeatMs ?? 0) / 1000) * 10) / 10,
      ttfbBudgetMs: t.sseTtfbMs,
      heartbeatBudgetS: t.heartbeatMs / 1000,
    },
  };
}

/** The containment under way did not go through: every change it tried was refused or failed. */
function blocked(s: Incident): boolean {
  const c = s.containments.at(-1);
  return !!c && c.steps.length > 0 && c.steps.every((x) => x.outcome !== null && x.outcome !== 'done' && x.outcome !== 'skipped') && c.steps.some((x) => x.outcome === 'refused' || x.outcome === 'failed');
}

function statusOf(s: Incident): 'investigating' | 'identified' | 'containing' | 'recovering' | 'monitoring' | 'blocked' {
  if (s.phase === 'verifying' && blocked(s)) return 'blocked';
  switch (s.phase) {
    case 'deciding':
      return 'identified';
    case 'containing':
      return 'containing';
    case 'verifying':
      return 'recovering';
    case 'monitoring':
      return 'monitoring';
    default:
      return 'investigating';
  }
}

/** "checks red ×5 since 10:02 UTC: <findings>", or "checks pending". */
export function checksLine(s: Incident): string {
  const last = s.checks.last;
  if (!last) return 'checks pending';
  const st = s.checks.streak;
  const runs = st && st.count > 1 ? ` ×${st.count} since ${at(st.since)}` : ` at ${at(last.at)}`;
  return `checks ${last.verdict}${runs}${last.reasons.length && last.verdict !== 'green' ? `: ${last.reasons.slice(0, 3).join('; ')}` : ''}`;
}

function progress(s: Incident): string {
  const c = s.containments.at(-1);
  const w = s.windows.at(-1);
  const what =
    s.phase === 'deciding'
      ? `waiting for a containment decision (proposal: ${s.proposal?.path ?? 'none'})`
      : s.phase === 'containing'
        ? `applying the containment (${c?.choice ?? ''})`
        : s.phase === 'verifying' && blocked(s)
          ? 'the containment did not go through'
          : s.phase === 'verifying'
          ? `verifying recovery${s.onLkg ? ' after the rollback' : c?.choice === 'monitor-only' ? ' (no containment: keep watching)' : ''}`
          : s.phase === 'monitoring' && w
            ? `monitoring until ${at(w.endsAt)}`
            : s.phase;
  const r = s.signals.round?.recovery;
  // Green checks are not recovery when the signals say otherwise: said in the same sentence.
  const signals = r && !r.recovered && s.checks.last?.verdict === 'green' && s.phase !== 'resolved' && s.phase !== 'closed' ? `, but not recovered: ${r.blocking.slice(0, 3).join('; ')}` : '';
  return `${s.severity}: ${what}; ${checksLine(s)}${signals}.${parityLine(s)}`;
}

/** The reapply-and-parity loop of the current containment (RB-02 section 9), in a sentence: where it is, or why it stopped. */
function parityLine(s: Incident): string {
  const loop = s.parityLoops.at(-1);
  if (!loop || loop.containment !== s.containments.at(-1)?.seq) return '';
  if (loop.ended) return ` ${loop.ended.text}`;
  const last = loop.attempts.at(-1);
  return last ? ` Config parity: reapplied the intended value of ${last.keys.join(', ')} (attempt ${loop.attempts.length}); checking parity again.` : '';
}

function nextSteps(s: Incident, p: Plan, c: RunbookConfig): string {
  const due = phaseDeadline(s, p, c);
  switch (s.phase) {
    case 'declared':
      return 'Finish the health and change snapshot, then propose a containment path.';
    case 'deciding':
      return `Containment decision due by ${at(decisionDueAt(s, c))}; proposal: ${s.proposal?.path ?? 'none'}.`;
    case 'containing': {
      const left = s.containments.at(-1)?.steps.filter((x) => x.outcome === null).length ?? 0;
      return `Apply the containment steps (${left} left), then verify.`;
    }
    case 'verifying': {
      const box = s.containments.at(-1)?.timebox === 'recovery' ? 'recovery' : 'containment';
      const then = mayRollBack(s) && (c.canRollBackApi || c.canRollBackWeb) ? 'the runbook rolls back' : 'people are paged again (the runbook will not roll back on its own)';
      if (blocked(s)) return `The containment did not go through: a person decides what to do (a rollback request, another decision, or by hand). Smoke checks continue; at ${due === null ? '?' : at(due)} ${then}.`;
      if (c.signals) return `Smoke checks and Azure Monitor until recovered (checks green, the fired metric under its threshold for ${c.signals.plan.holdMinutes} min, no alert active); the ${box} timebox ends ${due === null ? '?' : at(due)}; if not recovered by then, ${then}.`;
      return `Smoke checks until green; the ${box} timebox ends ${due === null ? '?' : at(due)}; if still not green, ${then}.`;
    }
    case 'monitoring':
      if (c.signals) return `Watch the checks and Azure Monitor until ${due === null ? '?' : at(due)}; a regression re-opens containment; an alert still active at the end ${c.signals.alertAtWindowEnd === 'extend' ? 'extends the window' : 'keeps the incident open'}.`;
      return `Watch the checks until ${due === null ? '?' : at(due)}; a regression re-opens containment.`;
    default:
      return 'Close the incident and write the postmortem.';
  }
}

function options(s: Incident, c: RunbookConfig): { choice: ContainmentChoice }[] {
  const proposed = s.proposal?.path ?? 'monitor-only';
  const out: ContainmentChoice[] = [proposed];
  if (proposed !== 'api-to-lkg' && c.canRollBackApi) out.push('api-to-lkg');
  // The environment's further actions, as the policy allows them (a card holds five buttons).
  if (c.actions?.restart && proposed !== 'restart') out.push('restart');
  if (c.actions?.scaleOutTo && proposed !== 'scale-out') out.push('scale-out');
  if (proposed !== 'monitor-only') out.push('monitor-only');
  return out.slice(0, 5).map((choice) => ({ choice }));
}

/**
 * What really happens when nobody answers, when the plain rule ("rolls back to LKG r41") would
 * promise more than is known: no rollback target, or no last known good release known.
 */
function ifNoAnswerDetail(s: Incident, c: RunbookConfig): string | undefined {
  const box = c.boxes[s.severity];
  if (box.noDecision !== 'rollback') return undefined;
  if (!c.canRollBackApi && !c.canRollBackWeb) return 'the automation cannot roll back (this service has no rollback target): it escalates, and a person must decide';
  // The runbook reverts the flag/config changes the proposal names before it rolls back (runbook.ts onTimer).
  const keys = (s.proposal?.steps ?? []).flatMap((x) => (x.kind === 'set-flag' || x.kind === 'set-config' ? [x.key] : []));
  const revert = keys.length ? `reverts ${keys.join(', ')}, then ` : '';
  const lkg = releaseOf(s).lkg;
  if (lkg !== null) return keys.length ? `the automation ${revert}rolls back to LKG ${lkg} ("if in doubt, roll back")` : undefined;
  const unreadable = s.snapshot?.problems.some((x) => x.startsWith('release')) ?? false;
  return unreadable
    ? `the automation ${revert}tries to roll back, but the last known good release could not be read: if the rollback is refused, people are paged`
    : `the automation ${revert}tries to roll back, but no last known good release is recorded for ${s.service}: unless one is recorded by then (POST /api/lkg), the rollback is refused and people are paged`;
}

const nameOf = (a: Actor | null, bot: string): string => (a ? actorLabel(a) : bot);

/** One line for each action that did not do what it was for (refused, failed): named in RESOLVED, never counted as mitigation. */
function notDone(s: Incident): string[] {
  return s.actions.filter(didNotWork).map((a) => {
    const f = describeFailure(a.action, a.outcome.kind as 'refused' | 'failed', a.outcome.summary, a.outcome.kind === 'refused' ? a.outcome.reason : null, { incidentId: s.id, environment: s.environment });
    return clip(f.cause, 500);
  });
}

/** At most `max` lines; the last one says how many more there are. */
function bounded(lines: string[], max: number): string[] {
  return lines.length <= max ? lines : [...lines.slice(0, max - 1), `…and ${lines.length - max + 1} more (see the evidence pack).`];
}

function solution(s: Incident, bot: string): string {
  const done = s.actions.filter((a) => a.outcome.kind === 'done' && isContainment(a.action));
  if (done.length) return done.map((a) => a.outcome.summary).join(' ');
  const planned = s.actions.filter((a) => a.outcome.kind === 'planned' && isContainment(a.action));
  if (planned.length) return `Drill: nothing was changed; the runbook planned ${planned.length} action(s).`;
  const r = s.resolution;
  if (r?.automatic) return 'No change was made: the checks stayed green through the monitoring window.';
  return `No change was made by the automation; resolved by ${nameOf(r?.by ?? null, bot)}${r?.summary ? `: ${r.summary}` : '.'}`;
}

export function buildMessage(cmd: AnnounceCommand, m: MessageContext): IncidentMessageInput {
  const s = m.incident;
  const h = header(s);
  const box = m.cfg.boxes[s.severity];
  const nextUpdate = iso(m.plan.lastUpdateAt + box.updateEveryMinutes * 60_000);
  switch (cmd.message) {
    case 'declared': {
      const a = s.alert;
      const d = detectionOf(s);
      return {
        ...h,
        kind: 'declared',
        declaredAt: iso(s.declaredAt),
        summary: clip(s.summary, 300),
        impact: (s.impact.length ? s.impact : ['api']).map((i) => IMPACT[i] ?? i).slice(0, 10),
        actions: clip(`Snapshotting health, SSE and recent flag/config changes; containment decision due by ${at(decisionDueAt(s, m.cfg))}.`, 500),
        nextUpdateAt: nextUpdate,
        roles: roles(s),
        ...(a && a.firedAt !== null ? { alert: { rule: clip(a.rule, 200), firedAt: iso(a.firedAt), signal: clip(s.summary, 300), ...(d.note ? { timeNote: clip(d.note, 200) } : {}) } } : {}),
      };
    }
    case 'update': {
      const change = s.severityChanges.at(-1);
      return {
        ...h,
        kind: 'update',
        at: iso(m.now),
        sequence: Math.max(1, cmd.sequence),
        status: statusOf(s),
        progress: clip(progress(s), 1000),
        nextSteps: clip(nextSteps(s, m.plan, m.cfg), 1000),
        nextUpdateAt: nextUpdate,
        ...(s.checks.last ? { health: healthFigures(s.checks.last, m.thresholds) } : {}),
        ...(cmd.severityChange && change ? { severityChange: { from: change.from, to: change.to, by: clip(change.person ? actorName(change.person) : change.by, 200), reason: clip(change.reasons[0] ?? 'no reason given', 500) } } : {}),
        ...(s.signals.round?.recovery ? { signals: clip(s.signals.round.recovery.summary, 1000) } : {}),
        ...(s.signals.triage ? { triage: s.signals.triage.lines.filter((l) => !l.startsWith('Query: ')).slice(0, 8).map((l) => clip(l, 600)) } : {}),
        ...(s.signals.triage?.queryLink && /^https:\/\//.test(s.signals.triage.queryLink) && s.signals.triage.queryLink.length <= 2000 ? { triageQuery: s.signals.triage.queryLink } : {}),
      };
    }
    case 'proposal': {
      const p = s.proposal;
      const steps = p?.steps ?? [];
      const detail = ifNoAnswerDetail(s, m.cfg);
      return {
        ...h,
        kind: 'containment-proposed',
        at: iso(m.now),
        proposalId: p?.id ?? 'proposal',
        proposed: p?.path ?? 'monitor-only',
        title: clip(p && steps.length ? describeStep(steps[0] as ContainmentStep) + (steps.length > 1 ? ` (+${steps.length - 1} more)` : '') : 'Keep watching; no change proposed', 160),
        rationale: clip(p?.reasons.join(' ') || 'No clear cause yet.', 1000),
        changes: steps.length ? steps.map((x) => clip(describeStep(x), 300)).slice(0, 20) : ['No change: keep watching the checks.'],
        options: options(s, m.cfg),
        decisionDeadline: iso(decisionDueAt(s, m.cfg)),
        ifNoAnswer: box.noDecision,
        ...(detail ? { ifNoAnswerDetail: detail } : {}),
        ...(s.snapshot?.api || s.snapshot?.web ? { releases: releases(s) } : {}),
      };
    }
    case 'rollback-started': {
      const c = s.containments.at(-1);
      const kinds = c?.steps.map((x) => x.action.kind) ?? [];
      const targets = [...new Set(kinds.map((k) => (k === 'api-to-lkg' ? 'api' : k === 'web-to-lkg' ? 'web' : 'config')))] as ('api' | 'web' | 'config')[];
      return {
        ...h,
        kind: 'rollback-started',
        startedAt: iso(c?.startedAt ?? m.now),
        // RB-02: "Current release {tag} failing due to {reason}": the symptom, then what started the rollback.
        reason: clip(`${s.summary}; rollback: ${c?.why ?? 'requested'}`, 500),
        releases: releases(s),
        targets: targets.length ? targets : ['api'],
        roles: roles(s),
        deployFreeze: s.frozen,
      };
    }
    case 'rollback-executed': {
      // Posted at the close (with the evidence), but it completed when the app was back on LKG.
      const restored = s.actions.find((a) => isRollback(a.action) && a.outcome.kind === 'done');
      const started = s.containments.find((c) => c.rollback)?.startedAt ?? s.declaredAt;
      return {
        ...h,
        kind: 'rollback-executed',
        completedAt: iso(restored?.at ?? m.now),
        startedAt: iso(started),
        // RB-03: "Rolled back to {tag_prev} due to {reason}": the symptom, then what triggered the rollback.
        reason: clip(`${s.summary}: ${s.rollbackReason ?? 'a rollback to the last known good release'}`, 500),
        releases: releases(s),
        health: healthFigures(s.checks.last, m.thresholds),
        // "Metrics recovered" only when the readers judged them (a verdict resting on more than the checks).
        metricsRecovered: isRecovered(s) && (s.signals.round?.recovery?.basis ?? 'checks-only') !== 'checks-only',
        checksRecovered: s.checks.last?.verdict === 'green',
      };
    }
    case 'stabilized': {
      const w = s.windows.at(-1);
      return {
        ...h,
        kind: 'stabilized',
        at: iso(w?.startedAt ?? m.now),
        health: healthFigures(s.checks.last, m.thresholds),
        monitoringMinutes: Math.max(1, Math.round(((w ? w.endsAt - w.startedAt : box.monitoringMinutes * 60_000) / 60_000))),
      };
    }
    case 'escalation':
      return {
        ...h,
        kind: 'escalation',
        at: iso(m.now),
        why: cmd.reason,
        reason: clip(cmd.text, 600),
        engaging: (cmd.people.length ? cmd.people : ['the on-call SRE']).slice(0, 20).map((p) => ({ name: clip(p, 120) })),
        declaredAt: iso(s.declaredAt),
        roles: roles(s),
      };
    case 'resolved': {
      const r = s.resolution;
      const metrics = metricsOf(s);
      const d = detectionOf(s);
      const secs = (x: { seconds: number } | null): number | undefined => (x ? x.seconds : undefined);
      const figures = {
        timeToDeclareS: secs(metrics.timeToDeclare),
        timeToAcknowledgeS: secs(metrics.timeToAcknowledge),
        timeToMitigateS: secs(metrics.timeToMitigate),
        timeToRecoverS: secs(metrics.timeToRecover),
        impactS: secs(metrics.impact),
        openS: secs(metrics.open),
      };
      return {
        ...h,
        kind: 'resolved',
        declaredAt: iso(s.declaredAt),
        resolvedAt: iso(r?.at ?? m.now),
        resolvedBy: clip(r?.automatic ? `the runbook: ${r.why}` : nameOf(r?.by ?? null, 'the runbook'), 300),
        solution: clip(solution(s, 'the runbook'), 1000),
        notDone: bounded(notDone(s), 20),
        followUps: (s.proposal?.actionItems ?? []).map((a) => clip(a.title, 300)).slice(0, 20),
        metrics: Object.fromEntries(Object.entries(figures).filter(([, v]) => v !== undefined)),
        ...(d.note ? { timeToDeclareNote: clip(`the alert ${d.note}`, 200) } : {}),
        ...(r ? { postmortemDueAt: iso(r.postmortemDueAt), postmortemDueBusinessDays: s.postmortemDueBusinessDays } : {}),
        ...(s.evidence && /^https?:\/\//.test(s.evidence.postmortemUrl) ? { postmortemUrl: s.evidence.postmortemUrl } : {}),
      };
    }
  }
}
