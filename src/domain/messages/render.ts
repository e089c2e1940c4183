/**
 * Renders incident messages: one model per message kind (the runbook sentence with every
 * placeholder filled, facts, sections, buttons), turned into an Adaptive Card and into the same
 * content as plain text (the card's fallback, the local sink, activity-feed previews).
 * Claims are only made when the data supports them: "Metrics recovered" and "Health/Ready ✅"
 * appear only when the figures say so, otherwise the message says what is not yet green.
 */
import { stepChoices } from '../action-table.js';
import type { ContainmentChoice } from '../incident-events.js';
import {
  AdaptiveCard,
  CARD_SCHEMA,
  CARD_VERSION,
  cardText,
  container,
  factSet,
  textBlock,
  type CardElement,
  type OpenUrlAction,
} from './adaptive-card.js';
import { humanDuration } from '../time-format.js';
import { addMinutes, ms, oneLine, seconds, sentences, truncate, utcDate, utcDateTime, utcTime } from './format.js';

const secondsBetween = (from: string, to: string): number => Math.max(0, (Date.parse(to) - Date.parse(from)) / 1000);
import {
  IncidentMessage,
  type ContainmentProposedMessage,
  type DeclaredMessage,
  type EscalationMessage,
  type EscalationReason,
  type HealthFigures,
  type IncidentMessageInput,
  type Person,
  type PostmortemDueMessage,
  type ResolvedMessage,
  type RollbackExecutedMessage,
  type RollbackStartedMessage,
  type StabilizedMessage,
  type StatusUpdateMessage,
} from './types.js';

export interface RenderContext {
  /**
   * The client reference of this message (derived from incident + step), shown in the footer and
   * used as the attachment id, so an interrupted post can be found again.
   */
  reference: string;
  /** Signed approval link per choice, for containment proposals; absent when approvals are off. */
  approvalLinks?: Partial<Record<ContainmentChoice, string>>;
}

export type Importance = 'normal' | 'high';

export interface RenderedMessage {
  kind: IncidentMessage['kind'];
  /** The runbook sentence, one line: the headline and the notification text. */
  headline: string;
  /** A few words ("P1 incident declared — Prod"): the reason line of a feed notification. */
  shortTitle: string;
  /** At most 150 characters (what Teams shows in feeds and previews). */
  preview: string;
  /** The whole message as plain text. */
  text: string;
  card: AdaptiveCard;
  importance: Importance;
}

type ContainerStyle = 'default' | 'emphasis' | 'good' | 'attention' | 'warning' | 'accent';

export interface Section {
  /** Omitted for a plain paragraph. */
  heading?: string;
  lines: string[];
  bullets?: boolean;
}

/** What a message says, before it becomes a card and plain text (shared with the freeze messages). */
export interface Model {
  style: ContainerStyle;
  shortTitle: string;
  sentence: string;
  facts: [string, string | undefined][];
  sections: Section[];
  actions: { title: string; url: string; style: 'positive' | 'destructive' | 'default' }[];
  /** Shown instead of buttons when a decision is asked but no links can be offered. */
  actionsNote?: string;
  importance: Importance;
}

export const PREVIEW_MAX = 150;

/** The paths of several steps; a choice that is one action takes its label from the action table. */
const CHOICE_LABELS = {
  'accept-proposal': 'Approve proposal',
  'revert-config': 'Revert flags/config',
  'app-to-lkg-forward-fix': 'App to LKG + forward fix',
  'monitor-only': 'Do not contain; keep monitoring',
  ...Object.fromEntries(stepChoices()),
} as Record<ContainmentChoice, string>;

export function choiceLabel(choice: ContainmentChoice, label?: string): string {
  return label ?? CHOICE_LABELS[choice];
}

const STATUS_LABELS: Record<StatusUpdateMessage['status'], string> = {
  investigating: 'Investigating',
  identified: 'Cause identified',
  containing: 'Containment in progress',
  recovering: 'Recovering',
  monitoring: 'Monitoring',
  blocked: 'Blocked: the containment did not go through, a person must act',
};

function person(p: Person | undefined): string | undefined {
  if (!p) return undefined;
  return p.upn ? `${p.name} (${p.upn})` : p.name;
}

function mention(p: Person | undefined): string {
  return p ? `@${p.name}` : 'unassigned';
}

const PROBE: Record<HealthFigures['healthz'], string> = { green: '✅', degraded: '⚠️ degraded', red: '❌', unknown: '❔ not measured' };

/** Health (liveness, /healthz) and Ready (/ready), each from its own result: ✅ only for a green probe. */
function healthReady(h: HealthFigures): string {
  if (h.healthz === 'green' && h.ready === 'green') return 'Health/Ready ✅';
  return `Health ${PROBE[h.healthz]}, Ready ${PROBE[h.ready]}`;
}

function sse(h: HealthFigures): string {
  if (!h.sse) return 'SSE not measured';
  const { ttfbMs, heartbeatS, ttfbBudgetMs, heartbeatBudgetS } = h.sse;
  const over: string[] = [];
  if (ttfbMs > ttfbBudgetMs) over.push(`TTFB budget ${ms(ttfbBudgetMs)}`);
  if (heartbeatS > heartbeatBudgetS) over.push(`heartbeat budget ${seconds(heartbeatBudgetS)}`);
  const figures = `SSE TTFB ${ms(ttfbMs)}, heartbeat ${seconds(heartbeatS)}`;
  return over.length ? `${figures} (⚠️ over ${over.join(' and ')})` : figures;
}

function isGreen(h: HealthFigures): boolean {
  return h.healthz === 'green' && h.ready === 'green' && (!h.sse || (h.sse.ttfbMs <= h.sse.ttfbBudgetMs && h.sse.heartbeatS <= h.sse.heartbeatBudgetS));
}

function commonFacts(m: { incidentId: string; service: string; environment: string; severity: string }): [string, string][] {
  return [
    ['Incident', m.incidentId],
    ['Service', m.service],
    ['Environment', m.environment],
    ['Severity', m.severity],
  ];
}

function declared(m: DeclaredMessage): Model {
  return {
    style: 'attention',
    shortTitle: `${m.severity} incident declared — ${m.environment}`,
    importance: m.severity === 'P3' ? 'normal' : 'high',
    sentence: sentences(
      `🚨 ${m.severity} INCIDENT — ${m.environment} — ${oneLine(m.summary)}`,
      `Impact: ${m.impact.join(', ')}`,
      `Actions underway: ${oneLine(m.actions)}`,
      `Next update at ${utcTime(m.nextUpdateAt)}`,
    ),
    facts: [
      ...commonFacts(m),
      ['Declared', utcDateTime(m.declaredAt)],
      ['Alert', m.alert ? `${m.alert.rule} (fired ${utcDateTime(m.alert.firedAt)})` : undefined],
      ['Fired time', m.alert?.timeNote ? `not believed (${m.alert.timeNote}); not used for time to declare` : undefined],
      ['Signal', m.alert?.signal],
      ['Release', m.release ? (m.release.sha ? `${m.release.tag} (${m.release.sha})` : m.release.tag) : undefined],
      ['IC', person(m.roles.ic) ?? 'unassigned'],
      ['Deputy', person(m.roles.deputy) ?? 'unassigned'],
      ['Scribe', person(m.roles.scribe)],
      ['Comms', person(m.roles.comms)],
      ['Status', m.statusUrl],
    ],
    sections: [{ lines: ['Updates follow in this thread.'] }],
    actions: [],
  };
}

function update(m: StatusUpdateMessage): Model {
  const change = m.severityChange;
  const changed = change ? `Severity ${change.to < change.from ? 'raised' : 'lowered'} from ${change.from} to ${change.to} by ${change.by}` : null;
  const sections: Section[] = [
    // The sentence says who changed it; the section says why, in their words.
    ...(change ? [{ heading: 'Why the severity changed', lines: [oneLine(change.reason)] }] : []),
    { heading: 'Progress', lines: [m.progress] },
    { heading: 'Next steps', lines: [m.nextSteps] },
  ];
  if (m.eta) sections.push({ heading: 'ETA', lines: [m.eta] });
  if (m.health) sections.push({ heading: 'Health', lines: [sentences(healthReady(m.health), sse(m.health))] });
  if (m.signals) sections.push({ heading: 'Signals', lines: [m.signals] });
  if (m.triage?.length) sections.push({ heading: 'Triage (logs)', lines: [...m.triage, ...(m.triageQuery ? [`Query: ${m.triageQuery}`] : [])], bullets: true });
  return {
    style: 'emphasis',
    shortTitle: `Update #${m.sequence} — ${m.severity} ${m.environment}`,
    importance: 'normal',
    sentence: sentences(
      `⏱️ UPDATE #${m.sequence} [${utcTime(m.at)}] — ${m.severity} ${m.environment}`,
      ...(changed ? [changed] : []),
      `Status: ${STATUS_LABELS[m.status]}`,
      `Next update at ${utcTime(m.nextUpdateAt)}`,
    ),
    facts: [['Incident', m.incidentId], ['Service', m.service], ['Status', m.statusUrl]],
    sections,
    actions: [],
  };
}

function containment(m: ContainmentProposedMessage, ctx: RenderContext): Model {
  const fallback =
    m.ifNoAnswerDetail ??
    (m.ifNoAnswer === 'rollback'
      ? `the automation rolls back to ${m.releases && m.releases.previous !== 'unknown' ? `LKG ${m.releases.previous}` : 'the last known good release'} ("if in doubt, roll back")`
      : 'the automation escalates and reminds');
  const actions: Model['actions'] = [];
  const missing: string[] = [];
  m.options.forEach((o, i) => {
    const link = ctx.approvalLinks?.[o.choice];
    if (!link) {
      missing.push(o.choice);
      return;
    }
    const title = choiceLabel(o.choice, o.label);
    actions.push({ title, url: link, style: i === 0 ? 'positive' : o.choice === 'monitor-only' ? 'destructive' : 'default' });
  });
  return {
    style: 'warning',
    shortTitle: `Decision needed by ${utcTime(m.decisionDeadline)} — ${m.severity} ${m.environment}`,
    importance: 'high',
    sentence: sentences(
      `⚖️ DECISION NEEDED — ${m.severity} ${m.environment} — ${oneLine(m.title)}`,
      `Decide by ${utcTime(m.decisionDeadline)}; if nobody answers, ${fallback}`,
    ),
    facts: [
      ...commonFacts(m),
      ['Proposal', m.proposalId],
      ['Proposed path', choiceLabel(m.proposed)],
      ['Current release', m.releases?.current],
      ['Last known good', m.releases?.previous],
      ['Deadline', utcDateTime(m.decisionDeadline)],
    ],
    sections: [
      { heading: 'Why', lines: [m.rationale] },
      { heading: 'What would change', lines: m.changes, bullets: true },
    ],
    actions,
    actionsNote:
      missing.length === m.options.length
        ? 'Approval links are not available (approvals are not configured); decide through the incident API.'
        : undefined,
  };
}

function rollbackStarted(m: RollbackStartedMessage): Model {
  return {
    style: 'warning',
    shortTitle: `Rollback started — ${m.environment}`,
    importance: 'high',
    sentence: sentences(
      `⏪ Declaring rollback in ${m.environment} for ${m.service}`,
      `Current release ${m.releases.current} failing due to ${oneLine(m.reason)}`,
      m.releases.previous === 'unknown' ? 'Reverting to the last known good release now (none is known yet: if none is recorded, the rollback is refused and people are paged)' : `Reverting to LKG ${m.releases.previous} now`,
      `IC: ${mention(m.roles.ic)}, Deputy: ${mention(m.roles.deputy)}`,
    ),
    facts: [
      ...commonFacts(m),
      ['Started', utcDateTime(m.startedAt)],
      ['Rolling back', m.targets.map((t) => (t === 'api' ? 'API' : t === 'web' ? 'Web' : 'Flags/config')).join(', ')],
      ['Deploy freeze', m.deployFreeze ? `in place for ${m.environment}` : 'NOT in place: hold deployments manually'],
      ['Status', m.statusUrl],
    ],
    sections: [],
    actions: [],
  };
}

function rollbackExecuted(m: RollbackExecutedMessage): Model {
  const green = isGreen(m.health) && (m.metricsRecovered || m.checksRecovered === true);
  return {
    style: green ? 'good' : 'attention',
    shortTitle: `Rolled back to ${m.releases.previous} — ${m.environment}`,
    importance: green ? 'normal' : 'high',
    sentence: sentences(
      `↩️ Rolled back to ${m.releases.previous} due to ${oneLine(m.reason)}`,
      // Only what was measured: metrics when the signal readers judged them, else the smoke checks.
      m.metricsRecovered ? 'Metrics recovered' : m.checksRecovered ? 'Smoke checks recovered (no metrics were read)' : 'Metrics have NOT recovered yet',
      m.evidenceUrl ? 'Evidence attached' : 'Evidence is being archived',
      m.rcaAt ? `RCA scheduled for ${utcDateTime(m.rcaAt)}` : 'RCA to be scheduled',
    ),
    facts: [
      ...commonFacts(m),
      ['Started', utcDateTime(m.startedAt)],
      ['Completed', `${utcDateTime(m.completedAt)} (${humanDuration(secondsBetween(m.startedAt, m.completedAt))} after it started)`],
      ['Evidence', m.evidenceUrl],
    ],
    sections: [
      {
        heading: 'Rollback',
        lines: [
          sentences(
            `Rollback complete in ${m.environment}`,
            `Reverted to ${m.releases.previous}`,
            healthReady(m.health),
            sse(m.health),
            `Investigating root cause on ${m.releases.current}`,
          ),
        ],
      },
    ],
    actions: m.evidenceUrl ? [{ title: 'Open evidence', url: m.evidenceUrl, style: 'default' }] : [],
  };
}

function stabilized(m: StabilizedMessage): Model {
  return {
    style: isGreen(m.health) ? 'good' : 'warning',
    shortTitle: `Stabilized — ${m.environment}`,
    importance: 'normal',
    sentence: sentences(
      `✅ Stabilized — ${m.environment}`,
      healthReady(m.health),
      sse(m.health),
      `Monitoring for ${m.monitoringMinutes} min`,
      'RCA to follow',
    ),
    facts: [...commonFacts(m), ['Monitoring until', utcDateTime(addMinutes(m.at, m.monitoringMinutes))], ['Status', m.statusUrl]],
    sections: [],
    actions: [],
  };
}

function resolved(m: ResolvedMessage): Model {
  const metric = (v: number | undefined) => (v === undefined ? undefined : humanDuration(v));
  const open = m.metrics.openS ?? (Date.parse(m.resolvedAt) - Date.parse(m.declaredAt)) / 1000;
  return {
    style: m.notDone.length ? 'warning' : 'good',
    shortTitle: `Resolved — ${m.severity} ${m.environment}`,
    importance: 'normal',
    sentence: sentences(
      `✅ RESOLVED [${utcDateTime(m.resolvedAt)}] — ${m.severity} ${m.environment} — ${m.service}`,
      m.notDone.length ? `${m.notDone.length === 1 ? 'One action' : `${m.notDone.length} actions`} did not go through (below)` : undefined,
    ),
    facts: [
      ...commonFacts(m),
      ['Resolved by', m.resolvedBy],
      ['Open for', humanDuration(open)],
      ['Time to declare', m.metrics.timeToDeclareS !== undefined ? metric(m.metrics.timeToDeclareS) : m.timeToDeclareNote ? `not computed (${m.timeToDeclareNote})` : undefined],
      ['Time to acknowledge', metric(m.metrics.timeToAcknowledgeS) ?? 'none: nobody acknowledged'],
      ['Time to mitigate', metric(m.metrics.timeToMitigateS) ?? 'none: no containment change went through'],
      ['Time to recover', metric(m.metrics.timeToRecoverS) ?? 'none: the checks have not stayed green since containment'],
      ['Impact', metric(m.metrics.impactS)],
      ['Postmortem due', m.postmortemDueAt ? `${utcDate(m.postmortemDueAt)}${m.postmortemDueBusinessDays ? `, ${m.postmortemDueBusinessDays} business days after resolution (Mon–Fri, UTC)` : ''}` : undefined],
    ],
    sections: [
      { heading: 'Solution', lines: [m.solution] },
      ...(m.notDone.length ? [{ heading: 'Not done', lines: m.notDone, bullets: true }] : []),
      { heading: 'Root cause', lines: [m.rootCause ?? 'To be established in the postmortem.'] },
      ...(m.followUps.length ? [{ heading: 'Follow-up', lines: m.followUps, bullets: true }] : []),
      {
        heading: 'Postmortem',
        lines: [m.postmortemUrl ?? `Draft to follow; due ${m.postmortemDueAt ? utcDate(m.postmortemDueAt) : `within ${m.postmortemDueBusinessDays ?? 3} business days`}.`],
      },
    ],
    actions: m.postmortemUrl ? [{ title: 'Open postmortem', url: m.postmortemUrl, style: 'default' }] : [],
  };
}

/** Each escalation is titled by its reason, so two different ones never read alike. */
const ESCALATION_TITLES: Record<EscalationReason, string> = {
  'no-ic': 'no incident commander',
  'no-ack': 'nobody has acknowledged',
  'no-decision': 'no containment decision',
  'action-refused': 'a containment step was refused',
  'action-failed': 'a containment step failed',
  'not-recovered': 'not recovered in time',
  regression: 'regression during monitoring',
  'no-rollback-target': 'no rollback target',
};

export function escalationTitle(why: EscalationReason): string {
  return ESCALATION_TITLES[why];
}

function escalation(m: EscalationMessage): Model {
  const title = ESCALATION_TITLES[m.why];
  return {
    style: 'attention',
    shortTitle: `Escalation: ${title} — ${m.severity} ${m.environment}`,
    importance: 'high',
    sentence: sentences(
      `📣 ESCALATION: ${title.toUpperCase()} — ${m.severity} ${m.environment} — ${oneLine(m.reason)}`,
      `Engaging: ${m.engaging.map((p) => `@${p.name}`).join(', ')}`,
    ),
    facts: [
      ...commonFacts(m),
      ['Declared', `${utcDateTime(m.declaredAt)} (${humanDuration(secondsBetween(m.declaredAt, m.at))} ago)`],
      ['IC', person(m.roles.ic) ?? 'unassigned'],
      ['Deputy', person(m.roles.deputy) ?? 'unassigned'],
      ['Next escalation', m.nextEscalationAt ? utcDateTime(m.nextEscalationAt) : undefined],
      ['Status', m.statusUrl],
    ],
    sections: [],
    actions: [],
  };
}

const POSTMORTEM_TEMPLATE = [
  'Summary & Impact (duration, affected users)',
  'Timeline (UTC): detection → decision → containment → recovery',
  'Root Cause (code/config/data/infra)',
  'Contributing Factors (process/tooling)',
  "What Worked / What Didn't",
  'Action Items (owner, due date)',
  'Evidence Links (release artifacts, dashboards, logs, audits)',
];

function postmortemDue(m: PostmortemDueMessage): Model {
  return {
    style: m.overdue ? 'attention' : 'accent',
    shortTitle: `${m.overdue ? 'Postmortem overdue' : `Postmortem due ${utcDate(m.dueAt)}`} — ${m.environment}`,
    importance: m.overdue ? 'high' : 'normal',
    sentence: sentences(
      m.overdue
        ? `📝 Postmortem OVERDUE (was due ${utcDate(m.dueAt)}) — ${m.severity} ${m.environment} — ${m.service}`
        : `📝 Postmortem due ${utcDate(m.dueAt)} — ${m.severity} ${m.environment} — ${m.service}`,
      `Owner: ${m.owner ? `@${m.owner.name}` : 'unassigned'}`,
    ),
    facts: [...commonFacts(m), ['Resolved', utcDateTime(m.resolvedAt)], ['Draft', m.draftUrl]],
    sections: [{ heading: 'Template (no-blame)', lines: POSTMORTEM_TEMPLATE, bullets: true }],
    actions: m.draftUrl ? [{ title: 'Open draft', url: m.draftUrl, style: 'default' }] : [],
  };
}

function modelOf(m: IncidentMessage, ctx: RenderContext): Model {
  switch (m.kind) {
    case 'declared':
      return declared(m);
    case 'update':
      return update(m);
    case 'containment-proposed':
      return containment(m, ctx);
    case 'rollback-started':
      return rollbackStarted(m);
    case 'rollback-executed':
      return rollbackExecuted(m);
    case 'stabilized':
      return stabilized(m);
    case 'resolved':
      return resolved(m);
    case 'escalation':
      return escalation(m);
    case 'postmortem-due':
      return postmortemDue(m);
  }
}

function footer(m: IncidentMessage, ctx: RenderContext): string {
  return `Incident ${m.incidentId} · ref ${ctx.reference}`;
}

function toText(model: Model, foot: string): string {
  const out: string[] = [model.sentence, ''];
  const facts = model.facts.filter((f): f is [string, string] => typeof f[1] === 'string' && f[1] !== '');
  for (const [title, value] of facts) out.push(`${title}: ${oneLine(value)}`);
  for (const s of model.sections) {
    out.push('');
    const lead = s.heading ? `${s.heading}:` : '';
    if (s.bullets) {
      if (lead) out.push(lead);
      for (const line of s.lines) out.push(`  • ${oneLine(line)}`);
    } else {
      out.push([lead, ...s.lines.map(oneLine)].filter(Boolean).join(' '));
    }
  }
  if (model.actions.length || model.actionsNote) out.push('');
  for (const a of model.actions) out.push(`${a.title}: ${a.url}`);
  if (model.actionsNote) out.push(model.actionsNote);
  out.push('', foot);
  return out.join('\n');
}

function toCard(model: Model, foot: string, fallbackText: string): AdaptiveCard {
  const body: CardElement[] = [
    container([textBlock(cardText(model.sentence), { weight: 'bolder', size: 'medium' })], { style: model.style, bleed: true }),
  ];
  const facts = factSet(model.facts);
  if (facts) body.push(facts);
  for (const s of model.sections) {
    const items: CardElement[] = s.heading ? [textBlock(s.heading, { weight: 'bolder', spacing: 'none' })] : [];
    if (s.bullets) for (const line of s.lines) items.push(textBlock(`• ${cardText(line)}`, { spacing: 'none' }));
    else items.push(textBlock(cardText(s.lines.join(' ')), { spacing: 'none' }));
    body.push(container(items, { spacing: 'medium' }));
  }
  if (model.actionsNote) body.push(textBlock(model.actionsNote, { color: 'warning' }));
  body.push(textBlock(foot, { isSubtle: true, size: 'small', separator: true }));
  const actions: OpenUrlAction[] = model.actions.map((a) => ({ type: 'Action.OpenUrl', title: a.title, url: a.url, style: a.style }));
  const card: AdaptiveCard = {
    type: 'AdaptiveCard',
    $schema: CARD_SCHEMA,
    version: CARD_VERSION,
    body,
    ...(actions.length ? { actions } : {}),
    fallbackText,
    msteams: { width: 'Full' },
  };
  // Our own output: a failure here is a bug in a renderer, caught by the tests of every kind.
  return AdaptiveCard.parse(card);
}

/** A model as a card with the same content as plain text (its fallback), a headline and a preview. */
export function renderModel(model: Model, foot: string): Omit<RenderedMessage, 'kind'> {
  const text = toText(model, foot);
  return {
    headline: oneLine(model.sentence),
    shortTitle: model.shortTitle,
    preview: truncate(oneLine(model.sentence), PREVIEW_MAX),
    text,
    card: toCard(model, foot, text),
    importance: model.importance,
  };
}

/** Validates the message input (zod) and renders it. Throws a ZodError for invalid input. */
export function renderMessage(input: IncidentMessageInput | IncidentMessage, ctx: RenderContext): RenderedMessage {
  const message = IncidentMessage.parse(input);
  return { kind: message.kind, ...renderModel(modelOf(message, ctx), footer(message, ctx)) };
}
