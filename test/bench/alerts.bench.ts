/**
 * Alert intake under load, POST /api/alerts on the dev host, every request sent by a load driver
 * in a process of its own (test/bench/load-driver.ts):
 *   alerts.storm        1000 deliveries of 100 distinct alerts (each delivered 10 times, shuffled,
 *                       25 in flight): acceptance latency, and how many incidents came out (exactly 100)
 *   alerts.single       100 alerts joining open incidents (one each, so each is raised), one at a time
 *   alerts.inFlight20   400 distinct alerts joining 100 open incidents (4 each: the first raised, the
 *                       rest folded within its window), 20 in flight
 *   alerts.oneIncident  1,000 distinct alerts for one incident, one at a time: acceptance p50 per
 *                       block of 100 (flat is the goal), the incident's history and its replay cost
 *   alerts.declared     alert -> "incident declared" in Teams, one at a time (the local sink's
 *                       file: what a Graph post would carry), polled from here
 */
import { closeSync, existsSync, mkdtempSync, openSync, readSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { RealClock, runEpisode, ev, Invoker, Logger } from '../../src/devhost/index.js';
import { FOLD_SWEEP_MS } from '../../src/domain/incident-events.js';
import { alertFixture, incidentInstances, postAlert, withAlertId } from '../harness/alerts.js';
import { repoRoot, startTestAzurite, startTestHost, type TestHost } from '../harness/devhost.js';
import type { BenchResult } from './run.js';
import { drive, hostLoad, type HostLoad } from './drive.js';
import type { DriverResult } from './load-driver.js';
import { goal, round, summary, tally } from './stats.js';

export function stormPolicy(services: number): string {
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

const svc = (i: number): string => `svc-${String(i).padStart(3, '0')}`;

/** Statuses and outcomes of a driver run, counted. */
function counted(r: DriverResult): { statuses: Record<string, number>; outcomes: Record<string, number> } {
  const statuses = new Map<number, number>();
  const kinds = new Map<string, number>();
  for (const a of r.answers) {
    tally(statuses, a.status);
    tally(kinds, a.kind);
  }
  return { statuses: Object.fromEntries(statuses), outcomes: Object.fromEntries(kinds) };
}

/**
 * The floor under an acceptance figure: the same bodies at the same concurrency with their schemaId
 * broken, so the intake answers 400 before any storage or orchestration call. What is left is the
 * dev host's HTTP and function invocation, the body read and redacted, and the driver, on the same
 * cores as Azurite: no intake can answer faster on this machine.
 */
export async function floorMs(url: string, bodies: string[], inFlight: number): Promise<ReturnType<typeof summary>> {
  const broken = bodies.map((b) => b.replace('"schemaId":"azureMonitorCommonAlertSchema"', '"schemaId":"bench-floor"'));
  const r = await drive({ url, bodies: broken, inFlight });
  const refused = r.answers.filter((a) => a.status === 400).length;
  if (refused !== bodies.length) throw new Error(`floor: ${refused} of ${bodies.length} answered 400`);
  return summary(r.answers.map((a) => a.ms));
}

/** "p99 X ms (floor Y ms)": a figure next to its floor. */
export const withFloor = (ms: ReturnType<typeof summary>, floor: ReturnType<typeof summary>, host?: HostLoad): string =>
  `${ms.p99} ms (floor on this host: ${floor.p99} ms${host ? `; host's event loop busy ${Math.round(host.eventLoopBusy * 100)} % meanwhile` : ''})`;

/** The replay cost of an incident as it stands: its whole history replayed with one event it ignores. */
async function replayCost(h: TestHost, incidentId: string): Promise<{ historyEvents: number; inputChars: number; executionsBefore: number; episodeMs: ReturnType<typeof summary> }> {
  const found = await h.host.engine.getState(incidentId);
  if (!found) throw new Error(`instance ${incidentId} missing`);
  const history = await found.history();
  const reg = h.host.app.registry.functions.get('incident');
  if (!reg) throw new Error('incident orchestrator missing');
  const invoker = new Invoker(h.host.app.registry, new Logger('warning'));
  const times: number[] = [];
  for (let i = 0; i < 15; i++) {
    const t0 = performance.now();
    await runEpisode({
      invoke: async (payload) => (await invoker.invoke(reg, { trigger: { string: JSON.stringify(payload) } })).result,
      instance: { instanceId: incidentId, name: 'incident', input: found.state.input, parentInstanceId: undefined },
      history,
      book: found.state.book,
      now: Date.now(),
      events: [ev.eventRaised(Date.now(), 'bench-not-an-incident-event', undefined)],
    });
    times.push(performance.now() - t0);
  }
  // A long incident continues as new: its input then carries the record so far (the checkpoint).
  const input = found.state.input ?? '';
  const resumed = (JSON.parse(input || 'null') as { resume?: { run?: { executions?: number } } } | null)?.resume;
  return { historyEvents: history.length, inputChars: input.length, executionsBefore: resumed?.run?.executions ?? 0, episodeMs: summary(times.slice(3)) };
}

export async function alertBenchmarks(emit: (r: BenchResult) => void): Promise<void> {
  const distinct = 100;
  const repeats = 10;
  const inFlight = 25;
  const declaredRuns = 30;
  const oneIncidentAlerts = 1000;
  const azurite = await startTestAzurite();
  const sinkFile = path.join(mkdtempSync(path.join(os.tmpdir(), 'storm-sink-')), 'teams.jsonl');
  const h = await startTestHost({
    azurite,
    appRoot: repoRoot,
    clock: new RealClock(),
    logLevel: 'warning',
    env: { POLICY_PATH: stormPolicy(distinct + declaredRuns + 1), TEAMS_DELIVERY: 'local', TEAMS_SINK_FILE: sinkFile },
  });
  const url = `${h.baseUrl}/api/alerts`;
  try {
    const template = alertFixture('metric-dynamic-fired.json');
    const alertFor = (id: string, service: string): Record<string, unknown> => {
      const doc = withAlertId(template, id) as { data: { customProperties: Record<string, string> } };
      doc.data.customProperties = { service, environment: 'Prod' };
      return doc;
    };
    const alerts = Array.from({ length: distinct }, (_, i) => alertFor(`storm-${i}`, svc(i)));
    // Warm-up on a separate service-less alert (unmatched): first use of SDKs and tables.
    await postAlert(h, withAlertId(template, 'warm'));

    const deliveries = alerts.flatMap((a) => Array.from({ length: repeats }, () => JSON.stringify(a)));
    for (let i = deliveries.length - 1; i > 0; i--) {
      const j = Math.floor(Math.random() * (i + 1));
      [deliveries[i], deliveries[j]] = [deliveries[j] as string, deliveries[i] as string];
    }
    const stormFloor = await floorMs(url, deliveries, inFlight);
    const untilSettled = hostLoad();
    const storm = await drive({ url, bodies: deliveries, inFlight });
    await h.settle();
    // The host's CPU from the first delivery until every incident it opened was idle again: the
    // intake and the orchestration work of 100 declarations, on the event loop the answers share.
    const stormCpu = untilSettled();
    const incidents = (await incidentInstances(h)).length;
    const stormMs = summary(storm.answers.map((a) => a.ms));
    emit({
      bench: 'alerts.storm',
      deliveries: deliveries.length,
      distinctAlerts: distinct,
      inFlight,
      driver: 'own process',
      incidents,
      expectedIncidents: distinct,
      ...counted(storm),
      deliveriesPerSec: Math.round((deliveries.length / storm.wallMs) * 1000),
      over10s: storm.answers.filter((a) => a.ms > 10_000).length,
      acceptanceMs: stormMs,
      floorMs: stormFloor,
      host: storm.host,
      hostCpuUntilSettledMs: stormCpu.cpuMs,
      hostCpuPerIncidentMs: round(stormCpu.cpuMs / Math.max(1, incidents)),
      goals: [
        goal(
          'storm of 1000 deliveries / 100 alerts, 25 in flight, p99 (driver in its own process)',
          '< 200 ms',
          `${withFloor(stormMs, stormFloor, storm.host)}; ${incidents}/${distinct} incidents; host CPU until idle ${round(stormCpu.cpuMs / Math.max(1, incidents), 1)} ms per incident`,
          stormMs.p99 < 200 && incidents === distinct,
        ),
      ],
    });

    // Alerts joining open incidents, one at a time: one into each of the storm's 100 incidents, so
    // that each is raised (the costlier path: it wakes its incident) and p99 is not just the single
    // slowest answer.
    const singleBodies = Array.from({ length: distinct }, (_, i) => JSON.stringify(alertFor(`single-${i}`, svc(i))));
    const singleFloor = await floorMs(url, singleBodies, 1);
    const single = await drive({ url, bodies: singleBodies, inFlight: 1 });
    const singleMs = summary(single.answers.map((a) => a.ms));
    emit({
      bench: 'alerts.single',
      alerts: single.answers.length,
      path: 'correlated into an open incident',
      ...counted(single),
      acceptanceMs: singleMs,
      floorMs: singleFloor,
      host: single.host,
      goals: [goal('alert accepted, one at a time, p99', '< 50 ms', withFloor(singleMs, singleFloor, single.host), singleMs.p99 < 50)],
    });

    // Past the fold window of the alerts just raised, and past the sweeps they armed: each incident
    // of the next figure takes its first alert raised (it wakes the incident) and the next ones
    // folded, as in a fresh burst, with no sweep of this phase's running beside it.
    await new Promise((r) => setTimeout(r, FOLD_SWEEP_MS + 1_000));
    await h.settle();

    // Distinct alerts joining open incidents, 20 in flight.
    const crowdBodies = Array.from({ length: 400 }, (_, i) => JSON.stringify(alertFor(`crowd-${i}`, svc(i % distinct))));
    const crowdFloor = await floorMs(url, crowdBodies, 20);
    const crowd = await drive({ url, bodies: crowdBodies, inFlight: 20 });
    const crowdMs = summary(crowd.answers.map((a) => a.ms));
    emit({
      bench: 'alerts.inFlight20',
      alerts: crowd.answers.length,
      inFlight: 20,
      ...counted(crowd),
      alertsPerSec: round((crowd.answers.length / crowd.wallMs) * 1000),
      acceptanceMs: crowdMs,
      floorMs: crowdFloor,
      host: crowd.host,
      goals: [goal('alert accepted, 20 in flight, p99', '< 200 ms', withFloor(crowdMs, crowdFloor, crowd.host), crowdMs.p99 < 200)],
    });
    await h.settle();

    // One incident taking 1,000 distinct alerts, one at a time (a long storm on one service).
    const target = svc(distinct + declaredRuns);
    const first = await postAlert(h, alertFor('one-0', target));
    const incidentId = first.body.incidentId;
    if (!incidentId) throw new Error(`no incident for ${target}: ${JSON.stringify(first.body)}`);
    await h.settle();
    const one = await drive({ url, bodies: Array.from({ length: oneIncidentAlerts }, (_, i) => JSON.stringify(alertFor(`one-${i + 1}`, target))), inFlight: 1 });
    const blocks = Array.from({ length: oneIncidentAlerts / 100 }, (_, b) => summary(one.answers.slice(b * 100, (b + 1) * 100).map((a) => a.ms)).p50);
    await h.settle();
    const replay = await replayCost(h, incidentId);
    const described = await h.json<{ summary?: { alerts?: number } }>(`/api/incidents/${incidentId}`);
    const growth = round((blocks.at(-1) ?? NaN) / (blocks[0] ?? NaN));
    emit({
      bench: 'alerts.oneIncident',
      alerts: oneIncidentAlerts + 1,
      ...counted(one),
      acceptP50PerBlockOf100Ms: blocks,
      lastBlockOverFirst: growth,
      alertsPerSecFirstBlock: round(1000 / (blocks[0] ?? NaN)),
      alertsPerSecLastBlock: round(1000 / (blocks.at(-1) ?? NaN)),
      incidentAlertsCounted: described.body.summary?.alerts ?? null,
      historyEvents: replay.historyEvents,
      executionsBefore: replay.executionsBefore,
      inputChars: replay.inputChars,
      episodeMs: replay.episodeMs,
      goals: [
        goal('one incident receiving alerts: accept p50 per block of 100 alerts', 'flat (last block / first ≤ 1.5)', `${blocks.join(' → ')} ms (×${growth})`, growth <= 1.5),
        goal('history of the incident after 1,001 alerts (its current execution)', 'bounded (≤ 1,000 events)', `${replay.historyEvents} events (${replay.executionsBefore} executions before it)`, replay.historyEvents <= 1000),
        goal(`episode cost of the real incident orchestration at its history (${replay.historyEvents} events)`, '< 5 ms', `${replay.episodeMs.p50} ms p50`, replay.episodeMs.p50 < 5),
      ],
    });

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
      const service = svc(distinct + i);
      const doc = alertFor(`declare-${i}`, service);
      const s = performance.now();
      const answer = await postAlert(h, doc);
      accepted.push(performance.now() - s);
      if (answer.body.kind !== 'declared') throw new Error(`expected a declaration for ${service}, got ${JSON.stringify(answer.body)}`);
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
