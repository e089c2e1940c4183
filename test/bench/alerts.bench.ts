/**
 * Alert storm: 1000 deliveries of 100 distinct alerts (each delivered 10 times, shuffled, 25 in
 * flight at once) to POST /api/alerts on the dev host. Prints acceptance latency and how many
 * incidents came out (the right answer is exactly 100). Then, one at a time: acceptance of an alert
 * joining an open incident, and of an alert declaring a new one together with the time until its
 * "incident declared" message reaches Teams (the local sink's file: what a Graph post would carry).
 */
import { closeSync, existsSync, mkdtempSync, openSync, readSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { RealClock } from '../../src/devhost/clock.js';
import { alertFixture, incidentInstances, postAlert, withAlertId } from '../harness/alerts.js';
import { repoRoot, startTestAzurite, startTestHost } from '../harness/devhost.js';
import type { BenchResult } from './run.js';
import { outcomeOf, summary, tally } from './stats.js';

function stormPolicy(services: number): string {
  const base = JSON.parse(JSON.stringify({
    version: 1,
    environments: { Prod: { triggerSeverity: 'P1' } },
    timeboxes: Object.fromEntries(
      ['P1', 'P2', 'P3'].map((l) => [l, { ackMinutes: 15, decisionMinutes: 10, noDecision: 'rollback', containmentMinutes: 15, recoveryMinutes: 30, monitoringMinutes: 60, updateEveryMinutes: 15 }]),
    ),
    services: Array.from({ length: services }, (_, i) => ({ service: `svc-${String(i).padStart(3, '0')}`, environment: 'Prod', match: { properties: { service: `svc-${String(i).padStart(3, '0')}`, environment: 'Prod' } } })),
  })) as unknown;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'storm-'));
  const file = path.join(dir, 'policy.json');
  writeFileSync(file, JSON.stringify(base));
  return file;
}

export async function alertBenchmarks(emit: (r: BenchResult) => void): Promise<void> {
  const distinct = 100;
  const repeats = 10;
  const inFlight = 25;
  const declaredRuns = 30;
  const azurite = await startTestAzurite();
  const sinkFile = path.join(mkdtempSync(path.join(os.tmpdir(), 'storm-sink-')), 'teams.jsonl');
  const h = await startTestHost({
    azurite,
    appRoot: repoRoot,
    clock: new RealClock(),
    logLevel: 'warning',
    env: { POLICY_PATH: stormPolicy(distinct + declaredRuns), TEAMS_DELIVERY: 'local', TEAMS_SINK_FILE: sinkFile },
  });
  try {
    const template = alertFixture('metric-dynamic-fired.json');
    const alerts = Array.from({ length: distinct }, (_, i) => {
      const doc = withAlertId(template, `storm-${i}`) as { data: { customProperties: Record<string, string> } };
      doc.data.customProperties = { service: `svc-${String(i).padStart(3, '0')}`, environment: 'Prod' };
      return doc;
    });
    // Warm-up on a separate service-less alert (unmatched): first use of SDKs and tables.
    await postAlert(h, withAlertId(template, 'warm'));

    const deliveries = alerts.flatMap((a) => Array.from({ length: repeats }, () => a));
    for (let i = deliveries.length - 1; i > 0; i--) {
      const j = Math.floor(Math.random() * (i + 1));
      [deliveries[i], deliveries[j]] = [deliveries[j] as (typeof deliveries)[number], deliveries[i] as (typeof deliveries)[number]];
    }
    const latencies: number[] = [];
    const statuses = new Map<number, number>();
    const kinds = new Map<string, number>();
    let next = 0;
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: inFlight }, async () => {
        while (next < deliveries.length) {
          const doc = deliveries[next++];
          const s = performance.now();
          const answer = await postAlert(h, doc);
          latencies.push(performance.now() - s);
          tally(statuses, answer.status);
          tally(kinds, outcomeOf(answer.body));
        }
      }),
    );
    const wall = performance.now() - t0;
    await h.settle();
    const incidents = (await incidentInstances(h)).length;

    // Single alerts with nothing else in flight: the "accepted in well under 100 ms" figure.
    const single: number[] = [];
    for (let i = 0; i < 50; i++) {
      const doc = withAlertId(template, `single-${i}`) as { data: { customProperties: Record<string, string> } };
      doc.data.customProperties = { service: `svc-${String(i).padStart(3, '0')}`, environment: 'Prod' };
      const s = performance.now();
      await postAlert(h, doc);
      single.push(performance.now() - s);
    }
    emit({
      bench: 'alerts.storm',
      deliveries: deliveries.length,
      distinctAlerts: distinct,
      inFlight,
      incidents,
      expectedIncidents: distinct,
      statuses: Object.fromEntries(statuses),
      outcomes: Object.fromEntries(kinds),
      deliveriesPerSec: Math.round((deliveries.length / wall) * 1000),
      acceptanceMs: summary(latencies),
    });
    emit({ bench: 'alerts.single', alerts: single.length, path: 'correlated into an open incident', acceptanceMs: summary(single) });

    // Alert -> incident declared in Teams, one at a time, each for a service with no open incident.
    // The sink file only grows: each poll reads what was appended since the last one.
    let seen = existsSync(sinkFile) ? statSync(sinkFile).size : 0;
    let tail = '';
    const sinkHas = (needle: string): boolean => {
      if (!existsSync(sinkFile)) return false;
      const size = statSync(sinkFile).size;
      if (size > seen) {
        const chunk = Buffer.alloc(size - seen);
        const fd = openSync(sinkFile, 'r');
        try {
          readSync(fd, chunk, 0, chunk.length, seen);
        } finally {
          closeSync(fd);
        }
        tail = (tail + chunk.toString('utf8')).slice(-256 * 1024);
        seen = size;
      }
      return tail.includes(needle);
    };
    const accepted: number[] = [];
    const toTeams: number[] = [];
    const pollMs = 2;
    for (let i = 0; i < declaredRuns; i++) {
      const svc = `svc-${String(distinct + i).padStart(3, '0')}`;
      const doc = withAlertId(template, `declare-${i}`) as { data: { customProperties: Record<string, string> } };
      doc.data.customProperties = { service: svc, environment: 'Prod' };
      const s = performance.now();
      const answer = await postAlert(h, doc);
      accepted.push(performance.now() - s);
      if (answer.body.kind !== 'declared') throw new Error(`expected a declaration for ${svc}, got ${JSON.stringify(answer.body)}`);
      const needle = `"incidentId":"${answer.body.incidentId}","kind":"declared"`;
      const deadline = s + 10_000;
      while (!sinkHas(needle)) {
        if (performance.now() > deadline) throw new Error(`no declaration in Teams for ${answer.body.incidentId} within 10 s`);
        await new Promise((r) => setTimeout(r, pollMs));
      }
      toTeams.push(performance.now() - s);
    }
    emit({
      bench: 'alerts.declared',
      alerts: declaredRuns,
      via: 'POST /api/alerts -> incident orchestration -> Teams activity -> local sink file',
      pollIntervalMs: pollMs,
      acceptanceMs: summary(accepted),
      alertToTeamsMs: summary(toTeams),
    });
  } finally {
    await h.stop();
    await azurite.stop();
  }
}
