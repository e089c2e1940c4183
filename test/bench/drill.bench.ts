/**
 * Automation overhead of one full incident: the product app on the dev host in-process (manual
 * clock), wired to the fakes as the end-to-end tests wire it (test/harness/product.ts): alert ->
 * declared -> snapshot and proposal -> decision (POST /api/incidents/{id}/decision) -> freeze,
 * slot swap on the ARM fake, green smoke checks -> the monitoring window (the manual clock moved
 * 30 min) -> resolved, evidence sealed.
 *
 * Time spent waiting on the external systems is every outgoing request to ARM (and its identity
 * endpoint), the target app and SQL (test/bench/external-time.ts), plus the swap's long-running
 * operation from its POST to the poll that saw it finish; it is counted as the union of those
 * intervals. Overhead = wall - external: what the automation itself costs (orchestration replay,
 * activities, app code, storage). Storage (Azurite) is internal but reported on its own. The
 * driver's reads of the incident between phases (after the host is idle) are left out of the wall.
 *
 * Two variants: the fakes' instant answers, and an ARM swap taking SWAP_MS of real time, which is
 * how the overhead compares with a real wait (a production swap takes minutes). Counts come from
 * the dev host's store: orchestration instances of the run (the incident and its smoke suites),
 * activities scheduled, episodes (replays) and history events.
 */
import { performance } from 'node:perf_hooks';
import { EventType } from '../../src/devhost/index.js';
import { APPROVER, MINUTE, ProductWorld, principal, type IncidentRead } from '../harness/product.js';
import { ExternalTime, type Interval } from './external-time.js';
import type { BenchResult } from './run.js';
import { percentile, round, summary, unionMs } from './stats.js';

const RUNS = 5;
const SWAP_MS = 2000;
const EXTERNAL = ['arm', 'identity', 'target', 'sql'];
const PHASES = ['intake', 'snapshot', 'containment', 'monitoring'] as const;
type Phase = (typeof PHASES)[number];
const COUNTS = ['instances', 'activities', 'episodes', 'historyEvents', 'timeline'] as const;

interface RunFigures {
  wallMs: number;
  externalMs: number;
  storageMs: number;
  phases: Record<Phase, { wallMs: number; externalMs: number }>;
  swapOperationMs: number;
  requests: Record<string, number>;
  counts: Record<(typeof COUNTS)[number], number>;
}

/** The swap's long-running operation: its POST until the last poll of it answered. */
function swapOperations(intervals: Interval[]): Interval[] {
  const out: Interval[] = [];
  for (const post of intervals.filter((i) => i.system === 'arm' && /^POST .*\/slotsswap\b/i.test(i.what))) {
    const polls = intervals.filter((i) => i.system === 'arm' && /^GET .*\/operation(results|status)\//i.test(i.what) && i.start >= post.start);
    out.push({ system: 'arm', what: 'swap operation', start: post.start, end: Math.max(post.end, ...polls.map((p) => p.end)) });
  }
  return out;
}

async function runIncident(w: ProductWorld, rec: ExternalTime): Promise<RunFigures> {
  w.reset();
  w.breakProduction();
  rec.intervals.length = 0;
  const startedAtClock = w.now();
  // Reads of the incident by this driver: the host is idle during them, so they and the requests
  // they cause are left out.
  const reads: { start: number; end: number }[] = [];
  const until = async (id: string, ready: (r: IncidentRead) => boolean, what: string): Promise<void> => {
    const deadline = Date.now() + 30_000;
    for (;;) {
      await w.host.settle();
      const start = performance.now();
      const read = await w.incident(id);
      reads.push({ start, end: performance.now() });
      if (ready(read)) return;
      if (Date.now() > deadline) throw new Error(`incident ${id} did not reach ${what}: ${JSON.stringify(read.runtime.customStatus)}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  };

  const marks: number[] = [performance.now()];
  const alert = await w.fireAlert();
  if (alert.body.kind !== 'declared') throw new Error(`expected a declaration, got ${alert.status} ${JSON.stringify(alert.body)}`);
  const id = alert.body.incidentId as string;
  marks.push(performance.now());
  await until(id, (r) => r.runtime.customStatus?.phase === 'deciding', 'the decision');
  marks.push(performance.now());
  const decided = await w.post(`/api/incidents/${id}/decision`, { choice: 'accept-proposal', proposalId: 'proposal-1' }, principal(APPROVER.upn, APPROVER.oid));
  if (decided.status !== 202) throw new Error(`decision answered ${decided.status}: ${JSON.stringify(decided.body)}`);
  await until(id, (r) => r.runtime.customStatus?.phase === 'monitoring' && r.runtime.customStatus.lastChecks?.verdict === 'green', 'monitoring with green checks');
  marks.push(performance.now());
  await w.advance(30 * MINUTE);
  await until(id, (r) => r.summary.status === 'resolved' && r.runtime.runtimeStatus === 'Completed' && r.timeline.some((t) => t.text.startsWith('Evidence pack sealed')), 'resolved with the evidence sealed');
  marks.push(performance.now());
  if (w.swaps() !== 1) throw new Error(`expected one swap, saw ${w.swaps()}`);

  const inRead = (i: Interval): boolean => reads.some((r) => i.start >= r.start && i.start <= r.end);
  const intervals = rec.intervals.filter((i) => !inRead(i));
  const swaps = swapOperations(intervals);
  const external = [...intervals.filter((i) => EXTERNAL.includes(i.system)), ...swaps];
  const readMs = (from: number, to: number): number => reads.filter((r) => r.start >= from && r.end <= to).reduce((a, r) => a + r.end - r.start, 0);
  const clip = (set: Interval[], from: number, to: number): Interval[] =>
    set.filter((i) => i.end > from && i.start < to).map((i) => ({ ...i, start: Math.max(i.start, from), end: Math.min(i.end, to) }));
  const first = marks[0] as number;
  const last = marks.at(-1) as number;
  const phases = Object.fromEntries(
    PHASES.map((p, k) => {
      const from = marks[k] as number;
      const to = marks[k + 1] as number;
      return [p, { wallMs: to - from - readMs(from, to), externalMs: unionMs(clip(external, from, to)) }];
    }),
  ) as RunFigures['phases'];

  const requests: Record<string, number> = {};
  for (const i of intervals) requests[i.system] = (requests[i.system] ?? 0) + 1;
  const counts = { instances: 0, activities: 0, episodes: 0, historyEvents: 0, timeline: 0 };
  const { states } = await w.host.host.engine.listInstances({ createdFrom: startedAtClock });
  for (const s of states) {
    const history = (await (await w.host.host.engine.getState(s.instanceId))?.history()) ?? [];
    counts.instances++;
    counts.historyEvents += history.length;
    counts.activities += history.filter((e) => e.EventType === EventType.TaskScheduled).length;
    counts.episodes += history.filter((e) => e.EventType === EventType.OrchestratorStarted).length;
  }
  counts.timeline = (await w.incident(id)).timeline.length;
  return {
    wallMs: last - first - readMs(first, last),
    externalMs: unionMs(external),
    storageMs: unionMs(intervals.filter((i) => i.system === 'storage')),
    phases,
    swapOperationMs: unionMs(swaps),
    requests,
    counts,
  };
}

export async function drillBenchmarks(emit: (r: BenchResult) => void): Promise<void> {
  // One world for both variants: the app is loaded once per process, and what it keeps in memory
  // (alerts it has seen) belongs with the storage it was loaded against.
  const w = await ProductWorld.start();
  const ports = new Map<number, string>([
    [Number(new URL(w.arm.armUrl).port), 'arm'],
    [Number(new URL(w.arm.sideUrl).port), 'identity'],
    [Number(new URL(w.target.url('production')).port), 'target'],
    [Number(new URL(w.target.url('staging')).port), 'target'],
    [w.sql.port, 'sql'],
    [w.azurite.ports.blob, 'storage'],
    [w.azurite.ports.queue, 'storage'],
    [w.azurite.ports.table, 'storage'],
  ]);
  // Any other loopback port is the dev host itself (its HTTP port, the Durable client's RPC port).
  const rec = new ExternalTime(ports, 'devhost');
  try {
    if ((await w.recordLkg()).status !== 201) throw new Error('recording the LKG failed');
    await runIncident(w, rec); // warm-up: first use of the SDKs, tables and blob containers created
    for (const swapMs of [0, SWAP_MS]) {
      w.arm.swapMs = swapMs;
      const all: RunFigures[] = [];
      for (let i = 0; i < RUNS; i++) all.push(await runIncident(w, rec));
      emit(figures(swapMs ? `ARM swap takes ${swapMs} ms` : 'instant fakes', swapMs, all));
    }
  } finally {
    rec.stop();
    await w.stop();
  }
}

function figures(variant: string, swapMs: number, all: RunFigures[]): BenchResult {
  const p50 = (f: (r: RunFigures) => number, digits = 2): number => round(percentile(all.map(f), 50), digits);
  return {
    bench: 'drill.overhead',
    variant,
    swapMs,
    runs: all.length,
    wallMs: summary(all.map((r) => r.wallMs)),
    externalMs: summary(all.map((r) => r.externalMs)),
    overheadMs: summary(all.map((r) => r.wallMs - r.externalMs)),
    overheadShareP50: p50((r) => (r.wallMs - r.externalMs) / r.wallMs, 3),
    storageMsP50: p50((r) => r.storageMs),
    swapOperationMsP50: p50((r) => r.swapOperationMs),
    phasesP50: Object.fromEntries(
      PHASES.map((p) => [p, { wallMs: p50((r) => r.phases[p].wallMs), externalMs: p50((r) => r.phases[p].externalMs), overheadMs: p50((r) => r.phases[p].wallMs - r.phases[p].externalMs) }]),
    ),
    requestsP50: Object.fromEntries([...new Set(all.flatMap((r) => Object.keys(r.requests)))].sort().map((k) => [k, p50((r) => r.requests[k] ?? 0)])),
    countsP50: Object.fromEntries(COUNTS.map((k) => [k, p50((r) => r.counts[k])])),
  };
}
