/**
 * Dev host figures: throughput of a 5-activity chain and of a 100-activity fan-out (real clock,
 * instant activities, Azurite in memory), and the cost of one replay episode as the history grows.
 */
import { performance } from 'node:perf_hooks';
import { RealClock, runEpisode, EventType, type HistoryEvent, Invoker, Logger } from '../../src/devhost/index.js';
import { startTestAzurite, startTestHost, type TestHost } from '../harness/devhost.js';
import type { BenchResult } from './run.js';
import { round, summary } from './stats.js';

async function runMany(h: TestHost, count: number, start: () => Promise<string>): Promise<{ wallMs: number; latencies: number[] }> {
  const t0 = performance.now();
  const latencies = await Promise.all(
    Array.from({ length: count }, async () => {
      const s = performance.now();
      const id = await start();
      await h.waitFor(id, ['Completed'], 120_000);
      return performance.now() - s;
    }),
  );
  return { wallMs: performance.now() - t0, latencies };
}

export async function devhostBenchmarks(emit: (r: BenchResult) => void): Promise<void> {
  const azurite = await startTestAzurite();
  const h = await startTestHost({ azurite, clock: new RealClock(), logLevel: 'warning' });
  try {
    // Warm-up: first use of the SDKs and the app.
    await h.waitFor(await h.start('chain', ['warm']));

    for (const concurrency of [1, 20]) {
      const instances = concurrency === 1 ? 20 : 100;
      const t0 = performance.now();
      const latencies: number[] = [];
      for (let done = 0; done < instances; done += concurrency) {
        const batch = await runMany(h, Math.min(concurrency, instances - done), () => h.start('chain', ['a', 'b', 'c', 'd', 'e']));
        latencies.push(...batch.latencies);
      }
      const wall = performance.now() - t0;
      emit({
        bench: 'devhost.chain5',
        concurrency,
        instances,
        instancesPerSec: round((instances / wall) * 1000),
        activitiesPerSec: round(((instances * 5) / wall) * 1000),
        latencyMs: summary(latencies),
      });
    }

    const fan = await runMany(h, 3, () => h.start('fanOut', { count: 100, delayMs: 0 }));
    emit({
      bench: 'devhost.fanOut100',
      instances: 3,
      activitiesPerSec: round(((3 * 100) / fan.wallMs) * 1000),
      latencyMs: summary(fan.latencies),
    });

    // Episode cost against history length, replaying real histories through the real library.
    const app = h.host.app;
    const reg = app.registry.functions.get('chain');
    if (!reg) throw new Error('chain orchestrator missing');
    const invoker = new Invoker(app.registry, new Logger('warning'));
    for (const target of [50, 200, 1000]) {
      // Each step of the chain adds 4 events (OrchestratorStarted, TaskCompleted, TaskScheduled, OrchestratorCompleted).
      const steps = Math.max(1, Math.round((target - 4) / 4));
      const id = await h.start('chain', Array.from({ length: steps }, (_, i) => `s${i}`));
      await h.waitFor(id, ['Completed'], 120_000);
      const found = await h.host.engine.getState(id);
      const history = (await found?.history()) ?? [];
      const lastStart = history.map((e) => e.EventType).lastIndexOf(EventType.OrchestratorStarted);
      const prefix = history.slice(0, lastStart);
      const event = history[lastStart + 1] as HistoryEvent;
      // The book as the last episode found it: that episode (the final result) schedules nothing,
      // so the completed instance's book is the one it started with. An empty book would make every
      // replayed action look new and overstate how the cost grows with the history.
      if (!found) throw new Error(`instance ${id} missing`);
      const book = found.state.book;
      if (book.actions.length !== steps) throw new Error(`expected a book of ${steps} actions, got ${book.actions.length}`);
      const times: number[] = [];
      for (let i = 0; i < 30; i++) {
        const t0 = performance.now();
        await runEpisode({
          invoke: async (payload) => (await invoker.invoke(reg, { trigger: { string: JSON.stringify(payload) } })).result,
          instance: { instanceId: id, name: 'chain', input: found.state.input, parentInstanceId: undefined },
          history: prefix,
          book,
          now: Date.now(),
          events: [event],
        });
        times.push(performance.now() - t0);
      }
      emit({ bench: 'devhost.episodeCost', historyEvents: prefix.length + 2, episodeMs: summary(times.slice(5)) });
    }
  } finally {
    await h.stop();
    await azurite.stop();
  }
}
