/**
 * The incident report: one self-contained HTML page (no script, no external resource) with an SVG
 * timeline chart of the runbook's phases, its timeboxes (deadline markers, met or missed) and the
 * smoke results (green / degraded / red), then the numbers, the actions with their execution ids,
 * the audit diffs, approvals, messages and the evidence list. People in or after an outage would
 * rather look than read. Pure; every piece of incident text is escaped.
 *
 * Drawn to be read on any machine: labels are placed from the font's real metrics so none overlaps
 * another or runs off the chart; the time axis fits any span (seconds to years, broken when a lone
 * moment lies far away); symbols the reader's fonts may lack are drawn as SVG (report-text.ts); and
 * the page stays a few screens long whatever the incident: long tables show their first and last
 * rows with the rest folded (a <details>, which needs no script), and the pack has everything.
 */
import type { EvidenceBundle, IncidentMetrics, Phase, SmokeRun, SmokeStatus, TimeboxRecord } from './evidence.js';
import { smokeVerdict } from './evidence.js';
import { releaseLine, timelineRows } from './postmortem.js';
import { chooseStep, contextLabel, gapLabel, MAX_TICKS, momentLabel, tickLabel, ticksOf, TICK_FONT, timeScale, type TimeScale } from './report-axis.js';
import { day, draftActionItems, escapeHtml as esc, humanDuration, postmortemDue, safeUrl, timeboxLabel, utc } from './report-format.js';
import { CHART_FONT, portablePieces, portableText, textWidth, type SymbolName } from './report-text.js';

export interface ReportInput {
  bundle: EvidenceBundle;
  metrics: IncidentMetrics;
  generatedAt: string;
  dueBusinessDays: number;
  location: string;
}

export const COLORS = {
  green: '#2e7d32',
  degraded: '#f2a900',
  red: '#c62828',
  none: '#9e9e9e',
  ink: '#1f2933',
  muted: '#5f6b7a',
  grid: '#e4e7eb',
  deadline: '#37474f',
  phase: { Detect: '#cfd8dc', Triage: '#ffe0b2', Contain: '#ffcc80', Recover: '#b3e5fc', Monitor: '#c8e6c9' } as Record<Phase['name'], string>,
};

const SEVERITY_COLOR: Record<string, string> = { P1: '#b71c1c', P2: '#e65100', P3: '#1565c0' };

const statusColor = (v: 'green' | 'degraded' | 'red' | 'none'): string => COLORS[v];

function worst(statuses: readonly SmokeStatus[]): 'green' | 'degraded' | 'red' | 'none' {
  return smokeVerdict(statuses.map((status) => ({ status })));
}

/** Rows the chart draws at most, whatever the incident: the rest is in the tables below it. */
export const CHART_LIMITS = { checkRows: 8, actionLabelRows: 4 };

// ---------------------------------------------------------------------------------------------
// The SVG chart

const W = 1160;
const LABEL_W = 236;
const RIGHT = 24;
const X0 = LABEL_W;
const X1 = W - RIGHT;
const ROW = 28;
const CONTEXT_Y = 14;
const TICK_Y = 32;
const AXIS_Y = 40;
/** Font sizes (px) of the chart's text, as its style sets them. */
const SIZE = { section: 13, row: 13, sub: 11, moment: 12, action: 12, tblabel: 11, legend: 12, context: 11, gap: 10, phase: 12 };

/** Every time the chart places, so the axis covers them all. */
function timesOf(bundle: EvidenceBundle): number[] {
  const r = bundle.incident;
  const times: number[] = [];
  const add = (at: string | null | undefined) => {
    const t = at ? Date.parse(at) : NaN;
    if (!Number.isNaN(t)) times.push(t);
  };
  if (r) {
    Object.values(r.milestones).forEach((v) => add(v));
    r.timeboxes.forEach((t) => {
      add(t.startedAt);
      add(t.deadline);
      add(t.metAt);
    });
  }
  bundle.smoke.forEach((s) => add(s.at));
  bundle.rollback.forEach((a) => add(a.at));
  bundle.timeline.forEach((e) => add(e.at));
  if (times.length === 0) add(bundle.ref.declaredAt);
  return times;
}

function text(x: number, y: number, content: string, attrs = ''): string {
  return `<text x="${x.toFixed(1)}" y="${y.toFixed(1)}" ${attrs}>${esc(portableText(content))}</text>`;
}

interface Box {
  left: number;
  right: number;
}

/**
 * Places boxes left to right on as few rows as needed so none overlaps another; a box that would
 * need a row beyond `maxRows` gets none (null).
 */
function stack(items: readonly Box[], maxRows = Infinity, gap = 8): (number | null)[] {
  const ends: number[] = [];
  return items.map((it) => {
    let row = ends.findIndex((end) => it.left > end + gap);
    if (row < 0) {
      if (ends.length >= maxRows) return null;
      row = ends.push(-Infinity) - 1;
    }
    ends[row] = it.right;
    return row;
  });
}

/** Keeps a label of width `w` centred on x, shifted as little as needed to stay within [lo, hi]. */
function clampBox(x: number, w: number, lo: number, hi: number): Box {
  const left = Math.min(Math.max(x - w / 2, lo), hi - w);
  return { left, right: left + w };
}

/** A horizontal bar from xa to xb, cut where the axis is broken (the break stands for time not drawn). */
function hbar(sc: TimeScale, xa: number, xb: number, draw: (x: number, w: number) => string): string {
  let parts: [number, number][] = [[xa, xb]];
  for (const b of sc.breaks) {
    parts = parts.flatMap(([a, c]): [number, number][] => {
      if (c <= b.x0 + 6 || a >= b.x1 - 6) return [[a, c]];
      const out: [number, number][] = [];
      if (a < b.x0 + 6) out.push([a, b.x0 + 6]);
      if (c > b.x1 - 6) out.push([b.x1 - 6, c]);
      return out;
    });
  }
  return parts.map(([a, c]) => draw(a, Math.max(c - a, 0))).join('');
}

interface Milestone {
  label: string;
  at: string;
}

function milestonesOf(bundle: EvidenceBundle): Milestone[] {
  const m = bundle.incident?.milestones;
  if (!m) return [{ label: 'Declared', at: bundle.ref.declaredAt }];
  const list: [string, string | null][] = [
    ['Detected', m.detectedAt],
    ['Declared', m.declaredAt],
    ['Acknowledged', m.acknowledgedAt],
    ['Decided', m.decidedAt],
    ['Mitigated', m.mitigatedAt],
    ['Recovered', m.recoveredAt],
    ['Resolved', m.resolvedAt],
  ];
  return list.filter((x): x is [string, string] => !!x[1] && !Number.isNaN(Date.parse(x[1]))).map(([label, at]) => ({ label, at }));
}

interface MomentGroup {
  labels: string[];
  at: string;
  /** What the label says: "Declared, Acknowledged 10:33". */
  text: string;
}

/** Key moments that read the same time (to the minute) share one label, so a busy minute takes one line. */
function momentGroups(milestones: readonly Milestone[], when: (at: string) => string): MomentGroup[] {
  const groups: MomentGroup[] = [];
  for (const m of milestones) {
    const last = groups.at(-1);
    if (last && when(last.at) === when(m.at)) last.labels.push(m.label);
    else groups.push({ labels: [m.label], at: m.at, text: '' });
  }
  for (const g of groups) g.text = `${g.labels.join(', ')} ${when(g.at)}`;
  return groups;
}

/** The moment short times are relative to: the declaration. */
function referenceOf(bundle: EvidenceBundle): number {
  const t = Date.parse(bundle.incident?.milestones.declaredAt ?? bundle.ref.declaredAt);
  return Number.isNaN(t) ? 0 : t;
}

/** The axis: context (the date) over each stretch, tick labels, grid lines and the break marks. */
function axis(sc: TimeScale, plotBottom: number): { under: string[]; over: string[] } {
  const under: string[] = [];
  const over: string[] = [];
  under.push(text(12, TICK_Y, 'UTC', 'class="tick"'));
  let budget = MAX_TICKS;
  sc.segments.forEach((seg, i) => {
    const last = i === sc.segments.length - 1;
    under.push(`<rect x="${seg.x0.toFixed(1)}" y="${AXIS_Y}" width="${(seg.x1 - seg.x0).toFixed(1)}" height="${(plotBottom - AXIS_Y).toFixed(1)}" fill="#fbfcfd"/>`);
    const step = chooseStep(seg.t0, seg.t1, seg.x1 - seg.x0, Math.max(1, budget - (sc.segments.length - 1 - i)));
    const ticks = ticksOf(seg.t0, seg.t1, step);
    budget -= ticks.length;
    // A label may reach into the row labels' column on the left and the margin on the right, but
    // never into a break (its gap label is there).
    const lo = i === 0 ? seg.x0 - 40 : seg.x0 + 2;
    const hi = last ? W - 2 : seg.x1 - 2;
    for (const t of ticks) {
      const x = sc.x(t);
      under.push(`<line x1="${x.toFixed(1)}" x2="${x.toFixed(1)}" y1="${AXIS_Y}" y2="${plotBottom.toFixed(1)}" class="grid"/>`);
      const label = tickLabel(t, step);
      const w = textWidth(label, TICK_FONT);
      if (x - w / 2 >= lo && x + w / 2 <= hi) under.push(text(x, TICK_Y, label, `class="tick${t % 86_400_000 === 0 && step.ms < 86_400_000 ? ' day' : ''}" text-anchor="middle"`));
    }
    const context = contextLabel(seg.t0, step);
    if (context) under.push(text(seg.x0, CONTEXT_Y, context, 'class="context"'));
  });
  for (const b of sc.breaks) {
    const mid = (b.x0 + b.x1) / 2;
    const slash = (x: number, y: number) => `<path d="M ${(x - 4).toFixed(1)} ${(y + 7).toFixed(1)} L ${(x + 4).toFixed(1)} ${(y - 7).toFixed(1)}" class="break"/>`;
    over.push(slash(b.x0 + 6, AXIS_Y + 8), slash(b.x0 + 11, AXIS_Y + 8), slash(b.x1 - 11, AXIS_Y + 8), slash(b.x1 - 6, AXIS_Y + 8));
    over.push(slash(b.x0 + 6, plotBottom - 8), slash(b.x0 + 11, plotBottom - 8), slash(b.x1 - 11, plotBottom - 8), slash(b.x1 - 6, plotBottom - 8));
    over.push(
      `<g><title>${esc(`The axis is broken here: ${gapLabel(b.toMs - b.fromMs)} (${utc(new Date(b.fromMs).toISOString())} to ${utc(new Date(b.toMs).toISOString())}) are not drawn`)}</title>` +
        text(mid, TICK_Y, gapLabel(b.toMs - b.fromMs), 'class="gap" text-anchor="middle"') +
        '</g>',
    );
  }
  return { under, over };
}

export function renderTimelineSvg(bundle: EvidenceBundle): string {
  const sc = timeScale(timesOf(bundle), X0, X1);
  const ref = referenceOf(bundle);
  const when = (at: string) => momentLabel(Date.parse(at), ref);
  const r = bundle.incident;
  const phases = r?.phases ?? [];
  const milestones = milestonesOf(bundle);
  const timeboxes = r?.timeboxes ?? [];
  const allChecks = [...new Set(bundle.smoke.flatMap((s) => s.results.map((x) => x.check)))];
  const checks = allChecks.slice(0, CHART_LIMITS.checkRows);

  let y = AXIS_Y + 6;
  const body: string[] = [];
  const sectionLabel = (label: string) => {
    body.push(`<text class="section" x="12" y="${(y + 16).toFixed(1)}">${esc(label)}</text>`);
    body.push(`<line x1="12" x2="${X1}" y1="${(y + 22).toFixed(1)}" y2="${(y + 22).toFixed(1)}" class="rule"/>`);
    y += 28;
  };
  /**
   * A row's name and a note in small type: on one line when they fit the column; else the name on
   * its own line (broken at "-", "_", "." or a space onto two when it must) and the note under it,
   * or in the row's tooltip when there is no room; smaller type only for a name that cannot break.
   */
  const rowLabel = (label: string, sub?: string) => {
    const name = portableText(label);
    const room = X0 - 20 - 12;
    const wName = textWidth(name, SIZE.row, true);
    const wSub = sub ? textWidth(sub, SIZE.sub) + 6 : 0;
    const line = (ty: number, content: string, size = SIZE.row) =>
      body.push(`<text class="row" x="20" y="${ty.toFixed(1)}"${size !== SIZE.row ? ` style="font-size:${size}px"` : ''}>${esc(content)}</text>`);
    const tip = (inner: string) => (sub ? `<g><title>${esc(`${name} (${sub})`)}</title>${inner}</g>` : inner);
    if (wName + wSub <= room) {
      body.push(`<text class="row" x="20" y="${(y + ROW / 2 + 4).toFixed(1)}">${esc(name)}${sub ? `<tspan class="sub" dx="6">${esc(sub)}</tspan>` : ''}</text>`);
      return;
    }
    if (wName <= room) {
      line(y + 11, name);
      if (sub) body.push(`<text class="sub" x="20" y="${(y + 25).toFixed(1)}">${esc(sub)}</text>`);
      return;
    }
    // Two lines of the name, broken after the last separator that lets the first line fit.
    const small = SIZE.sub;
    let cut = -1;
    for (let i = 0; i < name.length; i++) if (/[-_. /]/.test(name[i]!) && textWidth(name.slice(0, i + 1), small, true) <= room) cut = i + 1;
    const [first, second] = cut > 0 ? [name.slice(0, cut).trim(), name.slice(cut).trim()] : [name, ''];
    const size = Math.min(small, Math.floor((small * room) / Math.max(textWidth(first, small, true), textWidth(second, small, true), 1)));
    const saved = body.length;
    line(y + 11, first, Math.max(8, size));
    if (second) line(y + 25, second, Math.max(8, size));
    body.splice(saved, body.length - saved, tip(body.slice(saved).join('')));
  };

  // Phases
  sectionLabel('Phases');
  rowLabel('Runbook phase');
  for (const p of phases) {
    const xa = sc.x(p.start);
    const xb = Math.max(sc.x(p.end), xa + 2);
    const w = xb - xa;
    const span = humanDuration((Date.parse(p.end) - Date.parse(p.start)) / 1000);
    const fits = w > textWidth(p.name, SIZE.phase, true) + 10;
    // The name goes in the middle of the bar's widest piece (a bar may cross a break).
    const mid = sc.breaks.length && xa < sc.breaks[0]!.x0 && xb > sc.breaks[0]!.x1 ? (sc.breaks[0]!.x0 - xa > xb - sc.breaks[0]!.x1 ? (xa + sc.breaks[0]!.x0) / 2 : (sc.breaks[0]!.x1 + xb) / 2) : xa + w / 2;
    body.push(
      `<g><title>${esc(`${p.name}: ${utc(p.start)} to ${utc(p.end)} (${span})`)}</title>` +
        hbar(sc, xa, xb, (x, bw) => `<rect x="${x.toFixed(1)}" y="${(y + 3).toFixed(1)}" width="${bw.toFixed(1)}" height="${ROW - 6}" rx="4" fill="${COLORS.phase[p.name]}" stroke="#ffffff" stroke-width="1.5"/>`) +
        (fits ? text(mid, y + ROW / 2 + 4, p.name, 'class="phase" text-anchor="middle"') : '') +
        '</g>',
    );
  }
  y += ROW + 4;

  // Key moments: a dot on the row's line, labels stacked above so none overlaps, each kept inside the chart.
  rowLabel('Key moments');
  const groups = momentGroups(milestones, when);
  const boxes = groups.map((g) => clampBox(sc.x(g.at), textWidth(g.text, SIZE.moment, true) + 4, X0 - 40, W - 4));
  const rows = stack(boxes);
  const usedRows = Math.max(1, ...rows.map((n) => (n ?? 0) + 1));
  const baseY = y + 8;
  const dotY = baseY + usedRows * 15 + 6;
  groups.forEach((g, i) => {
    const x = sc.x(g.at);
    const box = boxes[i]!;
    const ly = baseY + rows[i]! * 15 + 10;
    const lx = (box.left + box.right) / 2;
    const tip = g.labels.map((l) => `${l}: ${utc(milestones.find((m) => m.label === l)!.at)}`).join('; ');
    body.push(
      `<g><title>${esc(tip)}</title>` +
        `<line x1="${x.toFixed(1)}" x2="${x.toFixed(1)}" y1="${(ly + 3).toFixed(1)}" y2="${dotY.toFixed(1)}" class="leader"/>` +
        (Math.abs(lx - x) > 1 ? `<line x1="${Math.min(Math.max(x, box.left + 2), box.right - 2).toFixed(1)}" x2="${x.toFixed(1)}" y1="${(ly + 3).toFixed(1)}" y2="${(ly + 3).toFixed(1)}" class="leader"/>` : '') +
        g.labels.map((l) => `<circle cx="${sc.x(milestones.find((m) => m.label === l)!.at).toFixed(1)}" cy="${dotY.toFixed(1)}" r="4" fill="${COLORS.ink}"/>`).join('') +
        text(lx, ly, g.text, 'class="moment" text-anchor="middle"') +
        '</g>',
    );
  });
  y = dotY + 12;

  // Timeboxes
  if (timeboxes.length) {
    sectionLabel('Timeboxes');
    for (const t of timeboxes) {
      body.push(...timeboxRow(t, sc, y, rowLabel, when));
      y += ROW + 2;
    }
  }

  // Smoke checks
  if (checks.length) {
    sectionLabel('Smoke checks');
    for (const check of checks) {
      rowLabel(check, countLabel(bundle.smoke, check));
      body.push(...smokeRow(check, bundle.smoke, sc, y));
      y += ROW + 2;
    }
    if (allChecks.length > checks.length) {
      body.push(text(20, y + 14, `${allChecks.length - checks.length} more check(s): see the smoke checks table below`, 'class="sub"'));
      y += 20;
    }
  }

  // Actions (freeze, flag revert, slot swap...): markers on a line, labels stacked under them.
  if (bundle.rollback.length) {
    sectionLabel('Actions');
    const marks = bundle.rollback.map((a) => {
      const label = `${a.action.replace(/^[A-Za-z]+\./, '')}${a.outcome.kind === 'done' ? '' : ` (${a.outcome.kind})`}`;
      const x = sc.x(a.at);
      const w = textWidth(portableText(label), SIZE.action);
      // Labels run right from their marker, or end at it near the right edge.
      const leftward = x + 4 + w > W - 4;
      return { a, label, x, leftward, box: leftward ? { left: x - 4 - w, right: x } : { left: x, right: x + 4 + w } };
    });
    const labelRows = stack(
      marks.map((m) => m.box),
      CHART_LIMITS.actionLabelRows,
    );
    const unlabeled = labelRows.filter((n) => n === null).length;
    rowLabel('Containment / rollback', unlabeled ? `${unlabeled} more in the table` : undefined);
    const used = Math.max(1, ...labelRows.map((n) => (n ?? 0) + 1));
    const markY = y + 7;
    marks.forEach((m, i) => {
      const color = m.a.outcome.kind === 'done' ? COLORS.ink : m.a.outcome.kind === 'refused' ? COLORS.red : COLORS.muted;
      const id = m.a.outcome.kind === 'done' && m.a.outcome.executionId ? ` (execution ${m.a.outcome.executionId})` : '';
      const row = labelRows[i];
      const ly = markY + 18 + (row ?? 0) * 16;
      body.push(
        `<g><title>${esc(`${utc(m.a.at)} ${m.a.action}: ${m.a.outcome.kind}. ${m.a.outcome.summary}${id}`)}</title>` +
          `<path d="M ${(m.x - 6).toFixed(1)} ${(markY - 5).toFixed(1)} L ${(m.x + 6).toFixed(1)} ${(markY - 5).toFixed(1)} L ${m.x.toFixed(1)} ${(markY + 5).toFixed(1)} Z" fill="${color}"/>` +
          (row === null
            ? ''
            : `<line x1="${m.x.toFixed(1)}" x2="${m.x.toFixed(1)}" y1="${(markY + 5).toFixed(1)}" y2="${(ly + 3).toFixed(1)}" class="leader"/>` +
              text(m.leftward ? m.x - 4 : m.x + 4, ly, m.label, `class="action" fill="${color}" text-anchor="${m.leftward ? 'end' : 'start'}"`)) +
          '</g>',
      );
    });
    y = markY + 18 + (used - 1) * 16 + 10;
  }

  const plotBottom = y + 4;
  const ax = axis(sc, plotBottom);
  // Faint guides at the key moments, across every row
  const guides = milestones.map((m) => {
    const x = sc.x(m.at);
    return `<line x1="${x.toFixed(1)}" x2="${x.toFixed(1)}" y1="${AXIS_Y}" y2="${plotBottom.toFixed(1)}" class="guide"/>`;
  });

  // Legend, wrapped onto a second line when it does not fit.
  y = plotBottom + 26;
  const legend: string[] = [];
  let lx = 12;
  const swatch = (fill: string, label: string, shape: 'rect' | 'circle' | 'diamond' | 'check' | 'cross' | 'bar' = 'rect') => {
    const itemW = 26 + textWidth(label, SIZE.legend) + 18;
    if (lx + itemW > W - 4) {
      lx = 12;
      y += 22;
    }
    const cy = y - 4;
    if (shape === 'rect') legend.push(`<rect x="${lx}" y="${cy - 7}" width="18" height="14" rx="3" fill="${fill}" stroke="#b0bec5" stroke-width="0.5"/>`);
    if (shape === 'bar') legend.push(`<rect x="${lx}" y="${cy - 5}" width="22" height="10" rx="2" class="tb"/>`);
    if (shape === 'circle') legend.push(`<circle cx="${lx + 8}" cy="${cy}" r="6" fill="${fill}"/>`);
    if (shape === 'diamond') legend.push(`<path d="${diamond(lx + 8, cy, 6)}" fill="${fill}"/>`);
    if (shape === 'check') legend.push(check(lx + 8, cy, COLORS.green));
    if (shape === 'cross') legend.push(cross(lx + 8, cy, COLORS.red));
    legend.push(text(lx + 26, y, label, 'class="legend"'));
    lx += itemW;
  };
  for (const name of ['Detect', 'Triage', 'Contain', 'Recover', 'Monitor'] as const) swatch(COLORS.phase[name], name);
  lx += 10;
  swatch(COLORS.green, 'green', 'circle');
  swatch(COLORS.degraded, 'degraded', 'circle');
  swatch(COLORS.red, 'red', 'circle');
  lx += 10;
  swatch('', 'timebox', 'bar');
  swatch(COLORS.deadline, 'deadline', 'diamond');
  swatch('', 'met', 'check');
  swatch('', 'missed', 'cross');
  const height = y + 16;

  const style = `
    text { font-family: ${CHART_FONT}; fill: ${COLORS.ink}; }
    .section { font-size: ${SIZE.section}px; font-weight: 700; letter-spacing: .02em; fill: ${COLORS.muted}; }
    .row { font-size: ${SIZE.row}px; font-weight: 700; }
    .sub { font-size: ${SIZE.sub}px; font-weight: 400; fill: ${COLORS.muted}; }
    .tick { font-size: ${TICK_FONT}px; fill: ${COLORS.muted}; }
    .tick.day { font-weight: 700; fill: ${COLORS.ink}; }
    .context { font-size: ${SIZE.context}px; font-weight: 700; fill: ${COLORS.ink}; }
    .gap { font-size: ${SIZE.gap}px; fill: ${COLORS.muted}; }
    .phase { font-size: ${SIZE.phase}px; font-weight: 700; }
    .moment { font-size: ${SIZE.moment}px; font-weight: 700; }
    .action { font-size: ${SIZE.action}px; }
    .tblabel { font-size: ${SIZE.tblabel}px; fill: ${COLORS.muted}; }
    .legend { font-size: ${SIZE.legend}px; fill: ${COLORS.muted}; }
    .grid { stroke: ${COLORS.grid}; stroke-width: 1; }
    .guide { stroke: #90a4ae; stroke-width: 1; stroke-dasharray: 2 4; }
    .rule { stroke: ${COLORS.grid}; stroke-width: 1; }
    .leader { stroke: #90a4ae; stroke-width: 1; }
    .break { stroke: #90a4ae; stroke-width: 1.5; }
    .tb { fill: #e8eef6; stroke: #9fb3c8; stroke-width: 1; }
    .deadline { stroke: ${COLORS.deadline}; stroke-width: 1.5; stroke-dasharray: 4 3; }
  `;
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${height.toFixed(0)}" width="${W}" height="${height.toFixed(0)}" role="img" aria-label="${esc(`Incident ${bundle.ref.incidentId} timeline`)}">` +
    `<style>${style}</style>` +
    ax.under.join('') +
    guides.join('') +
    body.join('') +
    ax.over.join('') +
    legend.join('') +
    '</svg>'
  );
}

function diamond(x: number, y: number, r: number): string {
  return `M ${x.toFixed(1)} ${(y - r).toFixed(1)} L ${(x + r).toFixed(1)} ${y.toFixed(1)} L ${x.toFixed(1)} ${(y + r).toFixed(1)} L ${(x - r).toFixed(1)} ${y.toFixed(1)} Z`;
}

function check(x: number, y: number, color: string): string {
  return (
    `<circle cx="${x.toFixed(1)}" cy="${y.toFixed(1)}" r="7" fill="${color}"/>` +
    `<path d="M ${(x - 3.5).toFixed(1)} ${y.toFixed(1)} L ${(x - 1).toFixed(1)} ${(y + 2.8).toFixed(1)} L ${(x + 3.8).toFixed(1)} ${(y - 2.8).toFixed(1)}" stroke="#fff" stroke-width="2" fill="none" stroke-linecap="round" stroke-linejoin="round"/>`
  );
}

function cross(x: number, y: number, color: string): string {
  return (
    `<circle cx="${x.toFixed(1)}" cy="${y.toFixed(1)}" r="7" fill="${color}"/>` +
    `<path d="M ${(x - 3).toFixed(1)} ${(y - 3).toFixed(1)} L ${(x + 3).toFixed(1)} ${(y + 3).toFixed(1)} M ${(x + 3).toFixed(1)} ${(y - 3).toFixed(1)} L ${(x - 3).toFixed(1)} ${(y + 3).toFixed(1)}" stroke="#fff" stroke-width="2" stroke-linecap="round"/>`
  );
}

function timeboxRow(t: TimeboxRecord, sc: TimeScale, y: number, rowLabel: (l: string, s?: string) => void, when: (at: string) => string): string[] {
  const out: string[] = [];
  const minutes = Math.round((Date.parse(t.deadline) - Date.parse(t.startedAt)) / 60_000);
  rowLabel(timeboxLabel(t.name), `${minutes} min${t.extendedMinutes ? ` (+${t.extendedMinutes})` : ''}`);
  const xa = sc.x(t.startedAt);
  const xd = sc.x(t.deadline);
  const cy = y + ROW / 2;
  const verdict = t.verdict;
  const tip = `${timeboxLabel(t.name)}: started ${utc(t.startedAt)}, deadline ${utc(t.deadline)}${t.extendedMinutes ? ` (extended by ${t.extendedMinutes} min)` : ''}; ${verdict}${t.metAt ? ` at ${utc(t.metAt)}` : ''}`;
  out.push(`<g><title>${esc(tip)}</title>`);
  out.push(hbar(sc, Math.min(xa, xd), Math.max(xd, xa + 2), (x, w) => `<rect x="${x.toFixed(1)}" y="${(cy - 6).toFixed(1)}" width="${w.toFixed(1)}" height="12" rx="3" class="tb"/>`));
  out.push(`<line x1="${xd.toFixed(1)}" x2="${xd.toFixed(1)}" y1="${(y + 1).toFixed(1)}" y2="${(y + ROW - 1).toFixed(1)}" class="deadline"/>`);
  out.push(`<path d="${diamond(xd, cy, 6)}" fill="${COLORS.deadline}"/>`);
  // A mark where what it waited for came (met, or late); none for open or not applicable.
  const metX = t.metAt && (verdict === 'met' || verdict === 'missed') ? sc.x(t.metAt) : null;
  if (metX !== null) out.push(verdict === 'met' ? check(metX, cy, COLORS.green) : cross(metX, cy, COLORS.red));
  else if (verdict === 'missed') out.push(cross(xd, cy, COLORS.red));
  // The deadline's time, right of the marker; left of it when that would run off the chart; the
  // met marker (a circle of radius 7) is kept clear either way.
  const label = `due ${when(t.deadline)}`;
  const w = textWidth(label, SIZE.tblabel);
  const clear = (a: number, b: number) => metX === null || b < metX - 9 || a > metX + 9;
  const rightStart = metX !== null && metX > xd && metX - xd < w + 28 ? Math.max(xd + 10, metX + 10) : xd + 10;
  const leftEnd = metX !== null && metX < xd && xd - metX < w + 28 ? Math.min(xd - 10, metX - 10) : xd - 10;
  const right = rightStart + w <= W - 4 && clear(rightStart, rightStart + w);
  const left = leftEnd - w >= X0 - 30 && clear(leftEnd - w, leftEnd);
  if (right || !left) out.push(text(rightStart, cy + 4, label, 'class="tblabel" text-anchor="start"'));
  else out.push(text(leftEnd, cy + 4, label, 'class="tblabel" text-anchor="end"'));
  out.push('</g>');
  return out;
}

function countLabel(runs: readonly SmokeRun[], checkName: string): string {
  const n = runs.filter((r) => r.results.some((x) => x.check === checkName)).length;
  return `${n} run${n === 1 ? '' : 's'}`;
}

function smokeRow(checkName: string, runs: readonly SmokeRun[], sc: TimeScale, y: number): string[] {
  const out: string[] = [];
  const cy = y + ROW / 2;
  const points = runs
    .map((run) => ({ run, results: run.results.filter((x) => x.check === checkName) }))
    .filter((p) => p.results.length > 0)
    .map((p) => ({ ...p, verdict: worst(p.results.map((x) => x.status)), x: sc.x(p.run.at) }));
  // The typical spacing between runs decides the drawing (two runs at one moment, a snapshot and
  // a verification, do not): a dot per run when there is room for one, else a strip of colour
  // per stretch of equal results (every 2 minutes over hours would be a smear of dots).
  const gaps = points
    .slice(1)
    .map((p, i) => p.x - points[i]!.x)
    .sort((a, b) => a - b);
  const typical = gaps.length ? gaps[Math.floor(gaps.length / 2)]! : Infinity;
  if (typical < 16) {
    let start = 0;
    for (let i = 1; i <= points.length; i++) {
      const first = points[start]!;
      if (i < points.length && points[i]!.verdict === first.verdict) continue;
      const lastPoint = points[i - 1]!;
      const endX = points[i]?.x ?? lastPoint.x;
      const n = i - start;
      out.push(
        `<g><title>${esc(`${checkName}: ${first.verdict} from ${utc(first.run.at)} to ${utc(lastPoint.run.at)} (${n} run${n === 1 ? '' : 's'})`)}</title>` +
          hbar(sc, first.x, Math.max(endX, first.x + 2), (x, w) => `<rect x="${x.toFixed(1)}" y="${(cy - 6).toFixed(1)}" width="${w.toFixed(1)}" height="12" fill="${statusColor(first.verdict)}"/>`) +
          '</g>',
      );
      start = i;
    }
    return out;
  }
  // A band from each run to the next in the colour of the earlier result: the state as it was known.
  points.forEach((p, i) => {
    const next = points[i + 1];
    if (!next) return;
    out.push(hbar(sc, p.x, next.x, (x, w) => `<rect x="${x.toFixed(1)}" y="${(cy - 4).toFixed(1)}" width="${w.toFixed(1)}" height="8" fill="${statusColor(p.verdict)}" opacity="0.28"/>`));
  });
  for (const p of points) {
    const detail = p.results.map((x) => `${x.target}: ${x.status}${x.summary ? ` (${x.summary})` : ''}`).join('; ');
    out.push(
      `<g><title>${esc(`${checkName} at ${utc(p.run.at)} (${p.run.phase}): ${p.verdict}. ${detail.length > 600 ? `${detail.slice(0, 600)} ...` : detail}`)}</title>` +
        `<circle cx="${p.x.toFixed(1)}" cy="${cy.toFixed(1)}" r="7" fill="${statusColor(p.verdict)}" stroke="#fff" stroke-width="1.5"/></g>`,
    );
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// The page

/** Symbols as small pictures: they draw the same on every machine, with or without an emoji font. */
const ICONS: Record<SymbolName, string> = {
  ok: '<circle cx="8" cy="8" r="7" fill="#2e7d32"/><path d="M4.6 8.2 L7 10.6 L11.6 5.8" stroke="#fff" stroke-width="1.8" fill="none" stroke-linecap="round" stroke-linejoin="round"/>',
  fail: '<circle cx="8" cy="8" r="7" fill="#c62828"/><path d="M5.4 5.4 L10.6 10.6 M10.6 5.4 L5.4 10.6" stroke="#fff" stroke-width="1.8" stroke-linecap="round"/>',
  warn: '<path d="M8 1.5 L15 14.5 L1 14.5 Z" fill="#f2a900" stroke-linejoin="round"/><path d="M8 6 L8 10" stroke="#1f2933" stroke-width="1.6" stroke-linecap="round"/><circle cx="8" cy="12.3" r="0.9" fill="#1f2933"/>',
  alert: '<circle cx="8" cy="8" r="7" fill="#c62828"/><path d="M8 4 L8 9" stroke="#fff" stroke-width="1.8" stroke-linecap="round"/><circle cx="8" cy="11.8" r="1" fill="#fff"/>',
  info: '<circle cx="8" cy="8" r="7" fill="#1565c0"/><path d="M8 7.2 L8 11.8" stroke="#fff" stroke-width="1.8" stroke-linecap="round"/><circle cx="8" cy="4.6" r="1" fill="#fff"/>',
  note: '<rect x="2.5" y="1.5" width="11" height="13" rx="1.5" fill="#fff" stroke="#5f6b7a" stroke-width="1.2"/><path d="M5 5.5 H11 M5 8 H11 M5 10.5 H9" stroke="#5f6b7a" stroke-width="1.1"/>',
  freeze: '<path d="M8 1.5 V14.5 M2.4 4.75 L13.6 11.25 M2.4 11.25 L13.6 4.75" stroke="#1565c0" stroke-width="1.6" stroke-linecap="round"/>',
  decide: '<path d="M8 2 V14 M4 14 H12 M2.5 5 H13.5" stroke="#5f6b7a" stroke-width="1.3" stroke-linecap="round"/><path d="M2.5 5 L1 9.5 H4 Z M13.5 5 L12 9.5 H15 Z" fill="#5f6b7a"/>',
  timer: '<circle cx="8" cy="9" r="6" fill="#fff" stroke="#5f6b7a" stroke-width="1.4"/><path d="M8 9 V5.5 M6.5 1.5 H9.5" stroke="#5f6b7a" stroke-width="1.4" stroke-linecap="round"/>',
  back: '<path d="M6 3 L2.5 6.5 L6 10 M2.5 6.5 H10 A3.5 3.5 0 0 1 10 13.5 H7" stroke="#1f2933" stroke-width="1.6" fill="none" stroke-linecap="round" stroke-linejoin="round"/>',
  'dot-red': '<circle cx="8" cy="8" r="6" fill="#c62828"/>',
  'dot-amber': '<circle cx="8" cy="8" r="6" fill="#f2a900"/>',
  'dot-green': '<circle cx="8" cy="8" r="6" fill="#2e7d32"/>',
};

/** The disclosure mark before a folded section's summary (drawn, not a font's triangle). */
const CHEVRON_SVG = '<path d="M3 1.5 L7 5 L3 8.5" stroke="#0b5cad" stroke-width="1.6" fill="none" stroke-linecap="round" stroke-linejoin="round"/>';
const CHEVRON = '<span class="chev" aria-hidden="true"></span>';

/**
 * An SVG picture as a CSS image (the page's policy allows data: images). A span with a background
 * costs the browser far less than an inline SVG, and a long report can hold thousands of them.
 */
function cssImage(viewBox: string, body: string): string {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="${viewBox}">${body}</svg>`;
  return `url("data:image/svg+xml,${svg.replace(/"/g, "'").replace(/[#<>%]/g, (c) => encodeURIComponent(c))}")`;
}

/** CSS rules for the symbols and the disclosure mark. */
function symbolStyles(): string {
  return [
    `.chev { background-image: ${cssImage('0 0 10 10', CHEVRON_SVG)}; }`,
    ...(Object.keys(ICONS) as SymbolName[]).map((name) => `.sym.${name} { background-image: ${cssImage('0 0 16 16', ICONS[name])}; }`),
  ].join('\n  ');
}

/** Incident text as HTML: escaped, with symbols the reader's fonts may lack drawn as pictures. */
function rich(text: string): string {
  return portablePieces(text)
    .map((p) => {
      if (p.kind === 'text') return esc(p.text);
      if (p.kind === 'symbol') return `<span class="sym ${p.name}" role="img" aria-label="${esc(p.name)}"></span>`;
      return `<span class="cp">${esc(p.label)}</span>`;
    })
    .join('');
}

/**
 * Incident text in a cell: at most `max` characters in view (on one line: line breaks collapse),
 * and, when anything is left out, the whole text folded right after the cut ("more"), so nothing
 * is lost and no row grows past a few lines. `head` is what to show first (a message's headline).
 */
function clip(full: string, max: number, head?: string): string {
  const flat = (t: string) => t.replace(/\s+/g, ' ').trim();
  const whole = flat(full);
  let shown = flat(head ?? full);
  if (shown.length > max) {
    const space = shown.lastIndexOf(' ', max);
    shown = `${shown.slice(0, space > max / 2 ? space : max)} …`;
  }
  if (shown === whole) return rich(full);
  return `${rich(shown)} <details class="more"><summary>${CHEVRON}more</summary><div class="full">${rich(full)}</div></details>`;
}

/** A Teams message: its first paragraph (the headline), the whole text folded after it. */
function messageText(full: string): string {
  return clip(full, 150, full.split(/\n\s*\n/)[0]);
}

/** "09:03 → 09:25 UTC"; each end with its date when it is not on the declaration's day, the end also when not on the start's. */
function spanHint(from: string, to: string, reference: number): string {
  const [a, b] = [Date.parse(from), Date.parse(to)];
  if (Number.isNaN(a) || Number.isNaN(b)) return '-';
  const sameDay = Math.floor(a / 86_400_000) === Math.floor(reference / 86_400_000);
  return `${momentLabel(a, reference)} → ${momentLabel(b, sameDay ? reference : a)} UTC`;
}

function metricCard(label: string, d: { seconds: number; from: string; to: string } | null, hint: string, reference: number): string {
  return (
    `<div class="card"><div class="label">${esc(label)}</div>` +
    `<div class="value">${esc(d ? humanDuration(d.seconds) : '-')}</div>` +
    `<div class="hint">${esc(d ? spanHint(d.from, d.to, reference) : hint)}</div></div>`
  );
}

function link(label: string, url: string | null | undefined): string {
  const u = safeUrl(url);
  return u ? `<a href="${esc(u)}">${esc(label)}</a>` : esc(label);
}

interface Column {
  head: string;
  /** Share of the table's width, so the pieces of a folded table line up. */
  width: string;
}

/** How many rows a table shows before folding the rest, and how many of the last rows it keeps in view. */
export const TABLE_LIMITS = {
  actions: { first: 3, last: 1 },
  smoke: { first: 5, last: 0 },
  audit: { first: 3, last: 0 },
  approvals: { first: 3, last: 0 },
  messages: { first: 3, last: 1 },
  timeline: { first: 4, last: 3 },
  actionItems: { first: 5, last: 0 },
};

/**
 * A table that shows its first rows (and its last), with the rows between folded under one line
 * that says how many there are, when, and where all of them are.
 */
function foldedTable(cols: Column[], rows: string[][], o: { first: number; last: number; what: string; where: string; ats?: (string | null)[]; when?: (at: string) => string }, empty = 'None recorded.'): string {
  if (rows.length === 0) return `<p class="empty">${esc(empty)}</p>`;
  const colgroup = `<colgroup>${cols.map((c) => `<col style="width:${c.width}">`).join('')}</colgroup>`;
  const body = (rs: string[][]) => `<tbody>${rs.map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`).join('')}</tbody>`;
  const head = `<thead><tr>${cols.map((c) => `<th>${esc(c.head)}</th>`).join('')}</tr></thead>`;
  // Folding fewer than three rows saves nothing.
  if (rows.length <= o.first + o.last + 2) return `<table class="t">${colgroup}${head}${body(rows)}</table>`;
  const middle = rows.slice(o.first, rows.length - o.last);
  const times = (o.ats ?? []).slice(o.first, rows.length - o.last).filter((t): t is string => !!t);
  const range = times.length && o.when ? `, ${o.when(times[0]!)} to ${o.when(times.at(-1)!)}` : '';
  return (
    `<table class="t">${colgroup}${head}${body(rows.slice(0, o.first))}</table>` +
    `<details class="fold"><summary>${CHEVRON}${esc(`Show ${middle.length} more ${o.what}${range}`)} <span class="muted">${esc(`(all of them are in ${o.where})`)}</span></summary>` +
    `<table class="t">${colgroup}${body(middle)}</table></details>` +
    (o.last ? `<table class="t tail">${colgroup}${body(rows.slice(rows.length - o.last))}</table>` : '')
  );
}

function pill(kind: string, label: string): string {
  return `<span class="pill ${esc(kind)}">${esc(label)}</span>`;
}

function jsonText(v: unknown): string {
  if (v === null || v === undefined) return '<span class="muted">(none)</span>';
  const text = typeof v === 'string' ? v : JSON.stringify(v);
  return text.length > 40 ? `<code>${rich(text.slice(0, 40))}</code> …<details class="more"><summary>${CHEVRON}more</summary><div class="full">${rich(text)}</div></details>` : `<code>${rich(text)}</code>`;
}

/**
 * The pack's files: the incident's documents by name, then each folder of small records (a smoke
 * run, a message...) folded under its name and count, and the incident's links.
 */
function evidenceList(bundle: EvidenceBundle): string {
  const folders = new Map<string, typeof bundle.artifacts>();
  for (const a of bundle.artifacts) {
    const f = a.name.includes('/') ? a.name.slice(0, a.name.indexOf('/') + 1) : '';
    folders.set(f, [...(folders.get(f) ?? []), a]);
  }
  const files = (list: typeof bundle.artifacts, f: string) => list.map((a) => link(a.name.slice(f.length), a.url)).join(' · ');
  const fold = (label: string, html: string) => `<details class="more"><summary>${CHEVRON}${esc(label)}</summary><div class="full">${html}</div></details>`;
  const documents = folders.get('') ?? [];
  const records = [...folders.entries()].filter(([f]) => f).sort(([a], [b]) => (a < b ? -1 : 1));
  const links = bundle.incident?.links ?? [];
  const linkHtml = links.map((l) => link(l.label.length > 80 ? `${l.label.slice(0, 80)} …` : l.label, l.url)).join(' · ');
  const rows: [string, string][] = [];
  if (documents.length) rows.push(['Documents', files(documents, '')]);
  if (records.length) rows.push(['Records', records.map(([f, list]) => (list.length === 1 ? link(list[0]!.name, list[0]!.url) : fold(`${f} (${list.length})`, files(list, f)))).join(' · ')]);
  if (links.length) rows.push(['Links', links.length <= 3 ? linkHtml : fold(`${links.length} links`, linkHtml)]);
  if (rows.length === 0) return '<p class="empty">No artifact stored yet.</p>';
  return `<dl class="files">${rows.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${v}</dd>`).join('')}</dl>`;
}

export function renderIncidentReport(input: ReportInput): string {
  const { bundle, metrics } = input;
  const r = bundle.incident;
  const s = r?.summary;
  const ref = bundle.ref;
  const sev = s?.severity ?? ref.severity;
  const sevColor = SEVERITY_COLOR[sev] ?? '#37474f';
  const { due } = r ? postmortemDue(r, input.dueBusinessDays) : { due: Date.parse(ref.declaredAt) };
  const reference = referenceOf(bundle);
  const when = (at: string) => momentLabel(Date.parse(at), reference);
  const time = (at: string) => `<span class="time">${esc(Number.isNaN(Date.parse(at)) ? '-' : momentLabel(Date.parse(at), reference, true))}</span>`;
  const latestByCheck = new Map<string, { at: string; target: string; status: SmokeStatus; summary: string; phase: string }>();
  for (const run of bundle.smoke) {
    for (const x of run.results) latestByCheck.set(`${x.check}\u0000${x.target}`, { at: run.at, target: x.target, status: x.status, summary: x.summary, phase: run.phase });
  }
  const status = s?.status ?? 'open';
  const impact = metrics.impactDuration;
  const timeline = timelineRows(bundle);
  const auditRows = bundle.audit.flatMap((a) => a.changes.map((c) => ({ a, c })));
  const items = draftActionItems(bundle, due);

  const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>${esc(`${s?.drill ? 'DRILL: ' : ''}${sev} ${ref.environment} ${ref.service}: ${s?.summary ?? ref.incidentId}`)}</title>
<style>
  :root { --ink: ${COLORS.ink}; --muted: ${COLORS.muted}; --line: #d9dee4; --bg: #f4f6f8; --sev: ${sevColor}; }
  * { box-sizing: border-box; }
  body { margin: 0; background: var(--bg); color: var(--ink); font: 15px/1.45 'Segoe UI', 'Helvetica Neue', Arial, 'Liberation Sans', 'DejaVu Sans', sans-serif; }
  main { max-width: 1220px; margin: 0 auto; padding: 24px 28px 40px; }
  header.banner { background: #fff; border-left: 10px solid var(--sev); border-radius: 10px; padding: 18px 24px; box-shadow: 0 1px 2px rgba(0,0,0,.06); }
  .drill { display: inline-block; background: #5b2a86; color: #fff; font-weight: 700; letter-spacing: .08em; border-radius: 6px; padding: 2px 10px; margin-right: 10px; }
  .sev { display: inline-block; background: var(--sev); color: #fff; font-weight: 700; border-radius: 6px; padding: 2px 10px; margin-right: 10px; }
  h1 { font-size: 24px; margin: 8px 0 6px; line-height: 1.25; overflow-wrap: anywhere; }
  .meta { color: var(--muted); font-size: 14px; display: flex; flex-wrap: wrap; gap: 6px 22px; }
  .meta b { color: var(--ink); font-weight: 600; }
  .pill { display: inline-block; white-space: nowrap; border-radius: 999px; padding: 1px 10px; font-size: 13px; font-weight: 600; border: 1px solid currentColor; }
  .pill.resolved, .pill.done, .pill.green, .pill.met, .pill.pass { color: ${COLORS.green}; }
  .pill.open, .pill.degraded, .pill.planned, .pill.skipped { color: #a86b00; }
  .pill.refused, .pill.failed, .pill.red, .pill.fail, .pill.error, .pill.missed { color: ${COLORS.red}; }
  .cards { display: grid; grid-template-columns: repeat(5, minmax(0, 1fr)); gap: 14px; margin: 18px 0; }
  .card { background: #fff; border-radius: 10px; padding: 14px 16px; box-shadow: 0 1px 2px rgba(0,0,0,.06); min-width: 0; }
  .card .label { color: var(--muted); font-size: 13px; font-weight: 600; text-transform: uppercase; letter-spacing: .03em; }
  .card .value { font-size: 24px; font-weight: 700; margin: 2px 0; line-height: 1.2; overflow-wrap: anywhere; }
  .card .hint { color: var(--muted); font-size: 13px; overflow-wrap: anywhere; }
  section { background: #fff; border-radius: 10px; padding: 18px 22px; margin: 16px 0; box-shadow: 0 1px 2px rgba(0,0,0,.06); min-width: 0; }
  h2 { font-size: 18px; margin: 0 0 12px; }
  .chart svg { width: 100%; height: auto; display: block; }
  .two { display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); gap: 16px; }
  .two section { margin: 0; }
  dl { display: grid; grid-template-columns: max-content minmax(0, 1fr); gap: 6px 18px; margin: 0; }
  dt { color: var(--muted); }
  dd { margin: 0; overflow-wrap: anywhere; }
  table.t { border-collapse: collapse; width: 100%; font-size: 14px; table-layout: fixed; }
  th { text-align: left; color: var(--muted); font-weight: 600; border-bottom: 2px solid var(--line); padding: 6px 10px 6px 0; overflow-wrap: anywhere; }
  td { border-bottom: 1px solid #eef1f4; padding: 6px 10px 6px 0; vertical-align: top; overflow-wrap: anywhere; }
  table.tail { border-top: 1px dashed var(--line); }
  .time { font-variant-numeric: tabular-nums; color: var(--muted); }
  code { font: 13px/1.3 'Cascadia Mono', Consolas, 'Liberation Mono', 'DejaVu Sans Mono', monospace; background: #f1f3f5; padding: 1px 4px; border-radius: 4px; overflow-wrap: anywhere; }
  .muted, .empty { color: var(--muted); }
  .empty { margin: 0; }
  a { color: #0b5cad; overflow-wrap: anywhere; }
  details > summary { list-style: none; cursor: pointer; color: #0b5cad; }
  details > summary::-webkit-details-marker { display: none; }
  details.fold > summary { padding: 7px 0; font-size: 14px; border-bottom: 1px solid #eef1f4; }
  details.more, details.more > summary { display: inline; }
  details.more > summary { font-size: 13px; white-space: nowrap; }
  details.more[open] > .full { display: block; }
  .chev { display: inline-block; width: 10px; height: 10px; margin-right: 6px; vertical-align: 0; background: no-repeat center / contain; }
  details[open] > summary .chev { transform: rotate(90deg); }
  .full { white-space: pre-wrap; overflow-wrap: anywhere; font-size: 13px; background: #f8f9fa; border-radius: 6px; padding: 8px 10px; margin-top: 4px; }
  .sym { display: inline-block; width: 1.05em; height: 1.05em; vertical-align: -0.18em; background: no-repeat center / contain; }
  ${symbolStyles()}
  .cp { font: 11px/1.2 'Liberation Mono', 'DejaVu Sans Mono', monospace; border: 1px solid #c5ccd3; border-radius: 3px; padding: 0 3px; color: var(--muted); }
  dl.files { margin-top: 10px; }
  footer { color: var(--muted); font-size: 13px; margin-top: 22px; }
  @media (max-width: 900px) { .cards { grid-template-columns: repeat(2, minmax(0, 1fr)); } .two { grid-template-columns: minmax(0, 1fr); } }
</style>
</head>
<body>
<main>
<header class="banner">
  <div>${s?.drill ? '<span class="drill" title="A drill: each action reports what it would have done (planned) or why there was nothing to do (skipped); nothing was changed and no message was sent">DRILL</span>' : ''}<span class="sev">${esc(sev)}</span>${pill(status, status === 'resolved' ? 'Resolved' : 'Open')} <span class="muted">${esc(ref.environment)} · ${esc(ref.service)} · ${esc(ref.incidentId)}</span></div>
  <h1>${clip(s?.summary ?? 'Incident', 200)}</h1>
  <div class="meta">
    <span>Declared <b>${esc(utc(r?.milestones.declaredAt ?? ref.declaredAt))}</b></span>
    <span>Resolved <b>${esc(utc(r?.milestones.resolvedAt))}</b></span>
    <span>Impact <b>${esc(impact ? humanDuration(impact.seconds) : 'unknown')}</b></span>
    <span>Release <b>${esc(releaseLine(bundle))}</b></span>
    <span>Postmortem due <b>${esc(day(due))}</b></span>
  </div>
</header>

<div class="cards">
  ${metricCard('Time to declare', metrics.timeToDeclare, r?.detection?.note ? `not computed: the alert ${r.detection.note}` : 'detection not recorded', reference)}
  ${metricCard('Time to acknowledge', metrics.timeToAcknowledge, 'not acknowledged', reference)}
  ${metricCard('Time to mitigate', metrics.timeToMitigate, 'not mitigated', reference)}
  ${metricCard('Time to recover', metrics.timeToRecover, 'not recovered', reference)}
  ${metricCard('Impact', impact, 'unknown', reference)}
</div>

<section>
  <h2>Timeline</h2>
  <div class="chart">${renderTimelineSvg(bundle)}</div>
</section>

<div class="two">
  <section>
    <h2>Impact and people</h2>
    <dl>
      <dt>Affected</dt><dd>${r?.impact.affected.length ? clip(r.impact.affected.join(', '), 160) : '<span class="muted">to be completed</span>'}</dd>
      <dt>Users</dt><dd>${r?.impact.users ? clip(r.impact.users, 160) : '<span class="muted">to be completed</span>'}</dd>
      <dt>IC</dt><dd>${clip(r?.roles.ic ?? '-', 80)}</dd>
      <dt>Deputy</dt><dd>${clip(r?.roles.deputy ?? '-', 80)}</dd>
      <dt>Scribe</dt><dd>${clip(r?.roles.scribe ?? '-', 80)}</dd>
      <dt>Comms</dt><dd>${clip(r?.roles.comms ?? '-', 80)}</dd>
    </dl>
  </section>
  <section>
    <h2>Containment</h2>
    <dl>
      <dt>Decision</dt><dd>${r?.containment ? `<b>${esc(r.containment.choice)}</b> by ${clip(r.containment.decidedBy, 80)}${r.containment.automatic ? ' ' + pill('degraded', 'automatic') : ''}` : '<span class="muted">none recorded</span>'}</dd>
      <dt>At</dt><dd>${esc(utc(r?.containment?.at))}</dd>
      <dt>Reason</dt><dd>${clip(r?.containment?.reason ?? '-', 160)}</dd>
      <dt>Done</dt><dd>${r?.containment?.actions.length ? clip(r.containment.actions.join(', '), 300) : r?.containment ? 'no containment action changed anything' : '-'}</dd>${r?.parity.length ? `
      <dt>Config parity</dt><dd>${clip(r.parity.map((p) => p.text).join(' '), 400)}</dd>` : ''}
      <dt>Release</dt><dd>${esc(releaseLine(bundle))}</dd>
      <dt>Timeboxes</dt><dd>${metrics.timeboxes.map((t) => `${esc(timeboxLabel(t.name))} ${pill(t.verdict, t.verdict)}`).join('<br>') || '-'}</dd>
    </dl>
  </section>
</div>

<section>
  <h2>Actions and execution ids</h2>
  ${foldedTable(
    [
      { head: 'Time (UTC)', width: '10%' },
      { head: 'Action', width: '20%' },
      { head: 'Outcome', width: '13%' },
      { head: 'Execution id', width: '19%' },
      { head: 'Summary', width: '38%' },
    ],
    bundle.rollback.map((a) => [
      time(a.at),
      `<div>${clip(a.action, 60)}</div><div class="muted">${clip(a.step, 60)}${a.mode === 'plan' ? ' (plan only)' : ''}</div>`,
      pill(a.outcome.kind, a.outcome.kind),
      a.outcome.kind === 'done' && a.outcome.executionId ? `<code>${esc(a.outcome.executionId)}</code>` : '<span class="muted">-</span>',
      clip(a.outcome.summary, 100),
    ]),
    { ...TABLE_LIMITS.actions, what: 'actions', where: 'rollback/ in the pack', ats: bundle.rollback.map((a) => a.at), when },
  )}
</section>

<section>
  <h2>Smoke checks (latest result per check and target)</h2>
  ${foldedTable(
    [
      { head: 'Check', width: '13%' },
      { head: 'Target', width: '18%' },
      { head: 'Result', width: '14%' },
      { head: 'When (UTC)', width: '11%' },
      { head: 'Phase', width: '11%' },
      { head: 'Details', width: '33%' },
    ],
    [...latestByCheck.entries()].map(([key, x]) => [clip(key.split('\u0000')[0]!, 32), clip(x.target, 40), pill(x.status, x.status), time(x.at), clip(x.phase, 24), clip(x.summary, 70)]),
    { ...TABLE_LIMITS.smoke, what: 'checks', where: 'smoke/ in the pack' },
  )}
</section>
<section>
  <h2>Flag and config changes (before → after)</h2>
  ${foldedTable(
    [
      { head: 'Time (UTC)', width: '11%' },
      { head: 'Target and actor', width: '33%' },
      { head: 'Before', width: '28%' },
      { head: 'After', width: '28%' },
    ],
    auditRows.map(({ a, c }) => [
      time(a.at),
      `<div>${clip(`${c.target} ${c.field}`, 60)}</div><div class="muted">${clip(`${a.actor}${a.requestId ? ` · ${a.requestId}` : ''}`, 40)}</div>`,
      jsonText(c.before),
      jsonText(c.after),
    ]),
    { ...TABLE_LIMITS.audit, what: 'changes', where: 'audit/ in the pack', ats: auditRows.map(({ a }) => a.at), when },
  )}
</section>

<section>
  <h2>Approvals</h2>
  ${foldedTable(
    [
      { head: 'Time (UTC)', width: '11%' },
      { head: 'Approver', width: '33%' },
      { head: 'Decision', width: '56%' },
    ],
    bundle.approvals.map((a) => [
      time(a.at),
      `${clip(a.approver.name ?? a.approver.id, 40)} <span class="muted">${clip(a.approver.via, 24)}</span>${a.approver.verified ? ' ' + pill('done', 'verified') : ''}`,
      clip(a.decision, 80),
    ]),
    { ...TABLE_LIMITS.approvals, what: 'approvals', where: 'approvals/ in the pack', ats: bundle.approvals.map((a) => a.at), when },
  )}
</section>

<section>
  <h2>Messages sent</h2>
  ${foldedTable(
    [
      { head: 'Time (UTC)', width: '11%' },
      { head: 'Message', width: '17%' },
      { head: 'Text', width: '60%' },
      { head: 'Delivered', width: '12%' },
    ],
    bundle.messages.map((m) => [time(m.at), `<div><b>${clip(m.template, 32)}</b></div><div class="muted">${clip(m.channel, 24)}</div>`, messageText(m.text), m.delivered ? pill('done', 'yes') : pill('refused', 'no')]),
    { ...TABLE_LIMITS.messages, what: 'messages', where: 'messages/ in the pack', ats: bundle.messages.map((m) => m.at), when },
  )}
</section>

<section>
  <h2>Timeline entries (UTC)</h2>
  ${foldedTable(
    [
      { head: 'Time', width: '11%' },
      { head: 'Actor', width: '17%' },
      { head: 'Event', width: '72%' },
    ],
    timeline.map((row) => [time(row.at), clip(row.actor, 28), clip(row.what, 160)]),
    { ...TABLE_LIMITS.timeline, what: 'entries', where: 'timeline.json', ats: timeline.map((row) => row.at), when },
  )}
</section>

<section>
  <h2>Action items (draft)</h2>
  ${foldedTable(
    [
      { head: 'Action', width: '55%' },
      { head: 'Category', width: '12%' },
      { head: 'Owner', width: '20%' },
      { head: 'Due', width: '13%' },
    ],
    items.map((a) => [clip(a.title, 120), esc(a.category), clip(a.owner ?? '-', 24), `<span class="time">${esc(a.due)}</span>`]),
    { ...TABLE_LIMITS.actionItems, what: 'action items', where: 'postmortem.md' },
  )}
</section>

<section>
  <h2>Evidence</h2>
  <p class="muted">Pack <code>${esc(input.location)}</code>. Check it with <code>npm run evidence -- verify ${esc(ref.incidentId)}</code> (recomputes every SHA-256 against manifest.json), or copy it to a folder with <code>npm run evidence -- export ${esc(ref.incidentId)} &lt;dir&gt;</code>.</p>
  ${evidenceList(bundle)}
</section>

<footer>Generated by incident-autopilot on ${esc(utc(input.generatedAt))} from the evidence pack. Secrets were redacted before archiving.</footer>
</main>
</body>
</html>
`;
  return html;
}
