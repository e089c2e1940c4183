/**
 * Triage with the "why" (RB-03 sections 5.3, 6 and 9; RB-02 section 10): a thread that only says
 * "checks are red" gives the responder nothing to start from. From the logs reader's answer this
 * builds what the snapshot, the progress updates and the evidence pack carry: the top error
 * envelope codes (origin_forbidden, rate_limited, ...), a few failing requests with their
 * requestIds and operation links, the p95 per route against the environment's p95 threshold, and a
 * deep link to the query. When the logs could not be read it says so, and why.
 */
import type { ErrorCodeCount, FailingRequest, LogsTriage, Reading, RouteLatency } from './monitor-signals.js';

export interface TriageSummary {
  status: 'read' | 'unavailable' | 'not-configured';
  /** When the logs were read (ISO), or null. */
  at: string | null;
  topErrorCodes: ErrorCodeCount[];
  samples: FailingRequest[];
  p95: { thresholdMs: number; worst: RouteLatency | null; over: RouteLatency[]; routes: number };
  queryLink: string | null;
  /** Lines for people (Teams, timeline), in this order: codes, samples, p95, link; or why there is nothing. */
  lines: string[];
  problems: string[];
}

const MAX_SAMPLES = 3;

function sampleText(r: FailingRequest): string {
  const what = [r.route, r.resultCode, r.code].filter((x) => x && x.trim()).join(', ');
  return `${r.requestId}${what ? ` (${what})` : ''}`;
}

export function triageSummary(reading: Reading<LogsTriage>, p95ThresholdMs: number): TriageSummary {
  if (reading.status !== 'read') {
    const why = reading.status === 'unavailable' ? `the logs reader could not answer: ${reading.reason}` : `no logs are read: ${reading.reason}`;
    return {
      status: reading.status,
      at: reading.status === 'unavailable' ? reading.at : null,
      topErrorCodes: [],
      samples: [],
      p95: { thresholdMs: p95ThresholdMs, worst: null, over: [], routes: 0 },
      queryLink: null,
      lines: [`Triage: ${why}.`],
      problems: [why],
    };
  }
  const t = reading.value;
  const codes = [...t.topErrorCodes].sort((a, b) => b.count - a.count).slice(0, 5);
  const samples = t.failingRequests.slice(0, MAX_SAMPLES);
  const routes = [...t.p95ByRoute].sort((a, b) => b.p95Ms - a.p95Ms);
  const over = routes.filter((r) => r.p95Ms > p95ThresholdMs);
  const worst = routes[0] ?? null;
  const window = `${t.from.slice(11, 16)}-${t.to.slice(11, 16)} UTC`;
  const lines: string[] = [];
  lines.push(codes.length ? `Top error codes (${window}): ${codes.map((c) => `${c.code} ×${c.count}`).join(', ')}` : `No failed requests logged (${window}).`);
  if (samples.length) lines.push(`Failing requests: ${samples.map(sampleText).join('; ')}`);
  if (worst) {
    lines.push(
      over.length
        ? `p95 over ${p95ThresholdMs} ms on ${over.length} of ${routes.length} route(s): ${over.slice(0, 3).map((r) => `${r.route} ${Math.round(r.p95Ms)} ms`).join(', ')}`
        : `p95 within ${p95ThresholdMs} ms on every route (worst ${worst.route} ${Math.round(worst.p95Ms)} ms)`,
    );
  } else lines.push('p95 per route: no requests logged.');
  if (t.queryLink) lines.push(`Query: ${t.queryLink}`);
  for (const p of t.problems) lines.push(`Not read: ${p}`);
  return {
    status: 'read',
    at: reading.at,
    topErrorCodes: codes,
    samples,
    p95: { thresholdMs: p95ThresholdMs, worst, over, routes: routes.length },
    queryLink: t.queryLink,
    lines,
    problems: [...t.problems],
  };
}
