/**
 * Smoke figures:
 *   smoke.fanout     N checks of about 200 ms each (contract checks against an endpoint with 200 ms
 *                    of injected latency) through the smokeSuite orchestration on the dev host
 *                    (real clock, Azurite in memory): wall time next to the slowest single check.
 *                    The ratio is the figure of merit (1.0 = perfectly parallel). Beside it, the
 *                    floor on this machine at this moment: the overhead of a suite of one such
 *                    check (the start, the fan-out's episode before the check, the fan-in's after
 *                    it and the commit of its completion: the steps no fan-out avoids), added to the
 *                    slowest check; no suite of 50 gets below it, whatever its checks do.
 *   smoke.sseTtfbError   measured first-event time minus the injected delay (and minus what the
 *                    server actually waited, its timer being late on a busy machine), over runs.
 *   smoke.sseGapError    measured largest gap minus the injected / actual gap.
 */
import { performance } from 'node:perf_hooks';
import { probeSse } from '../../src/adapters/http-probes.js';
import type { SmokeSuiteInput, SmokeSuiteOutput } from '../../src/activities/smoke.contracts.js';
import { EventType, RealClock } from '../../src/devhost/index.js';
import { Check } from '../../src/domain/smoke-checks.js';
import { startTargetApp, type TargetApp } from '../../src/lab/target-app.js';
import { repoRoot, startTestAzurite, startTestHost, type TestHost } from '../harness/devhost.js';
import type { BenchResult } from './run.js';
import { goal, round, summary } from './stats.js';

const CHECK_LATENCY_MS = 200;

function fanoutInput(app: TargetApp, checks: number): SmokeSuiteInput {
  // Ten "instances" (targets) sharing the production slot, the checks dealt out over them.
  const instances = 10;
  const targets = Array.from({ length: instances }, (_, i) => ({
    label: `api/instance-${String(i + 1).padStart(2, '0')}`,
    baseUrl: app.url('production'),
    checks: [] as SmokeSuiteInput['targets'][number]['checks'],
  }));
  for (let i = 0; i < checks; i++) {
    targets[i % instances]?.checks.push({ kind: 'contract', name: `jobs-${i + 1}`, endpoints: [{ path: '/api/jobs', requiredFields: ['items', 'total'] }] });
  }
  return { incidentId: 'bench', targets };
}

async function runFanout(
  h: TestHost,
  input: SmokeSuiteInput,
): Promise<{ wallMs: number; suiteMs: number; slowestMs: number; startMs: number; observedMs: number; episodes: number; firstToLastCheckEndMs: number; out: SmokeSuiteOutput }> {
  const t0 = performance.now();
  const wall0 = Date.now();
  const id = await h.start('smokeSuite', input);
  // Completion observed when it happens: the engine goes idle once the suite's last episode has
  // committed (nothing else runs in this host), and its status is then read to confirm it. A status
  // poll every 20 ms would add up to 20 ms plus a read to the wall time, the harness's, not the
  // suite's (it was the largest single piece of a one-check suite's overhead).
  let wallMs = NaN;
  let done: Awaited<ReturnType<TestHost['status']>>;
  for (const until = performance.now() + 120_000; performance.now() < until; ) {
    await h.host.engine.idle();
    const at = performance.now() - t0;
    done = await h.status(id);
    if (done && (done.runtimeStatus === 'Completed' || done.runtimeStatus === 'Failed')) {
      wallMs = at;
      break;
    }
    await new Promise((r) => setTimeout(r, 1));
  }
  if (!done || Number.isNaN(wallMs)) throw new Error(`smokeSuite ${id} did not complete within 120 s: ${JSON.stringify(done)}`);
  if (done.runtimeStatus !== 'Completed') throw new Error(`smokeSuite ${done.runtimeStatus}: ${JSON.stringify(done.output)}`);
  const out = done.output as SmokeSuiteOutput;
  const refused = out.results.filter((r) => r.durationMs === 0);
  if (refused.length) throw new Error(`smokeSuite: ${refused.length} checks not run (refused): ${JSON.stringify(refused[0]).slice(0, 300)}`);
  const suiteMs = Date.parse(out.finishedAt) - Date.parse(out.startedAt);
  const slowestMs = Math.max(...out.results.map((r) => r.durationMs));
  // Where the time outside the checks goes: from the start request to the suite's first episode,
  // and from its last episode to its completion being committed.
  const startMs = Date.parse(out.startedAt) - wall0;
  const observedMs = wall0 + wallMs - Date.parse(out.finishedAt);
  // The suite's episodes (one to fan out, then one per batch of results that arrived together: each
  // replays the history and writes it to storage), and how far apart the checks finished (they run
  // at once, in this process, against one target: the slowest is slowed by the others).
  const episodes = ((await (await h.host.engine.getState(id))?.history()) ?? []).filter((e) => e.EventType === EventType.OrchestratorStarted).length;
  const ends = out.results.map((r) => Date.parse(r.requestedAt) + r.durationMs);
  return { wallMs, suiteMs, slowestMs, startMs, observedMs, episodes, firstToLastCheckEndMs: Math.max(...ends) - Math.min(...ends), out };
}

export async function smokeBenchmarks(emit: (r: BenchResult) => void): Promise<void> {
  const app = await startTargetApp();
  const azurite = await startTestAzurite();
  // The probes only go to allowed hosts: without this every check is refused before its request.
  const h = await startTestHost({ azurite, appRoot: repoRoot, clock: new RealClock(), logLevel: 'warning', env: { SMOKE_ALLOWED_HOSTS: '127.0.0.1' } });
  try {
    await runFanout(h, fanoutInput(app, 10)); // warm-up: app code loaded, storage tables created

    // The floor: what a suite of a single check costs beyond that check.
    app.setFault('production', { latencyMs: CHECK_LATENCY_MS, latencyPaths: ['/api/jobs'] });
    const single = [];
    for (let i = 0; i < 5; i++) single.push(await runFanout(h, fanoutInput(app, 1)));
    app.setFault('production', {});
    const floorMs = summary(single.map((r) => r.wallMs - r.slowestMs));

    for (const checks of [50, 100]) {
      // The same fan-out with instant checks: what the orchestration itself costs.
      const instant = [];
      for (let i = 0; i < 3; i++) instant.push(await runFanout(h, fanoutInput(app, checks)));
      app.setFault('production', { latencyMs: CHECK_LATENCY_MS, latencyPaths: ['/api/jobs'] });
      const runs = [];
      for (let i = 0; i < 5; i++) runs.push(await runFanout(h, fanoutInput(app, checks)));
      app.setFault('production', {});
      const ratio = summary(runs.map((r) => r.wallMs / r.slowestMs)).p50;
      const slowest = summary(runs.map((r) => r.slowestMs)).p50;
      const floorRatio = round((slowest + floorMs.p50) / slowest);
      emit({
        bench: 'smoke.fanout',
        checks: runs[0]?.out.results.length ?? 0,
        injectedLatencyMs: CHECK_LATENCY_MS,
        runs: runs.length,
        wallMs: summary(runs.map((r) => r.wallMs)),
        slowestCheckMs: summary(runs.map((r) => r.slowestMs)),
        ratioWallToSlowest: summary(runs.map((r) => r.wallMs / r.slowestMs)),
        suiteMs: summary(runs.map((r) => r.suiteMs)),
        overheadMs: {
          startToFirstEpisode: summary(runs.map((r) => r.startMs)).p50,
          insideSuiteBeyondSlowest: summary(runs.map((r) => r.suiteMs - r.slowestMs)).p50,
          lastEpisodeToCommitted: summary(runs.map((r) => r.observedMs)).p50,
        },
        suiteEpisodes: summary(runs.map((r) => r.episodes)),
        checksFinishedWithinMs: summary(runs.map((r) => r.firstToLastCheckEndMs)),
        serialWouldTakeMs: round(runs[0]?.out.results.reduce((a, r) => a + r.durationMs, 0) ?? 0),
        instantChecksWallMs: summary(instant.map((r) => r.wallMs)),
        verdicts: [...new Set(runs.map((r) => r.out.verdict))],
        floor: { oneCheckOverheadMs: floorMs, ratio: floorRatio },
        ...(checks === 50
          ? { goals: [goal('50-check smoke fan-out, wall / slowest check (p50 of 5)', '≤ 1.2', `${ratio} (floor now ${floorRatio})`, ratio <= 1.2)] }
          : {}),
      });
    }
  } finally {
    await h.stop();
    await azurite.stop();
  }

  try {
    app.reset();
    const target = { label: 'api/production', baseUrl: app.url('production'), headers: {} };
    const errVsInjected: number[] = [];
    const errVsServer: number[] = [];
    const delays = [0, 50, 100, 200, 500];
    await probeSse(target, Check.parse({ kind: 'sse', windowMs: 100, ttfbSamples: 1 }) as Extract<Check, { kind: 'sse' }>); // warm-up
    for (let run = 0; run < 8; run++) {
      for (const delay of delays) {
        app.setFault('production', { sseFirstEventDelayMs: delay });
        const m = await probeSse(target, Check.parse({ kind: 'sse', windowMs: delay + 100, ttfbSamples: 1 }) as Extract<Check, { kind: 'sse' }>);
        const log = app.sseLog.at(-1);
        if (m.ttfbMs === null || !log?.writes[0]) throw new Error('no first event measured');
        errVsInjected.push(m.ttfbMs - delay);
        errVsServer.push(m.ttfbMs - (log.writes[0] - log.receivedAt));
      }
    }
    emit({
      bench: 'smoke.sseTtfbError',
      delaysMs: delays,
      samples: errVsInjected.length,
      minusInjectedMs: summary(errVsInjected),
      minusServerActualMs: summary(errVsServer),
    });

    app.reset();
    app.setConfig('Network:SseKeepAliveSeconds', '0.1');
    app.setFault('production', { sseGaps: [{ afterEvent: 5, gapMs: 1500 }] });
    const gapVsInjected: number[] = [];
    const gapVsServer: number[] = [];
    for (let run = 0; run < 3; run++) {
      const m = await probeSse(target, Check.parse({ kind: 'sse', windowMs: 2300, ttfbSamples: 1 }) as Extract<Check, { kind: 'sse' }>);
      const w = app.sseLog.at(-1)?.writes ?? [];
      const serverMax = Math.max(...w.slice(1).map((t, i) => t - (w[i] as number)));
      gapVsInjected.push((m.gaps.maxMs ?? NaN) - 1500);
      gapVsServer.push((m.gaps.maxMs ?? NaN) - serverMax);
    }
    emit({ bench: 'smoke.sseGapError', injectedGapMs: 1500, heartbeatMs: 100, runs: 3, minusInjectedMs: summary(gapVsInjected), minusServerActualMs: summary(gapVsServer) });
  } finally {
    await app.stop();
  }
}
