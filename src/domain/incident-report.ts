/**
 * The incident report: one self-contained HTML page (no script, no external resource) with an SVG
 * timeline chart of the runbook's phases, its timeboxes (deadline markers, met or missed) and the
 * smoke results (green / degraded / red), then the numbers, the actions with their execution ids,
 * the audit diffs, approvals, messages and the evidence list. People in or after an outage would
 * rather look than read. Pure; every piece of incident text is escaped.
 */
import type { EvidenceBundle, IncidentMetrics, Phase, SmokeRun, SmokeStatus, TimeboxRecord } from './evidence.js';
import { phasesOf, smokeVerdict, timeboxVerdict } from './evidence.js';
import { releaseLine, timelineRows } from './postmortem.js';
import { clock, day, draftActionItems, escapeHtml as esc, humanDuration, postmortemDue, safeUrl, tickStepMs, timeboxLabel, utc } from './report-format.js';

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

// ---------------------------------------------------------------------------------------------
// The SVG chart

const W = 1160;
const LABEL_W = 200;
const RIGHT = 28;
const X0 = LABEL_W;
const X1 = W - RIGHT;
const ROW = 28;
const CHAR_W = 6.6; // average width of a 12 px sans-serif character, for label placement
const BOLD_W = 7.4; // the same, bold

interface Scale {
  t0: number;
  t1: number;
  x: (at: string | number) => number;
}

function scaleFor(bundle: EvidenceBundle): Scale {
  const r = bundle.incident;
  const times: number[] = [];
  const add = (at: string | null | undefined) => {
    if (!at) return;
    const t = Date.parse(at);
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
  let t0 = Math.min(...times);
  let t1 = Math.max(...times);
  if (t1 - t0 < 10 * 60_000) t1 = t0 + 10 * 60_000;
  const pad = (t1 - t0) * 0.03;
  t0 -= pad;
  t1 += pad;
  return { t0, t1, x: (at) => X0 + ((typeof at === 'number' ? at : Date.parse(at)) - t0) / (t1 - t0) * (X1 - X0) };
}

function text(x: number, y: number, content: string, attrs = ''): string {
  return `<text x="${x.toFixed(1)}" y="${y.toFixed(1)}" ${attrs}>${esc(content)}</text>`;
}

/** Places labels left to right on as few rows as needed so none overlaps another (a new row when all are taken). */
function stack(items: { x: number; width: number }[]): number[] {
  const ends: number[] = [];
  return items.map((it) => {
    let row = ends.findIndex((end) => it.x - it.width / 2 > end + 10);
    if (row < 0) row = ends.push(-Infinity) - 1;
    ends[row] = it.x + it.width / 2;
    return row;
  });
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
  return list.filter((x): x is [string, string] => !!x[1]).map(([label, at]) => ({ label, at }));
}

export function renderTimelineSvg(bundle: EvidenceBundle): string {
  const sc = scaleFor(bundle);
  const r = bundle.incident;
  const phases = r ? phasesOf(r.milestones) : [];
  const milestones = milestonesOf(bundle);
  const timeboxes = r?.timeboxes ?? [];
  const checks = [...new Set(bundle.smoke.flatMap((s) => s.results.map((x) => x.check)))];
  const closed = r?.milestones.resolvedAt ?? null;

  let y = 0;

  // Axis
  const axisY = 34;
  const step = tickStepMs(sc.t1 - sc.t0);
  const ticks: number[] = [];
  for (let t = Math.ceil(sc.t0 / step) * step; t <= sc.t1; t += step) ticks.push(t);
  y = axisY + 12;

  // Rows are laid out first so the grid lines can span them.
  const body: string[] = [];
  const sectionLabel = (label: string) => {
    body.push(`<text class="section" x="12" y="${(y + 16).toFixed(1)}">${esc(label)}</text>`);
    body.push(`<line x1="12" x2="${X1}" y1="${(y + 22).toFixed(1)}" y2="${(y + 22).toFixed(1)}" class="rule"/>`);
    y += 28;
  };
  const rowLabel = (label: string, sub?: string) => {
    body.push(`<text class="row" x="20" y="${(y + ROW / 2 + 4).toFixed(1)}">${esc(label)}${sub ? `<tspan class="sub" dx="6">${esc(sub)}</tspan>` : ''}</text>`);
  };

  // Phases
  sectionLabel('Phases');
  rowLabel('Runbook phase');
  for (const p of phases) {
    const xa = sc.x(p.start);
    const xb = Math.max(sc.x(p.end), xa + 2);
    const w = xb - xa;
    const span = humanDuration((Date.parse(p.end) - Date.parse(p.start)) / 1000);
    body.push(
      `<g><title>${esc(`${p.name}: ${utc(p.start)} to ${utc(p.end)} (${span})`)}</title>` +
        `<rect x="${xa.toFixed(1)}" y="${(y + 3).toFixed(1)}" width="${w.toFixed(1)}" height="${ROW - 6}" rx="4" fill="${COLORS.phase[p.name]}" stroke="#ffffff" stroke-width="1.5"/>` +
        (w > p.name.length * CHAR_W + 10 ? text(xa + w / 2, y + ROW / 2 + 4, p.name, 'class="phase" text-anchor="middle"') : '') +
        '</g>',
    );
  }
  y += ROW + 4;

  // Milestones: a tick on the row, labels stacked above so none overlaps
  rowLabel('Key moments');
  const items = milestones.map((m) => ({ x: sc.x(m.at), width: (m.label.length + 6) * BOLD_W }));
  const labelRows = stack(items);
  const usedRows = Math.max(1, ...labelRows.map((r2) => r2 + 1));
  const baseY = y + 8;
  milestones.forEach((m, i) => {
    const x = items[i]!.x;
    const ly = baseY + labelRows[i]! * 15 + 10;
    const tickY = baseY + usedRows * 15 + 6;
    body.push(
      `<g><title>${esc(`${m.label}: ${utc(m.at)}`)}</title>` +
        `<line x1="${x.toFixed(1)}" x2="${x.toFixed(1)}" y1="${(ly + 3).toFixed(1)}" y2="${tickY.toFixed(1)}" class="leader"/>` +
        `<circle cx="${x.toFixed(1)}" cy="${tickY.toFixed(1)}" r="4" fill="${COLORS.ink}"/>` +
        text(x, ly, `${m.label} ${clock(m.at).slice(0, 5)}`, 'class="moment" text-anchor="middle"') +
        '</g>',
    );
  });
  y = baseY + usedRows * 15 + 18;

  // Timeboxes
  if (timeboxes.length) {
    sectionLabel('Timeboxes');
    for (const t of timeboxes) {
      body.push(...timeboxRow(t, sc, y, closed, rowLabel));
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
  }

  // Actions (freeze, flag revert, slot swap...) as markers, labels stacked like the key moments
  if (bundle.rollback.length) {
    sectionLabel('Actions');
    rowLabel('Containment / rollback');
    const marks = bundle.rollback.map((a) => {
      const label = `${a.action.replace(/^[A-Za-z]+\./, '')}${a.outcome.kind === 'done' ? '' : ` (${a.outcome.kind})`}`;
      return { a, label, x: sc.x(a.at), width: label.length * CHAR_W + 16 };
    });
    // Labels start at the marker and run right (or end at it, near the right edge).
    const rows = stack(
      marks.map((m) => ({ x: m.x + m.width / 2 > X1 ? m.x - m.width / 2 : m.x + m.width / 2, width: m.width })),
    );
    const used = Math.max(1, ...rows.map((r2) => r2 + 1));
    marks.forEach((m, i) => {
      const color = m.a.outcome.kind === 'done' ? COLORS.ink : m.a.outcome.kind === 'refused' ? COLORS.red : COLORS.muted;
      const id = m.a.outcome.kind === 'done' && m.a.outcome.executionId ? ` (execution ${m.a.outcome.executionId})` : '';
      const cy = y + 10 + rows[i]! * 16;
      const leftward = m.x + m.width > X1;
      body.push(
        `<g><title>${esc(`${utc(m.a.at)} ${m.a.action}: ${m.a.outcome.kind}. ${m.a.outcome.summary}${id}`)}</title>` +
          `<path d="M ${(m.x - 6).toFixed(1)} ${(cy - 5).toFixed(1)} L ${(m.x + 6).toFixed(1)} ${(cy - 5).toFixed(1)} L ${m.x.toFixed(1)} ${(cy + 5).toFixed(1)} Z" fill="${color}"/>` +
          text(leftward ? m.x - 10 : m.x + 10, cy + 4, m.label, `class="action" fill="${color}" text-anchor="${leftward ? 'end' : 'start'}"`) +
          '</g>',
      );
    });
    y += Math.max(ROW, used * 16 + 8) + 2;
  }

  const plotBottom = y + 4;
  // Grid and axis (drawn first, under everything)
  const grid: string[] = [];
  grid.push(`<rect x="${X0}" y="${axisY}" width="${X1 - X0}" height="${(plotBottom - axisY).toFixed(1)}" fill="#fbfcfd"/>`);
  for (const t of ticks) {
    const x = sc.x(t);
    grid.push(`<line x1="${x.toFixed(1)}" x2="${x.toFixed(1)}" y1="${axisY}" y2="${plotBottom.toFixed(1)}" class="grid"/>`);
    grid.push(text(x, axisY - 8, new Date(t).toISOString().slice(11, 16), 'class="tick" text-anchor="middle"'));
  }
  grid.push(text(12, axisY - 8, `UTC, ${new Date(sc.t0).toISOString().slice(0, 10)}`, 'class="tick"'));
  // Faint guides at the key moments, across every row
  for (const m of milestones) {
    const x = sc.x(m.at);
    grid.push(`<line x1="${x.toFixed(1)}" x2="${x.toFixed(1)}" y1="${axisY}" y2="${plotBottom.toFixed(1)}" class="guide"/>`);
  }

  // Legend
  y = plotBottom + 26;
  const legend: string[] = [];
  let lx = 12;
  const swatch = (fill: string, label: string, shape: 'rect' | 'circle' | 'diamond' | 'check' | 'cross' | 'bar' = 'rect') => {
    const cy = y - 4;
    if (shape === 'rect') legend.push(`<rect x="${lx}" y="${cy - 7}" width="18" height="14" rx="3" fill="${fill}" stroke="#b0bec5" stroke-width="0.5"/>`);
    if (shape === 'bar') legend.push(`<rect x="${lx}" y="${cy - 5}" width="22" height="10" rx="2" class="tb"/>`);
    if (shape === 'circle') legend.push(`<circle cx="${lx + 8}" cy="${cy}" r="6" fill="${fill}"/>`);
    if (shape === 'diamond') legend.push(`<path d="${diamond(lx + 8, cy, 6)}" fill="${fill}"/>`);
    if (shape === 'check') legend.push(check(lx + 8, cy, COLORS.green));
    if (shape === 'cross') legend.push(cross(lx + 8, cy, COLORS.red));
    legend.push(text(lx + 26, y, label, 'class="legend"'));
    lx += 26 + label.length * CHAR_W + 18;
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
    text { font-family: 'Segoe UI', 'Helvetica Neue', Arial, 'Liberation Sans', 'DejaVu Sans', sans-serif; fill: ${COLORS.ink}; }
    .section { font-size: 13px; font-weight: 700; letter-spacing: .02em; fill: ${COLORS.muted}; text-transform: uppercase; }
    .row { font-size: 13px; font-weight: 600; }
    .sub { font-size: 11px; font-weight: 400; fill: ${COLORS.muted}; }
    .tick { font-size: 12px; fill: ${COLORS.muted}; }
    .phase { font-size: 12px; font-weight: 600; }
    .moment { font-size: 12px; font-weight: 600; }
    .action { font-size: 12px; }
    .tblabel { font-size: 11px; fill: ${COLORS.muted}; }
    .legend { font-size: 12px; fill: ${COLORS.muted}; }
    .grid { stroke: ${COLORS.grid}; stroke-width: 1; }
    .guide { stroke: #90a4ae; stroke-width: 1; stroke-dasharray: 2 4; }
    .rule { stroke: ${COLORS.grid}; stroke-width: 1; }
    .leader { stroke: #90a4ae; stroke-width: 1; }
    .tb { fill: #e8eef6; stroke: #9fb3c8; stroke-width: 1; }
    .deadline { stroke: ${COLORS.deadline}; stroke-width: 1.5; stroke-dasharray: 4 3; }
  `;
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${height.toFixed(0)}" width="${W}" height="${height.toFixed(0)}" role="img" aria-label="${esc(`Incident ${bundle.ref.incidentId} timeline`)}">` +
    `<style>${style}</style>` +
    grid.join('') +
    body.join('') +
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

function timeboxRow(t: TimeboxRecord, sc: Scale, y: number, closed: string | null, rowLabel: (l: string, s?: string) => void): string[] {
  const out: string[] = [];
  const minutes = Math.round((Date.parse(t.deadline) - Date.parse(t.startedAt)) / 60_000);
  rowLabel(timeboxLabel(t.name), `${minutes} min${t.extendedMinutes ? ` (+${t.extendedMinutes})` : ''}`);
  const xa = sc.x(t.startedAt);
  const xd = sc.x(t.deadline);
  const cy = y + ROW / 2;
  const verdict = timeboxVerdict(t, closed);
  const tip = `${timeboxLabel(t.name)}: started ${utc(t.startedAt)}, deadline ${utc(t.deadline)}${t.extendedMinutes ? ` (extended by ${t.extendedMinutes} min)` : ''}; ${verdict}${t.metAt ? ` at ${utc(t.metAt)}` : ''}`;
  out.push(`<g><title>${esc(tip)}</title>`);
  out.push(`<rect x="${xa.toFixed(1)}" y="${(cy - 6).toFixed(1)}" width="${Math.max(xd - xa, 2).toFixed(1)}" height="12" rx="3" class="tb"/>`);
  out.push(`<line x1="${xd.toFixed(1)}" x2="${xd.toFixed(1)}" y1="${(y + 1).toFixed(1)}" y2="${(y + ROW - 1).toFixed(1)}" class="deadline"/>`);
  out.push(`<path d="${diamond(xd, cy, 6)}" fill="${COLORS.deadline}"/>`);
  const labelX = xd + 10;
  if (t.metAt) {
    const xm = sc.x(t.metAt);
    out.push(verdict === 'met' ? check(xm, cy, COLORS.green) : cross(xm, cy, COLORS.red));
  } else if (verdict === 'missed') {
    out.push(cross(xd, cy, COLORS.red));
  }
  const metX = t.metAt ? sc.x(t.metAt) : -Infinity;
  // The deadline's time, right of the marker (or left when that would run off the chart or onto the met marker).
  const label = `due ${clock(t.deadline).slice(0, 5)}`;
  const right = labelX + label.length * CHAR_W < X1 && !(metX > xd && metX - xd < label.length * CHAR_W + 24);
  out.push(text(right ? labelX + (metX > xd && metX - xd < 18 ? 12 : 0) : xd - 10, cy + 4, label, `class="tblabel" text-anchor="${right ? 'start' : 'end'}"`));
  out.push('</g>');
  return out;
}

function countLabel(runs: readonly SmokeRun[], checkName: string): string {
  const n = runs.filter((r) => r.results.some((x) => x.check === checkName)).length;
  return `${n} run${n === 1 ? '' : 's'}`;
}

function smokeRow(checkName: string, runs: readonly SmokeRun[], sc: Scale, y: number): string[] {
  const out: string[] = [];
  const cy = y + ROW / 2;
  const points = runs
    .map((run) => ({ run, results: run.results.filter((x) => x.check === checkName) }))
    .filter((p) => p.results.length > 0)
    .map((p) => ({ ...p, verdict: worst(p.results.map((x) => x.status)), x: sc.x(p.run.at) }));
  // A band from each run to the next in the colour of the earlier result: the state as it was known.
  points.forEach((p, i) => {
    const next = points[i + 1];
    if (!next) return;
    out.push(`<rect x="${p.x.toFixed(1)}" y="${(cy - 4).toFixed(1)}" width="${Math.max(next.x - p.x, 0).toFixed(1)}" height="8" fill="${statusColor(p.verdict)}" opacity="0.28"/>`);
  });
  for (const p of points) {
    const detail = p.results.map((x) => `${x.target}: ${x.status}${x.summary ? ` (${x.summary})` : ''}`).join('; ');
    out.push(
      `<g><title>${esc(`${checkName} at ${utc(p.run.at)} (${p.run.phase}): ${p.verdict}. ${detail}`)}</title>` +
        `<circle cx="${p.x.toFixed(1)}" cy="${cy.toFixed(1)}" r="7" fill="${statusColor(p.verdict)}" stroke="#fff" stroke-width="1.5"/></g>`,
    );
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// The page

function metricCard(label: string, d: { seconds: number; from: string; to: string } | null, hint: string): string {
  return (
    `<div class="card"><div class="label">${esc(label)}</div>` +
    `<div class="value">${esc(d ? humanDuration(d.seconds) : '-')}</div>` +
    `<div class="hint">${esc(d ? `${clock(d.from).slice(0, 5)} → ${clock(d.to).slice(0, 5)} UTC` : hint)}</div></div>`
  );
}

function link(label: string, url: string | null | undefined): string {
  const u = safeUrl(url);
  return u ? `<a href="${esc(u)}">${esc(label)}</a>` : esc(label);
}

function tableHtml(head: string[], rows: string[][], empty = 'None recorded.'): string {
  if (rows.length === 0) return `<p class="empty">${esc(empty)}</p>`;
  return `<table><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows.map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`).join('')}</tbody></table>`;
}

function pill(kind: string, label: string): string {
  return `<span class="pill ${esc(kind)}">${esc(label)}</span>`;
}

function jsonText(v: unknown): string {
  if (v === null || v === undefined) return '<span class="muted">(none)</span>';
  return `<code>${esc(typeof v === 'string' ? v : JSON.stringify(v))}</code>`;
}

export function renderIncidentReport(input: ReportInput): string {
  const { bundle, metrics } = input;
  const r = bundle.incident;
  const s = r?.summary;
  const ref = bundle.ref;
  const sev = s?.severity ?? ref.severity;
  const sevColor = SEVERITY_COLOR[sev] ?? '#37474f';
  const { due } = r ? postmortemDue(r, input.dueBusinessDays) : { due: Date.parse(ref.declaredAt) };
  const latestByCheck = new Map<string, { at: string; target: string; status: SmokeStatus; summary: string; phase: string }[]>();
  for (const run of bundle.smoke) {
    for (const x of run.results) latestByCheck.set(`${x.check}\u0000${x.target}`, [{ at: run.at, target: x.target, status: x.status, summary: x.summary, phase: run.phase }]);
  }
  const status = s?.status ?? 'open';
  const impact = metrics.impactDuration;

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
  h1 { font-size: 24px; margin: 8px 0 6px; line-height: 1.25; }
  .meta { color: var(--muted); font-size: 14px; display: flex; flex-wrap: wrap; gap: 6px 22px; }
  .meta b { color: var(--ink); font-weight: 600; }
  .pill { display: inline-block; white-space: nowrap; border-radius: 999px; padding: 1px 10px; font-size: 13px; font-weight: 600; border: 1px solid currentColor; }
  .pill.resolved, .pill.done, .pill.green, .pill.met, .pill.pass { color: ${COLORS.green}; }
  .pill.open, .pill.degraded, .pill.planned, .pill.skipped { color: #a86b00; }
  .pill.refused, .pill.red, .pill.fail, .pill.error, .pill.missed { color: ${COLORS.red}; }
  .cards { display: grid; grid-template-columns: repeat(5, 1fr); gap: 14px; margin: 18px 0; }
  .card { background: #fff; border-radius: 10px; padding: 14px 16px; box-shadow: 0 1px 2px rgba(0,0,0,.06); }
  .card .label { color: var(--muted); font-size: 13px; font-weight: 600; text-transform: uppercase; letter-spacing: .03em; }
  .card .value { font-size: 26px; font-weight: 700; margin: 2px 0; }
  .card .hint { color: var(--muted); font-size: 13px; }
  section { background: #fff; border-radius: 10px; padding: 18px 22px; margin: 16px 0; box-shadow: 0 1px 2px rgba(0,0,0,.06); }
  h2 { font-size: 18px; margin: 0 0 12px; }
  .chart { overflow-x: auto; }
  .chart svg { width: 100%; height: auto; display: block; }
  .two { display: grid; grid-template-columns: 1fr 1fr; gap: 16px; }
  .two section { margin: 0; }
  dl { display: grid; grid-template-columns: max-content 1fr; gap: 6px 18px; margin: 0; }
  dt { color: var(--muted); }
  dd { margin: 0; }
  table { border-collapse: collapse; width: 100%; font-size: 14px; }
  th { text-align: left; color: var(--muted); font-weight: 600; border-bottom: 2px solid var(--line); padding: 6px 10px 6px 0; white-space: nowrap; }
  td { border-bottom: 1px solid #eef1f4; padding: 6px 10px 6px 0; vertical-align: top; overflow-wrap: anywhere; }
  .time { white-space: nowrap; font-variant-numeric: tabular-nums; color: var(--muted); }
  code { font: 13px/1.3 'Cascadia Mono', Consolas, 'Liberation Mono', 'DejaVu Sans Mono', monospace; background: #f1f3f5; padding: 1px 4px; border-radius: 4px; overflow-wrap: anywhere; }
  .muted, .empty { color: var(--muted); }
  a { color: #0b5cad; }
  footer { color: var(--muted); font-size: 13px; margin-top: 22px; }
  @media (max-width: 900px) { .cards { grid-template-columns: repeat(2, 1fr); } .two { grid-template-columns: 1fr; } }
</style>
</head>
<body>
<main>
<header class="banner">
  <div>${s?.drill ? '<span class="drill" title="A drill: every action was planned, nothing was changed and no message was sent">DRILL</span>' : ''}<span class="sev">${esc(sev)}</span>${pill(status, status === 'resolved' ? 'Resolved' : 'Open')} <span class="muted">${esc(ref.environment)} · ${esc(ref.service)} · ${esc(ref.incidentId)}</span></div>
  <h1>${esc(s?.summary ?? 'Incident')}</h1>
  <div class="meta">
    <span>Declared <b>${esc(utc(r?.milestones.declaredAt ?? ref.declaredAt))}</b></span>
    <span>Resolved <b>${esc(utc(r?.milestones.resolvedAt))}</b></span>
    <span>Impact <b>${esc(impact ? humanDuration(impact.seconds) : 'unknown')}</b></span>
    <span>Release <b>${esc(releaseLine(bundle))}</b></span>
    <span>Postmortem due <b>${esc(day(due))}</b></span>
  </div>
</header>

<div class="cards">
  ${metricCard('Time to declare', metrics.timeToDeclare, 'detection not recorded')}
  ${metricCard('Time to acknowledge', metrics.timeToAcknowledge, 'not acknowledged')}
  ${metricCard('Time to mitigate', metrics.timeToMitigate, 'not mitigated')}
  ${metricCard('Time to recover', metrics.timeToRecover, 'not recovered')}
  ${metricCard('Impact', impact, 'unknown')}
</div>

<section>
  <h2>Timeline</h2>
  <div class="chart">${renderTimelineSvg(bundle)}</div>
</section>

<div class="two">
  <section>
    <h2>Impact and people</h2>
    <dl>
      <dt>Affected</dt><dd>${r?.impact.affected.length ? r.impact.affected.map(esc).join(', ') : '<span class="muted">to be completed</span>'}</dd>
      <dt>Users</dt><dd>${r?.impact.users ? esc(r.impact.users) : '<span class="muted">to be completed</span>'}</dd>
      <dt>IC</dt><dd>${esc(r?.roles.ic ?? '-')}</dd>
      <dt>Deputy</dt><dd>${esc(r?.roles.deputy ?? '-')}</dd>
      <dt>Scribe</dt><dd>${esc(r?.roles.scribe ?? '-')}</dd>
      <dt>Comms</dt><dd>${esc(r?.roles.comms ?? '-')}</dd>
    </dl>
  </section>
  <section>
    <h2>Containment</h2>
    <dl>
      <dt>Decision</dt><dd>${r?.containment ? `<b>${esc(r.containment.choice)}</b> by ${esc(r.containment.decidedBy)}${r.containment.automatic ? ' ' + pill('degraded', 'automatic') : ''}` : '<span class="muted">none recorded</span>'}</dd>
      <dt>At</dt><dd>${esc(utc(r?.containment?.at))}</dd>
      <dt>Reason</dt><dd>${esc(r?.containment?.reason ?? '-')}</dd>
      <dt>Release</dt><dd>${esc(releaseLine(bundle))}</dd>
      <dt>Timeboxes</dt><dd>${metrics.timeboxes.map((t) => `${esc(timeboxLabel(t.name))} ${pill(t.verdict, t.verdict)}`).join('<br>') || '-'}</dd>
    </dl>
  </section>
</div>

<section>
  <h2>Actions and execution ids</h2>
  ${tableHtml(
    ['Time (UTC)', 'Action', 'Outcome', 'Execution id', 'Summary'],
    bundle.rollback.map((a) => [
      `<span class="time">${esc(clock(a.at))}</span>`,
      `${esc(a.action)}<br><span class="muted">${esc(a.step)}${a.mode === 'plan' ? ' (plan only)' : ''}</span>`,
      pill(a.outcome.kind, a.outcome.kind),
      a.outcome.kind === 'done' && a.outcome.executionId ? `<code>${esc(a.outcome.executionId)}</code>` : '<span class="muted">-</span>',
      esc(a.outcome.summary),
    ]),
  )}
</section>

<section>
  <h2>Smoke checks (latest result per check and target)</h2>
  ${tableHtml(
    ['Check', 'Target', 'Result', 'When (UTC)', 'Phase', 'Details'],
    [...latestByCheck.entries()].map(([key, [x]]) => [
      esc(key.split('\u0000')[0]),
      esc(x!.target),
      pill(x!.status, x!.status),
      `<span class="time">${esc(clock(x!.at))}</span>`,
      esc(x!.phase),
      esc(x!.summary),
    ]),
  )}
</section>

<section>
  <h2>Flag and config changes (before → after)</h2>
  ${tableHtml(
    ['Time (UTC)', 'Actor', 'Target', 'Field', 'Before', 'After', 'Request id'],
    bundle.audit.flatMap((a) =>
      a.changes.map((c) => [`<span class="time">${esc(clock(a.at))}</span>`, esc(a.actor), esc(c.target), esc(c.field), jsonText(c.before), jsonText(c.after), esc(a.requestId ?? '-')]),
    ),
  )}
</section>

<div class="two">
  <section>
    <h2>Approvals</h2>
    ${tableHtml(
      ['Time (UTC)', 'Approver', 'Decision'],
      bundle.approvals.map((a) => [
        `<span class="time">${esc(clock(a.at))}</span>`,
        `${esc(a.approver.name ?? a.approver.id)}${a.approver.verified ? ' ' + pill('done', 'verified') : ''}<br><span class="muted">${esc(a.approver.via)}</span>`,
        esc(a.decision),
      ]),
    )}
  </section>
  <section>
    <h2>Messages sent</h2>
    ${tableHtml(
      ['Time (UTC)', 'Message', 'Delivered'],
      bundle.messages.map((m) => [`<span class="time">${esc(clock(m.at))}</span>`, `<b>${esc(m.template)}</b> <span class="muted">${esc(m.channel)}</span><br>${esc(m.text.slice(0, 400))}`, m.delivered ? pill('done', 'yes') : pill('refused', 'no')]),
    )}
  </section>
</div>

<section>
  <h2>Timeline entries (UTC)</h2>
  ${tableHtml(
    ['Time', 'Actor', 'Event'],
    timelineRows(bundle).map((row) => [`<span class="time">${esc(clock(row.at))}</span>`, esc(row.actor), esc(row.what)]),
  )}
</section>

<section>
  <h2>Action items (draft)</h2>
  ${tableHtml(
    ['Action', 'Category', 'Owner', 'Due'],
    draftActionItems(bundle, due).map((a) => [esc(a.title), esc(a.category), esc(a.owner ?? '-'), `<span class="time">${esc(a.due)}</span>`]),
  )}
</section>

<section>
  <h2>Evidence</h2>
  <p class="muted">Pack <code>${esc(input.location)}</code>. Check it with <code>npm run evidence -- verify ${esc(ref.incidentId)}</code> (recomputes every SHA-256 against manifest.json).</p>
  <ul>
    ${(r?.links ?? []).map((l) => `<li>${link(l.label, l.url)}</li>`).join('')}
    ${bundle.artifacts.map((a) => `<li>${link(a.name, a.url)}${a.kind ? ` <span class="muted">${esc(a.kind)}</span>` : ''}</li>`).join('')}
  </ul>
</section>

<footer>Generated by incident-autopilot on ${esc(utc(input.generatedAt))} from the evidence pack. Secrets were redacted before archiving.</footer>
</main>
</body>
</html>
`;
  return html;
}
