/**
 * The synthetic monitor with real parts: a simulated target app taken down and brought back, the
 * smoke handler and HTTP probes the runbook uses, the monitor's state and the incident store in
 * Table storage (Azurite), and the real alert intake; only the Durable client is a recorder (the
 * end-to-end run on the dev host is in test/e2e).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSmokeActivities } from '../../src/activities/smoke.js';
import { createHttpProbes } from '../../src/adapters/http-probes.js';
import { TableIncidentStore } from '../../src/adapters/incident-store.js';
import { createTableClient, storageTarget } from '../../src/adapters/storage.js';
import { TableMonitorStateStore } from '../../src/adapters/table-synthetic.js';
import { acceptAlert, type IntakeDeps } from '../../src/app/intake.js';
import { runSyntheticMonitor, type SyntheticMonitorDeps } from '../../src/app/synthetic-monitor.js';
import { checkPolicy, type Policy } from '../../src/config/policy.js';
import { readSmokeSettings } from '../../src/config/smoke.js';
import type { IncidentInput } from '../../src/domain/incident.js';
import type { AzuriteInstance } from '../../src/devhost/index.js';
import type { Orchestrations } from '../../src/ports/orchestrations.js';
import { startTestAzurite, uniqueHubName } from '../harness/devhost.js';
import { startTargetApp, type TargetApp } from '../../src/lab/target-app.js';

let azurite: AzuriteInstance;
let app: TargetApp;
const at = (hhmmss: string) => new Date(`2026-11-20T${hhmmss}Z`);

beforeAll(async () => {
  azurite = await startTestAzurite();
  app = await startTargetApp();
});
afterAll(async () => {
  await app?.stop();
  await azurite?.stop();
});

function policyFor(baseUrl: string, service: string): Policy {
  const r = checkPolicy({
    version: 1,
    environments: { Prod: { triggerSeverity: 'P1', signals: { synthetic: { schedule: '0 */2 * * * *', failuresToDeclare: 2 } } }, Beta: { triggerSeverity: 'P2' } },
    timeboxes: Object.fromEntries(['P1', 'P2', 'P3'].map((l) => [l, { ackMinutes: 15, decisionMinutes: 10, noDecision: 'rollback', containmentMinutes: 15, recoveryMinutes: 30, monitoringMinutes: 60, updateEveryMinutes: 15 }])),
    // No alert wiring at all: only custom properties, which no Azure alert rule of this service sets.
    services: [
      { service, environment: 'Prod', match: { properties: { service, environment: 'Prod' } }, endpoints: { baseUrl } },
      { service, environment: 'Beta', match: { properties: { service, environment: 'Beta' } }, endpoints: { baseUrl } },
    ],
  });
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  return r.policy;
}

function world(service: string) {
  const env = { AzureWebJobsStorage: azurite.connectionString };
  const started: { id: string; input: IncidentInput }[] = [];
  const raised: { id: string; data: unknown }[] = [];
  const orchestrations: Orchestrations = {
    state: (id) => Promise.resolve(started.some((s) => s.id === id) ? 'running' : 'none'),
    start: (_name, id, input) => {
      if (started.some((s) => s.id === id)) return Promise.resolve('exists');
      started.push({ id, input: input as IncidentInput });
      return Promise.resolve('started');
    },
    raise: (id, _event, data) => {
      raised.push({ id, data });
      return Promise.resolve('raised');
    },
    describe: () => Promise.resolve(undefined),
  };
  const policy = policyFor(app.url('production'), service);
  const intakeDeps: IntakeDeps = {
    store: new TableIncidentStore(createTableClient(storageTarget(env), uniqueHubName('SynthIncidents'))),
    orchestrations,
    archive: { put: (name) => Promise.resolve(name) },
    unmatched: { record: () => Promise.resolve(), list: () => Promise.resolve([]) },
    policy,
    now: () => new Date(),
  };
  let intakeCalls = 0;
  const deps: SyntheticMonitorDeps = {
    policy,
    states: new TableMonitorStateStore(createTableClient(storageTarget(env), uniqueHubName('Synth'))),
    smoke: createSmokeActivities({ probes: createHttpProbes(), settings: () => readSmokeSettings({}, { hosts: ['127.0.0.1'], problem: null }) }),
    intake: (payload) => {
      intakeCalls++;
      return acceptAlert(intakeDeps, payload, (h) => `synthetic/${h}.json`);
    },
  };
  return { deps, started, raised, intakeCalls: () => intakeCalls };
}

describe('synthetic monitor', () => {
  it('declares an incident for a service taken down, at the second red run, and resolves it when it comes back', async () => {
    const w = world('admin-api');
    app.reset();
    expect((await runSyntheticMonitor(w.deps, at('10:00:00'))).runs.map((r) => [r.environment, r.verdict, r.action])).toEqual([['Prod', 'green', 'none']]);

    app.setFault('production', { readyRed: true });
    // Not due in an odd minute (every 2 minutes), and Beta has no synthetic monitor.
    expect((await runSyntheticMonitor(w.deps, at('10:01:00'))).runs).toEqual([]);
    const first = await runSyntheticMonitor(w.deps, at('10:02:00'));
    expect(first.runs[0]).toMatchObject({ verdict: 'red', action: 'none', note: 'red 1 of 2 runs before declaring', intake: null });
    expect(w.started).toEqual([]);

    const second = await runSyntheticMonitor(w.deps, at('10:04:13'));
    expect(second.runs[0]).toMatchObject({ runAt: '2026-11-20T10:04:00.000Z', verdict: 'red', action: 'fire', intake: { kind: 'declared' } });
    expect(w.started).toHaveLength(1);
    const input = w.started[0]!.input;
    expect(input).toMatchObject({ service: 'admin-api', environment: 'Prod', source: 'alert', declaredBy: { id: 'Detected by the synthetic monitor: admin-api@Prod smoke checks red' } });
    expect(input.severity.level).toBe('P1');
    expect(input.summary).toMatch(/^Detected by the synthetic monitor: admin-api@Prod smoke checks red/);
    expect(input.alert?.signal.description).toMatch(/^Smoke checks red 2 scheduled runs in a row: api\/production health: /);
    expect(second.lines[0]).toMatch(/-> intake declared inc-prod-admin-api-/);

    // The same minute again (a retried timer): applied once, nothing handed to the intake.
    const calls = w.intakeCalls();
    expect((await runSyntheticMonitor(w.deps, at('10:04:40'))).runs[0]).toMatchObject({ action: 'none', note: 'the run of 2026-11-20T10:04:00.000Z was applied already' });
    expect((await runSyntheticMonitor(w.deps, at('10:06:00'))).runs[0]).toMatchObject({ verdict: 'red', action: 'none', note: 'red 3 runs in a row; the incident knows' });
    expect(w.intakeCalls()).toBe(calls);

    app.reset();
    const back = await runSyntheticMonitor(w.deps, at('10:08:00'));
    expect(back.runs[0]).toMatchObject({ verdict: 'green', action: 'resolve', intake: { kind: 'recovery-signal', incidentId: w.started[0]!.id } });
    expect(w.raised).toHaveLength(1);
    expect(w.raised[0]).toMatchObject({ id: w.started[0]!.id, data: { signal: { condition: 'Resolved', rule: 'Detected by the synthetic monitor: admin-api@Prod smoke checks red' } } });
    expect((await runSyntheticMonitor(w.deps, at('10:10:00'))).runs[0]).toMatchObject({ verdict: 'green', action: 'none', note: 'green' });
  });

  it('counts a run once when two hosts run the same minute concurrently', async () => {
    const w = world('jobs-api');
    app.setFault('production', { readyRed: true });
    try {
      await Promise.all([runSyntheticMonitor(w.deps, at('11:00:00')), runSyntheticMonitor(w.deps, at('11:00:05'))]);
      // One red run so far: a second minute is needed to declare.
      expect(w.started).toEqual([]);
      await runSyntheticMonitor(w.deps, at('11:02:00'));
      expect(w.started).toHaveLength(1);
    } finally {
      app.reset();
    }
  });

  it('a blip shorter than the count declares nothing', async () => {
    const w = world('web-api');
    app.setFault('production', { readyRed: true });
    await runSyntheticMonitor(w.deps, at('12:00:00'));
    app.reset();
    expect((await runSyntheticMonitor(w.deps, at('12:02:00'))).runs[0]).toMatchObject({ action: 'none', note: 'green again after 1 red run(s), below 2' });
    expect(w.intakeCalls()).toBe(0);
  });
});
