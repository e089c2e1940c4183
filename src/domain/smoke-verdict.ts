/**
 * From measurements to a verdict. The rules (RB-03 sections 3 and 8, RB-02 sections 3 and 6):
 *
 * red (critical finding), the recovery is not proven:
 *   - a probe could not measure (timeout, connection refused, body over its bound): an
 *     unreachable or hanging endpoint is treated as failing ("if in doubt, roll back");
 *   - /healthz or /ready answers a non-2xx status, or its body says Unhealthy;
 *   - SSE: no first event within the window, not text/event-stream, a non-200 status, the stream
 *     closed by the server during the window, a gap above `criticalGapMs` (15 s) on any target,
 *     the median first-event time above `ttfbMs` (200 ms) where `ttfbBreach` is critical (Prod, RTM);
 *   - contract: unexpected status or content type, a body that is not JSON, a missing field;
 *   - pages: unexpected status or missing marker;
 *   - parity: the effective config cannot be read, or any critical key drifted.
 * degraded (warnings only), working but not within budget:
 *   - health says Degraded, or reports a component not green while the overall status is green;
 *   - SSE: a gap above `heartbeatMs` (10 s) but not above the critical gap; a first-event breach
 *     where it is a warning (Alpha, Beta); the stream exceeded the byte bound (observation cut);
 *   - a contract endpoint or page slower than `http.slowMs` (600 ms);
 *   - non-critical parity drift;
 *   - a target without checks, or fewer results than checks (a recovery no check looked at is
 *     not green).
 * green: every check ran and nothing was found.
 */
import {
  type CheckResult,
  type Finding,
  type HealthResult,
  type HttpMeasure,
  type Measured,
  type ParityResult,
  type SmokeThresholds,
  type SseResult,
  type ContractResult,
  type PagesResult,
} from './smoke-checks.js';

export type Verdict = 'green' | 'degraded' | 'red';

const ms = (n: number): string => (n >= 10_000 ? `${(n / 1000).toFixed(1)} s` : `${Math.round(n)} ms`);

function critical(code: string, message: string): Finding {
  return { severity: 'critical', code, message };
}
function warning(code: string, message: string): Finding {
  return { severity: 'warning', code, message };
}

function describeError(m: HttpMeasure): string {
  return `${m.method} ${m.path}: ${m.error?.message ?? 'failed'}`;
}

function judgeHealth(r: Measured<HealthResult>): Finding[] {
  const out: Finding[] = [];
  for (const e of r.endpoints) {
    const what = e.role === 'readiness' ? 'readiness' : 'liveness';
    if (e.error) {
      out.push(critical(`health.${e.role}.unreachable`, `${what} ${describeError(e)}`));
      continue;
    }
    const bad = e.components.filter((c) => c.status === 'red' || c.status === 'degraded');
    const detail = bad.length ? ` (${bad.map((c) => `${c.name}: ${c.raw ?? c.status}`).join(', ')})` : '';
    if (e.status === null || e.status < 200 || e.status > 299) {
      out.push(critical(`health.${e.role}.status`, `${e.path} answered ${e.status ?? 'nothing'}${e.rawStatus ? ` ${e.rawStatus}` : ''}${detail}`));
    } else if (e.bodyStatus === 'red') {
      out.push(critical(`health.${e.role}.red`, `${e.path} reports ${e.rawStatus ?? 'unhealthy'}${detail}`));
    } else if (e.bodyStatus === 'degraded') {
      out.push(warning(`health.${e.role}.degraded`, `${e.path} reports ${e.rawStatus ?? 'degraded'}${detail}`));
    } else if (bad.length) {
      out.push(warning(`health.${e.role}.component`, `${e.path} is ${e.rawStatus ?? 'up'} but reports${detail}`));
    }
  }
  return out;
}

function judgeSse(r: Measured<SseResult>, t: SmokeThresholds): Finding[] {
  const s = r.sse;
  const out: Finding[] = [];
  if (s.status === null) return [critical('sse.unreachable', `GET ${s.path}: ${s.error?.message ?? 'no response'}`)];
  if (s.status !== 200) return [critical('sse.status', `${s.path} answered ${s.status} instead of 200`)];
  if (!/^text\/event-stream\b/i.test(s.contentType ?? '')) {
    return [critical('sse.content_type', `${s.path} answered ${s.contentType ?? 'no content type'} instead of text/event-stream`)];
  }
  if (s.events === 0) {
    const why = s.endedBy === 'server-closed' ? ' (the server closed the stream)' : s.error ? ` (${s.error.message})` : '';
    return [critical('sse.no_event', `${s.path} sent no event within ${ms(s.observedMs)}${why}`)];
  }
  if (s.ttfbMs !== null && s.ttfbMs > t.sse.ttfbMs) {
    const samples = s.ttfbSamplesMs.length > 1 ? ` (median of ${s.ttfbSamplesMs.length})` : '';
    const msg = `first event after ${ms(s.ttfbMs)}${samples}, budget ${ms(t.sse.ttfbMs)}`;
    out.push(t.sse.ttfbBreach === 'critical' ? critical('sse.ttfb', msg) : warning('sse.ttfb', msg));
  }
  const worstGap = Math.max(s.gaps.maxMs ?? 0, s.trailingSilenceMs ?? 0);
  const silent = (s.trailingSilenceMs ?? 0) > (s.gaps.maxMs ?? 0) ? ' (still silent when the observation ended)' : '';
  if (worstGap > t.sse.criticalGapMs) {
    out.push(critical('sse.gap', `heartbeat gap of ${ms(worstGap)}${silent}, critical above ${ms(t.sse.criticalGapMs)}`));
  } else if (worstGap > t.sse.heartbeatMs) {
    out.push(warning('sse.heartbeat', `heartbeat gap of ${ms(worstGap)}${silent}, budget ${ms(t.sse.heartbeatMs)}`));
  }
  if (s.endedBy === 'server-closed') {
    out.push(critical('sse.closed', `the server closed the stream after ${ms(s.observedMs)} (${s.events} events)`));
  } else if (s.endedBy === 'error') {
    out.push(critical('sse.broken', `the stream broke after ${ms(s.observedMs)}: ${s.error?.message ?? 'unknown error'}`));
  } else if (s.endedBy === 'too_large') {
    out.push(warning('sse.too_large', `the stream sent more than ${s.bytesRead} bytes in ${ms(s.observedMs)}; observation cut there`));
  }
  return out;
}

function judgeContract(r: Measured<ContractResult>, t: SmokeThresholds): Finding[] {
  const out: Finding[] = [];
  for (const e of r.endpoints) {
    const what = `${e.method} ${e.path}`;
    if (e.error) {
      out.push(critical('contract.unreachable', describeError(e)));
      continue;
    }
    if (!e.statusOk) out.push(critical('contract.status', `${what} answered ${e.status} (expected ${e.expectStatus.join(' or ')})`));
    if (e.contentTypeOk === false) out.push(critical('contract.content_type', `${what} answered content type ${e.contentType ?? '(none)'}`));
    if (e.jsonOk === false) out.push(critical('contract.json', `${what} did not answer valid JSON`));
    if (e.missingFields.length) out.push(critical('contract.missing_fields', `${what} lacks ${e.missingFields.join(', ')}`));
    if (e.latencyMs !== null && e.latencyMs > t.http.slowMs) out.push(warning('contract.slow', `${what} took ${ms(e.latencyMs)}, budget ${ms(t.http.slowMs)}`));
  }
  return out;
}

function judgePages(r: Measured<PagesResult>, t: SmokeThresholds): Finding[] {
  const out: Finding[] = [];
  for (const p of r.pages) {
    if (p.error && p.error.code !== 'too_large') {
      out.push(critical('pages.unreachable', describeError(p)));
      continue;
    }
    if (!p.statusOk) out.push(critical('pages.status', `${p.path} answered ${p.status} (expected ${p.expectStatus.join(' or ')})`));
    else if (!p.markerFound) {
      const where = p.truncated ? ` in its first ${p.bytesRead} bytes` : '';
      out.push(critical('pages.marker', `${p.path} does not contain ${JSON.stringify(p.marker.slice(0, 60))}${where}`));
    }
    if (p.latencyMs !== null && p.latencyMs > t.http.slowMs) out.push(warning('pages.slow', `${p.path} took ${ms(p.latencyMs)}, budget ${ms(t.http.slowMs)}`));
  }
  return out;
}

function judgeParity(r: Measured<ParityResult>): Finding[] {
  const p = r.parity;
  if (p.error) return [critical('parity.unreachable', describeError(p))];
  if (p.status === null || p.status < 200 || p.status > 299) return [critical('parity.status', `${p.path} answered ${p.status ?? 'nothing'}`)];
  if (p.jsonOk === false) return [critical('parity.json', `${p.path} did not answer a JSON object`)];
  const out: Finding[] = [];
  const list = (sev: 'critical' | 'non-critical'): string => {
    const keys = p.drift.filter((d) => d.severity === sev).map((d) => `${d.key} (${d.change})`);
    const shown = keys.slice(0, 5).join(', ');
    const count = sev === 'critical' ? p.criticalDrift : p.nonCriticalDrift;
    return count > 5 ? `${shown} and ${count - 5} more` : shown;
  };
  if (p.criticalDrift > 0) out.push(critical('parity.critical_drift', `${p.criticalDrift} critical config drift: ${list('critical')}`));
  if (p.nonCriticalDrift > 0) out.push(warning('parity.drift', `${p.nonCriticalDrift} non-critical config drift: ${list('non-critical')}`));
  return out;
}

/** Findings for one result's measurements under the environment's thresholds. */
export function judgeCheck(r: Measured, t: SmokeThresholds): Finding[] {
  switch (r.kind) {
    case 'health':
      return judgeHealth(r);
    case 'sse':
      return judgeSse(r, t);
    case 'contract':
      return judgeContract(r, t);
    case 'pages':
      return judgePages(r, t);
    case 'parity':
      return judgeParity(r);
  }
}

/** Whether the probe could not measure at all (as opposed to measuring something bad). */
function couldNotMeasure(r: Measured): boolean {
  switch (r.kind) {
    case 'health':
      return r.endpoints.some((e) => e.error !== null);
    case 'sse':
      return r.sse.status === null;
    case 'contract':
      return r.endpoints.some((e) => e.error !== null);
    case 'pages':
      return r.pages.some((p) => p.error !== null && p.error.code !== 'too_large');
    case 'parity':
      return r.parity.error !== null;
  }
}

export function outcomeOf(r: Measured, findings: readonly Finding[]): CheckResult['outcome'] {
  if (couldNotMeasure(r)) return 'error';
  if (findings.some((f) => f.severity === 'critical')) return 'fail';
  if (findings.length) return 'warn';
  return 'pass';
}

/** Judges a measurement: the result with its findings and outcome. */
export function judged(m: Measured, t: SmokeThresholds): CheckResult {
  const findings = judgeCheck(m, t);
  return { ...m, outcome: outcomeOf(m, findings), findings };
}

export interface SuiteVerdict {
  verdict: Verdict;
  /** Human-readable, worst first; for green, what was checked. */
  reasons: string[];
  targets: { label: string; verdict: Verdict; checks: number; passed: number }[];
}

export interface VerdictInput {
  /** Every target and how many checks it was meant to run. */
  targets: readonly { label: string; checks: number }[];
  results: readonly CheckResult[];
  thresholds: SmokeThresholds;
}

const rankOf: Record<Verdict, number> = { green: 0, degraded: 1, red: 2 };
const worse = (a: Verdict, b: Verdict): Verdict => (rankOf[a] >= rankOf[b] ? a : b);

/**
 * The suite's verdict. Findings are recomputed from the measurements with the given thresholds
 * (a result's own findings are not trusted), so the verdict is the same wherever it is computed.
 */
export function smokeVerdict(input: VerdictInput): SuiteVerdict {
  const criticals: string[] = [];
  const warnings: string[] = [];
  const perTarget = new Map<string, { verdict: Verdict; checks: number; passed: number }>();
  for (const t of input.targets) perTarget.set(t.label, { verdict: 'green', checks: t.checks, passed: 0 });

  for (const r of input.results) {
    const findings = judgeCheck(r, input.thresholds);
    let entry = perTarget.get(r.target);
    if (!entry) {
      entry = { verdict: 'green', checks: 0, passed: 0 };
      perTarget.set(r.target, entry);
    }
    const prefix = `${r.target} ${r.check}`;
    let v: Verdict = 'green';
    for (const f of findings) {
      if (f.severity === 'critical') {
        criticals.push(`${prefix}: ${f.message}`);
        v = 'red';
      } else {
        warnings.push(`${prefix}: ${f.message}`);
        v = worse(v, 'degraded');
      }
    }
    if (v === 'green') entry.passed++;
    entry.verdict = worse(entry.verdict, v);
  }

  const counts = new Map<string, number>();
  for (const r of input.results) counts.set(r.target, (counts.get(r.target) ?? 0) + 1);
  for (const t of input.targets) {
    const entry = perTarget.get(t.label);
    if (!entry) continue;
    if (t.checks === 0) {
      warnings.push(`${t.label}: no smoke checks are configured, so nothing proves it healthy`);
      entry.verdict = worse(entry.verdict, 'degraded');
    } else if ((counts.get(t.label) ?? 0) < t.checks) {
      warnings.push(`${t.label}: only ${counts.get(t.label) ?? 0} of ${t.checks} checks reported`);
      entry.verdict = worse(entry.verdict, 'degraded');
    }
  }
  if (input.targets.length === 0 && input.results.length === 0) warnings.push('no smoke targets are configured, so nothing proves recovery');

  const verdict: Verdict = criticals.length ? 'red' : warnings.length ? 'degraded' : 'green';
  const reasons =
    verdict === 'green'
      ? [...perTarget.entries()].map(([label, e]) => `${label}: ${e.passed === 1 ? 'the only check' : `all ${e.passed} checks`} passed`)
      : [...criticals, ...warnings];
  return {
    verdict,
    reasons,
    targets: [...perTarget.entries()].map(([label, e]) => ({ label, verdict: e.verdict, checks: e.checks, passed: e.passed })),
  };
}
