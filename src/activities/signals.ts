/**
 * The `signalsRead` handler: runs the readers the plan asks for, in parallel, each within the
 * plan's timeout, and returns every reading as data. A reader that is not configured (no region, no
 * logs target, no alert scope) or whose settings are invalid says so; it never throws.
 */
import type { z } from 'zod';
import type { Issue } from '../config/issues.js';
import type { ActiveAlert, LogsTriage, MetricObservation, MetricSeries, Reading, WatchedMetric } from '../domain/monitor-signals.js';
import { NOT_ASKED } from '../domain/signals-judgement.js';
import type { SignalReaders } from '../ports/signals.js';
import type { ReadSignalsInput, ReadSignalsOutput } from './signals.contracts.js';

const MINUTE = 60_000;

export interface SignalsPorts {
  readers: () => { ok: true; value: SignalReaders } | { ok: false; issues: Issue[] };
}

type Input = z.output<typeof ReadSignalsInput>;

export function createSignalsActivities(ports: SignalsPorts) {
  return {
    async read(input: Input): Promise<ReadSignalsOutput> {
      const { plan } = input;
      const end = Math.floor(Date.parse(input.at) / MINUTE) * MINUTE;
      const window = (minutes: number) => ({ from: new Date(end - minutes * MINUTE).toISOString(), to: new Date(end).toISOString(), timeoutMs: plan.timeoutMs });
      const built = ports.readers();
      const readers = built.ok ? built.value : null;
      const broken = built.ok ? '' : `the signal readers' settings are invalid: ${built.issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`.slice(0, 500);
      const unavailable = <T,>(reason: string): Reading<T> => ({ status: 'unavailable', at: input.at, reason });
      const notConfigured = <T,>(reason: string): Reading<T> => ({ status: 'not-configured', reason });

      const readMetric = async (metric: WatchedMetric): Promise<MetricObservation> => {
        if (!readers) return { metric, reading: unavailable<MetricSeries[]>(broken) };
        if (!plan.region) return { metric, reading: notConfigured<MetricSeries[]>(plan.missing.metrics ?? 'no region for the metrics reader') };
        return { metric, reading: await readers.readMetric(metric, plan.region, window(plan.lookbackMinutes)) };
      };
      const readAlerts = async (): Promise<Reading<ActiveAlert[]>> => {
        if (!readers) return unavailable(broken);
        if (!plan.alertScopes.length) return notConfigured(plan.missing.alerts ?? 'no scope to list alerts in');
        return readers.activeAlerts(plan.alertScopes, window(plan.lookbackMinutes));
      };
      const readTriage = async (): Promise<Reading<LogsTriage>> => {
        if (!readers) return unavailable(broken);
        if (!plan.logs) return notConfigured(plan.missing.logs ?? 'no logs target');
        return readers.triage(plan.logs, window(Math.min(plan.lookbackMinutes, 15)));
      };
      const metrics = input.read.metrics ? plan.metrics.map(readMetric) : [];
      const alerts = input.read.alerts ? readAlerts() : Promise.resolve(notConfigured<ActiveAlert[]>(NOT_ASKED));
      const triage = input.read.triage ? readTriage() : Promise.resolve(null);
      const [m, a, t] = await Promise.all([Promise.all(metrics), alerts, triage]);
      return { at: input.at, metrics: m, alerts: a, triage: t };
    },
  };
}
