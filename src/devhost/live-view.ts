/**
 * The live view of one incident in a terminal, for `npm run demo` and `npm run drill`: its phase,
 * the next deadline, the last checks, the containment actions with their outcomes, the last Teams
 * messages and the last timeline lines. Everything shown is read from the app (GET
 * /api/incidents/{id}) and from the channel the app posted to; nothing is worked out here.
 * On a terminal the view redraws in place; otherwise (CI logs, a pipe) it prints what changed.
 */

export interface IncidentRead {
  summary: { incidentId: string; status: string; phase: string; severity: string; drill: boolean; service: string; environment: string } | null;
  runtime: {
    runtimeStatus: string;
    customStatus: {
      phase?: string;
      mode?: string;
      deadlines?: Record<string, string | null>;
      lastChecks?: { verdict: string; reasons: string[] } | null;
      proposal?: { id: string; path: string } | null;
      decision?: { choice: string; by: string } | null;
    } | null;
  } | null;
  timeline: { seq: number; at: string; kind: string; actor: string; text: string }[];
}

export interface ViewInput {
  incident: IncidentRead;
  /** The incident's Teams messages as posted (the lab's channel), or as planned (a drill): one line each. */
  messages: string[];
  now: number;
  title: string;
}

const DEADLINE_LABELS: Record<string, string> = { decision: 'decision due', containment: 'containment due', monitoringEnds: 'monitoring window ends' };
/** Timeline lines that report an action: "<action kind>: <outcome>: <summary>" (any kind: the runbook's table names them). */
const ACTION_LINE = /^([a-z][a-z-]*): (planned|done|skipped|refused|failed): (.*)$/;

const hhmm = (iso: string): string => `${iso.slice(11, 16)} UTC`;

function clip(text: string, width: number): string {
  const one = text.replace(/\s+/g, ' ');
  return one.length > width ? `${one.slice(0, width - 1)}…` : one;
}

export function renderView(v: ViewInput, width = 118): string[] {
  const s = v.incident.summary;
  const c = v.incident.runtime?.customStatus ?? null;
  const lines: string[] = [];
  lines.push(clip(`${v.title} · ${s ? `${s.incidentId} · ${s.severity} ${s.service}@${s.environment}${s.drill ? ' · DRILL (plan only)' : ''}` : '(declaring)'} · clock ${new Date(v.now).toISOString().slice(11, 19)} UTC`, width));
  const next = Object.entries(c?.deadlines ?? {}).find(([k, at]) => at && k !== 'postmortemDue');
  const deadline = next?.[1] ? `${DEADLINE_LABELS[next[0]] ?? next[0]} ${hhmm(next[1])} (in ${Math.max(0, Math.round((Date.parse(next[1]) - v.now) / 60_000))} min)` : 'none';
  lines.push(clip(`Phase: ${c?.phase ?? s?.phase ?? '?'} (${s?.status ?? '?'})   Next deadline: ${deadline}`, width));
  const checks = c?.lastChecks ? `${c.lastChecks.verdict}${c.lastChecks.reasons.length ? ` (${c.lastChecks.reasons.slice(0, 2).join('; ')})` : ''}` : 'not run yet';
  lines.push(clip(`Checks: ${checks}`, width));
  if (c?.proposal) lines.push(clip(`Proposal: ${c.proposal.path}${c.decision ? `   Decision: ${c.decision.choice} by ${c.decision.by}` : '   Decision: none yet'}`, width));
  const actions = v.incident.timeline.flatMap((t) => {
    const m = ACTION_LINE.exec(t.text);
    return m ? [`  ${m[2] === 'done' || m[2] === 'skipped' ? '✓' : m[2] === 'planned' ? '·' : '✗'} ${hhmm(t.at)} ${m[1]}: ${m[2]} — ${m[3]}`] : [];
  });
  lines.push('Actions:', ...(actions.length ? actions.map((a) => clip(a, width)) : ['  (none yet)']));
  lines.push(`Teams (last ${Math.min(4, v.messages.length)} of ${v.messages.length}):`, ...(v.messages.length ? v.messages.slice(-4).map((m) => clip(`  ${m}`, width)) : ['  (none yet)']));
  lines.push('Timeline (last 3):', ...v.incident.timeline.slice(-3).map((t) => clip(`  ${t.at.slice(11, 19)} ${t.text}`, width)));
  return lines;
}

export class LiveView {
  private drawn = 0;
  private printed = new Set<string>();

  constructor(
    private readonly out: (text: string) => void,
    private readonly tty: boolean,
  ) {}

  update(v: ViewInput): void {
    if (this.tty) {
      const lines = renderView(v, Math.max(60, (process.stdout.columns || 120) - 2));
      // Back to the top of the last drawing, clear below, draw again.
      this.out(`${this.drawn ? `\x1b[${this.drawn}F\x1b[0J` : ''}${lines.join('\n')}\n`);
      this.drawn = lines.length;
      return;
    }
    // Not a terminal: the phase line and each timeline entry and message once, as they appear.
    const c = v.incident.runtime?.customStatus;
    const fresh = [
      `phase ${c?.phase ?? v.incident.summary?.phase ?? '?'} (${v.incident.summary?.status ?? '?'})`,
      ...v.incident.timeline.map((t) => `${t.at.slice(11, 19)} ${t.text}`),
      ...v.messages.map((m) => `Teams: ${m}`),
    ].filter((l) => !this.printed.has(l));
    for (const l of fresh) {
      this.printed.add(l);
      this.out(`${clip(l, 200)}\n`);
    }
  }
}
